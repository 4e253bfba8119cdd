"""BucketWriter against moto, with faults injected into the real boto3 client's call path."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from s3transfer.utils import ChunksizeAdjuster

from randfile import storage
from randfile.errors import (
    DeadlineExceededError,
    KeyTakenError,
    StorageError,
    StorageUnavailableError,
)
from randfile.lambda_context import Deadline
from randfile.storage import PART_BYTES, PARTS_IN_FLIGHT, BucketWriter, Digests, ObjectSpec
from tests.checksums import crc64nvme_of
from tests.functional.conftest import BUCKET, DATA_ACCOUNT, TwoAccounts

SPEC = ObjectSpec("random/2026/01/01/test.bin", "application/octet-stream", {"randfile-seed": "1"})
NO_DEADLINE = Deadline(None)


def chunks(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        yield bytes([sent % 251]) * piece
        sent += piece


def writer(accounts: TwoAccounts) -> BucketWriter:
    return BucketWriter(accounts.workload_s3(), BUCKET, DATA_ACCOUNT)


def fail_on(
    target: BucketWriter, operation: str, code: str, status: int, after: int = 0
) -> list[str]:
    """Makes the writer's client fail `operation` after `after` successful calls."""
    calls: list[str] = []

    def hook(**_: Any) -> None:
        calls.append(operation)
        if len(calls) > after:
            raise ClientError(
                {
                    "Error": {"Code": code, "Message": "injected"},
                    "ResponseMetadata": {"HTTPStatusCode": status},  # type: ignore[typeddict-item]
                },
                operation,
            )

    target._client.meta.events.register(f"before-call.s3.{operation}", hook)
    return calls


def assert_nothing_left(accounts: TwoAccounts) -> None:
    s3 = accounts.data_s3()
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    assert not s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads")


@pytest.mark.parametrize("size", [1, 1000, PART_BYTES, PART_BYTES + 1, 2 * PART_BYTES + 5])
def test_object_lands_with_exact_bytes_and_digest(accounts: TwoAccounts, size: int) -> None:
    stored = writer(accounts).write(SPEC, chunks(size), NO_DEADLINE)
    body = accounts.data_s3().get_object(Bucket=BUCKET, Key=SPEC.key)
    data = body["Body"].read()
    assert len(data) == stored.size_bytes == size
    assert hashlib.sha256(data).hexdigest() == stored.sha256
    assert body["ContentType"] == "application/octet-stream"
    assert body["Metadata"] == {"randfile-seed": "1"}
    assert stored.version_id
    assert_no_open_uploads(accounts)


def assert_no_open_uploads(accounts: TwoAccounts) -> None:
    assert not accounts.data_s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads")


@pytest.mark.parametrize("size", [10, PART_BYTES + 10])
def test_existing_key_is_never_replaced(accounts: TwoAccounts, size: int) -> None:
    accounts.data_s3().put_object(Bucket=BUCKET, Key=SPEC.key, Body=b"original")
    with pytest.raises(StorageUnavailableError) as caught:
        writer(accounts).write(SPEC, chunks(size), NO_DEADLINE)
    assert caught.value.retry_after_seconds
    assert accounts.data_s3().get_object(Bucket=BUCKET, Key=SPEC.key)["Body"].read() == b"original"
    assert_no_open_uploads(accounts)


def test_every_call_names_the_expected_owner(accounts: TwoAccounts) -> None:
    target = writer(accounts)
    seen: list[tuple[str, Any]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, params.get("ExpectedBucketOwner")))

    target._client.meta.events.register("provide-client-params.s3.*", record)
    target.write(SPEC, chunks(2 * PART_BYTES + 1), NO_DEADLINE)
    fail_on(target, "UploadPart", "InternalError", 500, after=0)
    with pytest.raises(StorageUnavailableError):
        target.write(
            ObjectSpec("random/other.bin", "application/octet-stream", {}),
            chunks(2 * PART_BYTES),
            NO_DEADLINE,
        )
    operations = {name for name, _ in seen}
    assert {"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"} <= operations
    assert "AbortMultipartUpload" in operations
    assert all(owner == DATA_ACCOUNT for _, owner in seen)


