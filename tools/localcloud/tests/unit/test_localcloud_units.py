"""The local cloud's own logic, without an emulator: policies, generated files, the sandbox."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import localcloud
from localcloud import async_invoke, gateway, interpreters, runtime, stack, wiring
from localcloud.aws import Credentials, Identities, Identity
from localcloud.concurrency import Throttled
from localcloud.environments import Environments, FunctionHost
from localcloud.model import Caller, Function, Route
from localcloud.recorder import lambda_service
from localcloud.signing import AssumedRole

# The Python running the tests stands for the function's runtime: any version this package runs on.
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
EXAMPLE_STACK = stack.Stack(
    source=Path("infra"),
    root="stack",
    provider_aliases=("workload", "data"),
    backend=stack.Backend(
        bucket="tfstate",
        key="example/terraform.tfstate",
        region="eu-west-1",
        role_arn="arn:aws:iam::111111111111:role/deploy",
    ),
)


def test_the_override_points_every_provider_at_the_emulator_only() -> None:
    override = EXAMPLE_STACK.override_file("http://127.0.0.1:1234")

    for alias in EXAMPLE_STACK.provider_aliases:
        assert f'alias                       = "{alias}"' in override
    assert override.count('= "http://127.0.0.1:1234"') == 2 * len(stack.SERVICES)
    # The stack's own assume_role (into each account's deploy role) must stay in force.
    assert "assume_role" not in override
    assert 'access_key                  = "test"' in override
    assert "access_key" not in EXAMPLE_STACK.override_file("http://x", static_credentials=False)


def test_the_backend_assumes_its_role_unless_it_runs_as_ci() -> None:
    local = EXAMPLE_STACK.backend_config("http://127.0.0.1:1234")
    ci = EXAMPLE_STACK.backend_config("http://127.0.0.1:1234", key="other.tfstate", ci=True)

    assert 'bucket = "tfstate"' in local
    assert 'key = "example/terraform.tfstate"' in local
    assert 'assume_role = { role_arn = "arn:aws:iam::111111111111:role/deploy" }' in local
    assert 'key = "other.tfstate"' in ci
    assert "assume_role" not in ci
    assert "access_key" not in ci


def test_the_known_resource_types_pass(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_lambda_function" "f" {}\ndata "aws_iam_policy_document" "p" {}\n'
    )

    stack.check_services(tmp_path)


def test_an_unknown_resource_type_stops_the_deployment(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_ecs_cluster" "this" {}\n')

    with pytest.raises(stack.UnsupportedResourceError, match="aws_ecs_cluster"):
        stack.check_services(tmp_path)


FUNCTION = Function(
    name="example-worker",
    arn="arn:aws:lambda:eu-west-1:111111111111:function:example-worker",
    handler="example.worker.handler",
    runtime=RUNTIME,
    role_arn="arn:aws:iam::111111111111:role/example-function",
    timeout=900,
    memory_size=1769,
    environment={},
    code_sha256="x",
    tracing_mode="Active",
)


def test_the_function_process_sees_only_what_lambda_gives_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", "/root")
    monkeypatch.setenv("AWS_PROFILE", "developer")
    function = dataclasses.replace(FUNCTION, environment={"EXAMPLE_BUCKET": "b"})
    role = Identity("http://127.0.0.1:1", Credentials("ASIA1", "secret", "token"), "eu-north-1")

    environment = runtime.environment(function, role, tmp_path, "stream", "127.0.0.1:9001")

    assert environment["EXAMPLE_BUCKET"] == "b"
    assert environment["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:9001"
    assert environment["AWS_LAMBDA_LOG_STREAM_NAME"] == "stream"
    assert environment["_HANDLER"] == "example.worker.handler"
    # The function runs in its role's region, the stack's.
    assert environment["AWS_REGION"] == environment["AWS_DEFAULT_REGION"] == "eu-north-1"
    assert environment["LAMBDA_TASK_ROOT"] == str(tmp_path)
    assert environment["AWS_ACCESS_KEY_ID"] == "ASIA1"
    assert environment["AWS_SESSION_TOKEN"] == "token"
    assert environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert "HOME" not in environment
    assert "AWS_PROFILE" not in environment
    assert not any(
        name.startswith("PYTHON") and name != "PYTHONDONTWRITEBYTECODE" for name in environment
    )


@pytest.mark.parametrize(
    "module",
    ["localcloud.runtime", "localcloud.model", "localcloud.environments", "localcloud.runtime_api"],
)
def test_the_sandbox_does_not_import_the_api_gateway_router(module: str) -> None:
    """The Lambda side shares localcloud.model with the gateway, never the other way round."""
    listing = "print(' '.join(m for m in sys.modules if m.startswith('localcloud')))"
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys, {module}; {listing}"],
        capture_output=True,
        text=True,
        check=True,
        env={
            "PYTHONPATH": str(Path(localcloud.__file__).parent.parent),
            "PATH": "/usr/bin:/bin",
        },
    ).stdout.split()
    assert module in loaded
    router = {"localcloud.wiring", "localcloud.gateway", "localcloud.http_api"}
    assert router.isdisjoint(loaded), sorted(router & set(loaded))


def test_the_report_line_has_init_duration_on_a_cold_start_only() -> None:
    warm = runtime.Report("r-1", 12.345, 1769, 88)
    cold = dataclasses.replace(warm, init_duration_ms=456.789)

    assert warm.line() == (
        "REPORT RequestId: r-1\tDuration: 12.35 ms\tBilled Duration: 13 ms\t"
        "Memory Size: 1769 MB\tMax Memory Used: 88 MB"
    )
    assert cold.line() == f"{warm.line()}\tInit Duration: 456.79 ms"


def test_an_actively_traced_function_gets_a_trace_header_per_invocation() -> None:
    assert runtime.trace_id(dataclasses.replace(FUNCTION, tracing_mode="PassThrough")) is None
    first, second = runtime.trace_id(FUNCTION), runtime.trace_id(FUNCTION)
    assert first is not None
    assert first.startswith("Root=1-")
    assert first.endswith(";Sampled=1")
    assert first != second


# --- Asynchronous (Event) invocations -------------------------------------------------------------

QUEUE = "arn:aws:sqs:eu-west-1:111111111111:example-jobs-failed"


def test_the_retry_policy_is_the_event_invoke_config_or_lambdas_defaults() -> None:
    assert async_invoke.RetryPolicy.from_configuration(None) == async_invoke.RetryPolicy(2, 21600)
    configured = {
        "FunctionArn": FUNCTION.arn,
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": 60,
        "DestinationConfig": {"OnFailure": {"Destination": QUEUE}, "OnSuccess": {}},
    }
    assert async_invoke.RetryPolicy.from_configuration(configured) == async_invoke.RetryPolicy(
        0, 60, QUEUE
    )


def _invocation(outcome: dict[str, Any]) -> runtime.Invocation:
    return runtime.Invocation(
        "r", outcome, "log line\n", 1.0, interpreters.Interpreter("python3", "3.13.0", "PATH")
    )


def test_a_run_fails_on_an_unhandled_error_a_crash_or_a_timeout() -> None:
    def raising(message: str) -> runtime.Invocation:
        raise runtime.InvocationError(message)

    assert async_invoke.failure_of(lambda: _invocation({"result": None})) is None
    failure = async_invoke.failure_of(
        lambda: _invocation(
            {"error": {"errorType": "KeyError", "errorMessage": "'job_id'", "stackTrace": ["a"]}}
        )
    )
    assert failure == async_invoke.Failure("KeyError", "'job_id'", ("a",))
    timed_out = async_invoke.failure_of(lambda: raising("function f timed out after 3 seconds"))
    assert timed_out is not None
    assert timed_out.error_type == "Sandbox.Timedout"
    crashed = async_invoke.failure_of(lambda: raising("function f's runtime exited with -9"))
    assert crashed is not None
    assert crashed.error_type == "Runtime.ExitError"


def test_the_invocation_record_has_lambdas_documented_shape() -> None:
    record = async_invoke.invocation_record(
        request_id="req-1",
        function_arn=FUNCTION.arn,
        condition="RetriesExhausted",
        attempts=3,
        payload={"job_id": "01J0000000000000000000000"},
        failure=async_invoke.Failure("RuntimeError", "boom"),
        timestamp=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    )
    assert record == {
        "version": "1.0",
        "timestamp": "2026-01-02T03:04:05.678Z",
        "requestContext": {
            "requestId": "req-1",
            "functionArn": f"{FUNCTION.arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"job_id": "01J0000000000000000000000"},
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {"errorMessage": "boom", "errorType": "RuntimeError"},
    }


def test_a_queue_arn_becomes_the_emulators_queue_url() -> None:
    assert (
        async_invoke.queue_url("http://127.0.0.1:5000", QUEUE)
        == "http://127.0.0.1:5000/111111111111/example-jobs-failed"
    )
    with pytest.raises(ValueError, match="not an SQS queue ARN"):
        async_invoke.queue_url("http://127.0.0.1:5000", "arn:aws:sns:eu-west-1:1:topic")


class ScriptedInvoker(async_invoke.EventInvoker):
    """The retry loop with each attempt's result given and deliveries recorded, on a fake clock."""

    def __init__(
        self, results: list[async_invoke.Failure | Throttled | None], ages: list[float]
    ) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        super().__init__(
            FunctionHost(
                Identities("http://127.0.0.1:1", "eu-west-1"), Path("unused.zip"), Environments()
            ),
            retry_delay=1.0,
            clock=lambda: self.now,
        )
        self._sleep = self._advance
        self.results = results
        self.ages = ages
        self.delivered: list[tuple[str, int, async_invoke.Failure]] = []

    def _advance(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now = self.ages.pop(0)

    def _attempt(self, event: async_invoke.Event) -> async_invoke.Failure | None:
        del event
        result = self.results.pop(0)
        if isinstance(result, Throttled):
            raise result
        return result

    def _deliver(
        self,
        event: async_invoke.Event,
        condition: str,
        attempts: int,
        failure: async_invoke.Failure,
    ) -> None:
        del event
        self.delivered.append((condition, attempts, failure))


def _event(policy_: async_invoke.RetryPolicy) -> async_invoke.Event:
    return async_invoke.Event("req-1", FUNCTION, policy_, {"job_id": "x"}, 0.0)


BOOM = async_invoke.Failure("RuntimeError", "boom")


def test_a_failing_event_is_retried_as_configured_then_delivered() -> None:
    invoker = ScriptedInvoker([BOOM, BOOM, BOOM], ages=[60.0, 180.0])
    invoker.run(_event(async_invoke.RetryPolicy(2, 3600, QUEUE)))

    assert invoker.delivered == [("RetriesExhausted", 3, BOOM)]
    # Lambda waits longer before each retry (1 then 2 minutes; scaled here).
    assert invoker.slept == [1.0, 2.0]


def test_a_retry_that_succeeds_delivers_nothing() -> None:
    invoker = ScriptedInvoker([BOOM, None], ages=[60.0])
    invoker.run(_event(async_invoke.RetryPolicy(2, 3600, QUEUE)))

    assert invoker.delivered == []
    assert invoker.results == []


def test_no_retries_means_one_attempt() -> None:
    invoker = ScriptedInvoker([BOOM], ages=[])
    invoker.run(_event(async_invoke.RetryPolicy(0, 3600, QUEUE)))

    assert invoker.delivered == [("RetriesExhausted", 1, BOOM)]


def test_a_throttled_event_is_retried_without_counting_an_attempt() -> None:
    throttled = Throttled("Rate Exceeded.")
    invoker = ScriptedInvoker([throttled, throttled, BOOM, None], ages=[1.0, 2.0, 62.0])
    invoker.run(_event(async_invoke.RetryPolicy(1, 3600, QUEUE)))

    assert invoker.delivered == []
    assert invoker.results == []
    # Two throttles (1 s each), then the one retry the policy allows after the failure.
    assert invoker.slept == [async_invoke.THROTTLED_RETRY_SECONDS] * 2 + [1.0]


@pytest.mark.parametrize(
    ("older", "scale", "delay"), [("", "", 60.0), ("", "0.01", 0.6), ("2", "0.01", 2.0)]
)
def test_the_first_retry_delay_is_lambdas_minute_in_the_time_scale(
    monkeypatch: pytest.MonkeyPatch, older: str, scale: str, delay: float
) -> None:
    monkeypatch.setenv(async_invoke.RETRY_DELAY_VARIABLE, older)
    monkeypatch.setenv("LOCALCLOUD_TIME_SCALE", scale)
    assert async_invoke.first_retry_delay() == pytest.approx(delay)


def test_an_event_older_than_its_maximum_age_is_not_retried() -> None:
    invoker = ScriptedInvoker([BOOM, BOOM, BOOM], ages=[30.0, 61.0])
    invoker.run(_event(async_invoke.RetryPolicy(2, 60, QUEUE)))

    assert invoker.delivered == [("EventAgeExceeded", 2, BOOM)]
    assert len(invoker.results) == 1


# --- Path parameters (GET /files/{job_id}) --------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("/files", "/files", {}),
        (
            "/files/{job_id}",
            "/files/01J9Z3K8W5T7R2N4M6P8Q0S1V3",
            {"job_id": "01J9Z3K8W5T7R2N4M6P8Q0S1V3"},
        ),
        ("/files/{job_id}", "/files/", None),
        ("/files/{job_id}", "/files/a/b", None),
        ("/files/{job_id}", "/other/a", None),
        ("/files", "/files/a", None),
    ],
)
def test_a_resource_template_matches_one_segment_per_parameter(
    template: str, path: str, expected: dict[str, str] | None
) -> None:
    assert wiring.match_resource(template, path) == expected


