"""`randfile verify`: are the files a manifest lists all there and intact, in their bucket or a
replica?

Each object is checked without reading it where S3 allows: one HEAD with `ChecksumMode=ENABLED`
answers its size and the full-object CRC64NVME S3 stores with it, which replication keeps
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html), so a
mismatch with the manifest's `checksum_crc64nvme` is a change of content. An object that carries
no CRC64NVME (written before randfile sent one, or copied without it), or a manifest line without
one, is read and its SHA-256 compared with the manifest's `sha256` instead.

The manifest is JSON Lines, a local file or `s3://bucket/key`: the dataset manifest
(`manifest.jsonl`: bucket, key, size_bytes, sha256, checksum_crc64nvme, version_id, ...) or the one
`randfile create --manifest` writes (`size` for `size_bytes`). In the manifest's own bucket an
object is checked at the version the manifest names; in another bucket (`bucket=`, a replica),
by key, since a replica's versions have ids of their own.

HEAD and GET need `s3:GetObject` (and `s3:GetObjectVersion` for a version). Without
`s3:ListBucket` S3 answers 403, not 404, for a key that does not exist
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html): that is reported as an
object that could not be checked, not as missing. Retries are botocore's standard mode.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.session import Session as BotocoreSession

from randfile_client.errors import ConfigurationError, RandfileError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DEFAULT_PARALLEL = 16
READ_CHUNK_BYTES = 1 << 20
Problem = Literal["missing", "size", "checksum", "sha256"]


class ManifestError(RandfileError):
    """The manifest cannot be read or a line of it does not describe an object."""


@dataclass(frozen=True)
class ManifestEntry:
    """One object the manifest lists: where it is and what it must be."""

    bucket: str
    key: str
    size_bytes: int
    sha256: str | None = None
    checksum_crc64nvme: str | None = None
    version_id: str | None = None


@dataclass(frozen=True)
class Mismatch:
    """An object that is not what the manifest says: one line of `--mismatches`."""

    bucket: str
    key: str
    problem: Problem
    expected: str | int | None
    found: str | int | None

    def json_line(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


@dataclass(frozen=True)
class Unchecked:
    """An object that could not be checked (access denied, S3 unreachable after retries)."""

    bucket: str
    key: str
    reason: str


@dataclass
class VerifyResult:
    """What a verification found; `all_match` when every object is there and intact."""

    checked: int = 0
    ok: int = 0
    bytes_ok: int = 0
    read: int = 0
    """Objects read and hashed because no CRC64NVME could be compared."""
    mismatches: list[Mismatch] = field(default_factory=list)
    unchecked: list[Unchecked] = field(default_factory=list)
    elapsed_seconds: float = 0.0

    @property
    def missing(self) -> int:
        return sum(1 for mismatch in self.mismatches if mismatch.problem == "missing")

    @property
    def different(self) -> int:
        return len(self.mismatches) - self.missing

    @property
    def all_match(self) -> bool:
        return not self.mismatches and not self.unchecked

    @property
    def objects_per_second(self) -> float:
        return self.checked / self.elapsed_seconds if self.elapsed_seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "ok": self.ok,
            "missing": self.missing,
            "different": self.different,
            "unchecked": len(self.unchecked),
            "read_and_hashed": self.read,
            "bytes": self.bytes_ok,
            "seconds": round(self.elapsed_seconds, 3),
        }


@dataclass(frozen=True)
class _Intact:
    size_bytes: int
    read: bool


def s3_client(
    *,
    parallel: int = DEFAULT_PARALLEL,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    credentials_file: Path | None = None,
    max_attempts: int = 5,
) -> S3Client:
    """An S3 client for the caller's credentials (the standard chain, or `profile`, read from
    `credentials_file` instead of ~/.aws/credentials when given) with a connection per worker and
    botocore's standard retries (https://docs.aws.amazon.com/boto3/latest/guide/retries.html)."""
    core = BotocoreSession()
    if credentials_file is not None:
        core.set_config_variable("credentials_file", str(credentials_file))
    try:
        session = boto3.Session(botocore_session=core, profile_name=profile, region_name=region)
        credentials = session.get_credentials()
    except BotoCoreError as error:  # such as a profile that does not exist
        raise ConfigurationError(f"no AWS credentials to read S3 with: {error}") from error
    if credentials is None:
        raise ConfigurationError(
            "no AWS credentials to read S3 with: set a profile (--profile, AWS_PROFILE) or keys"
        )
    client: S3Client = session.client(
        "s3",
        endpoint_url=endpoint_url,
        config=Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            max_pool_connections=parallel,
        ),
    )
    return client


def read_manifest(source: str, s3: S3Client | None = None) -> list[ManifestEntry]:
    """The entries of a manifest at a local path or `s3://bucket/key` (read with `s3`)."""
    if source.startswith("s3://"):
        bucket, _, key = source.removeprefix("s3://").partition("/")
        if not bucket or not key:
            raise ManifestError(f"{source}: an S3 manifest is s3://BUCKET/KEY")
        if s3 is None:
            raise ManifestError(f"{source}: reading an S3 manifest needs an S3 client")
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            lines: Iterable[bytes] = body.iter_lines()
            return parse_manifest(lines, source)
        except (ClientError, BotoCoreError) as error:
            raise ManifestError(f"cannot read the manifest {source}: {error}") from error
    path = Path(source)
    try:
        with path.open("rb") as handle:
            return parse_manifest(handle, source)
    except OSError as error:
        raise ManifestError(f"cannot read the manifest {source}: {error}") from error


