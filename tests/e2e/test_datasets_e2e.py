"""Datasets on the local cloud, through the published endpoint with SigV4 and the API key: POST
/datasets answers 202, the jobs queue's event source mapping runs the worker (fan-out, chunks,
finalize) from the built zip under the function's role, whose IAM the local cloud enforces (the
chunk's transaction, the batch send), and GET /datasets/{dataset_id} follows it to `succeeded`.
The manifests are read back from the data bucket with the data account's own credentials and held
to the objects.

Uses the session's shared deployment (worker_max_concurrency 2, the stack's default). A worker
killed hard mid-chunk (SIGKILL from the local cloud's fault injection, when its process has sent a
file's PUT) is retried and the dataset still ends with each file written once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import urllib.parse
from typing import Any

import pytest

from localcloud.endpoint import Published
from localcloud.faults import FaultClient, FaultRule
from randfile_client.verify import parse_manifest, verify
from randfile_localcloud.cloud import Cloud
from tests.e2e.api_client import signed_call
from tests.e2e.jobs_mapping import jobs_waiting

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("localcloud_jobs")]

FILES = 40
SIZE = 64 * 1024
DEADLINE_SECONDS = 300
TIME_SCALE = 0.015
"""The worker's 900 s run in 13.5 s, as in test_job_faults_e2e: a killed attempt's lease and its
message's visibility run out in seconds."""
KILLED_FILES = 10
KILLED_AT = 4


