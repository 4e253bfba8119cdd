"""What a local cloud hands to clients: the endpoint file and an AWS credentials profile.

A project's client can read the endpoint file (URL, Host, region, API key, and the emulator's URL
when the project publishes it); any SigV4 client
(awscurl, the AWS SDKs) reads the profile through the standard credential chain:
AWS_SHARED_CREDENTIALS_FILE=<state>/aws/credentials AWS_PROFILE=<profile>.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from localcloud.aws import Credentials
from localcloud.paths import Paths


@dataclass(frozen=True)
class Published:
    api_url: str
    domain: str
    region: str
    profile: str
    endpoint_file: Path
    credentials_file: Path
    api_key: str | None
    credentials: Credentials

    @property
    def environment(self) -> str:
        """The variables that select the caller's profile, as a shell prefix."""
        return (
            f"AWS_SHARED_CREDENTIALS_FILE={shlex.quote(str(self.credentials_file))} "
            f"AWS_PROFILE={self.profile}"
        )

    def awscurl_command(self, path: str, body: str) -> str:
        """A signed POST of ``body`` to ``path`` with awscurl, under the published profile."""
        key = f" -H {shlex.quote(f'x-api-key: {self.api_key}')}" if self.api_key else ""
        return (
            f"{self.environment} awscurl --service execute-api --region {self.region} -X POST "
            f"-H 'Host: {self.domain}' -H 'Content-Type: application/json'{key} "
            f"-d {shlex.quote(body)} {self.api_url}{path}"
        )

    def curl_command(self, path: str, body: str) -> str:
        """The same POST without a signature."""
        return (
            f"curl -i -X POST -H 'Host: {self.domain}' -H 'Content-Type: application/json' "
            f"-d {shlex.quote(body)} {self.api_url}{path}"
        )


def _private(path: Path, text: str) -> None:
    """Written readable by the owner only: it holds keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _profile(name: str, credentials: Credentials, region: str) -> list[str]:
    keys = {
        "aws_access_key_id": credentials.access_key_id,
        "aws_secret_access_key": credentials.secret_access_key,
        "aws_session_token": credentials.session_token or "",
        "region": region,
    }
    return [f"[{name}]", *(f"{key} = {value}" for key, value in keys.items())]


def publish(
    paths: Paths,
    *,
    api_url: str,
    domain: str,
    region: str,
    profile: str,
    api_key: str | None,
    credentials: Credentials,
    aws_endpoint: str | None = None,
    other_profiles: Mapping[str, Credentials] | None = None,
) -> Published:
    """``aws_endpoint``: the emulator's URL, for clients that call AWS services themselves (S3
    reads with one of ``other_profiles``, profiles written beside the caller's)."""
    endpoint_file = paths.state_dir / "endpoint.json"
    credentials_file = paths.state_dir / "aws" / "credentials"
    saved = {"endpoint": api_url, "host": domain, "region": region, "api_key": api_key}
    if aws_endpoint is not None:
        saved["aws_endpoint"] = aws_endpoint
    _private(endpoint_file, json.dumps(saved, indent=2) + "\n")
    lines: list[str] = []
    for name, keys in {profile: credentials, **(other_profiles or {})}.items():
        lines += _profile(name, keys, region)
    _private(credentials_file, "\n".join(lines) + "\n")
    return Published(
        api_url, domain, region, profile, endpoint_file, credentials_file, api_key, credentials
    )
