"""Jobs (files past the synchronous limit) on the local cloud, through the published endpoint
with randfile's client: the API answers 202 and queues the job, the queue's event source mapping
runs the worker function in the local cloud from the built zip under the function's role,
`GET /files/{job_id}` follows it. tests/e2e/test_job_faults_e2e.py kills it at every step.

Uses the session's shared deployment; every object is read back with the data account's own
credentials.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.endpoint import Published
from randfile_client import AcceptedJob, ApiError, JobFailedError
from randfile_localcloud import verify
from randfile_localcloud.cloud import Cloud
from tests.e2e.api_client import api_client

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("localcloud_jobs")]

MIB = 2**20
# Past the synchronous limit (the stack's max_sync_bytes, 100 MiB): a job without asking for one.
PAST_THE_LIMIT = 150 * MIB


def _job_status(published: Published, job: AcceptedJob) -> dict[str, Any]:
    with api_client(published) as client:
        return client.job_status(job)


def _open_uploads(local: Cloud, bucket: str, key: str) -> list[str]:
    uploads = local.data().s3().list_multipart_uploads(Bucket=bucket, Prefix=key)
    return [upload["UploadId"] for upload in uploads.get("Uploads", [])]


def _worker_runs(local: Cloud, worker: str) -> int:
    """How many runs of the worker have ended: Lambda's REPORT lines in its log group."""
    pages = (
        local.workload()
        .logs()
        .get_paginator("filter_log_events")
        .paginate(logGroupName=f"/aws/lambda/{worker}")
    )
    return sum(
        event["message"].startswith("REPORT RequestId:")
        for page in pages
        for event in page["events"]
    )


def _until(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.5)


@contextlib.contextmanager
def _worker_timeout(local: Cloud, worker: str, seconds: int) -> Iterator[None]:
    client = local.workload().lambda_()
    before = client.get_function_configuration(FunctionName=worker)["Timeout"]
    client.update_function_configuration(FunctionName=worker, Timeout=seconds)
    try:
        yield
    finally:
        client.update_function_configuration(FunctionName=worker, Timeout=before)


def test_a_file_past_the_synchronous_limit_is_a_job_that_ends_succeeded(
    local: Cloud, published: Published
) -> None:
    with api_client(published, poll_interval=0.5) as client:
        job = client.submit(PAST_THE_LIMIT, "binary", seed=16)
        assert isinstance(job, AcceptedJob)
        assert job.status_url == f"https://{published.domain}/files/{job.job_id}"
        seen: list[str] = []
        created = client.wait(job, on_status=seen.append)

    assert seen[-1] == "succeeded"
    assert (created.bucket, created.key, created.size_bytes) == (
        job.bucket,
        job.key,
        PAST_THE_LIMIT,
    )
    stored = verify.stored_object(local.data(), local.workload(), dataclasses.asdict(created))
    assert stored.size_bytes == PAST_THE_LIMIT
    assert _open_uploads(local, job.bucket, job.key) == []
    status = _job_status(published, job)
    assert status["status"] == "succeeded"
    assert (status["sha256"], status["version_id"]) == (created.sha256, created.version_id)
    # The worker's multipart upload is full-object CRC64NVME: S3 answers the checksum reported.
    head = local.data().s3().head_object(Bucket=job.bucket, Key=job.key, ChecksumMode="ENABLED")
    assert (head["ChecksumCRC64NVME"], head["ChecksumType"]) == (
        status["checksum_crc64nvme"],
        "FULL_OBJECT",
    )


def test_a_redelivered_job_writes_no_second_object(
    local: Cloud, published: Published, outputs: dict[str, Any]
) -> None:
    """SQS delivers a message at least once: the same job, delivered twice more after it
    succeeded, leaves one object and its success as they were."""
    with api_client(published, poll_interval=0.5) as client:
        job = client.submit(MIB, "csv", mode="async")
        assert isinstance(job, AcceptedJob)
        created = client.wait(job)
    worker = outputs["worker_function_name"]
    ended = _worker_runs(local, worker)
    sqs = local.workload().sqs()
    for _ in range(2):
        sqs.send_message(
            QueueUrl=outputs["jobs_queue_url"], MessageBody=f'{{"job_id": "{job.job_id}"}}'
        )
    _until(lambda: _worker_runs(local, worker) >= ended + 2, 120, "the two deliveries to end")

    versions = local.data().s3().list_object_versions(Bucket=job.bucket, Prefix=job.key)
    assert [version["VersionId"] for version in versions.get("Versions", [])] == [
        created.version_id
    ]
    status = _job_status(published, job)
    assert (status["status"], status["version_id"]) == ("succeeded", created.version_id)


def test_a_job_stopped_before_its_timeout_leaves_nothing_and_ends_failed(
    local: Cloud, published: Published, outputs: dict[str, Any]
) -> None:
    """The worker stops before the function's timeout (here cut to 6 s, far short of what
    600 MiB takes), aborts its upload and records why."""
    with (
        _worker_timeout(local, outputs["worker_function_name"], 6),
        api_client(published, poll_interval=0.5) as client,
    ):
        job = client.submit(600 * MIB, "binary", mode="async")
        assert isinstance(job, AcceptedJob)
        with pytest.raises(JobFailedError) as failed:
            client.wait(job)

    assert failed.value.code == "deadline_exceeded"
    status = _job_status(published, job)
    assert status["status"] == "failed"
    assert status["error"]["code"] == "deadline_exceeded"
    s3 = local.data().s3()
    assert s3.list_object_versions(Bucket=job.bucket, Prefix=job.key).get("Versions", []) == []
    assert _open_uploads(local, job.bucket, job.key) == []


@pytest.mark.parametrize("job_id", ["01J0000000000000000000000Z", "not-a-job"])
def test_unknown_job_ids_are_404(published: Published, job_id: str) -> None:
    unknown = AcceptedJob(
        job_id=job_id,
        status_url=f"https://{published.domain}/files/{job_id}",
        bucket="b",
        key="k",
        size_bytes=1,
        format="binary",
        seed=0,
    )
    with pytest.raises(ApiError) as missing:
        _job_status(published, unknown)
    assert (missing.value.status, missing.value.code) == (404, "not_found")


def test_a_post_retried_with_its_idempotency_key_answers_the_same_job_and_file(
    local: Cloud, published: Published
) -> None:
    """The header passes the gateway (signed with the rest) and the function keeps the key in
    the jobs table: the same key and request answer the first job again, another request 422."""
    with api_client(published, poll_interval=0.5) as client:
        first = client.submit(MIB, "csv", seed=25, mode="async", idempotency_key="e2e-retry-1")
        again = client.submit(MIB, "csv", seed=25, mode="async", idempotency_key="e2e-retry-1")
        assert isinstance(first, AcceptedJob)
        assert again == first
        created = client.wait(first)
        with pytest.raises(ApiError) as reused:
            client.submit(2 * MIB, "csv", seed=25, mode="async", idempotency_key="e2e-retry-1")

    assert (reused.value.status, reused.value.code) == (422, "idempotency_key_reused")
    versions = local.data().s3().list_object_versions(Bucket=first.bucket, Prefix=first.key)
    assert [version["VersionId"] for version in versions.get("Versions", [])] == [
        created.version_id
    ]
