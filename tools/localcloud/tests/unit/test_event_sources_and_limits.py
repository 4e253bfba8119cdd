"""The pure decisions behind the SQS poller, its validation, the account concurrency, the time
scale and the fault rules: no emulator, no process."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from localcloud import esm_validation, gateway
from localcloud.aws import Identities
from localcloud.concurrency import AccountConcurrency, Throttled
from localcloud.control import ControlEndpoint
from localcloud.environments import Environments, FunctionHost
from localcloud.fault_injection import FaultRules
from localcloud.faults import FaultRule
from localcloud.http_api import FrontDoor
from localcloud.model import Function
from localcloud.sqs_event_source import kept_messages, record
from localcloud.timescale import time_scale

if TYPE_CHECKING:
    from localcloud.aws import Identity
    from localcloud.model import Caller, Route

pytestmark = pytest.mark.unit

IDS = ["m1", "m2"]


@pytest.mark.parametrize(
    "answer", [None, {}, "", {"batchItemFailures": None}, {"batchItemFailures": []}]
)
def test_an_empty_answer_is_a_complete_success(answer: Any) -> None:
    assert kept_messages(answer, IDS) == []


def test_the_named_items_stay_on_the_queue() -> None:
    assert kept_messages({"batchItemFailures": [{"itemIdentifier": "m2"}]}, IDS) == ["m2"]


@pytest.mark.parametrize(
    "answer",
    [
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"messageId": "m1"}]},
        {"batchItemFailures": [{"itemIdentifier": "m3"}]},
        {"batchItemFailures": "m1"},
        ["m1"],
    ],
)
def test_an_invalid_answer_fails_the_whole_batch(answer: Any) -> None:
    assert kept_messages(answer, IDS) is None


def test_a_record_has_the_documented_shape() -> None:
    message = {
        "MessageId": "id-1",
        "ReceiptHandle": "handle",
        "Body": "{}",
        "MD5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "Attributes": {
            "ApproximateReceiveCount": 1,
            "SentTimestamp": "1",
            "SenderId": "AIDA",
            "ApproximateFirstReceiveTimestamp": "2",
        },
        "MessageAttributes": {"kind": {"StringValue": "job", "DataType": "String"}},
    }
    assert record(message, "arn:aws:sqs:eu-west-1:111111111111:jobs") == {
        "messageId": "id-1",
        "receiptHandle": "handle",
        "body": "{}",
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1",
            "SenderId": "AIDA",
            "ApproximateFirstReceiveTimestamp": "2",
        },
        "messageAttributes": {
            "kind": {
                "stringValue": "job",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        },
        "md5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:111111111111:jobs",
        "awsRegion": "eu-west-1",
    }


def _problem(
    spec: dict[str, Any], visibility: int = 60, timeout: int = 30, allowed: set[str] | None = None
) -> str | None:
    refusal = esm_validation.problem(
        spec,
        queue_visibility_seconds=visibility,
        function_timeout_seconds=timeout,
        role_allows=(lambda action: action in allowed) if allowed is not None else None,
    )
    return None if refusal is None else f"{refusal.code}: {refusal.message}"


def test_a_mapping_aws_accepts_passes() -> None:
    spec = {"BatchSize": 1, "ScalingConfig": {"MaximumConcurrency": 2}}
    assert _problem(spec, allowed=set(esm_validation.REQUIRED_ACTIONS)) is None


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"ScalingConfig": {"MaximumConcurrency": 1}},
            "ValidationException: Member must have value greater than or equal to 2",
        ),
        (
            {"ScalingConfig": {"MaximumConcurrency": 1001}},
            "ValidationException: Member must have value less than or equal to 1000",
        ),
        (
            {"BatchSize": 11},
            "InvalidParameterValueException: Maximum batch window in seconds must be greater than "
            "0 if maximum batch size is greater than 10",
        ),
    ],
)
def test_out_of_range_settings_are_refused(spec: dict[str, Any], expected: str) -> None:
    assert _problem(spec) == expected


def test_a_batch_over_ten_with_a_window_passes() -> None:
    assert _problem({"BatchSize": 100, "MaximumBatchingWindowInSeconds": 1}) is None


def test_a_visibility_below_the_timeout_is_refused() -> None:
    assert _problem({}, visibility=29, timeout=30) == (
        "InvalidParameterValueException: Queue visibility timeout: 29 seconds is less than "
        "Function timeout: 30 seconds"
    )
    assert _problem({}, visibility=30, timeout=30) is None


def test_the_first_missing_permission_is_named() -> None:
    assert _problem({}, allowed={"ReceiveMessage", "GetQueueAttributes"}) == (
        "InvalidParameterValueException: The provided execution role does not have permissions "
        "to call DeleteMessage on SQS"
    )


def _function(name: str, account: str = "111111111111") -> Function:
    return Function(
        name=name,
        arn=f"arn:aws:lambda:eu-west-1:{account}:function:{name}",
        handler="h.h",
        runtime="python3",
        role_arn=f"arn:aws:iam::{account}:role/r",
        timeout=3,
        memory_size=128,
        environment={},
        code_sha256="x",
        tracing_mode="PassThrough",
    )


def test_the_account_limit_throttles_and_records_the_peak() -> None:
    concurrency = AccountConcurrency(limit=2)
    api, worker = _function("api"), _function("worker")
    first, second = concurrency.acquire(api), concurrency.acquire(worker)
    with pytest.raises(Throttled):
        concurrency.acquire(api)
    assert concurrency.try_acquire(_function("api", "222222222222")) is not None
    concurrency.release(second)
    concurrency.release(concurrency.acquire(api))
    concurrency.release(first)
    assert concurrency.figures()["111111111111"] == {
        "api": {"running": 0, "peak": 2},
        "worker": {"running": 0, "peak": 1},
    }


def test_reserved_concurrency_is_set_aside() -> None:
    # Account limit 10, the worker reserves 8: the others share 2, the worker never gets more.
    concurrency = AccountConcurrency(
        limit=10, reservations={"111111111111": {"worker": 8}}.__getitem__
    )
    held = [concurrency.acquire(_function("api")) for _ in range(2)]
    assert concurrency.try_acquire(_function("other")) is None
    workers = [concurrency.acquire(_function("worker")) for _ in range(8)]
    assert concurrency.try_acquire(_function("worker")) is None
    assert len(held) + len(workers) == 10


@pytest.mark.parametrize(("value", "scale"), [("", 1.0), ("0.01", 0.01), ("2", 2.0)])
def test_the_time_scale(value: str, scale: float) -> None:
    assert time_scale(value) == scale


@pytest.mark.parametrize("value", ["0", "-1", "abc"])
def test_a_bad_time_scale_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match=r"LOCALCLOUD_TIME_SCALE|could not convert"):
        time_scale(value)


def test_a_rule_fires_from_its_occurrence_for_its_times() -> None:
    rules = FaultRules()
    installed = rules.add(
        FaultRule(function="f", action="s3:UploadPart", effect="error", occurrence=2, times=2)
    )
    candidates = rules.of_function("f")
    fired = [
        rules.fire(candidates, {"s3:UploadPart", "s3:PutObject"}, "") is not None for _ in range(5)
    ]
    assert fired == [False, True, True, False, False]
    assert (installed.matched, installed.hits) == (5, 2)
    assert rules.fire(candidates, {"s3:PutObject"}, "") is None
    assert rules.of_function("g") == []


def test_a_body_condition_narrows_a_rule() -> None:
    rules = FaultRules()
    rules.add(
        FaultRule(function="f", action="sqs:SendMessage", effect="kill", body_contains="job-7")
    )
    candidates = rules.of_function("f")
    assert rules.fire(candidates, {"sqs:SendMessage"}, '{"job_id": "job-6"}') is None
    assert rules.fire(candidates, {"sqs:SendMessage"}, '{"job_id": "job-7"}') is not None


def test_contains_narrows_a_rule_to_one_object_or_item_among_many() -> None:
    rules = FaultRules()
    rules.add(
        FaultRule(
            function="f",
            action="dynamodb:UpdateItem",
            effect="kill",
            contains=["job#01A", ":succeeded"],
        )
    )
    rules.add(
        FaultRule(function="f", action="s3:UploadPart", effect="kill", contains=["a/b c.bin"])
    )
    candidates = rules.of_function("f")
    update = {"dynamodb:UpdateItem"}
    assert rules.fire(candidates, update, '{"Key": {"id": {"S": "job#01B"}}, ":succeeded"}') is None
    assert rules.fire(candidates, update, '{"Key": {"id": {"S": "job#01A"}}, ":running"}') is None
    assert rules.fire(candidates, update, '{"id": "job#01A", ":succeeded": 1}') is not None
    # An S3 request's key is in its path (decoded), not its body.
    part = {"s3:UploadPart", "s3:PutObject"}
    assert rules.fire(candidates, part, "", "/bucket/a/b other.bin?partNumber=1") is None
    assert rules.fire(candidates, part, "", "/bucket/a/b c.bin?partNumber=2") is not None


def control_call(
    endpoint: ControlEndpoint, method: str, path: str, body: Any = None
) -> tuple[str, Any]:
    environ = EnvironBuilder(method=method, path=path, json=body).get_environ()
    answer: dict[str, str] = {}

    def start_response(status: str, headers: Any) -> None:
        del headers
        answer["status"] = status

    document = json.loads(b"".join(endpoint(environ, start_response)))
    return answer["status"], document


def nothing_behind(environ: Any, start_response: Any) -> list[bytes]:
    """The app behind the control endpoint, which these requests never reach."""
    del environ, start_response
    raise AssertionError("a control request went past the control endpoint")


def test_the_settings_change_while_the_emulator_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # Set, so that the test's end restores what was there: the endpoint writes the variable.
    monkeypatch.setenv("LOCALCLOUD_TIME_SCALE", "1")
    concurrency = AccountConcurrency(limit=1000)
    endpoint = ControlEndpoint(nothing_behind, FaultRules(), concurrency)
    status, now = control_call(
        endpoint, "PUT", "/_localcloud/settings", {"time_scale": 0.02, "account_concurrency": 10}
    )
    assert (status, now) == ("200 OK", {"time_scale": 0.02, "account_concurrency": 10})
    assert (time_scale(), concurrency.limit) == (0.02, 10)
    # A bad value changes nothing, the good one beside it included.
    status, refused = control_call(
        endpoint, "PUT", "/_localcloud/settings", {"time_scale": 0.5, "account_concurrency": 0}
    )
    assert status == "400 Bad Request"
    assert "LOCALCLOUD_ACCOUNT_CONCURRENCY" in refused["message"]
    assert (time_scale(), concurrency.limit) == (0.02, 10)
    status, _ = control_call(endpoint, "PUT", "/_localcloud/settings", {"speed": 2})
    assert status == "400 Bad Request"


@pytest.mark.parametrize(
    "document",
    [
        {"function": "f", "action": "s3:PutObject", "effect": "explode"},
        {"function": "f", "action": "s3:PutObject", "effect": "kill", "when": "during"},
        {"function": "f", "action": "PutObject", "effect": "kill"},
        {"function": "f", "action": "s3:PutObject", "effect": "kill", "times": 0},
        {"function": "f", "action": "s3:PutObject", "effect": "kill", "colour": "red"},
    ],
)
def test_an_invalid_rule_is_refused(document: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"effect|when|action|count from 1|unknown fields"):
        FaultRule.from_json(document)


def test_api_gateway_answers_a_throttled_lambda_with_500(monkeypatch: pytest.MonkeyPatch) -> None:
    def throttled(*args: Any, **kwargs: Any) -> Any:
        raise Throttled("Rate Exceeded.")

    monkeypatch.setattr(gateway, "invoke", throttled)
    front_door = FrontDoor(
        FunctionHost(
            Identities("http://127.0.0.1:9", "eu-west-1"), Path("unused.zip"), Environments()
        ),
        gateway_role_arn="arn:aws:iam::111111111111:role/gateway",
    )
    route = SimpleNamespace(gateway_responses={})
    answer = front_door._integrate(
        cast("Identity", None),
        cast("Route", route),
        caller=cast("Caller", None),
        request=Request(EnvironBuilder(path="/files", method="POST").get_environ()),
        body=b"{}",
        request_id="r-1",
    )
    assert answer.status_code == 500
    assert json.loads(answer.get_data()) == {"message": "Internal server error"}
    assert answer.headers["x-amzn-ErrorType"] == "InternalServerErrorException"


def test_a_poller_s_receive_holds_a_slot_but_is_no_execution() -> None:
    concurrency = AccountConcurrency(limit=3)
    worker = _function("worker")
    running = [concurrency.acquire(worker), concurrency.acquire(worker)]
    receiving = concurrency.try_acquire(worker, executing=False)
    assert receiving is not None
    # The account's limit counts it (Lambda receives only what it can invoke)...
    assert concurrency.try_acquire(worker) is None
    # ...but the figures count executions only: a receive that finds nothing ran nothing.
    assert concurrency.figures()["111111111111"]["worker"] == {"running": 2, "peak": 2}
    concurrency.release(receiving)
    started = concurrency.try_acquire(worker, executing=False)
    assert started is not None
    concurrency.executes(started)
    assert concurrency.figures()["111111111111"]["worker"] == {"running": 3, "peak": 3}
    for slot in [*running, started]:
        concurrency.release(slot)
    assert concurrency.figures()["111111111111"]["worker"]["running"] == 0
