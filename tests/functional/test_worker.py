"""The jobs' worker in-process: a job accepted by the API function, its message received from the
moto jobs queue and handed to the worker as Lambda's event source mapping hands it (once, twice,
beside another delivery, after a killed attempt, from the dead-letter queue), against the moto job
table in the workload account and the data bucket in the data account.

A killed attempt is an exception that nothing in the worker catches (BaseException, as a process
that is gone runs no handler) raised at the step where the kill happens; the time that passes
until its lease is over is written into the job's item. tests/e2e/test_job_faults_e2e.py kills real
processes on the local cloud.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from randfile import files, worker
from randfile.aws import dynamodb_client, s3_client, sqs_client
from randfile.handler import handler as api_handler
from tests import emf
from tests.checksums import crc64nvme_of, put_with_crc64nvme
from tests.events import api_event
from tests.functional.conftest import BUCKET, JOBS_TABLE, FakeContext, JobQueues, TwoAccounts

MULTIPART_SIZE = 9 * 1024 * 1024 + 3


class Killed(BaseException):
    """The worker's process is gone."""


def accept(**request: Any) -> dict[str, Any]:
    """POST /files as a job; answers the 202's body."""
    response = api_handler(api_event({"mode": "async", **request}), FakeContext())
    assert response["statusCode"] == 202, response
    accepted: dict[str, Any] = json.loads(response["body"])
    return accepted


def deliver(
    queues: JobQueues, context: FakeContext | None = None, *, dead_letter: bool = False
) -> dict[str, Any]:
    """One poll of the event source mapping: receive, run the worker, delete what it finished.
    Answers the worker's response."""
    event = queues.event(dead_letter=dead_letter)
    assert event["Records"], "no message to deliver"
    answer = worker.handler(event, context or FakeContext("req-worker"))
    queues.delete(event, answer)
    return answer


def api_get(resource: str, **path_parameters: str) -> dict[str, Any]:
    """GET ``resource`` (its {names} filled in from ``path_parameters``) through the API function:
    answers the body of its 200 response."""
    event = api_event(
        None,
        resource=resource,
        path=resource.format(**path_parameters),
        httpMethod="GET",
        pathParameters=path_parameters,
    )
    response = api_handler(event, FakeContext())
    assert response["statusCode"] == 200, response
    body: dict[str, Any] = json.loads(response["body"])
    return body


def job_status(job_id: str) -> dict[str, Any]:
    return api_get("/files/{job_id}", job_id=job_id)


def versions(accounts: TwoAccounts) -> list[dict[str, Any]]:
    listed = accounts.data_s3().list_object_versions(Bucket=BUCKET)
    return [dict(version) for version in listed.get("Versions", [])]


