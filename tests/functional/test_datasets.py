"""Datasets in-process: POST /datasets through the API handler, its messages received from the moto
jobs queue and handed to the worker as Lambda's event source mapping hands them (the fan-out, each
chunk, the finalize; twice at once, after a killed attempt, from the dead-letter queue), against
the moto job table in the workload account and the data bucket in the data account.

A killed attempt is test_worker's Kill: an exception nothing in the worker catches raised at the
request where the process dies, every later request dying too; the time until its lease is over
is written into the chunk's item. 30 files of the default planning make two chunks (25 and 5).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import urllib.parse
from typing import Any

import pytest
from botocore.exceptions import ClientError

from randfile import dataset_deliveries, dataset_plan, worker
from randfile.aws import s3_client, sqs_client
from randfile.content import Format, generate
from randfile.handler import handler as api_handler
from randfile_client.verify import parse_manifest, verify
from tests import emf
from tests.checksums import crc64nvme_of
from tests.events import api_event
from tests.functional.conftest import BUCKET, JOBS_TABLE, FakeContext, JobQueues, TwoAccounts
from tests.functional.test_worker import Kill, Killed, api_get, delivered_twice_at_once

FILES = 30
SIZE = 1000


def post(body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    event = api_event(body, resource="/datasets", path="/datasets")
    event["requestContext"]["path"] = "/datasets"
    if headers:
        event["headers"] = {**event["headers"], **headers}
    return api_handler(event, FakeContext())


def accept(**request: Any) -> dict[str, Any]:
    response = post(request)
    assert response["statusCode"] == 202, response
    accepted: dict[str, Any] = json.loads(response["body"])
    assert response["headers"]["Location"] == accepted["status_url"]
    return accepted


def status(dataset_id: str) -> dict[str, Any]:
    return api_get("/datasets/{dataset_id}", dataset_id=dataset_id)


def deliver(queues: JobQueues, *, dead_letter: bool = False, count: int = 1) -> dict[str, Any]:
    event = queues.event(dead_letter=dead_letter, count=count)
    assert event["Records"], "no message to deliver"
    answer = worker.handler(event, FakeContext("req-worker"))
    queues.delete(event, answer)
    return answer


def accept_and_fan_out(queues: JobQueues, **request: Any) -> dict[str, Any]:
    """Accepts a dataset and delivers its first message: the fan-out into chunk messages."""
    accepted = accept(**request)
    deliver(queues)
    return accepted


def run_all(queues: JobQueues, *, dead_letter: bool = False) -> int:
    """Delivers every message, one at a time as the jobs mapping does (batch size 1), until the
    queue is empty; answers how many deliveries it took. Each message is received only to be
    delivered (a look at the queue is a receive too, which counts towards the redrive)."""
    deliveries = 0
    while True:
        event = queues.event(dead_letter=dead_letter, count=1)
        if not event["Records"]:
            return deliveries
        answer = worker.handler(event, FakeContext("req-worker"))
        assert answer == {"batchItemFailures": []}
        queues.delete(event, answer)
        deliveries += 1
        assert deliveries < 50, "the dataset's messages never end"


def objects(accounts: TwoAccounts, prefix: str) -> dict[str, bytes]:
    s3 = accounts.data_s3()
    listed = s3.list_object_versions(Bucket=BUCKET, Prefix=prefix).get("Versions", [])
    return {
        version["Key"]: s3.get_object(
            Bucket=BUCKET, Key=version["Key"], VersionId=version["VersionId"]
        )["Body"].read()
        for version in listed
    }


def versions(accounts: TwoAccounts, prefix: str) -> list[str]:
    listed = accounts.data_s3().list_object_versions(Bucket=BUCKET, Prefix=prefix)
    return [version["Key"] for version in listed.get("Versions", [])]


def lease_runs_out(accounts: TwoAccounts, item_id: str) -> None:
    accounts.workload_dynamodb().update_item(
        TableName=JOBS_TABLE,
        Key={"id": {"S": item_id}},
        UpdateExpression="SET lease_expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )


def to_dead_letter(queues: JobQueues, wanted: Any) -> None:
    """The waiting message `wanted` (its body) moves to the dead-letter queue, as SQS moves it
    after its last receive; the others are left."""
    queues.reappear()
    queues.client.send_message(QueueUrl=queues.dead_letter_url, MessageBody=json.dumps(wanted))
    for message in queues.client.receive_message(
        QueueUrl=queues.url, MaxNumberOfMessages=10, VisibilityTimeout=0
    ).get("Messages", []):
        if json.loads(message["Body"]) == wanted:
            queues.client.delete_message(
                QueueUrl=queues.url, ReceiptHandle=message["ReceiptHandle"]
            )


def chunk_0_runs_again(
    accounts: TwoAccounts, queues: JobQueues, dataset_id: str, monkeypatch: pytest.MonkeyPatch
) -> list[int]:
    """Chunk 0's lease runs out and its message comes back, then every message runs; answers the
    seeds of the files generated on the way (a file read back from S3 is not generated again)."""
    lease_runs_out(accounts, f"dataset#{dataset_id}#chunk#0")
    queues.reappear()
    generated: list[int] = []
    real = generate

    def counted(fmt: Any, size: int, seed: int) -> Any:
        generated.append(seed)
        return real(fmt, size, seed)

    monkeypatch.setattr(dataset_deliveries, "generate", counted)
    run_all(queues)
    return generated


def check_manifests(accounts: TwoAccounts, accepted: dict[str, Any], written: int) -> None:
    """Both manifests list every written file in index order, each as it is in the bucket."""
    s3 = accounts.data_s3()
    jsonl = s3.get_object(Bucket=BUCKET, Key=accepted["manifest_key"])["Body"].read().decode()
    lines = [json.loads(line) for line in jsonl.splitlines()]
    assert len(lines) == written
    assert [line["index"] for line in lines] == sorted(line["index"] for line in lines)
    for line in lines:
        obj = s3.get_object(Bucket=BUCKET, Key=line["key"], VersionId=line["version_id"])
        data = obj["Body"].read()
        assert hashlib.sha256(data).hexdigest() == line["sha256"]
        head = s3.head_object(Bucket=BUCKET, Key=line["key"], ChecksumMode="ENABLED")
        assert crc64nvme_of(data) == line["checksum_crc64nvme"] == head["ChecksumCRC64NVME"]
        assert (len(data), obj["ETag"]) == (line["size_bytes"], line["etag"])
        assert line["bucket"] == BUCKET
        assert line["seed"] == dataset_plan.file_seed(accepted["seed"], line["index"])
        assert obj["Metadata"]["randfile-seed"] == str(line["seed"])
    # `randfile verify` finds every file as the manifest lists it, by HEAD and checksum alone.
    verified = verify(parse_manifest(jsonl.splitlines()), s3)
    assert (verified.ok, verified.read, verified.all_match) == (written, 0, True)
    raw = s3.get_object(Bucket=BUCKET, Key=accepted["manifest_csv_key"])["Body"].read().decode()
    rows = list(csv.reader(io.StringIO(raw)))
    assert rows == [
        [BUCKET, urllib.parse.quote(line["key"], safe=""), line["version_id"]] for line in lines
    ]


def test_a_dataset_runs_through_fan_out_chunks_and_finalize(
    with_jobs: TwoAccounts, job_queues: JobQueues, capfd: pytest.CaptureFixture[str]
) -> None:
    accepted = accept(count=FILES, size_bytes=SIZE, format="text", seed=7)
    prefix = accepted["prefix"]
    assert prefix == f"random/datasets/{accepted['dataset_id']}/"
    assert accepted["manifest_key"] == prefix + "manifest.jsonl"
    assert (accepted["status"], accepted["total_bytes"]) == ("queued", FILES * SIZE)
    assert job_queues.bodies() == [{"dataset_id": accepted["dataset_id"]}]
    waiting = status(accepted["dataset_id"])
    assert (waiting["files_waiting"], waiting["files_succeeded"]) == (FILES, 0)
    # The fan-out, two chunks and the finalize.
    assert run_all(job_queues) == 4
    done = status(accepted["dataset_id"])
    assert done["status"] == "succeeded"
    assert (done["files_succeeded"], done["files_failed"], done["files_waiting"]) == (FILES, 0, 0)
    assert done["bytes_written"] == FILES * SIZE
    assert "failed_files" not in done
    stored = objects(with_jobs, prefix)
    keys = [f"{prefix}{index:02d}.txt" for index in range(FILES)]
    assert sorted(stored) == sorted([*keys, accepted["manifest_key"], accepted["manifest_csv_key"]])
    for index, key in enumerate(keys):
        seed = dataset_plan.file_seed(7, index)
        assert stored[key] == b"".join(generate(Format.TEXT, SIZE, seed))
    check_manifests(with_jobs, accepted, FILES)
    emitted = emf.metrics(capfd.readouterr().out)
    assert "DatasetsFailed" not in {metric.name for metric in emitted}


def test_sizes_drawn_from_a_range_add_up_to_the_total(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    accepted = accept(count=12, min_size_bytes=100, max_size_bytes=5000, seed=3)
    expected = dataset_plan.all_sizes(3, 12, dataset_plan.Sizes(100, 5000))
    assert accepted["total_bytes"] == sum(expected)
    run_all(job_queues)
    done = status(accepted["dataset_id"])
    assert (done["status"], done["bytes_written"]) == ("succeeded", sum(expected))
    stored = objects(with_jobs, accepted["prefix"])
    assert [len(stored[f"{accepted['prefix']}{i:02d}.bin"]) for i in range(12)] == expected
    check_manifests(with_jobs, accepted, 12)


def test_a_chunk_delivered_twice_at_once_writes_each_file_once(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    accepted = accept_and_fan_out(job_queues, count=5, size_bytes=SIZE)
    [chunk] = job_queues.bodies()
    job_queues.client.send_message(QueueUrl=job_queues.url, MessageBody=json.dumps(chunk))
    first, answer, duplicate, answers = delivered_twice_at_once(job_queues)
    assert answer == {"batchItemFailures": []}
    job_queues.delete(first, {"batchItemFailures": []})
    [record] = duplicate["Records"]
    assert answers == [{"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}]
    job_queues.reappear()
    run_all(job_queues)
    assert status(accepted["dataset_id"])["status"] == "succeeded"
    files = [key for key in versions(with_jobs, accepted["prefix"]) if "manifest" not in key]
    assert sorted(files) == sorted(set(files))
    assert len(files) == 5


def test_a_chunk_killed_mid_way_is_finished_by_its_retry_without_regenerating(
    with_jobs: TwoAccounts, job_queues: JobQueues, monkeypatch: pytest.MonkeyPatch
) -> None:
    accepted = accept_and_fan_out(job_queues, count=8, size_bytes=SIZE, seed=9)
    dataset_id = accepted["dataset_id"]
    # Killed once file 3's PUT is answered: files 0 to 3 are in the bucket, file 3 unrecorded.
    fourth = f"{accepted['prefix']}3.bin"
    with Kill("PutObject", after=True, when=lambda p: p["Key"] == fourth), pytest.raises(Killed):
        deliver(job_queues)
    assert len(versions(with_jobs, accepted["prefix"])) == 4
    assert status(dataset_id)["status"] == "running"
    generated = chunk_0_runs_again(with_jobs, job_queues, dataset_id, monkeypatch)
    assert generated == [dataset_plan.file_seed(9, index) for index in range(4, 8)]
    done = status(dataset_id)
    assert (done["status"], done["files_succeeded"]) == ("succeeded", 8)
    assert len(versions(with_jobs, accepted["prefix"])) == 8 + 2
    check_manifests(with_jobs, accepted, 8)


def test_the_dead_letter_queue_ends_a_killed_chunk_and_its_dataset_failed(
    with_jobs: TwoAccounts, job_queues: JobQueues, capfd: pytest.CaptureFixture[str]
) -> None:
    accepted = accept_and_fan_out(job_queues, count=6, size_bytes=SIZE)
    dataset_id = accepted["dataset_id"]
    third = f"{accepted['prefix']}2.bin"
    with Kill("PutObject", after=True, when=lambda p: p["Key"] == third), pytest.raises(Killed):
        deliver(job_queues)
    lease_runs_out(with_jobs, f"dataset#{dataset_id}#chunk#0")
    to_dead_letter(job_queues, {"dataset_id": dataset_id, "chunk": 0})
    capfd.readouterr()
    assert deliver(job_queues, dead_letter=True) == {"batchItemFailures": []}
    done = status(dataset_id)
    assert done["status"] == "failed"
    # Files 0 to 2 were written (2 unrecorded, found by HEAD); 3 to 5 never were.
    assert (done["files_succeeded"], done["files_failed"], done["files_waiting"]) == (3, 3, 0)
    assert [(f["index"], f["error_code"]) for f in done["failed_files"]] == [
        (3, "job_abandoned"),
        (4, "job_abandoned"),
        (5, "job_abandoned"),
    ]
    assert done["failed_files"][0]["key"] == f"{accepted['prefix']}3.bin"
    check_manifests(with_jobs, accepted, 3)
    assert emf.by_name(capfd.readouterr().out)["DatasetsFailed"].value == 1
    assert job_queues.bodies(dead_letter=True) == []


def test_the_dead_letter_queue_ends_a_dataset_whose_fan_out_never_ran(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    accepted = accept(count=FILES, size_bytes=SIZE)
    dataset_id = accepted["dataset_id"]
    to_dead_letter(job_queues, {"dataset_id": dataset_id})
    assert deliver(job_queues, dead_letter=True) == {"batchItemFailures": []}
    done = status(dataset_id)
    assert done["status"] == "failed"
    assert (done["files_succeeded"], done["files_failed"]) == (0, FILES)
    assert [f["index"] for f in done["failed_files"]] == list(range(FILES))
    assert {f["error_code"] for f in done["failed_files"]} == {"job_abandoned"}
    # Only the (empty) manifests: no file was written.
    assert sorted(versions(with_jobs, accepted["prefix"])) == sorted(
        [accepted["manifest_key"], accepted["manifest_csv_key"]]
    )
    assert job_queues.bodies() == []


def test_a_failed_send_at_post_ends_the_dataset_failed(
    with_jobs: TwoAccounts, job_queues: JobQueues, capfd: pytest.CaptureFixture[str]
) -> None:
    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "no"}}, "SendMessage")

    sqs_client().meta.events.register("before-call.sqs.SendMessage", refuse)
    response = post({"count": 3, "size_bytes": SIZE})
    sqs_client().meta.events.unregister("before-call.sqs.SendMessage", refuse)
    assert response["statusCode"] == 503
    [item] = with_jobs.workload_dynamodb().scan(TableName=JOBS_TABLE)["Items"]
    done = status(item["dataset_id"]["S"])
    assert (done["status"], done["files_failed"], done["files_waiting"]) == ("failed", 3, 0)
    assert {f["error_code"] for f in done["failed_files"]} == {"jobs_unavailable"}
    assert job_queues.bodies() == []
    assert emf.by_name(capfd.readouterr().out)["DatasetsFailed"].value == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"count": 10_001, "size_bytes": 10}, "count: must be between 1 and 10000, got 10001"),
        ({"size_bytes": 10}, "count: is required"),
        ({"count": 2}, "size_bytes: is required"),
        (
            {"count": 2, "size_bytes": 10, "min_size_bytes": 1, "max_size_bytes": 5},
            "size_bytes: give either size_bytes",
        ),
        ({"count": 2, "min_size_bytes": 9}, "size_bytes: is required"),
        (
            {"count": 2, "min_size_bytes": 9, "max_size_bytes": 5},
            "min_size_bytes: must be at most max_size_bytes (5), got 9",
        ),
        ({"count": 2, "size_bytes": 10, "format": "csv"}, "size_bytes: must be at least"),
        ({"count": 2, "size_bytes": 2**40}, "size_bytes: must be between 1 and 10737418240"),
        ({"count": 2, "size_bytes": 10, "mode": "async"}, "unknown field(s) ['mode']"),
        (
            {"count": 10_000, "size_bytes": 2**30},
            "above the limit of 1099511627776 bytes per dataset (max_dataset_bytes)",
        ),
    ],
)
def test_a_bad_dataset_request_is_400_with_its_reason(
    with_jobs: TwoAccounts, body: dict[str, Any], message: str
) -> None:
    response = post(body)
    assert response["statusCode"] == 400, response
    error = json.loads(response["body"])["error"]
    assert error["code"] == "invalid_request"
    assert message in error["message"]


def test_an_unknown_dataset_is_404(with_jobs: TwoAccounts) -> None:
    event = api_event(
        None,
        resource="/datasets/{dataset_id}",
        httpMethod="GET",
        pathParameters={"dataset_id": "01JDZQ5V8X6M3N2P4R7S9T0W1Y"},
    )
    response = api_handler(event, FakeContext())
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "not_found"


def test_a_retried_post_with_its_idempotency_key_answers_the_same_dataset(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    body = {"count": 3, "size_bytes": SIZE}
    first = post(body, {"Idempotency-Key": "dataset-key-1"})
    again = post(body, {"Idempotency-Key": "dataset-key-1"})
    assert (first["statusCode"], again["statusCode"]) == (202, 202)
    assert json.loads(first["body"])["dataset_id"] == json.loads(again["body"])["dataset_id"]
    assert len(job_queues.bodies()) == 1
    other = post({**body, "count": 4}, {"Idempotency-Key": "dataset-key-1"})
    assert other["statusCode"] == 422


def test_a_final_dataset_is_never_changed_by_a_later_delivery(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    accepted = accept(count=FILES, size_bytes=SIZE)
    dataset_id = accepted["dataset_id"]
    run_all(job_queues)
    done = status(dataset_id)
    written = sorted(versions(with_jobs, accepted["prefix"]))
    # Every message of the dataset again, from both queues: no count grows, nothing is written.
    again = [
        {"dataset_id": dataset_id},
        {"dataset_id": dataset_id, "chunk": 0},
        {"dataset_id": dataset_id, "chunk": 1},
        {"dataset_id": dataset_id, "finalize": True},
    ]
    for body in again:
        job_queues.client.send_message(QueueUrl=job_queues.url, MessageBody=json.dumps(body))
        job_queues.client.send_message(
            QueueUrl=job_queues.dead_letter_url, MessageBody=json.dumps(body)
        )
    assert run_all(job_queues) == len(again)
    assert run_all(job_queues, dead_letter=True) == len(again)
    assert status(dataset_id) == done
    assert sorted(versions(with_jobs, accepted["prefix"])) == written


def test_a_message_for_a_dataset_that_is_not_in_the_table_is_deleted(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    for body in (
        {"dataset_id": "01JDZQ5V8X6M3N2P4R7S9T0W1Y"},
        {"dataset_id": "01JDZQ5V8X6M3N2P4R7S9T0W1Y", "chunk": 3},
        {"dataset_id": "01JDZQ5V8X6M3N2P4R7S9T0W1Y", "finalize": True},
    ):
        job_queues.client.send_message(QueueUrl=job_queues.url, MessageBody=json.dumps(body))
    assert run_all(job_queues) == 3
    assert job_queues.bodies() == []


def test_a_chunk_killed_mid_upload_aborts_the_open_upload_and_writes_once(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    multipart = 9 * 1024 * 1024 + 1
    accepted = accept_and_fan_out(job_queues, count=2, size_bytes=multipart, seed=4)
    dataset_id = accepted["dataset_id"]
    second = f"{accepted['prefix']}1.bin"
    # Killed as file 1's upload completes: its digest is recorded, its parts are in S3, and no
    # object exists.
    with (
        Kill("CompleteMultipartUpload", when=lambda p: p["Key"] == second),
        pytest.raises(Killed),
    ):
        deliver(job_queues)
    s3 = with_jobs.data_s3()
    assert len(s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])) == 1
    lease_runs_out(with_jobs, f"dataset#{dataset_id}#chunk#0")
    job_queues.reappear()
    run_all(job_queues)
    done = status(dataset_id)
    assert (done["status"], done["bytes_written"]) == ("succeeded", 2 * multipart)
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    files = [key for key in versions(with_jobs, accepted["prefix"]) if "manifest" not in key]
    assert sorted(files) == [f"{accepted['prefix']}0.bin", second]
    check_manifests(with_jobs, accepted, 2)


def test_a_chunk_out_of_time_between_files_is_finished_by_the_next_delivery(
    with_jobs: TwoAccounts, job_queues: JobQueues, monkeypatch: pytest.MonkeyPatch
) -> None:
    accepted = accept_and_fan_out(job_queues, count=6, size_bytes=SIZE, seed=2)
    dataset_id = accepted["dataset_id"]
    context = FakeContext("req-worker", remaining_ms=60_000)
    puts: list[int] = []

    def time_runs_out(**_: Any) -> None:
        # Once the third file's PUT is answered, too little time is left for a fourth.
        puts.append(1)
        if len(puts) == 3:
            context.remaining_ms = 3_000

    s3_client().meta.events.register("after-call.s3.PutObject", time_runs_out)
    event = job_queues.event(count=1)
    answer = worker.handler(event, context)
    s3_client().meta.events.unregister("after-call.s3.PutObject", time_runs_out)
    # Handed back, not failed: files 0 to 2 are written, the chunk still held.
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert len(versions(with_jobs, accepted["prefix"])) == 3
    assert status(dataset_id)["status"] == "running"
    generated = chunk_0_runs_again(with_jobs, job_queues, dataset_id, monkeypatch)
    assert generated == [dataset_plan.file_seed(2, index) for index in range(3, 6)]
    assert status(dataset_id)["status"] == "succeeded"
    check_manifests(with_jobs, accepted, 6)
