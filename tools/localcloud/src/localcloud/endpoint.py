"""What `make demo` hands to clients: the endpoint file and an AWS credentials profile.

The `randfile` client reads the endpoint file with `--env local` (randfile_client.targets); any
SigV4 client (awscurl, the AWS SDKs) reads the profile through the standard credential chain:
AWS_SHARED_CREDENTIALS_FILE=<state>/aws/credentials AWS_PROFILE=randfile-local.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from localcloud.aws import Credentials
from localcloud.settings import REGION, Paths

PROFILE = "randfile-local"
DEMO_BODY = '{"size_bytes": 2048, "format": "csv"}'


@dataclass(frozen=True)
class Published:
    api_url: str
    domain: str
    endpoint_file: Path
    credentials_file: Path
    api_key: str | None
    credentials: Credentials

    @property
    def environment(self) -> str:
        """The variables that select the caller's profile, as a shell prefix."""
        return (
            f"AWS_SHARED_CREDENTIALS_FILE={shlex.quote(str(self.credentials_file))} "
            f"AWS_PROFILE={PROFILE}"
        )

    def client_command(self) -> str:
        return f"{self.environment} randfile create --env local --size 10KiB --format csv --seed 7"

    def awscurl_command(self) -> str:
        key = f" -H {shlex.quote(f'x-api-key: {self.api_key}')}" if self.api_key else ""
        return (
            f"{self.environment} awscurl --service execute-api --region {REGION} -X POST "
            f"-H 'Host: {self.domain}' -H 'Content-Type: application/json'{key} "
            f"-d {shlex.quote(DEMO_BODY)} {self.api_url}/files"
        )

    def curl_command(self) -> str:
        return (
            f"curl -i -X POST -H 'Host: {self.domain}' -H 'Content-Type: application/json' "
            f"-d {shlex.quote(DEMO_BODY)} {self.api_url}/files"
        )


def _private(path: Path, text: str) -> None:
    """Written readable by the owner only: it holds keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def publish(
    paths: Paths, *, api_url: str, domain: str, api_key: str | None, credentials: Credentials
) -> Published:
    endpoint_file = paths.state_dir / "endpoint.json"
    credentials_file = paths.state_dir / "aws" / "credentials"
    _private(
        endpoint_file,
        json.dumps(
            {"endpoint": api_url, "host": domain, "region": REGION, "api_key": api_key}, indent=2
        )
        + "\n",
    )
    profile = {
        "aws_access_key_id": credentials.access_key_id,
        "aws_secret_access_key": credentials.secret_access_key,
        "aws_session_token": credentials.session_token or "",
        "region": REGION,
    }
    lines = [f"[{PROFILE}]", *(f"{name} = {value}" for name, value in profile.items())]
    _private(credentials_file, "\n".join(lines) + "\n")
    return Published(api_url, domain, endpoint_file, credentials_file, api_key, credentials)
