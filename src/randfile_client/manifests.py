"""A dataset's JSON Lines manifest (docs/api.md): read from the bucket with the caller's S3
credentials, each line a file written, of which the report needs the write time (`write_ms`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from randfile_client.errors import RandfileError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def download(s3: S3Client, bucket: str, key: str) -> bytes:
    """The manifest's bytes (GetObject: s3:GetObject on the key, and kms:Decrypt when the bucket
    uses a customer managed key, https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html)."""
    try:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (BotoCoreError, ClientError) as error:
        raise RandfileError(f"cannot read the manifest s3://{bucket}/{key}: {error}") from error
    return body


def entries(manifest: bytes) -> list[dict[str, Any]]:
    """The manifest's lines as objects; a line that is not a JSON object is an error naming it."""
    parsed = []
    for number, line in enumerate(manifest.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as error:
            raise RandfileError(f"manifest line {number} is not JSON: {line[:200]!r}") from error
        if not isinstance(entry, dict):
            raise RandfileError(f"manifest line {number} is not an object: {line[:200]!r}")
        parsed.append(entry)
    return parsed


def write_times(manifest: list[dict[str, Any]]) -> list[float]:
    """Each file's write time in milliseconds (`write_ms`), in the manifest's order. A file an
    earlier attempt wrote, found and recorded by a later one, has none (null): it is left out."""
    times = []
    for entry in manifest:
        value = entry.get("write_ms")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise RandfileError(f"manifest entry {entry.get('index')} has no write_ms: {entry}")
        times.append(float(value))
    return times
