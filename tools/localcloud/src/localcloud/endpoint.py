"""What a local cloud hands to clients: the endpoint file and an AWS credentials profile.

A project's client can read the endpoint file (URL, Host, region, API key, and where the
emulator's AWS APIs answer with which other profiles, e.g. to read a bucket as its account); any
SigV4 client (awscurl, the AWS SDKs) reads the profile through the standard credential chain:
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


def publish(
    paths: Paths,
    *,
    api_url: str,
    domain: str,
    region: str,
    profile: str,
    api_key: str | None,
    credentials: Credentials,
    aws_endpoint_url: str | None = None,
    other_profiles: Mapping[str, Credentials] | None = None,
) -> Published:
    """Writes the endpoint file and the credentials file: ``profile`` (the caller's) and
    ``other_profiles``, named in the endpoint file (``profiles``) beside ``aws_endpoint_url``,
    the emulator's AWS endpoint those profiles are for."""
    endpoint_file = paths.state_dir / "endpoint.json"
    credentials_file = paths.state_dir / "aws" / "credentials"
    saved: dict[str, object] = {
        "endpoint": api_url,
        "host": domain,
        "region": region,
        "api_key": api_key,
    }
    if aws_endpoint_url is not None:
        saved["aws_endpoint_url"] = aws_endpoint_url
    if other_profiles:
        saved["profiles"] = sorted(other_profiles)
    _private(endpoint_file, json.dumps(saved, indent=2) + "\n")
    lines: list[str] = []
    for name, keys_of in {profile: credentials, **(other_profiles or {})}.items():
        keys = {
            "aws_access_key_id": keys_of.access_key_id,
            "aws_secret_access_key": keys_of.secret_access_key,
            "aws_session_token": keys_of.session_token or "",
            "region": region,
        }
        lines += [f"[{name}]", *(f"{key} = {value}" for key, value in keys.items())]
    _private(credentials_file, "\n".join(lines) + "\n")
    return Published(
        api_url, domain, region, profile, endpoint_file, credentials_file, api_key, credentials
    )
