"""The handler end to end in-process: a workload-account caller writing into the data account."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from randfile import files, worker
from randfile.aws import sqs_client
from randfile.content import Format
from randfile.handler import handler
from tests import emf
from tests.checksums import crc64nvme_of
from tests.events import api_event
from tests.functional.conftest import (
    BUCKET,
    DATA_ACCOUNT,
    JOBS_TABLE,
    WORKLOAD_ACCOUNT,
    FakeContext,
    JobQueues,
    TwoAccounts,
)


def call(body: Any = None, **extra: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    response = handler(api_event(body, **extra), FakeContext())
    return response["statusCode"], json.loads(response["body"]), response["headers"]


@pytest.mark.parametrize("fmt", list(Format))
def test_writes_a_new_object_into_the_data_account(deployed: TwoAccounts, fmt: Format) -> None:
    status, body, headers = call({"size_bytes": 4096, "format": fmt.value, "seed": 5})
    assert status == 201, body
    assert headers["Content-Type"] == "application/json"
    assert set(body) == {
        "bucket",
        "key",
        "size_bytes",
        "format",
        "seed",
        "sha256",
        "checksum_crc64nvme",
        "etag",
        "version_id",
        "content_type",
    }
    assert body["bucket"] == BUCKET
    assert re.fullmatch(r"random/\d{4}/\d\d/\d\d/[0-9A-Z]{26}\.\w+", body["key"])
    obj = deployed.data_s3().get_object(Bucket=BUCKET, Key=body["key"])
    data = obj["Body"].read()
    assert len(data) == body["size_bytes"] == 4096
    assert hashlib.sha256(data).hexdigest() == body["sha256"]
    assert crc64nvme_of(data) == body["checksum_crc64nvme"]
    head = deployed.data_s3().head_object(Bucket=BUCKET, Key=body["key"], ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == body["checksum_crc64nvme"]
    assert obj["ContentType"] == body["content_type"]
    assert obj["VersionId"] == body["version_id"]
    assert obj["Metadata"] == {
        "randfile-format": fmt.value,
        "randfile-seed": "5",
        "randfile-generator-version": "2",
    }
    assert body["format"] == fmt.value
    assert body["seed"] == 5


def test_bucket_belongs_to_the_data_account_not_the_caller(deployed: TwoAccounts) -> None:
    sts_data = deployed.data_session.client("sts").get_caller_identity()
    sts_workload = deployed.workload_session.client("sts").get_caller_identity()
    assert (sts_data["Account"], sts_workload["Account"]) == (DATA_ACCOUNT, WORKLOAD_ACCOUNT)
    status, _, _ = call({"size_bytes": 10})
    assert status == 201
    data_buckets = [b["Name"] for b in deployed.data_s3().list_buckets()["Buckets"]]
    workload_buckets = [b["Name"] for b in deployed.workload_s3().list_buckets()["Buckets"]]
    assert BUCKET in data_buckets
    assert BUCKET not in workload_buckets


def test_every_call_writes_a_new_object(deployed: TwoAccounts) -> None:
    keys = {call({"size_bytes": 16, "seed": 1})[1]["key"] for _ in range(25)}
    assert len(keys) == 25
    listed = deployed.data_s3().list_object_versions(Bucket=BUCKET)
    assert len(listed["Versions"]) == 25
    assert all(version["IsLatest"] for version in listed["Versions"])


def test_defaults_and_reported_seed_regenerate_the_same_bytes(deployed: TwoAccounts) -> None:
    status, first, _ = call()
    assert status == 201
    assert first["size_bytes"] == 1_048_576
    assert first["format"] == "binary"
    again = call({"seed": first["seed"]})[1]
    assert again["sha256"] == first["sha256"]
    assert again["key"] != first["key"]


def test_multipart_sized_file(deployed: TwoAccounts) -> None:
    status, body, _ = call({"size_bytes": 9 * 1024 * 1024 + 3, "format": "text"})
    assert status == 201
    head = deployed.data_s3().head_object(Bucket=BUCKET, Key=body["key"])
    assert head["ContentLength"] == 9 * 1024 * 1024 + 3
    assert body["etag"].endswith("-2")


@pytest.mark.parametrize(
    ("extra", "body", "status", "code"),
    [
        ({}, {"size_bytes": 0}, 400, "invalid_request"),
        ({}, "not json", 400, "invalid_request"),
        ({"httpMethod": "GET"}, None, 405, "method_not_allowed"),
        ({"resource": "/nope", "path": "/nope"}, None, 404, "not_found"),
        ({"headers": {"Content-Type": "text/csv"}}, "{}", 415, "unsupported_media_type"),
    ],
)
def test_client_errors_write_nothing(
    deployed: TwoAccounts, extra: dict[str, Any], body: Any, status: int, code: str
) -> None:
    got_status, got_body, _ = call(body, **extra)
    assert (got_status, got_body["error"]["code"]) == (status, code)
    assert got_body["error"]["message"]
    assert deployed.data_s3().list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_405_says_which_method_is_allowed(deployed: TwoAccounts) -> None:
    assert call(None, httpMethod="PUT")[2]["Allow"] == "POST"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RANDFILE_BUCKET", None),
        ("RANDFILE_BUCKET_OWNER", "abc"),
        ("RANDFILE_MAX_SYNC_BYTES", "lots"),
    ],
)
def test_misconfiguration_is_a_clean_500_and_a_log_line(
    deployed: TwoAccounts,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    name: str,
    value: str | None,
) -> None:
    if value is None:
        monkeypatch.delenv(name)
    else:
        monkeypatch.setenv(name, value)
    status, body, _ = call({"size_bytes": 10})
    assert status == 500
    assert body["error"]["code"] == "service_misconfigured"
    assert "misconfigured" in body["error"]["message"]
    assert "Traceback" not in json.dumps(body)
    log = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert any(name in entry.get("reason", "") and entry["level"] == "ERROR" for entry in log)


def logged(output: str, message: str) -> list[dict[str, Any]]:
    """The function's log lines saying `message` (its EMF metric lines say nothing)."""
    entries = [json.loads(line) for line in output.splitlines()]
    return [entry for entry in entries if entry.get("message") == message]


