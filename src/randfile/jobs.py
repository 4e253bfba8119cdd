"""Asynchronous jobs: their items in the DynamoDB job table, and the start of their worker.

A job's item is `id = "job#<job_id>"` with the file it will make (bucket, key, format, size, seed,
content type), its `status` (queued, running, succeeded, failed), ISO 8601 UTC `created_at` and
`updated_at`, and `expiration` (epoch seconds), the table's TTL attribute. The same table holds
Powertools' idempotency records for the worker, under keys of Powertools' own format, which never
start with `job#`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from randfile.content import Format
from randfile.errors import JobsUnavailableError
from randfile.storage import RETRY_AFTER_SECONDS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef
    from mypy_boto3_lambda import LambdaClient

ITEM_PREFIX = "job#"
_EVENT_ACCEPTED = 202


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
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
    etag: str | None = None
    version_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    def status_fields(self) -> dict[str, Any]:
        fields = {
            **self._file_fields(),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if self.status is JobStatus.SUCCEEDED:
            fields |= {"sha256": self.sha256, "etag": self.etag, "version_id": self.version_id}
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
    *("sha256", "etag", "version_id", "error_code", "error_message"),
)
_NUMBERS = ("size_bytes", "seed", "expiration")


def _item(job: Job) -> dict[str, AttributeValueTypeDef]:
    item: dict[str, AttributeValueTypeDef] = {"id": {"S": ITEM_PREFIX + job.job_id}}
    for name in _STRINGS:
        value = getattr(job, name)
        if value is not None:
            item[name] = {"S": str(value)}
    for name in _NUMBERS:
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
        etag=text("etag"),
        version_id=text("version_id"),
        error_code=text("error_code"),
        error_message=text("error_message"),
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JobStore:
    """The job items of one table. Every failure to reach DynamoDB is a JobsUnavailableError."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        retention_days: int,
        now: Callable[[], datetime] = _now,
    ) -> None:
        self._client = client
        self._table = table
        self._retention = timedelta(days=retention_days)
        self._now = now

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
            created_at=_timestamp(moment),
            updated_at=_timestamp(moment),
            expiration=int((moment + self._retention).timestamp()),
        )

    def accept(self, job: Job) -> None:
        """Stores a new job; never replaces one (a ULID collision fails instead)."""
        with self._dynamodb_errors("store the job"):
            self._client.put_item(
                TableName=self._table,
                Item=_item(job),
                ConditionExpression="attribute_not_exists(id)",
            )

    def get(self, job_id: str) -> Job | None:
        """The job, or None when it does not exist or has expired."""
        with self._dynamodb_errors("read the job"):
            item = self._client.get_item(
                TableName=self._table,
                Key={"id": {"S": ITEM_PREFIX + job_id}},
                ConsistentRead=True,
            ).get("Item")
        if item is None:
            return None
        job = _job(item)
        # TTL deletes expired items within days, not at once, and until then reads still return
        # them (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html).
        if job.expiration <= self._now().timestamp():
            return None
        return job

    # Each mark answers the job as stored afterwards: a job that has succeeded stays so (a late
    # redelivery finds it done), and None means it is gone (expired).

    def mark_running(self, job: Job) -> Job | None:
        return self._update(
            replace(job, status=JobStatus.RUNNING, error_code=None, error_message=None)
        )

    def mark_succeeded(
        self, job: Job, sha256: str, etag: str, version_id: str | None
    ) -> Job | None:
        return self._update(
            replace(
                job, status=JobStatus.SUCCEEDED, sha256=sha256, etag=etag, version_id=version_id
            )
        )

    def mark_failed(self, job: Job, code: str, message: str) -> Job | None:
        return self._update(
            replace(job, status=JobStatus.FAILED, error_code=code, error_message=message)
        )

    def _update(self, job: Job) -> Job | None:
        updated = replace(job, updated_at=_timestamp(self._now()))
        try:
            with self._dynamodb_errors("update the job"):
                self._client.put_item(
                    TableName=self._table,
                    Item=_item(updated),
                    ConditionExpression="attribute_exists(id) AND #status <> :succeeded",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":succeeded": {"S": JobStatus.SUCCEEDED.value}},
                )
        except _ConditionFailedError:
            return self.get(job.job_id)
        return updated

    @contextmanager
    def _dynamodb_errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "Unknown")
            if code == "ConditionalCheckFailedException":
                raise _ConditionFailedError(f"could not {doing}: its condition failed") from error
            raise JobsUnavailableError(
                f"could not {doing} in table {self._table}: {code}",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            ) from error
        except BotoCoreError as error:
            raise JobsUnavailableError(
                f"could not reach DynamoDB to {doing}: {error}",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            ) from error


class _ConditionFailedError(JobsUnavailableError):
    """A conditional write found the item in another state than it required."""


class WorkerStarter:
    """Starts the worker function on a job: an asynchronous (Event) invocation, which Lambda
    queues and answers with 202 at once, retrying a failed run as the function's event invoke
    config says (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html)."""

    def __init__(self, client: LambdaClient, function: str) -> None:
        self._client = client
        self._function = function

    def start(self, job_id: str) -> None:
        try:
            answer = self._client.invoke(
                FunctionName=self._function,
                InvocationType="Event",
                Payload=json.dumps({"job_id": job_id}).encode(),
            )
        except (ClientError, BotoCoreError) as error:
            raise JobsUnavailableError(
                f"could not start the worker {self._function}: {error}",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            ) from error
        if answer["StatusCode"] != _EVENT_ACCEPTED:
            raise JobsUnavailableError(
                f"the worker {self._function} did not accept the job (HTTP {answer['StatusCode']})",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            )