def _call(published: Published, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """The call, again after Retry-After while the usage plan throttles, as a client does."""
    for _ in range(20):
        status, headers, answer = signed_call(published, method, path, body)
        if status != 429:
            return status, answer
        time.sleep(float(headers.get("retry-after", "1")))
    return status, answer


def test_a_dataset_of_40_files_ends_succeeded_with_manifests_that_match_its_objects(
    local: Cloud, published: Published, outputs: dict[str, Any]
) -> None:
    started = time.monotonic()
    status, accepted = _call(
        published, "POST", "/datasets", {"count": FILES, "size_bytes": SIZE, "seed": 27}
    )
    assert status == 202, accepted
    dataset_id = accepted["dataset_id"]
    assert accepted["status_url"] == f"https://{published.domain}/datasets/{dataset_id}"
    assert accepted["total_bytes"] == FILES * SIZE
    seen = []
    while True:
        status, dataset = _call(published, "GET", f"/datasets/{dataset_id}")
        assert status == 200, dataset
        seen.append((dataset["status"], dataset["files_succeeded"]))
        if dataset["status"] in ("succeeded", "failed"):
            break
        assert time.monotonic() - started < DEADLINE_SECONDS, f"not ended: {seen}"
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    assert dataset["status"] == "succeeded", dataset
    assert (dataset["files_succeeded"], dataset["files_waiting"]) == (FILES, 0)
    assert dataset["bytes_written"] == FILES * SIZE
    # The measured rate, for docs/performance.md (printed with -s).
    print(f"dataset of {FILES} x {SIZE} B: {elapsed:.1f} s, {FILES / elapsed:.1f} files/s")

    s3 = local.data().s3()
    bucket = accepted["bucket"]
    jsonl = s3.get_object(Bucket=bucket, Key=accepted["manifest_key"])["Body"].read().decode()
    lines = [json.loads(line) for line in jsonl.splitlines()]
    assert [line["index"] for line in lines] == list(range(FILES))
    for line in lines:
        assert line["key"] == f"{accepted['prefix']}{line['index']:02d}.bin"
        obj = s3.get_object(Bucket=bucket, Key=line["key"], VersionId=line["version_id"])
        data = obj["Body"].read()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (SIZE, line["sha256"])
        assert obj["ETag"] == line["etag"]
        assert obj["Metadata"]["randfile-dataset-id"] == dataset_id
    raw = s3.get_object(Bucket=bucket, Key=accepted["manifest_csv_key"])["Body"].read().decode()
    assert list(csv.reader(io.StringIO(raw))) == [
        [bucket, urllib.parse.quote(line["key"], safe=""), line["version_id"]] for line in lines
    ]
    listed = s3.list_object_versions(Bucket=bucket, Prefix=accepted["prefix"])
    assert len(listed.get("Versions", [])) == FILES + 2
    # `randfile verify` finds every file by HEAD and the CRC64NVME S3 keeps, reading none.
    verified = verify(parse_manifest(jsonl.splitlines()), s3)
    assert (verified.ok, verified.read, verified.all_match) == (FILES, 0, True)


def test_a_dataset_over_the_file_limit_is_refused_with_400(published: Published) -> None:
    status, answer = _call(published, "POST", "/datasets", {"count": 10_001, "size_bytes": 1})
    assert status == 400
    assert answer["error"]["code"] == "invalid_request"
    assert "count: must be between 1 and 10000" in answer["error"]["message"]


def test_a_worker_killed_mid_chunk_is_retried_and_writes_each_file_once(
    local: Cloud, published: Published, outputs: dict[str, Any]
) -> None:
    faults = FaultClient(local.endpoint_url)
    with jobs_waiting(local, outputs):
        status, accepted = _call(
            published, "POST", "/datasets", {"count": KILLED_FILES, "size_bytes": SIZE, "seed": 5}
        )
        assert status == 202, accepted
        killed_key = f"{accepted['prefix']}{KILLED_AT}.bin"
        rule = faults.add(
            FaultRule(
                function=outputs["worker_function_name"],
                action="s3:PutObject",
                effect="kill",
                when="after",
                contains=[killed_key],
            )
        )
        # Scaled while the dataset runs, and back before the API is called again: the scale
        # shortens the API function's timeout too. The dataset is followed in the table.
        before = faults.status()["time_scale"]
        faults.settings(time_scale=TIME_SCALE)
    try:
        _until_final_in_the_table(local, outputs, accepted["dataset_id"])
    finally:
        faults.settings(time_scale=before)
        fired = faults.rule(rule)
        faults.remove(rule)
    assert fired["hits"] == 1
    assert fired["pids_killed"], fired
    status, dataset = _call(published, "GET", f"/datasets/{accepted['dataset_id']}")
    assert (dataset["status"], dataset["files_succeeded"]) == ("succeeded", KILLED_FILES), dataset
    s3 = local.data().s3()
    listed = s3.list_object_versions(Bucket=accepted["bucket"], Prefix=accepted["prefix"])
    keys = sorted(version["Key"] for version in listed.get("Versions", []))
    # One version each: the files written before the kill were found, not written again.
    assert keys == sorted(
        [
            *(f"{accepted['prefix']}{index}.bin" for index in range(KILLED_FILES)),
            accepted["manifest_key"],
            accepted["manifest_csv_key"],
        ]
    )
    jsonl = s3.get_object(Bucket=accepted["bucket"], Key=accepted["manifest_key"])["Body"].read()
    lines = [json.loads(line) for line in jsonl.decode().splitlines()]
    for line in lines:
        data = s3.get_object(Bucket=accepted["bucket"], Key=line["key"])["Body"].read()
        assert hashlib.sha256(data).hexdigest() == line["sha256"]
        head = s3.head_object(Bucket=accepted["bucket"], Key=line["key"], ChecksumMode="ENABLED")
        assert head["ChecksumCRC64NVME"] == line["checksum_crc64nvme"]
    # The retry found files 0 to 4 (their digests recorded, their objects there): no write_ms.
    assert [line["index"] for line in lines if line["write_ms"] is None] == list(
        range(KILLED_AT + 1)
    )


def _until_final_in_the_table(local: Cloud, outputs: dict[str, Any], dataset_id: str) -> None:
    dynamodb = local.workload().dynamodb()
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        item = dynamodb.get_item(
            TableName=outputs["jobs_table_name"],
            Key={"id": {"S": f"dataset#{dataset_id}"}},
            ConsistentRead=True,
        )["Item"]
        if item["status"]["S"] in ("succeeded", "failed"):
            return
        assert time.monotonic() < deadline, f"dataset not final: {item['status']['S']}"
        time.sleep(1)