def test_the_log_line_reports_what_the_response_does(
    deployed: TwoAccounts, capfd: pytest.CaptureFixture[str]
) -> None:
    _, body, _ = call({"size_bytes": 10, "format": "text", "seed": 3})
    [written] = logged(capfd.readouterr().out, "file written")
    assert {name: written[name] for name in body} == body


def test_logs_are_json_with_the_request_id_and_no_credentials(
    deployed: TwoAccounts, capfd: pytest.CaptureFixture[str]
) -> None:
    call({"size_bytes": 10})
    output = capfd.readouterr().out
    written = logged(output, "file written")
    assert written
    assert written[0]["request_id"] == "req-0001"
    credentials = deployed.workload_session.get_credentials()
    assert credentials is not None
    assert credentials.secret_key not in output
    assert credentials.token
    assert credentials.token not in output


def test_a_written_file_is_counted_with_its_format_size_and_request(
    deployed: TwoAccounts, capfd: pytest.CaptureFixture[str]
) -> None:
    _, body, _ = call({"size_bytes": 777, "format": "jsonl"})
    emitted = emf.by_name(capfd.readouterr().out)
    assert emitted["FilesWritten"].value == 1
    assert emitted["BytesWritten"].value == body["size_bytes"] == 777
    assert {metric.dimensions["format"] for metric in emitted.values()} == {"jsonl"}
    assert {metric.request_id for metric in emitted.values()} == {"req-0001"}
    assert "Failures" not in emitted


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [({}, 400, "invalid_request"), ({"httpMethod": "GET"}, 405, "method_not_allowed")],
)
def test_a_refused_request_is_counted_under_its_code(
    deployed: TwoAccounts,
    capfd: pytest.CaptureFixture[str],
    extra: dict[str, Any],
    status: int,
    code: str,
) -> None:
    answer_status, answer, _ = call({"size_bytes": -1}, **extra)
    assert (answer_status, answer["error"]["code"]) == (status, code)
    (failure,) = emf.metrics(capfd.readouterr().out)
    assert (failure.name, failure.value, failure.dimensions["code"]) == ("Failures", 1, code)


def test_storage_failure_is_a_json_5xx(deployed: TwoAccounts) -> None:
    deployed.data_s3().delete_bucket(Bucket=BUCKET)
    status, body, _ = call({"size_bytes": 10})
    assert status == 502
    assert body["error"]["code"] == "storage_error"
    assert BUCKET in body["error"]["message"]


