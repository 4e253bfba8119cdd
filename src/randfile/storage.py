"""Create-only, streaming writes to the data bucket, with nothing partial left behind on failure.

Content below one part is sent as a single PUT; above it, as a multipart upload whose parts are
uploaded from a small thread pool while the next part is generated (botocore releases the GIL while
it waits on the network, and hashlib while it hashes), so a call takes about the longer of
generating and uploading rather than their sum, and memory holds at most PARTS_IN_FLIGHT parts plus
the one being generated, whatever the object's size. Both the PUT and the multipart completion
carry `If-None-Match: *`, so an existing object is never replaced. Any failure after a multipart
upload has started (a part, the generator, the deadline) stops generating, cancels the parts not
yet started, waits for those on the wire and aborts the upload before the error is raised.

Every object carries a full-object CRC64NVME checksum, computed here over the bytes as they are
sent: S3 recomputes it, refuses the write when it differs (BadDigest), stores it, returns it on
HEAD with `ChecksumMode=ENABLED` and replication keeps it, so an object can be verified later
without reading it. A multipart upload declares `ChecksumType=FULL_OBJECT`: its checksum is the
CRC64NVME of the whole object, the same value a single PUT of the same bytes gets, not a checksum
of the parts' checksums ("Checking object integrity", full object and composite checksums:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Any, Final

from awscrt.checksums import crc64nvme
from botocore.exceptions import BotoCoreError, ClientError
from s3transfer.utils import ChunksizeAdjuster

from randfile.errors import (
    KeyTakenError,
    ServiceError,
    StorageError,
    StorageUnavailableError,
)
from randfile.lambda_context import Deadline

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

PART_BYTES = 8 * 1024 * 1024
"""Multipart threshold and smallest part size: S3's minimum part is 5 MiB; 8 MiB matches the AWS
CLI. A file of more than 10,000 such parts (78 GiB) gets larger parts: see `part_size`."""

_CHUNKSIZE = ChunksizeAdjuster()
"""boto3's own part sizing (s3transfer, which boto3 depends on, so the Lambda runtime ships it):
it doubles the part size until the file fits in S3's 10,000 parts and keeps it within S3's 5 MiB
to 5 GiB (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html)."""

PARTS_IN_FLIGHT = 4
"""Parts uploading at once. Four keep the network busy while one core generates, and stay within
botocore's default pool of 10 connections; low-level clients are thread safe
(https://docs.aws.amazon.com/boto3/latest/guide/clients.html#multithreading-or-multiprocessing-with-clients)."""

RETRY_AFTER_SECONDS = 1

CHECKSUM_ALGORITHM: Final = "CRC64NVME"
"""The checksum every object carries. botocore computes CRC64NVME only with the AWS Common Runtime
(awscrt, `botocore[crt]`), which the Lambda runtime does not promise, so the zip bundles awscrt
(requirements/function.in) and the writer computes the value itself with
`awscrt.checksums.crc64nvme`, botocore's own implementation."""

_TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "ServiceUnavailable",
        "InternalError",
        "OperationAborted",
        # A concurrent write to the same key was in progress: a retry gets a new key.
        "ConditionalRequestConflict",
    }
)
_ACCESS_CODES = frozenset({"AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "403"})

logger = logging.getLogger(__name__)


def part_size(size_bytes: int | None, smallest: int = PART_BYTES) -> int:
    """The part size for a file of `size_bytes` (None: unknown, the smallest): `smallest`,
    doubled as boto3's managed uploads do until the file takes at most 10,000 parts; 5 TiB,
    S3's largest object, takes 1 GiB parts."""
    return _CHUNKSIZE.adjust_chunksize(smallest, size_bytes)


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    size_bytes: int
    sha256: str
    etag: str
    version_id: str | None
    checksum_crc64nvme: str
    """The full-object CRC64NVME, base64 of its 8 big-endian bytes, as S3 reports it."""


@dataclass(frozen=True)
class ExistingObject:
    """What HEAD tells of an object already in the bucket."""

    bucket: str
    key: str
    size_bytes: int
    etag: str
    version_id: str | None
    metadata: dict[str, str]
    checksum_crc64nvme: str | None
    """The full-object CRC64NVME S3 stores (None: the object has none, or another checksum)."""


@dataclass(frozen=True)
class ObjectSpec:
    key: str
    content_type: str
    metadata: dict[str, str]


class BucketWriter:
    def __init__(
        self,
        client: S3Client,
        bucket: str,
        expected_owner: str,
        part_bytes: int = PART_BYTES,
        parts_in_flight: int = PARTS_IN_FLIGHT,
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._owner = expected_owner
        self._part_bytes = part_bytes
        self._parts_in_flight = parts_in_flight

    def write(
        self,
        spec: ObjectSpec,
        chunks: Iterable[bytes],
        deadline: Deadline,
        size_bytes: int | None = None,
        before_final_write: Callable[[Digests], None] | None = None,
    ) -> StoredObject:
        """Writes `chunks` create-only; `size_bytes`, their total when known, sets the part size
        (`part_size`), without which a file past 10,000 parts cannot be completed.

        `before_final_write` is called with the content's digests (`Digests`) once every byte is
        generated, before the request that makes the object exist (the PUT, or the upload's
        completion): a job records them there, so a later delivery that finds the object knows
        them without generating it again."""
        parts = _parts(chunks, part_size(size_bytes, self._part_bytes))
        head = list(islice(parts, 2))
        send = self._put if len(head) < 2 else self._multipart
        content = _Tally(_drain(head, parts))
        try:
            with self._s3_errors(spec.key):
                receipt = send(spec, content, deadline, partial(_call, before_final_write, content))
        except KeyTakenError as taken:
            # S3 answers 412 to the PUT or to the completion, when every byte has been sent.
            taken.sent = content.digests()
            raise
        sent = content.digests()
        return StoredObject(
            bucket=self._bucket,
            key=spec.key,
            size_bytes=content.size_bytes,
            sha256=sent.sha256,
            etag=receipt.etag,
            version_id=receipt.version_id,
            checksum_crc64nvme=sent.checksum_crc64nvme,
        )

    def existing(self, key: str) -> ExistingObject:
        """The object at `key`: its size, ETag, version, user metadata and stored checksum. HEAD
        needs s3:GetObject, and with checksum mode on an SSE-KMS object kms:Decrypt too, which
        the role and the bucket's key policy grant already for multipart uploads
        (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, ChecksumMode)."""
        with self._s3_errors(key):
            answer = self._client.head_object(
                Bucket=self._bucket,
                Key=key,
                ExpectedBucketOwner=self._owner,
                ChecksumMode="ENABLED",
            )
        receipt = _Receipt.of(answer)
        return ExistingObject(
            bucket=self._bucket,
            key=key,
            size_bytes=answer["ContentLength"],
            etag=receipt.etag,
            version_id=receipt.version_id,
            metadata=dict(answer.get("Metadata", {})),
            checksum_crc64nvme=answer.get("ChecksumCRC64NVME"),
        )

    def _put(
        self,
        spec: ObjectSpec,
        parts: Iterable[bytes],
        deadline: Deadline,
        before_final_write: Callable[[], str],
    ) -> _Receipt:
        """Sends content of at most one part in a single PUT, with its CRC64NVME (the one
        `before_final_write` answers, computed as the body was gathered): S3 stores the checksum
        it is sent (one x-amz-checksum-* header at most); x-amz-sdk-checksum-algorithm goes
        beside it, as botocore sends it with a checksum it computes."""
        body = b"".join(parts)
        deadline.ensure(0, "uploading")
        checksum = before_final_write()
        return _Receipt.of(
            self._client.put_object(
                Bucket=self._bucket,
                Key=spec.key,
                Body=body,
                ContentType=spec.content_type,
                Metadata=spec.metadata,
                ChecksumAlgorithm=CHECKSUM_ALGORITHM,
                ChecksumCRC64NVME=checksum,
                IfNoneMatch="*",
                ExpectedBucketOwner=self._owner,
            )
        )

    def _multipart(
        self,
        spec: ObjectSpec,
        parts: Iterable[bytes],
        deadline: Deadline,
        before_final_write: Callable[[], str],
    ) -> _Receipt:
        """Sends content of two parts or more as a multipart upload, aborted on any failure. The
        upload is declared full-object CRC64NVME, each part carries its own CRC64NVME and the
        completion the whole object's, which S3 checks against the parts it combines."""
        deadline.ensure(0, "starting a multipart upload")
        upload_id = self._client.create_multipart_upload(
            Bucket=self._bucket,
            Key=spec.key,
            ContentType=spec.content_type,
            Metadata=spec.metadata,
            ChecksumAlgorithm=CHECKSUM_ALGORITHM,
            ChecksumType="FULL_OBJECT",
            ExpectedBucketOwner=self._owner,
        )["UploadId"]
        try:
            upload = _PartUploads(partial(self._upload_part, spec.key, upload_id))
            upload.send(parts, deadline, self._parts_in_flight)
            deadline.ensure(upload.slowest_part_ms, "completing the upload")
            checksum = before_final_write()
            return _Receipt.of(
                self._client.complete_multipart_upload(
                    Bucket=self._bucket,
                    Key=spec.key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": upload.completed()},
                    ChecksumCRC64NVME=checksum,
                    ChecksumType="FULL_OBJECT",
                    IfNoneMatch="*",
                    ExpectedBucketOwner=self._owner,
                )
            )
        except BaseException:
            self._abort(spec.key, upload_id)
            raise

    def exists(self, key: str) -> ExistingObject | None:
        """`existing(key)`, or None when there is no object at `key`."""
        try:
            return self.existing(key)
        except StorageError as error:
            if isinstance(error.__cause__, ClientError) and _http_status(error.__cause__) == 404:
                return None
            raise

    def abort_uploads(self, key: str) -> int:
        """Aborts every multipart upload in progress for exactly `key` (what an attempt killed
        mid-upload left), and says how many. Listing needs s3:ListBucketMultipartUploads
        (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html); a key
        has few uploads, one page holds up to 1,000."""
        with self._s3_errors(key):
            listed = self._client.list_multipart_uploads(
                Bucket=self._bucket, Prefix=key, ExpectedBucketOwner=self._owner
            )
            uploads = [u for u in listed.get("Uploads", []) if u.get("Key") == key]
            for upload in uploads:
                self._client.abort_multipart_upload(
                    Bucket=self._bucket,
                    Key=key,
                    UploadId=upload["UploadId"],
                    ExpectedBucketOwner=self._owner,
                )
        if uploads:
            logger.info("aborted uploads left open", extra={"key": key, "uploads": len(uploads)})
        return len(uploads)

    def _upload_part(self, key: str, upload_id: str, number: int, body: bytes) -> _SentPart:
        """Sends one part (from a pool thread) and says how long it took.

        S3 recomputes the part's CRC64NVME and refuses the part when it differs (BadDigest; see
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html), which
        catches corruption in transit as SHA-256 would, at a fraction of the CPU on both ends.
        The whole object's SHA-256 is still reported.
        """
        started = time.monotonic()
        checksum = _crc64nvme(body)
        uploaded = self._client.upload_part(
            Bucket=self._bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=body,
            ChecksumCRC64NVME=checksum,
            ExpectedBucketOwner=self._owner,
        )
        return _SentPart(
            {"PartNumber": number, "ETag": uploaded["ETag"], "ChecksumCRC64NVME": checksum},
            (time.monotonic() - started) * 1000,
        )

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self._client.abort_multipart_upload(
                Bucket=self._bucket, Key=key, UploadId=upload_id, ExpectedBucketOwner=self._owner
            )
        except (ClientError, BotoCoreError):
            # The bucket's lifecycle rule removes incomplete uploads after a day: the backstop.
            logger.exception("abort of multipart upload failed", extra={"key": key})
        else:
            logger.info("aborted multipart upload", extra={"key": key})

    @contextmanager
    def _s3_errors(self, key: str) -> Iterator[None]:
        """Turns S3's and botocore's errors into the service's."""
        try:
            yield
        except ClientError as error:
            raise self._explain(error, key) from error
        except BotoCoreError as error:
            raise StorageUnavailableError(
                f"could not reach S3 for bucket {self._bucket}: {error}",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            ) from error

    def _explain(self, error: ClientError, key: str) -> ServiceError:
        code = str(error.response.get("Error", {}).get("Code", "Unknown"))
        where = f"bucket {self._bucket} (expected owner {self._owner}), key {key}"
        if code in _ACCESS_CODES:
            return StorageError(f"S3 denied access to {where}: {code}")
        if code == "NoSuchBucket":
            return StorageError(f"S3 bucket {self._bucket} does not exist")
        if code == "PreconditionFailed":
            return KeyTakenError(
                f"an object already exists at {where}; retry",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            )
        if code in _TRANSIENT_CODES or _http_status(error) >= 500:
            return StorageUnavailableError(
                f"S3 could not take the write to {where} ({code}); retry",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            )
        return StorageError(f"S3 rejected the write to {where}: {code}")


@dataclass(frozen=True)
class _Receipt:
    """What S3 answers to a finished write, single PUT or multipart alike."""

    etag: str
    version_id: str | None

    @classmethod
    def of(cls, answer: Mapping[str, Any]) -> _Receipt:
        return cls(etag=str(answer["ETag"]).strip('"'), version_id=answer.get("VersionId"))


@dataclass(frozen=True)
class Digests:
    """What identifies the content sent: its SHA-256 (hex) and its full-object CRC64NVME (base64,
    as S3 reports it)."""

    sha256: str
    checksum_crc64nvme: str


class _Tally:
    """The parts on their way to S3, counted and hashed as the sending path takes them, in order:
    the CRC64NVME continues from one part to the next, which makes it the whole object's."""

    def __init__(self, parts: Iterator[bytes]) -> None:
        self._parts = parts
        self._digest = hashlib.sha256()
        self._crc64nvme = 0
        self.size_bytes = 0

    def __iter__(self) -> Iterator[bytes]:
        for part in self._parts:
            self._digest.update(part)
            self._crc64nvme = crc64nvme(part, self._crc64nvme)
            self.size_bytes += len(part)
            yield part

    def digests(self) -> Digests:
        return Digests(self._digest.hexdigest(), _base64_crc64(self._crc64nvme))


@dataclass(frozen=True)
class _SentPart:
    completed: CompletedPartTypeDef
    elapsed_ms: float


class _PartUploads:
    """The parts of one multipart upload, sent from a bounded pool as they are generated."""

    def __init__(self, send_part: Callable[[int, bytes], _SentPart]) -> None:
        self._send_part = send_part
        self._sent: dict[int, CompletedPartTypeDef] = {}
        self.slowest_part_ms = 0.0

    def send(self, parts: Iterable[bytes], deadline: Deadline, limit: int) -> None:
        """Uploads every part, at most `limit` at once."""
        in_flight: set[Future[_SentPart]] = set()
        with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="upload-part") as pool:
            try:
                for number, body in enumerate(parts, start=1):
                    # A part that cannot finish before the deadline would leave the upload open.
                    # A job also keeps the completion's time (Deadline.for_job).
                    deadline.ensure(
                        self.slowest_part_ms * 2 + deadline.completion_reserve_ms, f"part {number}"
                    )
                    if len(in_flight) >= limit:
                        in_flight = self._settle(in_flight, FIRST_COMPLETED)
                    in_flight.add(pool.submit(self._send_part, number, body))
                self._settle(in_flight, ALL_COMPLETED)
            except BaseException:
                # Parts not started are dropped; leaving this block waits for those on the wire,
                # so the caller's abort comes after them: a part that lands after an abort is kept
                # until the upload is aborted again (see AbortMultipartUpload,
                # https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html).
                for future in in_flight:
                    future.cancel()
                raise

    def _settle(self, in_flight: set[Future[_SentPart]], until: str) -> set[Future[_SentPart]]:
        """Waits for some (or all) parts; raises the error of the first part that failed."""
        done, pending = wait(in_flight, return_when=until)
        for future in done:
            sent = future.result()
            self._sent[sent.completed["PartNumber"]] = sent.completed
            self.slowest_part_ms = max(self.slowest_part_ms, sent.elapsed_ms)
        return pending

    def completed(self) -> list[CompletedPartTypeDef]:
        return [self._sent[number] for number in sorted(self._sent)]


def _call(before_final_write: Callable[[Digests], None] | None, content: _Tally) -> str:
    """Hands the finished content's digests to `before_final_write`; answers its checksum."""
    sent = content.digests()
    if before_final_write is not None:
        before_final_write(sent)
    return sent.checksum_crc64nvme


def _crc64nvme(body: bytes) -> str:
    return _base64_crc64(crc64nvme(body))


def _base64_crc64(value: int) -> str:
    """S3's form of a CRC64NVME: base64 of its 8 bytes, big-endian (as botocore encodes it)."""
    return base64.b64encode(value.to_bytes(8, "big")).decode()


def _http_status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _parts(chunks: Iterable[bytes], part_bytes: int) -> Iterator[bytes]:
    """Regroups generated chunks into parts of exactly part_bytes (the last may be shorter)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= part_bytes:
            # One copy into the part (a bytearray slice would make two); the view is released
            # before the buffer shrinks.
            with memoryview(buffer) as view, view[:part_bytes] as head:
                part = bytes(head)
            del buffer[:part_bytes]
            yield part
    if buffer:
        yield bytes(buffer)


def _drain(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    """Yields the parts in `head`, letting go of each as it goes, then the rest."""
    while head:
        yield head.pop(0)
    yield from rest