def parse_manifest(lines: Iterable[bytes | str], source: str = "manifest") -> list[ManifestEntry]:
    """One entry per non-blank JSON Lines record; a line that is not one is a ManifestError
    naming it."""
    entries = []
    for number, raw in enumerate(lines, start=1):
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        try:
            entries.append(_entry(json.loads(text)))
        except (ValueError, TypeError, KeyError) as error:
            shown = text.strip()[:200]
            raise ManifestError(
                f"{source} line {number} does not describe an object ({error}): {shown}"
            ) from error
    return entries


def _entry(record: Any) -> ManifestEntry:
    if not isinstance(record, dict):
        raise TypeError("not a JSON object")
    size = record["size_bytes"] if "size_bytes" in record else record["size"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"size {size!r} is not a number of bytes")
    for name in ("bucket", "key"):
        if not isinstance(record[name], str) or not record[name]:
            raise ValueError(f"{name} {record[name]!r} is not a name")
    return ManifestEntry(
        bucket=record["bucket"],
        key=record["key"],
        size_bytes=size,
        sha256=_text(record, "sha256"),
        checksum_crc64nvme=_text(record, "checksum_crc64nvme"),
        version_id=_text(record, "version_id"),
    )


def _text(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} {value!r} is not a string")
    return value or None


def verify(
    entries: Iterable[ManifestEntry],
    s3: S3Client,
    *,
    bucket: str | None = None,
    parallel: int = DEFAULT_PARALLEL,
    on_checked: Callable[[ManifestEntry, Mismatch | Unchecked | None], None] | None = None,
) -> VerifyResult:
    """Checks every entry (in `bucket` instead of its own when given), `parallel` at a time;
    `on_checked` hears of each as it is done (None: intact)."""
    result = VerifyResult()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="verify") as pool:
        for entry, outcome in zip_outcomes(pool, entries, lambda e: _check(s3, e, bucket)):
            result.checked += 1
            if isinstance(outcome, _Intact):
                result.ok += 1
                result.bytes_ok += outcome.size_bytes
                result.read += outcome.read
            elif isinstance(outcome, Mismatch):
                result.mismatches.append(outcome)
            else:
                result.unchecked.append(outcome)
            if on_checked is not None:
                on_checked(entry, None if isinstance(outcome, _Intact) else outcome)
    result.elapsed_seconds = time.monotonic() - started
    return result


def zip_outcomes(
    pool: ThreadPoolExecutor,
    entries: Iterable[ManifestEntry],
    check: Callable[[ManifestEntry], Mismatch | Unchecked | _Intact],
) -> Iterator[tuple[ManifestEntry, Mismatch | Unchecked | _Intact]]:
    """Each entry with its outcome, in the manifest's order."""
    listed = list(entries)
    yield from zip(listed, pool.map(check, listed), strict=True)


def _check(
    s3: S3Client, entry: ManifestEntry, replica: str | None
) -> Mismatch | Unchecked | _Intact:
    bucket = replica or entry.bucket
    where: dict[str, Any] = {"Bucket": bucket, "Key": entry.key}
    if replica is None and entry.version_id:
        where["VersionId"] = entry.version_id
    try:
        return _compare(s3, entry, where)
    except ClientError as error:
        # 405: the version is a delete marker.
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (404, 405):
            return Mismatch(bucket, entry.key, "missing", entry.size_bytes, None)
        return Unchecked(bucket, entry.key, _reason(error))
    except BotoCoreError as error:
        return Unchecked(bucket, entry.key, str(error))


def _compare(s3: S3Client, entry: ManifestEntry, where: dict[str, Any]) -> Mismatch | _Intact:
    """HEAD, then the size, then S3's CRC64NVME, or else the SHA-256 of the bytes read."""
    head = s3.head_object(**where, ChecksumMode="ENABLED")
    bucket = where["Bucket"]
    if head["ContentLength"] != entry.size_bytes:
        return Mismatch(bucket, entry.key, "size", entry.size_bytes, head["ContentLength"])
    stored = head.get("ChecksumCRC64NVME")
    if stored is not None and entry.checksum_crc64nvme is not None:
        if stored != entry.checksum_crc64nvme:
            return Mismatch(bucket, entry.key, "checksum", entry.checksum_crc64nvme, stored)
        return _Intact(entry.size_bytes, read=False)
    if entry.sha256 is None:
        # Nothing but the size to compare.
        return _Intact(entry.size_bytes, read=False)
    found = _sha256(s3, where)
    if found != entry.sha256:
        return Mismatch(bucket, entry.key, "sha256", entry.sha256, found)
    return _Intact(entry.size_bytes, read=True)


def _sha256(s3: S3Client, where: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    body = s3.get_object(**where)["Body"]
    for chunk in body.iter_chunks(READ_CHUNK_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


def _reason(error: ClientError) -> str:
    code = error.response.get("Error", {}).get("Code", "Unknown")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if status == 403:
        return f"{code} (403): access denied, or no such key without s3:ListBucket"
    return f"{code} ({status})"
