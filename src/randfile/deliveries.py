"""The worker's use cases: what one delivery of a job's message does.

SQS delivers a message at least once, and again after its visibility timeout when a delivery did
not delete it (the worker killed, out of memory, timed out); after the stack's
`job_max_receive_count` receives it goes to the dead-letter queue
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
So a delivery may be the first, a duplicate running beside another, a retry after a killed attempt
or the dead-letter queue's last word. Each starts from what is stored: the job's item (its state,
attempt and lease; see randfile.jobs) and the bucket (the job's object, or uploads left open), and
never generates what an earlier attempt already wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from randfile.errors import (
    TRANSIENT_ERRORS,
    JobAbandonedError,
    JobsUnavailableError,
    KeyTakenError,
    ServiceError,
    StorageError,
)
from randfile.files import CreatedFile, PlannedFile, object_metadata, write_file
from randfile.jobs import Job, JobStore
from randfile.lambda_context import Deadline
from randfile.storage import BucketWriter, Digests, ExistingObject


@dataclass(frozen=True)
class JobRun:
    """What a delivery did: `job` as recorded afterwards (None: there is no such job), `created`
    the file when this delivery wrote it or found it written by an earlier one, and `retry` when
    the message must come back later (another delivery holds the job, or a transient failure);
    `ended` when this delivery made the job final."""

    job: Job | None
    created: CreatedFile | None = None
    retry: bool = False
    ended: bool = False


def run_job(
    job_id: str,
    store: JobStore,
    writer: BucketWriter,
    deadline: Deadline,
    watch: Callable[[Iterable[bytes]], Iterable[bytes]] = iter,
) -> JobRun:
    """A delivery from the jobs queue: claims the job, writes its file (or finds it written) and
    records the outcome. The service's own errors end the job `failed`; transient ones (S3 or
    DynamoDB unavailable) and unexpected ones leave it to the message's next delivery."""
    held = _claim(job_id, store, deadline)
    if isinstance(held, JobRun):
        return held
    planned = _planned(held)

    def write() -> CreatedFile:
        try:
            return write_file(
                planned,
                writer,
                deadline,
                watch,
                job_id=job_id,
                before_final_write=lambda digests: _record_content(store, held, digests),
            )
        except KeyTakenError as taken:
            return _written_earlier(planned, writer, job_id, taken)

    return _ended(store, held, lambda: _left_by_earlier_attempts(held, planned, writer) or write())


def abandon_job(job_id: str, store: JobStore, writer: BucketWriter, deadline: Deadline) -> JobRun:
    """A delivery from the dead-letter queue: every delivery of the job's message ended without
    recording an outcome. The job ends now: `succeeded` when its last attempt did write the object
    (killed before it could record so), else `failed`, with any upload it left aborted."""
    held = _claim(job_id, store, deadline)
    if isinstance(held, JobRun):
        return held
    planned = _planned(held)
    return _ended(
        store, held, lambda: _left_by_earlier_attempts(held, planned, writer) or _abandoned(held)
    )


def _abandoned(held: Job) -> JobAbandonedError:
    # This delivery's own claim is not an attempt at the file.
    attempts = held.attempt - 1
    return JobAbandonedError(
        f"every delivery of the job ended without a result ({attempts} attempt"
        f"{'' if attempts == 1 else 's'}: killed, out of memory or timed out); see the worker's"
        " logs"
    )


def _ended(store: JobStore, held: Job, outcome: Callable[[], CreatedFile | ServiceError]) -> JobRun:
    """Records what `outcome` gives under the delivery's attempt: the file, `succeeded`; an error
    of the service (returned or raised), `failed`; S3 or DynamoDB unavailable, nothing: the
    message's next delivery tries again."""
    try:
        result = outcome()
    except TRANSIENT_ERRORS:
        return JobRun(held, retry=True)
    except ServiceError as error:
        result = error
    if isinstance(result, ServiceError):
        return JobRun(store.fail(held, result.code, result.message), ended=True)
    succeeded = store.succeed(
        held, Digests(result.sha256, result.checksum_crc64nvme), result.etag, result.version_id
    )
    return JobRun(succeeded, result, ended=True)