def test_the_proxy_event_carries_the_template_and_the_path_parameters() -> None:
    route = Route(
        domain_name="api.example.test",
        base_path="",
        rest_api_id="abc123",
        stage_name="v1",
        resource_id="r1",
        resource_path="/files/{job_id}",
        path_parameters={"job_id": "01J9Z3K8W5T7R2N4M6P8Q0S1V3"},
        http_method="GET",
        authorization_type="AWS_IAM",
        api_key_required=True,
        method_arn="arn:aws:execute-api:eu-west-1:111111111111:abc123/v1/GET/files/01J9Z3K8W5T7R2N4M6P8Q0S1V3",
        policy=None,
        method={},
        api_key_id=None,
        function=FUNCTION,
    )
    caller = Caller("arn:aws:sts::111111111111:assumed-role/c/s", "111111111111", "ASIA1", None)

    event = gateway.proxy_event(route, "/files/01J9Z3K8W5T7R2N4M6P8Q0S1V3", "", {}, caller)

    assert event["resource"] == event["requestContext"]["resourcePath"] == "/files/{job_id}"
    assert event["path"] == "/files/01J9Z3K8W5T7R2N4M6P8Q0S1V3"
    assert event["pathParameters"] == {"job_id": "01J9Z3K8W5T7R2N4M6P8Q0S1V3"}
    assert event["httpMethod"] == "GET"


def test_the_recorder_tells_lambda_s_own_requests_from_a_deployer_s() -> None:
    role = "arn:aws:iam::111111111111:role/randfile-dev-function"
    poller = AssumedRole(role, "arn:aws:sts::111111111111:assumed-role/x/awslambda_worker")
    deployer = AssumedRole(role, "arn:aws:sts::111111111111:assumed-role/x/github-actions")
    assert lambda_service(poller, b"")
    assert not lambda_service(deployer, b"")
    assert lambda_service(None, b"Action=AssumeRole&RoleSessionName=awslambda_worker")
    assert not lambda_service(None, b"Action=AssumeRole&RoleSessionName=terraform")
