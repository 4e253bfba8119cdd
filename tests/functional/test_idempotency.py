"""POST /files with an Idempotency-Key: the handler on moto, the keys' records in the jobs table."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from randfile.aws import s3_client
from randfile.handler import handler
from tests.events import api_event
from tests.functional.conftest import BUCKET, FakeContext, JobQueues, TwoAccounts

KEY = '"8e03978e-40d5-43e8-bc93-6894a57f9324"'


def call(
    body: Any, key: str | None = KEY, api_key_id: str = "k1l2m3n4o5"
) -> tuple[int, dict[str, Any], dict[str, str]]:
    headers = {"Content-Type": "application/json", "Host": "randfile.local.test"}
    if key is not None:
        headers["Idempotency-Key"] = key
    event = api_event(body, headers=headers)
    event["requestContext"] = copy.deepcopy(event["requestContext"])
    event["requestContext"]["identity"]["apiKeyId"] = api_key_id
    response = handler(event, FakeContext())
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def objects(accounts: TwoAccounts) -> list[str]:
    listed = accounts.data_s3().list_object_versions(Bucket=BUCKET)
    return [version["Key"] for version in listed.get("Versions", [])]


def test_a_retried_post_answers_the_same_file_and_writes_one_object(
    with_jobs: TwoAccounts,
) -> None:
    first = call({"size_bytes": 2048, "format": "csv"})
    again = call({"size_bytes": 2048, "format": "csv"})

    assert first[0] == again[0] == 201, (first, again)
    assert first[1] == again[1]
    assert objects(with_jobs) == [first[1]["key"]]


def test_a_retried_job_answers_the_same_job_and_starts_one_worker(
    with_jobs: TwoAccounts, job_queues: JobQueues
) -> None:
    first = call({"size_bytes": 10, "mode": "async"})
    again = call({"size_bytes": 10, "mode": "async"})

    assert first[0] == again[0] == 202, (first, again)
    assert first[1] == again[1]
    assert again[2]["Location"] == first[1]["status_url"]
    assert job_queues.bodies() == [{"job_id": first[1]["job_id"]}]


def test_the_same_key_with_another_request_is_422(with_jobs: TwoAccounts) -> None:
    call({"size_bytes": 2048})
    status, body, _ = call({"size_bytes": 4096})

    assert (status, body["error"]["code"]) == (422, "idempotency_key_reused")
    assert len(objects(with_jobs)) == 1


def test_keys_are_per_caller(with_jobs: TwoAccounts) -> None:
    first = call({"size_bytes": 2048}, api_key_id="caller-one")
    other = call({"size_bytes": 2048}, api_key_id="caller-two")

    assert first[0] == other[0] == 201
    assert first[1]["key"] != other[1]["key"]
    assert len(objects(with_jobs)) == 2


def test_a_request_that_failed_is_run_again_on_its_retry(with_jobs: TwoAccounts) -> None:
    failures = [0]

    def fail_once(**_: Any) -> None:
        if not failures[0]:
            failures[0] += 1
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "slow"}}, "PutObject")

    s3_client().meta.events.register("before-call.s3.PutObject", fail_once)
    failed = call({"size_bytes": 2048})
    retried = call({"size_bytes": 2048})

    assert failed[0] == 503, failed
    assert retried[0] == 201, retried
    assert objects(with_jobs) == [retried[1]["key"]]


def test_a_retry_while_the_first_runs_is_409_with_retry_after(with_jobs: TwoAccounts) -> None:
    during: list[tuple[int, dict[str, Any], dict[str, str]]] = []

    def retry_meanwhile(**_: Any) -> None:
        if not during:
            during.append(call({"size_bytes": 2048}))

    s3_client().meta.events.register("before-call.s3.PutObject", retry_meanwhile)
    first = call({"size_bytes": 2048})

    [(status, body, headers)] = during
    assert (status, body["error"]["code"]) == (409, "idempotency_key_in_use")
    assert int(headers["Retry-After"]) > 0
    assert first[0] == 201
    assert objects(with_jobs) == [first[1]["key"]]


def test_without_a_key_every_post_is_new(with_jobs: TwoAccounts) -> None:
    call({"size_bytes": 2048}, key=None)
    call({"size_bytes": 2048}, key=None)
    assert len(objects(with_jobs)) == 2


@pytest.mark.parametrize("key", ['""', '"two words\\x"', "two words", "x" * 256, '"unclosed'])
def test_a_malformed_key_is_400_and_writes_nothing(with_jobs: TwoAccounts, key: str) -> None:
    status, body, _ = call({"size_bytes": 2048}, key=key)
    assert (status, body["error"]["code"]) == (400, "invalid_request")
    assert "Idempotency-Key" in body["error"]["message"]
    assert objects(with_jobs) == []