@pytest.mark.parametrize(
    ("operation", "after", "code", "status", "error"),
    [
        ("CreateMultipartUpload", 0, "AccessDenied", 403, StorageError),
        ("UploadPart", 0, "SlowDown", 503, StorageUnavailableError),
        ("UploadPart", 1, "InternalError", 500, StorageUnavailableError),
        ("UploadPart", 1, "AccessDenied", 403, StorageError),
        ("CompleteMultipartUpload", 0, "InvalidPart", 400, StorageError),
        ("CompleteMultipartUpload", 0, "PreconditionFailed", 412, StorageUnavailableError),
        ("PutObject", 0, "AccessDenied", 403, StorageError),
        ("PutObject", 0, "NoSuchBucket", 404, StorageError),
        ("PutObject", 0, "ServiceUnavailable", 503, StorageUnavailableError),
    ],
)
def test_failure_at_any_step_leaves_nothing(
    accounts: TwoAccounts,
    operation: str,
    after: int,
    code: str,
    status: int,
    error: type[Exception],
) -> None:
    target = writer(accounts)
    fail_on(target, operation, code, status, after=after)
    size = 100 if operation == "PutObject" else 3 * PART_BYTES
    with pytest.raises(error) as caught:
        target.write(SPEC, chunks(size), NO_DEADLINE)
    assert BUCKET in str(caught.value)
    assert_nothing_left(accounts)


def test_access_denied_names_bucket_and_owner(accounts: TwoAccounts) -> None:
    target = writer(accounts)
    fail_on(target, "PutObject", "AccessDenied", 403)
    with pytest.raises(StorageError, match=f"bucket {BUCKET} \\(expected owner {DATA_ACCOUNT}\\)"):
        target.write(SPEC, chunks(10), NO_DEADLINE)


@pytest.mark.parametrize("size", [100, 2 * PART_BYTES + 1])
def test_a_bucket_owned_by_another_account_is_refused(accounts: TwoAccounts, size: int) -> None:
    # S3 answers 403 when ExpectedBucketOwner is not the bucket's owner; moto does not check it,
    # so the hook below applies S3's rule to what the writer really sends.
    target = BucketWriter(accounts.workload_s3(), BUCKET, "999999999999")

    def enforce_owner(params: dict[str, Any], model: Any, **_: Any) -> None:
        if (
            params.get("ExpectedBucketOwner") != DATA_ACCOUNT
            and model.name != "AbortMultipartUpload"
        ):
            raise ClientError(
                {
                    "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
                    "ResponseMetadata": {"HTTPStatusCode": 403},  # type: ignore[typeddict-item]
                },
                model.name,
            )

    target._client.meta.events.register("provide-client-params.s3.*", enforce_owner)
    with pytest.raises(StorageError, match=r"expected owner 999999999999"):
        target.write(SPEC, chunks(size), NO_DEADLINE)
    assert_nothing_left(accounts)


def test_failure_while_generating_aborts_the_upload(accounts: TwoAccounts) -> None:
    def broken() -> Iterator[bytes]:
        yield b"x" * PART_BYTES
        yield b"y" * PART_BYTES
        raise RuntimeError("generator broke")

    target = writer(accounts)
    hold = threading.Event()
    parts = PartTracker(target, hold=hold)
    threading.Timer(0.5, hold.set).start()
    with pytest.raises(RuntimeError):
        target.write(SPEC, broken(), NO_DEADLINE)
    # Both parts were on the wire when the generator broke: the abort waited for them.
    assert parts.ended == [1, 2]
    assert parts.events[-1] == ("abort", 0)
    assert_nothing_left(accounts)