def test_near_deadline_answers_503_with_retry_after(deployed: TwoAccounts) -> None:
    response = handler(api_event({"size_bytes": 10}), FakeContext(remaining_ms=500))
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "1"
    assert json.loads(response["body"])["error"]["code"] == "deadline_exceeded"
    assert deployed.data_s3().list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_unexpected_error_is_a_500_without_traceback(
    deployed: TwoAccounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_: Any, **__: Any) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(files, "new_object_key", explode)
    status, body, _ = call({"size_bytes": 10})
    assert status == 500
    assert body == {
        "error": {"code": "internal_error", "message": "internal error; see the function's logs"}
    }


# Asynchronous jobs: POST /files past the synchronous limit (or with "mode": "async") and
# GET /files/{job_id}.

JOB_FIELDS = {
    "job_id",
    "status",
    "bucket",
    "key",
    "size_bytes",
    "format",
    "seed",
    "content_type",
    "status_url",
}


def get_job(job_id: Any, method: str = "GET") -> tuple[int, dict[str, Any], dict[str, Any]]:
    event = api_event(
        None,
        resource="/files/{job_id}",
        path=f"/files/{job_id}",
        httpMethod=method,
        pathParameters={"job_id": job_id},
    )
    response = handler(event, FakeContext())
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def test_a_size_past_the_synchronous_limit_is_accepted_as_a_job(
    with_jobs: TwoAccounts,
    job_queues: JobQueues,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RANDFILE_MAX_SYNC_BYTES", "4096")
    status, body, headers = call({"size_bytes": 4097, "format": "csv", "seed": 8})
    assert status == 202, body
    assert set(body) == JOB_FIELDS
    job_id = body["job_id"]
    assert re.fullmatch(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", job_id)
    assert (
        body["status_url"] == headers["Location"] == f"https://randfile.local.test/files/{job_id}"
    )
    assert (body["status"], body["size_bytes"], body["format"], body["seed"]) == (
        "queued",
        4097,
        "csv",
        8,
    )
    assert body["bucket"] == BUCKET
    assert re.fullmatch(r"random/\d{4}/\d\d/\d\d/[0-9A-Z]{26}\.csv", body["key"])
    assert job_queues.bodies() == [{"job_id": job_id}]
    # The job is stored before it is queued, and nothing is written before the worker runs.
    assert get_job(job_id)[1]["status"] == "queued"
    assert "Versions" not in with_jobs.data_s3().list_object_versions(Bucket=BUCKET)
    emitted = emf.by_name(capfd.readouterr().out)
    assert "FilesWritten" not in emitted
    assert "Failures" not in emitted


def test_mode_async_makes_a_job_of_any_size(with_jobs: TwoAccounts, job_queues: JobQueues) -> None:
    status, body, _ = call({"size_bytes": 10, "mode": "async"})
    assert status == 202, body
    assert job_queues.bodies() == [{"job_id": body["job_id"]}]


def test_the_status_url_keeps_the_stage_of_an_execute_api_call(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    context = {
        **api_event()["requestContext"],
        "domainName": "d4e5f6g7h8.execute-api.eu-west-1.amazonaws.com",
        "path": "/v1/files",
    }
    status, body, headers = call({"mode": "async"}, requestContext=context)
    assert status == 202
    assert headers["Location"] == (
        f"https://d4e5f6g7h8.execute-api.eu-west-1.amazonaws.com/v1/files/{body['job_id']}"
    )


@pytest.mark.parametrize(
    ("request_body", "rule"),
    [
        ({"size_bytes": 4097, "mode": "sync"}, "between 1 and 4096"),
        ({"size_bytes": 8193}, "between 1 and 8192"),
        ({"size_bytes": 8193, "mode": "async"}, "between 1 and 8192"),
        ({"mode": "later"}, "mode: must be one of ['sync', 'async']"),
    ],
)
def test_sizes_past_their_mode_s_limit_are_refused(
    with_jobs: TwoAccounts,
    job_queues: JobQueues,
    monkeypatch: pytest.MonkeyPatch,
    request_body: dict[str, Any],
    rule: str,
) -> None:
    monkeypatch.setenv("RANDFILE_MAX_SYNC_BYTES", "4096")
    monkeypatch.setenv("RANDFILE_MAX_JOB_BYTES", "8192")
    status, body, _ = call(request_body)
    assert (status, body["error"]["code"]) == (400, "invalid_request")
    assert rule in body["error"]["message"]
    assert job_queues.bodies() == []


@pytest.mark.parametrize(
    "missing",
    ["RANDFILE_JOBS_TABLE", "RANDFILE_JOB_QUEUE_URL", "RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN"],
)
def test_jobs_without_their_settings_are_a_clean_500_and_sync_still_works(
    with_jobs: TwoAccounts,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    missing: str,
) -> None:
    monkeypatch.delenv(missing)
    status, body, _ = call({"mode": "async"})
    assert (status, body["error"]["code"]) == (500, "service_misconfigured")
    status, body, _ = get_job("01JDZQ5V8X6M3N2P4R7S9T0W1Y")
    assert (status, body["error"]["code"]) == (500, "service_misconfigured")
    log = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert any(missing in entry.get("reason", "") for entry in log)
    assert call({"size_bytes": 10})[0] == 201


def unavailable(**_: Any) -> None:
    raise ClientError(
        {"Error": {"Code": "ServiceUnavailable", "Message": "try again"}}, "SendMessage"
    )


def test_a_job_that_cannot_be_queued_ends_failed_and_answers_503(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    sqs_client().meta.events.register("before-call.sqs.SendMessage", unavailable)
    status, body, headers = call({"mode": "async"})
    assert (status, body["error"]["code"]) == (503, "jobs_unavailable")
    assert headers["Retry-After"] == "1"
    assert job_queues.bodies() == []
    [item] = with_jobs.workload_dynamodb().scan(TableName=JOBS_TABLE)["Items"]
    status, job, _ = get_job(item["job_id"]["S"])
    assert (status, job["status"], job["error"]["code"]) == (200, "failed", "jobs_unavailable")


def test_a_job_queued_despite_an_error_stays_failed_and_its_message_writes_nothing(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    # SQS stored the message, but the answer was lost (a timeout): the caller is told 503.
    sqs_client().meta.events.register("after-call.sqs.SendMessage", unavailable)
    status, body, _ = call({"mode": "async", "size_bytes": 100})
    assert status == 503, body
    [message] = job_queues.bodies()
    event = job_queues.event()
    answer = worker.handler(event, FakeContext("req-worker"))
    assert answer == {"batchItemFailures": []}
    status, job, _ = get_job(message["job_id"])
    assert (job["status"], job["error"]["code"]) == ("failed", "jobs_unavailable")
    assert "Versions" not in with_jobs.data_s3().list_object_versions(Bucket=BUCKET)


def test_a_job_s_status_is_read_by_its_id(with_jobs: TwoAccounts, job_queues: JobQueues) -> None:
    _, accepted, _ = call({"size_bytes": 100, "format": "text", "mode": "async"})
    status, body, headers = get_job(accepted["job_id"])
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body == {
        **{name: accepted[name] for name in JOB_FIELDS - {"status_url"}},
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["created_at"])


@pytest.mark.parametrize(
    "job_id",
    [
        "01JDZQ5V8X6M3N2P4R7S9T0W1Y",  # a ULID no job has
        "not-a-job",
        "01jdzq5v8x6m3n2p4r7s9t0w1y",  # ULIDs are upper case
        "81JDZQ5V8X6M3N2P4R7S9T0W1Y",  # past the 128 bits of a ULID
        "01JDZQ5V8X6M3N2P4R7S9T0W1",
        "",
        None,
    ],
)
def test_an_unknown_job_is_404(with_jobs: TwoAccounts, job_id: Any) -> None:
    status, body, _ = get_job(job_id)
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_an_id_that_is_no_ulid_is_404_without_a_look_in_the_store(deployed: TwoAccounts) -> None:
    # No job settings at all: a store read would be a 500.
    assert get_job("../../etc/passwd")[0] == 404
    assert get_job("01JDZQ5V8X6M3N2P4R7S9T0W1Y")[0] == 500


def test_the_job_route_only_answers_get(with_jobs: TwoAccounts) -> None:
    status, body, headers = get_job("01JDZQ5V8X6M3N2P4R7S9T0W1Y", method="DELETE")
    assert (status, body["error"]["code"], headers["Allow"]) == (405, "method_not_allowed", "GET")
