"""50 concurrent calls through the demo's invoke path on the shared local cloud deployment.

Each call resolves the deployed wiring and runs the handler in its own process with the function
role's credentials, as `make invoke` does; the objects are then read back with the data account's
credentials.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import pytest

from localcloud import gateway
from randfile.content import Format
from randfile_localcloud.cloud import Cloud
from randfile_localcloud.settings import DATA_ACCOUNT_ID

# The two modules that call the API by the hundred share a deployment of their own (see conftest).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("localcloud_traffic")]

CALLS = 50
WORKERS = 10
# Calls take about a second each on an idle machine, several times that beside the other
# end-to-end groups of `make test` (the whole test took 125 s there): the bound only catches a hang.
# Speed is make bench's to measure, not a test's to assert.
TIME_LIMIT_SECONDS = 600.0


def _bodies() -> list[dict[str, Any]]:
    """Small files in every format, each of a different size."""
    formats = list(Format)
    return [
        {"size_bytes": 1000 + 37 * index, "format": formats[index % len(formats)].value}
        for index in range(CALLS)
    ]


def _object_versions(local: Cloud, bucket: str) -> set[tuple[str, str]]:
    pages = local.data().s3().get_paginator("list_object_versions").paginate(Bucket=bucket)
    return {
        (version["Key"], version["VersionId"])
        for page in pages
        for version in page.get("Versions", [])
    }


def test_fifty_concurrent_calls_write_fifty_distinct_objects(
    local: Cloud, outputs: dict[str, Any]
) -> None:
    bucket = outputs["bucket_name"]
    # A first call outside the pool: it creates the identities and boto3 clients the calls share
    # (creating clients from one session is not thread-safe).
    assert local.call(json.dumps({"size_bytes": 10, "format": "text"})).status == 201
    before = _object_versions(local, bucket)
    bodies = _bodies()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(local.call, json.dumps(body)) for body in bodies]
        _, pending = wait(futures, timeout=TIME_LIMIT_SECONDS)
        for future in pending:
            future.cancel()
    elapsed = time.monotonic() - started
    assert not pending, f"{len(pending)} of {CALLS} calls unfinished after {TIME_LIMIT_SECONDS} s"
    responses: list[gateway.Response] = [future.result() for future in futures]
    print(f"\n{CALLS} calls, {WORKERS} at a time: {elapsed:.1f} s, {CALLS / elapsed:.1f} calls/s")

    assert [response.status for response in responses] == [201] * CALLS, [
        response.body for response in responses if response.status != 201
    ]
    reports = [response.json() for response in responses]
    assert len({report["key"] for report in reports}) == CALLS
    for body, report, response in zip(bodies, reports, responses, strict=True):
        assert report["format"] == body["format"]
        assert report["size_bytes"] == body["size_bytes"]
        stored = local.verify(response)
        assert stored.owner_account == DATA_ACCOUNT_ID
        assert stored.size_bytes == body["size_bytes"]
        assert stored.sha256 == report["sha256"]
    # Exactly these 50 objects were added: nothing overwritten, nothing extra.
    added = _object_versions(local, bucket) - before
    assert {key for key, _ in added} == {report["key"] for report in reports}
    assert len(added) == CALLS
    s3 = local.data().s3()
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