class PartTracker:
    """Watches the writer's UploadPart calls from the pool's threads: how many run at once, the
    order of starts, ends and the abort; can hold parts back and make one part fail."""

    def __init__(
        self,
        target: BucketWriter,
        hold: threading.Event | None = None,
        fail_part: int | None = None,
        gather: threading.Barrier | None = None,
    ) -> None:
        self.hold = hold
        self.fail_part = fail_part
        self.gather = gather
        self.events: list[tuple[str, int]] = []
        self.running = 0
        self.most_running = 0
        self._lock = threading.Lock()
        events = target._client.meta.events
        events.register("provide-client-params.s3.UploadPart", self._start)
        events.register("after-call.s3.UploadPart", self._end)
        events.register("provide-client-params.s3.AbortMultipartUpload", self._abort)

    @property
    def ended(self) -> list[int]:
        return sorted(number for event, number in self.events if event == "end")

    def _start(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        number = params["PartNumber"]
        context["part_number"] = number
        with self._lock:
            self.events.append(("start", number))
            if number == self.fail_part:
                raise ClientError(
                    {
                        "Error": {"Code": "InternalError", "Message": "injected"},
                        "ResponseMetadata": {"HTTPStatusCode": 500},  # type: ignore[typeddict-item]
                    },
                    "UploadPart",
                )
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        if self.gather is not None and number <= self.gather.parties:
            self.gather.wait(timeout=30)
        if self.hold is not None:
            assert self.hold.wait(timeout=30)

    def _end(self, context: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.running -= 1
            self.events.append(("end", context["part_number"]))

    def _abort(self, **_: Any) -> None:
        with self._lock:
            self.events.append(("abort", self.running))


def test_every_part_carries_the_crc64nvme_of_its_bytes(accounts: TwoAccounts) -> None:
    # S3 refuses a part whose body does not match its checksum, and a completion whose full-object
    # checksum is not the parts' combined; moto checks neither, so this checks what the writer
    # sends: a full-object CRC64NVME upload, each part's CRC64NVME, the same list in the
    # completion, and the whole object's CRC64NVME with it.
    target = writer(accounts)
    sent: dict[int, str] = {}
    listed: list[Any] = []
    completed: list[dict[str, Any]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "UploadPart":
            assert params["ChecksumCRC64NVME"] == crc64nvme_of(params["Body"])
            sent[params["PartNumber"]] = params["ChecksumCRC64NVME"]
        elif model.name == "CompleteMultipartUpload":
            listed.extend(params["MultipartUpload"]["Parts"])
            completed.append(params)
        elif model.name == "CreateMultipartUpload":
            assert (params["ChecksumAlgorithm"], params["ChecksumType"]) == (
                "CRC64NVME",
                "FULL_OBJECT",
            )

    target._client.meta.events.register("provide-client-params.s3.*", record)
    size = 2 * PART_BYTES + 7
    stored = target.write(SPEC, chunks(size), NO_DEADLINE)
    assert sorted(sent) == [1, 2, 3]
    assert [(part["PartNumber"], part["ChecksumCRC64NVME"]) for part in listed] == sorted(
        sent.items()
    )
    whole = crc64nvme_of(b"".join(chunks(size)))
    assert [(c["ChecksumType"], c["ChecksumCRC64NVME"]) for c in completed] == [
        ("FULL_OBJECT", whole)
    ]
    assert stored.checksum_crc64nvme == whole


@pytest.mark.parametrize("size", [1, 1000, PART_BYTES, PART_BYTES + 1, 2 * PART_BYTES + 5])
def test_s3_keeps_the_full_object_crc64nvme_of_what_it_holds(
    accounts: TwoAccounts, size: int
) -> None:
    # One PUT and multipart uploads alike: the checksum reported is the CRC64NVME (awscrt's, as
    # botocore computes it) of the bytes read back, and S3 returns it on HEAD in checksum mode.
    target = writer(accounts)
    stored = target.write(SPEC, chunks(size), NO_DEADLINE)
    s3 = accounts.data_s3()
    data = s3.get_object(Bucket=BUCKET, Key=SPEC.key)["Body"].read()
    head = s3.head_object(Bucket=BUCKET, Key=SPEC.key, ChecksumMode="ENABLED")
    assert stored.checksum_crc64nvme == crc64nvme_of(data) == head["ChecksumCRC64NVME"]
    assert target.existing(SPEC.key).checksum_crc64nvme == stored.checksum_crc64nvme


def test_a_single_put_sends_its_crc64nvme_and_no_other_checksum(accounts: TwoAccounts) -> None:
    # S3 takes one x-amz-checksum-* header per PUT; the SHA-256 is the service's own report.
    target = writer(accounts)
    puts: list[dict[str, Any]] = []
    target._client.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: puts.append(dict(params))
    )
    target.write(SPEC, chunks(1000), NO_DEADLINE)
    [put] = puts
    assert {name for name in put if name.startswith("Checksum")} == {
        "ChecksumAlgorithm",
        "ChecksumCRC64NVME",
    }
    assert put["ChecksumCRC64NVME"] == crc64nvme_of(put["Body"])


@pytest.mark.parametrize(("hint", "sizes"), [(None, [8, 8, 8, 1]), (25, [16, 9])])
def test_the_file_s_size_sets_its_part_size(
    accounts: TwoAccounts, monkeypatch: pytest.MonkeyPatch, hint: int | None, sizes: list[int]
) -> None:
    # S3's 10,000 parts scaled down to 2, so that a 25 MiB file needs parts larger than 8 MiB.
    monkeypatch.setattr(storage, "_CHUNKSIZE", ChunksizeAdjuster(max_parts=2))
    target = writer(accounts)
    sent: dict[int, int] = {}

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "UploadPart":
            sent[params["PartNumber"]] = len(params["Body"])

    target._client.meta.events.register("provide-client-params.s3.UploadPart", record)
    size = 3 * PART_BYTES + (1 << 20)
    stored = target.write(SPEC, chunks(size), NO_DEADLINE, None if hint is None else size)

    assert [sent[number] for number in sorted(sent)] == [mib << 20 for mib in sizes]
    assert stored.size_bytes == size
    data = accounts.data_s3().get_object(Bucket=BUCKET, Key=SPEC.key)["Body"].read()
    assert data == b"".join(chunks(size))


def test_parts_go_up_together_within_the_limit(accounts: TwoAccounts) -> None:
    target = writer(accounts)
    # Passes only when PARTS_IN_FLIGHT parts are on the wire at the same time.
    parts = PartTracker(target, gather=threading.Barrier(PARTS_IN_FLIGHT))
    size = 6 * PART_BYTES + 3
    stored = target.write(SPEC, chunks(size), NO_DEADLINE)
    assert parts.most_running == PARTS_IN_FLIGHT
    data = accounts.data_s3().get_object(Bucket=BUCKET, Key=SPEC.key)["Body"].read()
    # Parts finish in any order; the object is still the generated bytes, in order.
    assert data == b"".join(chunks(size))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size_bytes == size
    assert parts.ended == list(range(1, 8))


def test_a_failed_part_is_aborted_after_the_parts_in_flight(accounts: TwoAccounts) -> None:
    target = writer(accounts)
    hold = threading.Event()
    parts = PartTracker(target, hold=hold, fail_part=3)
    threading.Timer(0.5, hold.set).start()
    with pytest.raises(StorageUnavailableError, match="InternalError"):
        target.write(SPEC, chunks(8 * PART_BYTES), NO_DEADLINE)
    started = {number for event, number in parts.events if event == "start"}
    # Parts 1 and 2 were on the wire beside part 3 and were awaited, nothing was running when the
    # abort went out, and generation stopped: later parts were never sent.
    assert {1, 2} <= set(parts.ended)
    assert set(parts.ended) == started - {3}
    assert parts.events[-1] == ("abort", 0)
    assert max(started) < 8
    assert_nothing_left(accounts)


def test_generation_stays_within_the_parts_in_flight(accounts: TwoAccounts) -> None:
    target = writer(accounts)
    hold = threading.Event()
    PartTracker(target, hold=hold)
    generated: list[int] = []

    def counted() -> Iterator[bytes]:
        for chunk in chunks(10 * PART_BYTES):
            generated.append(len(chunk))
            yield chunk

    ahead: list[int] = []

    def release() -> None:
        ahead.append(sum(generated))
        hold.set()

    # While every upload is held, the writer may hold the parts in flight, the one waiting for a
    # slot and the chunk after it: memory is bounded however large the object.
    threading.Timer(1.0, release).start()
    stored = target.write(SPEC, counted(), NO_DEADLINE)
    assert stored.size_bytes == 10 * PART_BYTES
    assert ahead[0] <= (PARTS_IN_FLIGHT + 1) * PART_BYTES + (1 << 20)


def test_unreachable_s3_is_503(accounts: TwoAccounts) -> None:
    target = writer(accounts)

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://s3.invalid")

    target._client.meta.events.register("before-call.s3.PutObject", unreachable)
    with pytest.raises(StorageUnavailableError, match="could not reach S3"):
        target.write(SPEC, chunks(10), NO_DEADLINE)


def countdown(start_ms: int, step_ms: int) -> Callable[[], int]:
    left = [start_ms + step_ms]

    def remaining() -> int:
        left[0] -= step_ms
        return left[0]

    return remaining


def test_deadline_stops_before_a_part_and_aborts(accounts: TwoAccounts) -> None:
    # Enough time to start and send a part or two, then the clock runs out mid-upload.
    deadline = Deadline(countdown(start_ms=9000, step_ms=2500))
    with pytest.raises(DeadlineExceededError) as caught:
        writer(accounts).write(SPEC, chunks(4 * PART_BYTES), deadline)
    assert caught.value.status == 503
    assert caught.value.retry_after_seconds
    assert_nothing_left(accounts)


def test_no_time_at_all_writes_nothing(accounts: TwoAccounts) -> None:
    with pytest.raises(DeadlineExceededError):
        writer(accounts).write(SPEC, chunks(10), Deadline(lambda: 100))
    assert_nothing_left(accounts)


@pytest.mark.parametrize("size", [100, 2 * PART_BYTES + 1], ids=["put", "multipart"])
def test_an_existing_key_is_key_taken_with_the_hash_of_what_was_sent(
    accounts: TwoAccounts, size: int
) -> None:
    target = writer(accounts)
    first = target.write(SPEC, chunks(size), NO_DEADLINE)
    with pytest.raises(KeyTakenError) as caught:
        target.write(SPEC, chunks(size), NO_DEADLINE)
    assert caught.value.sent == Digests(first.sha256, first.checksum_crc64nvme)
    assert caught.value.code == "storage_unavailable"
    assert accounts.data_s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    found = target.existing(SPEC.key)
    assert (found.size_bytes, found.etag, found.metadata) == (size, first.etag, SPEC.metadata)
    assert found.version_id == first.version_id
