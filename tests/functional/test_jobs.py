"""The job store on a moto DynamoDB table in the workload account, and the worker's start."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from randfile.content import Format
from randfile.errors import JobsUnavailableError
from randfile.jobs import Job, JobStatus, JobStore, WorkerStarter
from tests.functional.conftest import JOBS_TABLE, REGION, TwoAccounts, create_jobs_table

JOB_ID = "01JDZQ5V8X6M3N2P4R7S9T0W1Y"
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(accounts: TwoAccounts, clock: Clock) -> JobStore:
    client = accounts.workload_dynamodb()
    create_jobs_table(client)
    return JobStore(client, JOBS_TABLE, retention_days=7, now=clock)


def new_job(store: JobStore, job_id: str = JOB_ID) -> Job:
    return store.new_job(
        job_id,
        bucket="randfile-test-data",
        key=f"random/2026/11/28/{job_id}.csv",
        size_bytes=300 * 1024**2,
        file_format=Format.CSV,
        seed=42,
        content_type="text/csv; charset=utf-8",
    )


def stored_item(accounts: TwoAccounts, job_id: str = JOB_ID) -> dict[str, Any]:
    item = accounts.workload_dynamodb().get_item(
        TableName=JOBS_TABLE, Key={"id": {"S": f"job#{job_id}"}}
    )["Item"]
    return dict(item)


def test_an_accepted_job_is_stored_in_the_contract_s_layout(
    store: JobStore, accounts: TwoAccounts
) -> None:
    job = new_job(store)
    store.accept(job)
    assert stored_item(accounts) == {
        "id": {"S": f"job#{JOB_ID}"},
        "job_id": {"S": JOB_ID},
        "status": {"S": "queued"},
        "bucket": {"S": "randfile-test-data"},
        "key": {"S": f"random/2026/11/28/{JOB_ID}.csv"},
        "format": {"S": "csv"},
        "size_bytes": {"N": str(300 * 1024**2)},
        "seed": {"N": "42"},
        "content_type": {"S": "text/csv; charset=utf-8"},
        "created_at": {"S": "2026-11-28T09:00:00.000Z"},
        "updated_at": {"S": "2026-11-28T09:00:00.000Z"},
        "expiration": {"N": str(int((START + timedelta(days=7)).timestamp()))},
    }
    assert store.get(JOB_ID) == job


def test_a_job_is_never_accepted_twice(store: JobStore) -> None:
    store.accept(new_job(store))
    with pytest.raises(JobsUnavailableError, match="condition"):
        store.accept(new_job(store))


def test_an_unknown_job_is_none(store: JobStore) -> None:
    assert store.get(JOB_ID) is None


def test_an_expired_job_is_gone_before_ttl_deletes_it(store: JobStore, clock: Clock) -> None:
    store.accept(new_job(store))
    clock.now = START + timedelta(days=7) - timedelta(seconds=1)
    assert store.get(JOB_ID) is not None
    clock.now = START + timedelta(days=7)
    assert store.get(JOB_ID) is None


def test_a_job_runs_then_succeeds(store: JobStore, clock: Clock, accounts: TwoAccounts) -> None:
    job = new_job(store)
    store.accept(job)
    clock.now = START + timedelta(seconds=1)
    running = store.mark_running(job)
    assert running is not None
    assert running.status is JobStatus.RUNNING
    clock.now = START + timedelta(minutes=3)
    done = store.mark_succeeded(running, "ab" * 32, "etag-2", "v1")
    assert done == store.get(JOB_ID)
    assert done is not None
    assert done.updated_at == "2026-11-28T09:03:00.000Z"
    assert done.created_at == job.created_at
    assert done.status_fields() == {
        "job_id": JOB_ID,
        "status": "succeeded",
        "bucket": "randfile-test-data",
        "key": job.key,
        "size_bytes": job.size_bytes,
        "format": "csv",
        "seed": 42,
        "content_type": "text/csv; charset=utf-8",
        "created_at": "2026-11-28T09:00:00.000Z",
        "updated_at": "2026-11-28T09:03:00.000Z",
        "sha256": "ab" * 32,
        "etag": "etag-2",
        "version_id": "v1",
    }
    item = stored_item(accounts)
    assert (item["sha256"], item["etag"], item["version_id"]) == (
        {"S": "ab" * 32},
        {"S": "etag-2"},
        {"S": "v1"},
    )


def test_a_failed_job_says_why_and_a_retry_clears_it(store: JobStore) -> None:
    job = new_job(store)
    store.accept(job)
    failed = store.mark_failed(job, "deadline_exceeded", "stopped before part 9")
    assert failed is not None
    assert failed.status_fields()["error"] == {
        "code": "deadline_exceeded",
        "message": "stopped before part 9",
    }
    assert "sha256" not in failed.status_fields()
    again = store.mark_running(failed)
    assert again == store.get(JOB_ID)
    assert again is not None
    assert (again.status, again.error_code, again.error_message) == (JobStatus.RUNNING, None, None)


def test_a_job_that_succeeded_stays_so(store: JobStore) -> None:
    job = new_job(store)
    store.accept(job)
    done = store.mark_succeeded(job, "cd" * 32, "etag", None)
    # A late delivery or a failing one cannot undo it: each mark answers the stored job.
    assert store.mark_running(job) == done
    assert store.mark_failed(job, "internal_error", "boom") == done
    assert store.get(JOB_ID) == done


def test_marking_a_job_that_is_gone_answers_none(store: JobStore) -> None:
    assert store.mark_running(new_job(store)) is None


def test_a_missing_table_is_jobs_unavailable(accounts: TwoAccounts) -> None:
    store = JobStore(accounts.workload_dynamodb(), "no-such-table", retention_days=7)
    with pytest.raises(JobsUnavailableError, match="no-such-table: ResourceNotFoundException"):
        store.get(JOB_ID)
    with pytest.raises(JobsUnavailableError) as caught:
        store.accept(new_job(store))
    assert caught.value.headers == {"Retry-After": "1"}


def lambda_stub() -> tuple[Any, Stubber]:
    client = boto3.client(
        "lambda", region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b"
    )
    return client, Stubber(client)


def test_the_worker_is_started_with_an_event_invoke() -> None:
    client, stubber = lambda_stub()
    stubber.add_response(
        "invoke",
        {"StatusCode": 202},
        {
            "FunctionName": "randfile-dev-worker",
            "InvocationType": "Event",
            "Payload": json.dumps({"job_id": JOB_ID}).encode(),
        },
    )
    with stubber:
        WorkerStarter(client, "randfile-dev-worker").start(JOB_ID)
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("respond", "message"),
    [
        (
            lambda stub: stub.add_client_error(
                "invoke", "TooManyRequestsException", http_status_code=429
            ),
            "could not start the worker randfile-dev-worker",
        ),
        (lambda stub: stub.add_response("invoke", {"StatusCode": 200}), "HTTP 200"),
    ],
)
def test_a_worker_that_does_not_take_the_job_is_jobs_unavailable(
    respond: Any, message: str
) -> None:
    client, stubber = lambda_stub()
    respond(stubber)
    with stubber, pytest.raises(JobsUnavailableError, match=message):
        WorkerStarter(client, "randfile-dev-worker").start(JOB_ID)