def _left_by_earlier_attempts(
    held: Job, planned: PlannedFile, writer: BucketWriter
) -> CreatedFile | None:
    """The object an earlier attempt wrote (`_found`); without one, the uploads an attempt killed
    mid-upload left open are aborted first: nothing may stay behind."""
    created = _found(held, planned, writer)
    if created is None:
        writer.abort_uploads(planned.key)
    return created


def _claim(job_id: str, store: JobStore, deadline: Deadline) -> Job | JobRun:
    """Takes the job for this delivery, under a lease that lasts as long as the invocation: the
    job held, or what to answer instead: JobRun(None), no such job; `retry`, another delivery
    holds a live lease; a final job, nothing to do."""
    job = store.get(job_id)
    if job is None or job.is_final:
        return JobRun(job)
    lease_ms = deadline.remaining_ms()
    if lease_ms is None:
        raise ValueError("a job's delivery needs the invocation's deadline for its lease")
    claim = store.claim(job_id, lease_ms)
    if claim.item is None or claim.item.is_final:
        return JobRun(claim.item)
    return claim.item if claim.held else JobRun(claim.item, retry=True)


def _planned(job: Job) -> PlannedFile:
    return PlannedFile(
        key=job.key,
        size_bytes=job.size_bytes,
        format=job.format,
        seed=job.seed,
        content_type=job.content_type,
    )


def _record_content(store: JobStore, held: Job, digests: Digests) -> None:
    recorded = store.record_content(held, digests)
    if (
        recorded is None
        or recorded.sha256 != digests.sha256
        or recorded.checksum_crc64nvme != digests.checksum_crc64nvme
        or recorded.attempt != held.attempt
    ):
        # Another delivery took the job over: it writes the object, not this one.
        raise JobsUnavailableError("the job was taken over by another delivery")


def _found(held: Job, planned: PlannedFile, writer: BucketWriter) -> CreatedFile | None:
    """The job's object when an earlier attempt wrote it after recording its digests (and was
    killed before recording the outcome); None when there is no object yet."""
    if held.sha256 is None:
        return None
    found = writer.exists(planned.key)
    if found is None:
        return None
    # A job recorded by a version before checksums has none of its own: S3's is the object's.
    checksum = held.checksum_crc64nvme or found.checksum_crc64nvme
    if checksum is None:
        raise StorageError(
            f"s3://{found.bucket}/{planned.key} is this job's object but carries no CRC64NVME"
            " checksum (written by an earlier version of randfile)"
        )
    _check_is_the_jobs(planned, held.job_id, found, checksum)
    return planned.written(
        found.bucket, found.size_bytes, Digests(held.sha256, checksum), found.etag, found.version_id
    )


def _written_earlier(
    planned: PlannedFile, writer: BucketWriter, job_id: str, taken: KeyTakenError
) -> CreatedFile:
    """The job's object, written by an earlier delivery of the same job whose outcome was not
    recorded (this delivery's create-only write then meets it: 412). Its content is a function of
    the job's format, seed, size and generator version, the very bytes this delivery sent, so their
    digests are the object's (and S3's checksum of it says so)."""
    found = writer.existing(planned.key)
    if taken.sent is None:
        raise taken
    _check_is_the_jobs(planned, job_id, found, taken.sent.checksum_crc64nvme)
    return planned.written(found.bucket, found.size_bytes, taken.sent, found.etag, found.version_id)


def _check_is_the_jobs(
    planned: PlannedFile, job_id: str, found: ExistingObject, checksum_crc64nvme: str
) -> None:
    """An object at the job's key is the job's when its metadata names the job with the planned
    format, seed and generator version, its size is the planned one and the CRC64NVME S3 stores
    (when it stores one) is the one the job's content has."""
    expected = object_metadata(planned, job_id)
    metadata = found.metadata
    stored = found.checksum_crc64nvme
    if (
        {name: metadata.get(name) for name in expected} != expected
        or found.size_bytes != planned.size_bytes
        or stored not in (None, checksum_crc64nvme)
    ):
        raise StorageError(
            f"s3://{found.bucket}/{planned.key} exists but is not this job's object"
            f" (metadata {metadata}, {found.size_bytes} bytes, CRC64NVME {stored})"
        )
