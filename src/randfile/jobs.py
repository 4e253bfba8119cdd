"""Asynchronous jobs: their items in the DynamoDB job table, and the transitions between states.

A job's item is `id = "job#<job_id>"` with the file it will make (bucket, key, format, size, seed,
content type), its `status` (queued, running, succeeded, failed), ISO 8601 UTC `created_at` and
`updated_at`, and `expiration` (epoch seconds), the table's TTL attribute; once a delivery has
claimed it, its `attempt` and `lease_expires_at`, and before its object is written, its `sha256`
and `checksum_crc64nvme`.

    queued -> running -> succeeded | failed;  queued -> failed;  running (lease over) -> running

docs/operations.md draws the lifecycle and the bound within which every job ends. The same table
holds Powertools' idempotency records for the API's Idempotency-Keys, under keys of Powertools'
own format, which never start with `job#`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from randfile import job_table
from randfile.content import Format
from randfile.storage import Digests

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

ITEM_PREFIX = "job#"


class JobStatus(StrEnum):
    QUEUED = job_table.QUEUED
    RUNNING = job_table.RUNNING
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Job:
    """A job as its item holds it. `status_fields` is the body of GET /files/{job_id}."""

    job_id: str
    status: JobStatus
    bucket: str
    key: str
    size_bytes: int
    format: Format
    seed: int
    content_type: str
    created_at: str
    updated_at: str
    expiration: int
    sha256: str | None = None
    checksum_crc64nvme: str | None = None
    """Recorded with `sha256`; None only for a job recorded before objects carried one."""
    etag: str | None = None
    version_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    attempt: int = 0
    """Deliveries that have claimed the job so far."""
    lease_expires_at: int | None = None
    """When the attempt that holds a `running` job ends at the latest (ms since the epoch): its
    invocation's deadline. A later delivery may take the job over only after it."""

    @property
    def is_final(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    def status_fields(self) -> dict[str, Any]:
        fields = {
            **self._file_fields(),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if self.status is JobStatus.SUCCEEDED:
            fields["sha256"] = self.sha256
            if self.checksum_crc64nvme is not None:
                fields["checksum_crc64nvme"] = self.checksum_crc64nvme
            fields |= {"etag": self.etag, "version_id": self.version_id}
        elif self.status is JobStatus.FAILED:
            fields["error"] = {"code": self.error_code, "message": self.error_message}
        return fields

    def accepted_fields(self, status_url: str) -> dict[str, Any]:
        """The body of the 202 that accepts the job."""
        return {**self._file_fields(), "status_url": status_url}

    def _file_fields(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "status": self.status.value,
            "bucket": self.bucket,
            "key": self.key,
            "size_bytes": self.size_bytes,
            "format": self.format.value,
            "seed": self.seed,
            "content_type": self.content_type,
        }


_STRINGS = (
    *("job_id", "status", "bucket", "key", "format", "content_type", "created_at", "updated_at"),
    *("sha256", "checksum_crc64nvme", "etag", "version_id", "error_code", "error_message"),
)
_NUMBERS = ("size_bytes", "seed", "expiration")
_OPTIONAL_NUMBERS = ("attempt", "lease_expires_at")


def _item(job: Job) -> dict[str, AttributeValueTypeDef]:
    item: dict[str, AttributeValueTypeDef] = {"id": {"S": ITEM_PREFIX + job.job_id}}
    for name in _STRINGS:
        value = getattr(job, name)
        if value is not None:
            item[name] = {"S": str(value)}
    for name in _NUMBERS:
        item[name] = {"N": str(getattr(job, name))}
    for name in _OPTIONAL_NUMBERS:
        if getattr(job, name):
            item[name] = {"N": str(getattr(job, name))}
    return item


def _job(item: Mapping[str, Any]) -> Job:
    def text(name: str) -> str | None:
        return item[name]["S"] if name in item else None

    def number(name: str) -> int:
        return int(item[name]["N"])

    return Job(
        job_id=item["job_id"]["S"],
        status=JobStatus(item["status"]["S"]),
        bucket=item["bucket"]["S"],
        key=item["key"]["S"],
        size_bytes=number("size_bytes"),
        format=Format(item["format"]["S"]),
        seed=number("seed"),
        content_type=item["content_type"]["S"],
        created_at=item["created_at"]["S"],
        updated_at=item["updated_at"]["S"],
        expiration=number("expiration"),
        sha256=text("sha256"),
        checksum_crc64nvme=text("checksum_crc64nvme"),
        etag=text("etag"),
        version_id=text("version_id"),
        error_code=text("error_code"),
        error_message=text("error_message"),
        attempt=number("attempt") if "attempt" in item else 0,
        lease_expires_at=number("lease_expires_at") if "lease_expires_at" in item else None,
    )


def _s(status: JobStatus) -> AttributeValueTypeDef:
    return {"S": status.value}


class JobStore(job_table.ItemStore):
    """The job items of one table. Every failure to reach DynamoDB is a JobsUnavailableError."""

    _item_name = "job"

    def new_job(
        self,
        job_id: str,
        *,
        bucket: str,
        key: str,
        size_bytes: int,
        file_format: Format,
        seed: int,
        content_type: str,
    ) -> Job:
        """A queued job created now and kept for the retention period (not yet stored)."""
        moment = self._now()
        return Job(
            job_id=job_id,
            status=JobStatus.QUEUED,
            bucket=bucket,
            key=key,
            size_bytes=size_bytes,
            format=file_format,
            seed=seed,
            content_type=content_type,
            created_at=job_table.timestamp(moment),
            updated_at=job_table.timestamp(moment),
            expiration=self._expiration(moment),
        )

    def accept(self, job: Job) -> None:
        """Stores a new job; never replaces one (a ULID collision fails instead)."""
        self._put_new(_item(job), "store the job")

    def get(self, job_id: str) -> Job | None:
        """The job, or None when it does not exist or has expired."""
        item = self._get(ITEM_PREFIX + job_id)
        return None if item is None else _job(item)

    # The transitions. Each is one conditional UpdateItem on the job's current state, so that
    # two deliveries, a late retry or the API's own failure path can never move a job backwards:
    # `succeeded` and `failed` are final. Each answers the job as stored afterwards (the new
    # state, or, when the condition failed, the state that stopped it); None: there is no job.

    def claim(self, job_id: str, lease_ms: int) -> job_table.Claimed[Job]:
        """Takes the job for one delivery: `queued`, or `running` under a lease that has expired
        (the delivery that held it was killed), becomes `running` under a new attempt whose lease
        ends `lease_ms` from now."""
        item, held = self._claim(ITEM_PREFIX + job_id, lease_ms)
        return job_table.Claimed(None if item is None else _job(item), held=held)

    def record_content(self, job: Job, digests: Digests) -> Job | None:
        """Keeps the content's digests before the write that makes the object exist, under the
        attempt that holds the job."""
        return self._transition(
            job,
            "SET sha256 = :sha256, checksum_crc64nvme = :checksum, updated_at = :now",
            job_table.HELD,
            {
                **self._held(job.attempt),
                ":sha256": {"S": digests.sha256},
                ":checksum": {"S": digests.checksum_crc64nvme},
            },
        )

    def succeed(self, job: Job, digests: Digests, etag: str, version_id: str | None) -> Job | None:
        """`running` under `job`'s attempt -> `succeeded`, with the object's identity."""
        names = (
            "SET #status = :succeeded, sha256 = :sha256, checksum_crc64nvme = :checksum,"
            " etag = :etag, updated_at = :now"
        )
        values: dict[str, AttributeValueTypeDef] = {
            **self._held(job.attempt),
            ":succeeded": _s(JobStatus.SUCCEEDED),
            ":sha256": {"S": digests.sha256},
            ":checksum": {"S": digests.checksum_crc64nvme},
            ":etag": {"S": etag},
        }
        if version_id is not None:
            names += ", version_id = :version_id"
            values[":version_id"] = {"S": version_id}
        return self._transition(job, names, job_table.HELD, values)

    def fail(self, job: Job, code: str, message: str) -> Job | None:
        """`running` under `job`'s attempt -> `failed`."""
        return self._fail(job, code, message, job_table.HELD, self._held(job.attempt))

    def fail_unstarted(self, job: Job, code: str, message: str) -> Job | None:
        """`queued` -> `failed`: no delivery has taken the job (the API could not queue it)."""
        return self._fail(
            job, code, message, "#status = :queued", {":queued": _s(JobStatus.QUEUED)}
        )

    def _fail(
        self,
        job: Job,
        code: str,
        message: str,
        condition: str,
        values: dict[str, AttributeValueTypeDef],
    ) -> Job | None:
        return self._transition(
            job,
            "SET #status = :failed, error_code = :code, error_message = :message,"
            " updated_at = :now",
            condition,
            {
                **values,
                ":failed": _s(JobStatus.FAILED),
                ":code": {"S": code},
                ":message": {"S": message},
            },
        )

    def _transition(
        self, job: Job, update: str, condition: str, values: dict[str, AttributeValueTypeDef]
    ) -> Job | None:
        item, _ = self._update(ITEM_PREFIX + job.job_id, update, condition, values)
        return None if item is None else _job(item)
