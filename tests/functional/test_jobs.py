"""The job store on a moto DynamoDB table in the workload account, and the worker's start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from randfile.content import Format
from randfile.errors import JobsUnavailableError
from randfile.job_table import Claimed
from randfile.jobs import Job, JobStatus, JobStore
from randfile.storage import Digests
from tests.functional.conftest import JOBS_TABLE, TwoAccounts, create_jobs_table

JOB_ID = "01JDZQ5V8X6M3N2P4R7S9T0W1Y"
START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
DIGESTS = Digests("ab" * 32, "q83vASNFZ4k=")


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


LEASE_MS = 900_000


def test_a_job_runs_then_succeeds(store: JobStore, clock: Clock, accounts: TwoAccounts) -> None:
    job = new_job(store)
    store.accept(job)
    clock.now = START + timedelta(seconds=1)
    claim = store.claim(JOB_ID, LEASE_MS)
    assert claim.held
    running = claim.item
    assert running is not None
    assert (running.status, running.attempt) == (JobStatus.RUNNING, 1)
    assert running.lease_expires_at == int((clock.now.timestamp()) * 1000) + LEASE_MS
    assert store.record_content(running, DIGESTS) is not None
    clock.now = START + timedelta(minutes=3)
    done = store.succeed(running, DIGESTS, "etag-2", "v1")
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
        "checksum_crc64nvme": "q83vASNFZ4k=",
        "etag": "etag-2",
        "version_id": "v1",
    }
    item = stored_item(accounts)
    assert (item["sha256"], item["checksum_crc64nvme"]) == ({"S": "ab" * 32}, {"S": "q83vASNFZ4k="})
    assert (item["sha256"], item["etag"], item["version_id"], item["attempt"]) == (
        {"S": "ab" * 32},
        {"S": "etag-2"},
        {"S": "v1"},
        {"N": "1"},
    )


def test_a_live_lease_keeps_the_job_for_its_delivery(store: JobStore, clock: Clock) -> None:
    store.accept(new_job(store))
    first = store.claim(JOB_ID, LEASE_MS)
    clock.now = START + timedelta(milliseconds=LEASE_MS - 1)
    second = store.claim(JOB_ID, LEASE_MS)
    assert (first.held, second.held) == (True, False)
    assert second.item == first.item


def test_an_expired_lease_passes_the_job_to_the_next_delivery(
    store: JobStore, clock: Clock
) -> None:
    store.accept(new_job(store))
    killed = store.claim(JOB_ID, LEASE_MS).item
    assert killed is not None
    clock.now = START + timedelta(milliseconds=LEASE_MS + 1)
    retry = store.claim(JOB_ID, LEASE_MS)
    assert retry.held
    assert retry.item is not None
    assert retry.item.attempt == 2
    # The killed attempt's writes no longer hold: its attempt is not the job's.
    assert store.succeed(killed, DIGESTS, "etag", None) == retry.item
    assert store.fail(killed, "internal_error", "late") == retry.item
    assert store.record_content(killed, DIGESTS) == retry.item


def test_a_failed_job_says_why_and_stays_failed(store: JobStore, clock: Clock) -> None:
    job = new_job(store)
    store.accept(job)
    running = store.claim(JOB_ID, LEASE_MS).item
    assert running is not None
    failed = store.fail(running, "deadline_exceeded", "stopped before part 9")
    assert failed is not None
    assert failed.status_fields()["error"] == {
        "code": "deadline_exceeded",
        "message": "stopped before part 9",
    }
    assert "sha256" not in failed.status_fields()
    clock.now = START + timedelta(days=1)
    # Final: no claim, success or other failure changes it.
    assert store.claim(JOB_ID, LEASE_MS) == Claimed(failed, held=False)
    assert store.succeed(running, DIGESTS, "etag", None) == failed
    assert store.fail_unstarted(job, "jobs_unavailable", "x") == failed
    assert store.get(JOB_ID) == failed


def test_a_job_that_succeeded_stays_so(store: JobStore, clock: Clock) -> None:
    job = new_job(store)
    store.accept(job)
    running = store.claim(JOB_ID, LEASE_MS).item
    assert running is not None
    done = store.succeed(running, Digests("cd" * 32, "AAAAAAAAAAA="), "etag", None)
    clock.now = START + timedelta(days=1)
    assert store.claim(JOB_ID, LEASE_MS) == Claimed(done, held=False)
    assert store.fail(running, "internal_error", "boom") == done
    assert store.fail_unstarted(job, "jobs_unavailable", "x") == done
    assert store.get(JOB_ID) == done


def test_only_a_queued_job_fails_unstarted(store: JobStore) -> None:
    job = new_job(store)
    store.accept(job)
    failed = store.fail_unstarted(job, "jobs_unavailable", "could not queue the job")
    assert failed is not None
    assert (failed.status, failed.error_code) == (JobStatus.FAILED, "jobs_unavailable")
    other = new_job(store, "01JDZQ5V8X6M3N2P4R7S9T0W1Z")
    store.accept(other)
    running = store.claim(other.job_id, LEASE_MS).item
    # A delivery took it first: it runs, and the API answers for it.
    assert store.fail_unstarted(other, "jobs_unavailable", "x") == running


def test_transitions_of_a_job_that_is_gone_answer_none(store: JobStore, clock: Clock) -> None:
    job = new_job(store)
    assert store.claim(JOB_ID, LEASE_MS) == Claimed(None, held=False)
    store.accept(job)
    clock.now = START + timedelta(days=7)
    assert store.claim(JOB_ID, LEASE_MS) == Claimed(None, held=False)
    assert store.fail_unstarted(job, "jobs_unavailable", "x") is None


def test_a_missing_table_is_jobs_unavailable(accounts: TwoAccounts) -> None:
    store = JobStore(accounts.workload_dynamodb(), "no-such-table", retention_days=7)
    with pytest.raises(JobsUnavailableError, match="no-such-table: ResourceNotFoundException"):
        store.get(JOB_ID)
    with pytest.raises(JobsUnavailableError) as caught:
        store.accept(new_job(store))
    assert caught.value.headers == {"Retry-After": "1"}
