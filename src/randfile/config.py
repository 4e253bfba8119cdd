"""Settings from the function's environment, validated once per invocation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from randfile.errors import MisconfiguredError

DEFAULT_KEY_PREFIX = "random/"
DEFAULT_MAX_BYTES = 104_857_600
S3_MAX_OBJECT_BYTES = 5 * 1024**4

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_KEY_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()/-]{1,512}/$")


@dataclass(frozen=True)
class Settings:
    bucket: str
    bucket_owner: str
    key_prefix: str
    max_bytes: int


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Reads RANDFILE_* variables; any missing or malformed one raises MisconfiguredError."""
    bucket = environ.get("RANDFILE_BUCKET", "")
    if not _BUCKET_NAME.match(bucket):
        raise MisconfiguredError(
            "RANDFILE_BUCKET must be an S3 bucket name (3-63 lowercase letters, digits, '.', '-'),"
            f" got {bucket!r}"
        )
    owner = environ.get("RANDFILE_BUCKET_OWNER", "")
    if not _ACCOUNT_ID.match(owner):
        raise MisconfiguredError(
            f"RANDFILE_BUCKET_OWNER must be a 12-digit AWS account id, got {owner!r}"
        )
    prefix = environ.get("RANDFILE_KEY_PREFIX", DEFAULT_KEY_PREFIX)
    if not _KEY_PREFIX.match(prefix) or prefix.startswith("/") or "//" in prefix:
        raise MisconfiguredError(
            "RANDFILE_KEY_PREFIX must be a relative S3 key prefix ending in '/' (safe characters"
            f" only, no empty segment), got {prefix!r}"
        )
    raw_max = environ.get("RANDFILE_MAX_BYTES", str(DEFAULT_MAX_BYTES))
    if not raw_max.isdigit() or not 1 <= int(raw_max) <= S3_MAX_OBJECT_BYTES:
        raise MisconfiguredError(
            f"RANDFILE_MAX_BYTES must be an integer from 1 to {S3_MAX_OBJECT_BYTES},"
            f" got {raw_max!r}"
        )
    return Settings(bucket=bucket, bucket_owner=owner, key_prefix=prefix, max_bytes=int(raw_max))
