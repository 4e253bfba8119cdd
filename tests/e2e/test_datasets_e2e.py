"""Datasets on the local cloud, through the published endpoint with SigV4 and the API key: POST
/datasets answers 202, the jobs queue's event source mapping runs the worker (fan-out, chunks,
finalize) from the built zip under the function's role, whose IAM the local cloud enforces (the
chunk's transaction, the batch send), and GET /datasets/{dataset_id} follows it to `succeeded`.
The manifests are read back from the data bucket with the data account's own credentials and held
to the objects.

Uses the session's shared deployment (worker_max_concurrency 2, the stack's default).
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
from randfile_localcloud.cloud import Cloud
from tests.e2e.api_client import signed_call

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("localcloud")]

FILES = 40
SIZE = 64 * 1024
DEADLINE_SECONDS = 300


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


def test_a_dataset_over_the_file_limit_is_refused_with_400(published: Published) -> None:
    status, answer = _call(published, "POST", "/datasets", {"count": 10_001, "size_bytes": 1})
    assert status == 400
    assert answer["error"]["code"] == "invalid_request"
    assert "count: must be between 1 and 10000" in answer["error"]["message"]
