"""The jobs' worker in-process: a job accepted by the API function, delivered to the worker as
Lambda would deliver the Event invoke (once, twice, after a killed run), against the moto job
table in the workload account and the data bucket in the data account."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from randfile import files, worker
from randfile.aws import s3_client
from randfile.handler import handler as api_handler
from tests import emf
from tests.events import api_event
from tests.functional.conftest import (
    BUCKET,
    JOBS_TABLE,
    FakeContext,
    TwoAccounts,
    WorkerInvokes,
)

MULTIPART_SIZE = 9 * 1024 * 1024 + 3


def accept(invokes: WorkerInvokes, **request: Any) -> dict[str, Any]:
    """POST /files as a job; answers the 202's body after checking the worker's invoke."""
    invokes.expect()
    response = api_handler(api_event({"mode": "async", **request}), FakeContext())
    assert response["statusCode"] == 202, response
    accepted: dict[str, Any] = json.loads(response["body"])
    assert invokes.payloads()[-1] == {"job_id": accepted["job_id"]}
    return accepted


def deliver(job_id: Any, context: FakeContext | None = None) -> dict[str, Any]:
    """The worker run on the payload the API function sent."""
    return worker.handler({"job_id": job_id}, context or FakeContext("req-worker"))


def job_status(job_id: str) -> dict[str, Any]:
    event = api_event(
        None,
        resource="/files/{job_id}",
        httpMethod="GET",
        pathParameters={"job_id": job_id},
    )
    response = api_handler(event, FakeContext())
    assert response["statusCode"] == 200, response
    body: dict[str, Any] = json.loads(response["body"])
    return body


def versions(accounts: TwoAccounts) -> list[dict[str, Any]]:
    listed = accounts.data_s3().list_object_versions(Bucket=BUCKET)
    return [dict(version) for version in listed.get("Versions", [])]


def test_a_job_ends_succeeded_with_the_object_in_the_data_account(
    with_jobs: TwoAccounts, worker_invokes: WorkerInvokes, capfd: pytest.CaptureFixture[str]
) -> None:
    accepted = accept(worker_invokes, size_bytes=MULTIPART_SIZE, format="csv", seed=11)
    capfd.readouterr()
    outcome = deliver(accepted["job_id"])
    status = job_status(accepted["job_id"])
    assert outcome == status
    assert status["status"] == "succeeded"
    obj = with_jobs.data_s3().get_object(Bucket=BUCKET, Key=accepted["key"])
    data = obj["Body"].read()
    assert len(data) == status["size_bytes"] == MULTIPART_SIZE
    assert hashlib.sha256(data).hexdigest() == status["sha256"]
    assert (obj["VersionId"], obj["ETag"].strip('"')) == (status["version_id"], status["etag"])
    assert obj["Metadata"] == {
        "randfile-job-id": accepted["job_id"],
        "randfile-format": "csv",
        "randfile-seed": "11",
        "randfile-generator-version": "2",
    }
    emitted = emf.by_name(capfd.readouterr().out)
    assert emitted["FilesWritten"].value == 1
    assert emitted["BytesWritten"].value == MULTIPART_SIZE
    assert emitted["FilesWritten"].request_id == "req-worker"
    assert "Failures" not in emitted


def test_a_redelivered_job_writes_no_second_object(
    with_jobs: TwoAccounts, worker_invokes: WorkerInvokes, capfd: pytest.CaptureFixture[str]
) -> None:
    accepted = accept(worker_invokes, size_bytes=2048)
    first = deliver(accepted["job_id"])
    second = deliver(accepted["job_id"], FakeContext("req-retry"))
    assert first == second
    assert first["status"] == "succeeded"
    assert len(versions(with_jobs)) == 1
    written = [m for m in emf.metrics(capfd.readouterr().out) if m.name == "FilesWritten"]
    assert len(written) == 1


def test_a_delivery_while_the_job_runs_leaves_it_to_the_running_one(
    with_jobs: TwoAccounts, worker_invokes: WorkerInvokes
) -> None:
    accepted = accept(worker_invokes, size_bytes=2048)
    duplicates: list[dict[str, Any]] = []

    def deliver_again(**_: Any) -> None:
        if not duplicates:
            duplicates.append(deliver(accepted["job_id"], FakeContext("req-duplicate")))

    # Lambda delivers the same event again while the first run is writing.
    s3_client().meta.events.register("before-call.s3.PutObject", deliver_again)
    first = deliver(accepted["job_id"])
    assert duplicates == [{"job_id": accepted["job_id"], "status": "running"}]
    assert first["status"] == "succeeded"
    assert len(versions(with_jobs)) == 1


def test_the_idempotency_record_lives_beside_the_job_as_long_as_it(
    with_jobs: TwoAccounts, worker_invokes: WorkerInvokes
) -> None:
    accepted = accept(worker_invokes, size_bytes=10)
    deliver(accepted["job_id"])
    items = with_jobs.workload_dynamodb().scan(TableName=JOBS_TABLE)["Items"]
    [record] = [item for item in items if not item["id"]["S"].startswith("job#")]
    [job] = [item for item in items if item["id"]["S"].startswith("job#")]
    assert record["status"] == {"S": "COMPLETED"}
    # Both expire together (a few seconds apart), so a redelivery never outlives its record.
    assert abs(int(record["expiration"]["N"]) - int(job["expiration"]["N"])) < 60


def forget_the_outcome(accounts: TwoAccounts, job_id: str) -> None:
    """What a run killed after its upload completed leaves: the job `running` and no
    idempotency record (Powertools' in-progress record expires with the killed invocation)."""
    table = accounts.workload_dynamodb()
    items = table.scan(TableName=JOBS_TABLE)["Items"]
    for item in items:
        if not item["id"]["S"].startswith("job#"):
            table.delete_item(TableName=JOBS_TABLE, Key={"id": item["id"]})
    job = table.get_item(TableName=JOBS_TABLE, Key={"id": {"S": f"job#{job_id}"}})["Item"]
    job["status"] = {"S": "running"}
    for name in ("sha256", "etag", "version_id"):
        del job[name]
    table.put_item(TableName=JOBS_TABLE, Item=job)


@pytest.mark.parametrize("size", [2048, MULTIPART_SIZE], ids=["single-put", "multipart"])
def test_a_delivery_after_a_run_killed_before_recording_records_that_run_s_object(
    with_jobs: TwoAccounts, worker_invokes: WorkerInvokes, size: int
) -> None:
    accepted = accept(worker_invokes, size_bytes=size, format="text", seed=3)
    first = deliver(accepted["job_id"])
    forget_the_outcome(with_jobs, accepted["job_id"])
    assert job_status(accepted["job_id"])["status"] == "running"

    again = deliver(accepted["job_id"], FakeContext("req-retry"))

    assert again["status"] == "succeeded"
    assert {name: again[name] for name in ("sha256", "etag", "version_id", "size_bytes")} == {
        name: first[name] for name in ("sha256", "etag", "version_id", "size_bytes")
    }
    assert len(versions(with_jobs)) == 1
    assert with_jobs.data_s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_another_object_at_the_job_s_key_fails_the_job_and_stays(
    with_jobs: TwoAccounts, worker_invokes: WorkerInvokes
) -> None:
    accepted = accept(worker_invokes, size_bytes=100)
    with_jobs.data_s3().put_object(
        Bucket=BUCKET, Key=accepted["key"], Body=b"x" * 100, Metadata={"randfile-job-id": "other"}
    )
    outcome = deliver(accepted["job_id"])
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "storage_error"
    assert "is not this job's object" in outcome["error"]["message"]
    body = with_jobs.data_s3().get_object(Bucket=BUCKET, Key=accepted["key"])["Body"].read()
    assert body == b"x" * 100


def test_a_job_near_the_timeout_stops_aborts_its_upload_and_ends_failed(
    with_jobs: TwoAccounts, worker_invokes: WorkerInvokes, capfd: pytest.CaptureFixture[str]
) -> None:
    accepted = accept(worker_invokes, size_bytes=3 * 8 * 1024 * 1024)
    context = FakeContext("req-worker", remaining_ms=60_000)

    def time_runs_out(**_: Any) -> None:
        context.remaining_ms = 1_000

    # Time runs out once the upload has begun: the worker must stop and abort it.
    s3_client().meta.events.register("after-call.s3.CreateMultipartUpload", time_runs_out)
    capfd.readouterr()
    outcome = deliver(accepted["job_id"], context)
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "deadline_exceeded"
    assert outcome == job_status(accepted["job_id"])
    assert versions(with_jobs) == []
    assert with_jobs.data_s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    (failure,) = emf.metrics(capfd.readouterr().out)
    assert (failure.name, failure.dimensions["code"]) == ("Failures", "deadline_exceeded")


def test_an_unexpected_error_fails_the_job_then_lets_lambda_retry_it(
    with_jobs: TwoAccounts, worker_invokes: WorkerInvokes, monkeypatch: pytest.MonkeyPatch
) -> None:
    accepted = accept(worker_invokes, size_bytes=100)

    def explode(*_: Any, **__: Any) -> None:
        raise KeyError("surprise")

    with monkeypatch.context() as patched:
        patched.setattr(files, "generate", explode)
        with pytest.raises(KeyError):
            deliver(accepted["job_id"])
    failed = job_status(accepted["job_id"])
    assert (failed["status"], failed["error"]["code"]) == ("failed", "internal_error")
    # Lambda's retry of the failed delivery runs the job again.
    assert deliver(accepted["job_id"], FakeContext("req-retry"))["status"] == "succeeded"
    assert job_status(accepted["job_id"])["status"] == "succeeded"


@pytest.mark.parametrize("job_id", ["nope", None, 42, "01JDZQ5V8X6M3N2P4R7S9T0W1"])
def test_an_event_that_names_no_job_is_rejected_without_a_retry(
    deployed: TwoAccounts, job_id: Any
) -> None:
    # No job settings: the event is answered before any of them is needed.
    assert deliver(job_id) == {"job_id": job_id, "status": "rejected"}


def test_a_job_that_is_not_in_the_table_is_reported_unknown(with_jobs: TwoAccounts) -> None:
    job_id = "01JDZQ5V8X6M3N2P4R7S9T0W1Y"
    assert deliver(job_id) == {"job_id": job_id, "status": "unknown"}
    assert versions(with_jobs) == []