def open_uploads(accounts: TwoAccounts) -> list[Any]:
    return list(accounts.data_s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads", []))


def item(accounts: TwoAccounts, job_id: str) -> dict[str, Any]:
    return dict(
        accounts.workload_dynamodb().get_item(
            TableName=JOBS_TABLE, Key={"id": {"S": f"job#{job_id}"}}
        )["Item"]
    )


def lease_runs_out(accounts: TwoAccounts, job_id: str) -> None:
    """The time until a killed attempt's deadline passes."""
    accounts.workload_dynamodb().update_item(
        TableName=JOBS_TABLE,
        Key={"id": {"S": f"job#{job_id}"}},
        UpdateExpression="SET lease_expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )


class Kill:
    """Kills the worker at one request: when botocore is about to send it (`before`) or has
    received its answer (`after`), and `when(params)` holds. From then on the process is gone:
    every later request of either client dies too, so no clean-up of the worker's own runs (a
    real kill leaves its upload open)."""

    def __init__(self, operation: str, *, after: bool = False, when: Any = None) -> None:
        self.operation = operation
        self.after = after
        self.when = when
        self.dead = False
        self._clients = (s3_client(), dynamodb_client())

    def __enter__(self) -> Kill:
        for client in self._clients:
            client.meta.events.register_first("before-call", self._any, unique_id="dead")
            client.meta.events.register(
                f"before-parameter-build.{self._service(client)}.{self.operation}",
                self._matched,
                unique_id="kill-match",
            )
            client.meta.events.register(
                f"after-call.{self._service(client)}.{self.operation}",
                self._answered,
                unique_id="kill-after",
            )
        return self

    def __exit__(self, *_: object) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-call", unique_id="dead")
            client.meta.events.unregister(
                f"before-parameter-build.{self._service(client)}.{self.operation}",
                unique_id="kill-match",
            )
            client.meta.events.unregister(
                f"after-call.{self._service(client)}.{self.operation}", unique_id="kill-after"
            )

    @staticmethod
    def _service(client: Any) -> str:
        return str(client.meta.service_model.service_id).lower()

    def _matched(self, params: dict[str, Any], **_: Any) -> None:
        if self.when is None or self.when(params):
            self._armed = True
            if not self.after:
                self.dead = True

    def _answered(self, **_: Any) -> None:
        if getattr(self, "_armed", False) and self.after:
            self.dead = True
            raise Killed(self.operation)

    def _any(self, **_: Any) -> None:
        if self.dead:
            raise Killed(self.operation)


def the_success_write(params: dict[str, Any]) -> bool:
    return ":succeeded" in params.get("ExpressionAttributeValues", {})


def killed_delivery(queues: JobQueues, operation: str, **kill: Any) -> None:
    """A delivery whose worker dies at `operation`."""
    with Kill(operation, **kill), pytest.raises(Killed):
        deliver(queues)


def delivered_twice_at_once(
    queues: JobQueues,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The queue's message received twice, the duplicate delivered while the first delivery is
    writing (about to call PutObject): the first event and its answer, the duplicate event and
    what its delivery answered."""
    first, duplicate = queues.event(count=1), queues.event(count=1)
    answers: list[dict[str, Any]] = []

    def deliver_the_duplicate(**_: Any) -> None:
        if not answers:
            answers.append(worker.handler(duplicate, FakeContext("req-duplicate")))

    s3_client().meta.events.register("before-call.s3.PutObject", deliver_the_duplicate)
    try:
        answer = worker.handler(first, FakeContext("req-first"))
    finally:
        s3_client().meta.events.unregister("before-call.s3.PutObject", deliver_the_duplicate)
    return first, answer, duplicate, answers


def test_a_job_ends_succeeded_with_the_object_in_the_data_account(
    with_jobs: TwoAccounts, job_queues: JobQueues, capfd: pytest.CaptureFixture[str]
) -> None:
    accepted = accept(size_bytes=MULTIPART_SIZE, format="csv", seed=11)
    capfd.readouterr()
    assert deliver(job_queues) == {"batchItemFailures": []}
    status = job_status(accepted["job_id"])
    assert status["status"] == "succeeded"
    obj = with_jobs.data_s3().get_object(Bucket=BUCKET, Key=accepted["key"])
    data = obj["Body"].read()
    assert len(data) == status["size_bytes"] == MULTIPART_SIZE
    assert hashlib.sha256(data).hexdigest() == status["sha256"]
    assert crc64nvme_of(data) == status["checksum_crc64nvme"]
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
    assert job_queues.bodies() == []


def test_the_delivery_hides_its_message_until_just_after_its_deadline(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    accept(size_bytes=100)
    event = job_queues.event()
    asked: list[dict[str, Any]] = []
    sqs_client().meta.events.register(
        "provide-client-params.sqs.ChangeMessageVisibility",
        lambda params, **_: asked.append(dict(params)),
    )
    with Kill("UpdateItem"), pytest.raises(Killed):
        worker.handler(event, FakeContext("req-worker", remaining_ms=20_000))
    # 20 s left x 1.1 + 1 s: the message comes back 23 s after, not after the queue's own timeout.
    [record] = event["Records"]
    assert asked == [
        {
            "QueueUrl": job_queues.url,
            "ReceiptHandle": record["receiptHandle"],
            "VisibilityTimeout": 23,
        }
    ]
    assert job_queues.client.receive_message(QueueUrl=job_queues.url).get("Messages") is None


def test_a_redelivered_job_writes_no_second_object(
    with_jobs: TwoAccounts, job_queues: JobQueues, capfd: pytest.CaptureFixture[str]
) -> None:
    accepted = accept(size_bytes=2048)
    # SQS delivers a message at least once: the same message twice, one after the other.
    api_handler(api_event({"mode": "async"}), FakeContext())  # another job, to be left alone
    [body, _] = job_queues.bodies()
    job_queues.client.send_message(QueueUrl=job_queues.url, MessageBody=json.dumps(body))
    while job_queues.bodies():
        deliver(job_queues)
    assert job_status(accepted["job_id"])["status"] == "succeeded"
    assert len(versions(with_jobs)) == 2
    written = [m for m in emf.metrics(capfd.readouterr().out) if m.name == "FilesWritten"]
    assert len(written) == 2


def test_a_delivery_while_the_job_runs_leaves_it_to_the_running_one(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    accepted = accept(size_bytes=2048)
    job_queues.client.send_message(
        QueueUrl=job_queues.url, MessageBody=json.dumps({"job_id": accepted["job_id"]})
    )
    # The duplicate arrives while the first delivery is writing.
    _, answer, duplicate, answers = delivered_twice_at_once(job_queues)
    assert answer == {"batchItemFailures": []}
    [record] = duplicate["Records"]
    assert answers == [{"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}]
    assert job_status(accepted["job_id"])["status"] == "succeeded"
    assert len(versions(with_jobs)) == 1


@pytest.mark.parametrize("size", [2048, MULTIPART_SIZE], ids=["single-put", "multipart"])
def test_a_retry_after_a_kill_between_writing_and_recording_records_the_object_unregenerated(
    with_jobs: TwoAccounts, job_queues: JobQueues, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    accepted = accept(size_bytes=size, format="text", seed=3)
    killed_delivery(job_queues, "UpdateItem", when=the_success_write)
    assert job_status(accepted["job_id"])["status"] == "running"
    [written] = versions(with_jobs)
    lease_runs_out(with_jobs, accepted["job_id"])
    job_queues.reappear()

    def never(*_: Any, **__: Any) -> None:
        raise AssertionError("the retry generated the file again")

    monkeypatch.setattr(files, "generate", never)
    assert deliver(job_queues, FakeContext("req-retry")) == {"batchItemFailures": []}
    done = job_status(accepted["job_id"])
    assert done["status"] == "succeeded"
    assert (done["version_id"], done["etag"]) == (written["VersionId"], written["ETag"].strip('"'))
    data = with_jobs.data_s3().get_object(Bucket=BUCKET, Key=accepted["key"])["Body"].read()
    assert hashlib.sha256(data).hexdigest() == done["sha256"]
    # The checksum the killed attempt recorded, S3's, and that of the bytes are one.
    head = with_jobs.data_s3().head_object(
        Bucket=BUCKET, Key=accepted["key"], ChecksumMode="ENABLED"
    )
    assert done["checksum_crc64nvme"] == crc64nvme_of(data) == head["ChecksumCRC64NVME"]
    assert len(versions(with_jobs)) == 1
    assert open_uploads(with_jobs) == []


def test_a_retry_after_a_kill_between_parts_aborts_the_open_upload_and_writes_once(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    accepted = accept(size_bytes=MULTIPART_SIZE, seed=5)
    killed_delivery(job_queues, "CompleteMultipartUpload")
    assert len(open_uploads(with_jobs)) == 1
    lease_runs_out(with_jobs, accepted["job_id"])
    job_queues.reappear()
    assert deliver(job_queues, FakeContext("req-retry")) == {"batchItemFailures": []}
    done = job_status(accepted["job_id"])
    assert (done["status"], item(with_jobs, accepted["job_id"])["attempt"]) == (
        "succeeded",
        {"N": "2"},
    )
    assert len(versions(with_jobs)) == 1
    assert open_uploads(with_jobs) == []


def test_another_object_at_the_job_s_key_fails_the_job_and_stays(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    accepted = accept(size_bytes=100)
    with_jobs.data_s3().put_object(
        Bucket=BUCKET, Key=accepted["key"], Body=b"x" * 100, Metadata={"randfile-job-id": "other"}
    )
    assert deliver(job_queues) == {"batchItemFailures": []}
    outcome = job_status(accepted["job_id"])
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "storage_error"
    assert "is not this job's object" in outcome["error"]["message"]
    body = with_jobs.data_s3().get_object(Bucket=BUCKET, Key=accepted["key"])["Body"].read()
    assert body == b"x" * 100


def test_an_object_with_the_job_s_metadata_but_another_checksum_fails_the_job(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    # The job's key, metadata and size, other bytes: S3's CRC64NVME tells them apart.
    accepted = accept(size_bytes=100, format="binary", seed=9)
    other = b"y" * 100
    put_with_crc64nvme(
        with_jobs.data_s3(),
        BUCKET,
        accepted["key"],
        other,
        Metadata={
            "randfile-job-id": accepted["job_id"],
            "randfile-format": "binary",
            "randfile-seed": "9",
            "randfile-generator-version": "2",
        },
    )
    assert deliver(job_queues) == {"batchItemFailures": []}
    outcome = job_status(accepted["job_id"])
    assert (outcome["status"], outcome["error"]["code"]) == ("failed", "storage_error")
    assert f"CRC64NVME {crc64nvme_of(other)}" in outcome["error"]["message"]


def test_a_job_near_the_timeout_stops_aborts_its_upload_and_ends_failed(
    with_jobs: TwoAccounts, job_queues: JobQueues, capfd: pytest.CaptureFixture[str]
) -> None:
    accepted = accept(size_bytes=3 * 8 * 1024 * 1024)
    context = FakeContext("req-worker", remaining_ms=60_000)

    def time_runs_out(**_: Any) -> None:
        context.remaining_ms = 1_000

    # Time runs out once the upload has begun: the worker must stop and abort it.
    s3_client().meta.events.register("after-call.s3.CreateMultipartUpload", time_runs_out)
    capfd.readouterr()
    assert deliver(job_queues, context) == {"batchItemFailures": []}
    outcome = job_status(accepted["job_id"])
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "deadline_exceeded"
    assert versions(with_jobs) == []
    assert open_uploads(with_jobs) == []
    emitted = emf.by_name(capfd.readouterr().out)
    assert emitted["Failures"].dimensions["code"] == "deadline_exceeded"
    assert emitted["JobsFailed"].value == 1
    assert "JobsAbandoned" not in emitted


def test_an_unexpected_error_leaves_the_job_to_the_message_s_next_delivery(
    with_jobs: TwoAccounts, job_queues: JobQueues, monkeypatch: pytest.MonkeyPatch
) -> None:
    accepted = accept(size_bytes=100)

    def explode(*_: Any, **__: Any) -> None:
        raise KeyError("surprise")

    with monkeypatch.context() as patched:
        patched.setattr(files, "generate", explode)
        event = job_queues.event()
        answer = worker.handler(event, FakeContext("req-worker"))
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    # Not `failed`: that is final, and the next delivery may well succeed.
    assert job_status(accepted["job_id"])["status"] == "running"
    lease_runs_out(with_jobs, accepted["job_id"])
    job_queues.reappear()
    assert deliver(job_queues, FakeContext("req-retry")) == {"batchItemFailures": []}
    assert job_status(accepted["job_id"])["status"] == "succeeded"


def test_s3_unavailable_leaves_the_job_running_for_the_next_delivery(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    accepted = accept(size_bytes=100)

    def slow_down(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "slow"}}, "PutObject")

    s3_client().meta.events.register("before-call.s3.PutObject", slow_down)
    event = job_queues.event()
    answer = worker.handler(event, FakeContext("req-worker"))
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == [
        event["Records"][0]["messageId"]
    ]
    assert job_status(accepted["job_id"])["status"] == "running"
    assert versions(with_jobs) == []


@pytest.mark.parametrize(
    "body",
    [
        "nope",
        "{}",
        '{"job_id": 42}',
        '{"job_id": "01JDZQ5V8X"}',
        # A dataset's messages share the queue: one that names no dataset, chunk or finalize.
        '{"dataset_id": "01JDZQ5V8X6M3N2P4R7S9T0W1Y", "chunk": -1}',
        '{"dataset_id": "01JDZQ5V8X6M3N2P4R7S9T0W1Y", "chunk": true}',
        '{"dataset_id": "01JDZQ5V8X6M3N2P4R7S9T0W1Y", "chunk": 0, "finalize": true}',
        '{"dataset_id": "nope"}',
    ],
)
def test_a_message_that_names_no_job_or_dataset_is_deleted_without_a_retry(
    with_jobs: TwoAccounts, job_queues: JobQueues, body: str
) -> None:
    job_queues.client.send_message(QueueUrl=job_queues.url, MessageBody=body)
    assert deliver(job_queues) == {"batchItemFailures": []}
    assert job_queues.bodies() == []


def test_a_job_that_is_not_in_the_table_is_deleted(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    job_queues.client.send_message(
        QueueUrl=job_queues.url, MessageBody=json.dumps({"job_id": "01JDZQ5V8X6M3N2P4R7S9T0W1Y"})
    )
    assert deliver(job_queues) == {"batchItemFailures": []}
    assert versions(with_jobs) == []


def dead_letter(queues: JobQueues) -> None:
    """Every delivery of the job's message failed: SQS moves it on its next receive."""
    queues.reappear()
    queues.client.send_message(
        QueueUrl=queues.dead_letter_url, MessageBody=json.dumps(queues.bodies()[0])
    )
    queues.client.purge_queue(QueueUrl=queues.url)


def test_the_dead_letter_queue_ends_an_abandoned_job_failed_and_aborts_its_upload(
    with_jobs: TwoAccounts, job_queues: JobQueues, capfd: pytest.CaptureFixture[str]
) -> None:
    accepted = accept(size_bytes=MULTIPART_SIZE)
    killed_delivery(job_queues, "CompleteMultipartUpload")
    lease_runs_out(with_jobs, accepted["job_id"])
    dead_letter(job_queues)
    capfd.readouterr()
    assert deliver(job_queues, dead_letter=True) == {"batchItemFailures": []}
    failed = job_status(accepted["job_id"])
    assert (failed["status"], failed["error"]["code"]) == ("failed", "job_abandoned")
    assert "(1 attempt:" in failed["error"]["message"]
    assert versions(with_jobs) == []
    assert open_uploads(with_jobs) == []
    emitted = emf.by_name(capfd.readouterr().out)
    assert (emitted["JobsFailed"].value, emitted["JobsAbandoned"].value) == (1, 1)
    assert job_queues.bodies(dead_letter=True) == []


def test_the_dead_letter_queue_records_an_object_its_last_attempt_wrote(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    accepted = accept(size_bytes=2048)
    killed_delivery(job_queues, "UpdateItem", when=the_success_write)
    lease_runs_out(with_jobs, accepted["job_id"])
    dead_letter(job_queues)
    assert deliver(job_queues, dead_letter=True) == {"batchItemFailures": []}
    done = job_status(accepted["job_id"])
    assert done["status"] == "succeeded"
    data = with_jobs.data_s3().get_object(Bucket=BUCKET, Key=accepted["key"])["Body"].read()
    assert hashlib.sha256(data).hexdigest() == done["sha256"]


def test_the_dead_letter_queue_waits_for_an_attempt_that_still_runs(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    accepted = accept(size_bytes=100)
    killed_delivery(job_queues, "PutObject")
    dead_letter(job_queues)
    # The lease is still live: the attempt may yet finish, so the job is not failed under it.
    answer = deliver(job_queues, dead_letter=True)
    assert len(answer["batchItemFailures"]) == 1
    assert job_status(accepted["job_id"])["status"] == "running"


def test_a_final_job_is_never_changed_by_a_later_delivery(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    accepted = accept(size_bytes=100)
    deliver(job_queues)
    done = job_status(accepted["job_id"])
    for source in ("jobs", "dead-letter"):
        url = job_queues.url if source == "jobs" else job_queues.dead_letter_url
        job_queues.client.send_message(
            QueueUrl=url, MessageBody=json.dumps({"job_id": accepted["job_id"]})
        )
        assert deliver(job_queues, dead_letter=source == "dead-letter") == {"batchItemFailures": []}
        assert job_status(accepted["job_id"]) == done
