"""Lambda's asynchronous (``Event``) invocations, run for real inside the emulator process.

moto answers an Event invoke with 202 and, without Docker, runs nothing. Lambda queues the event,
answers 202 at once, runs the function, retries a failed run and finally hands the invocation
record to the on-failure destination. Here the same happens in a background thread of the
emulator: the function runs from the built zip under its execution role through
localcloud.runtime, as the gateway runs it; its output goes to its CloudWatch log group; a failure
(an unhandled error, a crash, a timeout) is retried as the function's event-invoke configuration
says, and then sent, as Lambda sends it, to an SQS on-failure destination.
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html

Lambda waits about one minute before the first retry and two before the second; here 60 s x
LOCALCLOUD_TIME_SCALE (localcloud.timescale), then twice that. LOCALCLOUD_EVENT_RETRY_DELAY_SECONDS,
the older setting, still sets the first delay in seconds when given. A throttled event (the
account's concurrency is spent) is retried every second without counting as an attempt, as Lambda
retries throttled events until the event's maximum age.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from moto.awslambda.models import LambdaFunction
from moto.awslambda.responses import LambdaResponse

from localcloud import runtime
from localcloud.aws import Identity
from localcloud.concurrency import Throttled
from localcloud.environments import FunctionHost, RoleNotAssumed
from localcloud.model import Function, function_from_configuration
from localcloud.timescale import scaled

logger = logging.getLogger(__name__)

# Without an event-invoke configuration Lambda retries twice and keeps an event six hours.
# https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
DEFAULT_RETRY_ATTEMPTS = 2
DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 21600
RETRY_DELAY_VARIABLE = "LOCALCLOUD_EVENT_RETRY_DELAY_SECONDS"
# "Lambda retries ... with a delay between attempts: up to 1 minute, then 2": the first delay.
FIRST_RETRY_DELAY_SECONDS = 60
THROTTLED_RETRY_SECONDS = 1.0


def first_retry_delay() -> float:
    """The delay before an Event invoke's first retry: the older variable when set, else Lambda's
    minute in the local time scale."""
    older = os.environ.get(RETRY_DELAY_VARIABLE, "").strip()
    return float(older) if older else scaled(FIRST_RETRY_DELAY_SECONDS)


@dataclass(frozen=True)
class RetryPolicy:
    """What the function's event-invoke configuration says about a failed event."""

    maximum_retry_attempts: int = DEFAULT_RETRY_ATTEMPTS
    maximum_event_age_seconds: int = DEFAULT_MAXIMUM_EVENT_AGE_SECONDS
    on_failure: str | None = None

    @classmethod
    def from_configuration(cls, config: Mapping[str, Any] | None) -> RetryPolicy:
        """From GetFunctionEventInvokeConfig's answer; None (no configuration): the defaults."""
        if not config:
            return cls()
        destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        return cls(
            maximum_retry_attempts=int(config.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS)),
            maximum_event_age_seconds=int(
                config.get("MaximumEventAgeInSeconds", DEFAULT_MAXIMUM_EVENT_AGE_SECONDS)
            ),
            on_failure=destination or None,
        )


@dataclass(frozen=True)
class Failure:
    """Why one run failed, as Lambda reports it in the invocation record."""

    error_type: str
    error_message: str
    stack_trace: tuple[str, ...] = ()

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"errorMessage": self.error_message, "errorType": self.error_type}
        if self.stack_trace:
            payload["stackTrace"] = list(self.stack_trace)
        return payload


def failure_of(run: Callable[[], runtime.Invocation]) -> Failure | None:
    """Run once: None when the handler returned, else what failed."""
    try:
        invocation = run()
    except runtime.InvocationError as error:
        message = str(error)
        kind = "Sandbox.Timedout" if "timed out" in message else "Runtime.ExitError"
        return Failure(kind, message)
    unhandled = invocation.outcome.get("error")
    if unhandled is None:
        return None
    return Failure(
        str(unhandled.get("errorType", "Error")),
        str(unhandled.get("errorMessage", "")),
        tuple(str(line) for line in unhandled.get("stackTrace", [])),
    )


def invocation_record(
    *,
    request_id: str,
    function_arn: str,
    condition: str,
    attempts: int,
    payload: Any,
    failure: Failure,
    timestamp: datetime,
) -> dict[str, Any]:
    """The record Lambda sends to an on-failure destination (the documented shape)."""
    return {
        "version": "1.0",
        "timestamp": timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function_arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": payload,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": failure.payload(),
    }


def queue_url(endpoint_url: str, queue_arn: str) -> str:
    """The emulator's URL of an SQS queue named by its ARN."""
    parts = queue_arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise ValueError(f"{queue_arn} is not an SQS queue ARN")
    return f"{endpoint_url}/{parts[4]}/{parts[5]}"


@dataclass(frozen=True)
class Event:
    request_id: str
    function: Function
    policy: RetryPolicy
    payload: Any
    received: float


class EventInvoker:
    """Runs Event invokes in background threads; ``submit`` returns at once."""

    def __init__(
        self,
        host: FunctionHost,
        *,
        retry_delay: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._host = host
        self._retry_delay = first_retry_delay() if retry_delay is None else retry_delay
        self._clock = clock
        self._sleep = sleep
        self._threads: list[threading.Thread] = []

    def submit(self, function: Function, policy: RetryPolicy, body: bytes | str) -> str:
        request_id = str(uuid.uuid4())
        payload = json.loads(body) if body else {}
        event = Event(request_id, function, policy, payload, self._clock())
        thread = threading.Thread(
            target=self.run, args=(event,), name=f"event-{function.name}-{request_id}", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return request_id

    def wait(self, timeout: float) -> bool:
        """Wait for the runs under way (tests); True when none is left."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def run(self, event: Event) -> None:
        """The attempts of one event, then its record to the destination if all failed."""
        function, policy = event.function, event.policy
        attempts = 0
        while True:
            try:
                failure = self._attempt(event)
            except Throttled:
                if self._clock() - event.received > policy.maximum_event_age_seconds:
                    failure = Failure("Lambda.TooManyRequestsException", "Rate Exceeded.")
                    condition = "EventAgeExceeded"
                    break
                self._sleep(THROTTLED_RETRY_SECONDS)
                continue
            attempts += 1
            if failure is None:
                logger.info("event %s of %s: succeeded", event.request_id, function.name)
                return
            logger.warning(
                "event %s of %s: attempt %d failed: %s: %s",
                event.request_id,
                function.name,
                attempts,
                failure.error_type,
                failure.error_message.splitlines()[0] if failure.error_message else "",
            )
            if attempts > policy.maximum_retry_attempts:
                condition = "RetriesExhausted"
                break
            self._sleep(self._retry_delay * attempts)
            if self._clock() - event.received > policy.maximum_event_age_seconds:
                condition = "EventAgeExceeded"
                break
        self._deliver(event, condition, attempts, failure)

    def _role(self, function: Function) -> Identity:
        # Lambda runs the function, and sends its records, with its execution role.
        return self._host.identities.assume(function.role_arn, function.name)

    def _attempt(self, event: Event) -> Failure | None:
        function = event.function
        try:
            # The run's output goes to the function's log group, as Lambda writes it.
            return failure_of(
                lambda: self._host.invoke(function, event.payload, request_id=event.request_id)
            )
        # An execution role Lambda cannot assume fails the attempt, as on AWS.
        except RoleNotAssumed as error:
            return Failure("Lambda.AccessDenied", str(error))

    def _deliver(self, event: Event, condition: str, attempts: int, failure: Failure) -> None:
        destination = event.policy.on_failure
        if destination is None:
            logger.error(
                "event %s of %s dropped (%s): no on-failure destination",
                event.request_id,
                event.function.name,
                condition,
            )
            return
        record = invocation_record(
            request_id=event.request_id,
            function_arn=event.function.arn,
            condition=condition,
            attempts=attempts,
            payload=event.payload,
            failure=failure,
            timestamp=datetime.now(UTC),
        )
        if destination.split(":")[2] != "sqs":
            logger.error(
                "event %s: on-failure destination %s is not an SQS queue, which is all the local "
                "cloud delivers to; record: %s",
                event.request_id,
                destination,
                json.dumps(record),
            )
            return
        try:
            self._role(event.function).sqs().send_message(
                QueueUrl=queue_url(self._host.identities.endpoint_url, destination),
                MessageBody=json.dumps(record),
            )
        except Exception:
            logger.exception("event %s: could not deliver to %s", event.request_id, destination)
            return
        logger.info("event %s: record sent to %s (%s)", event.request_id, destination, condition)


def install(invoker: EventInvoker) -> None:
    """Route moto's Invoke with ``X-Amz-Invocation-Type: Event`` to ``invoker``."""
    original = LambdaResponse.invoke

    def invoke(self: LambdaResponse) -> Any:
        if self.headers.get("X-Amz-Invocation-Type") != "Event":
            return original(self)
        name = unquote(self.path.rsplit("/", 2)[-2])
        found: LambdaFunction = self.backend.get_function(name, self._get_param("qualifier"))
        config = found.event_invoke_config[0].response() if found.event_invoke_config else None
        invoker.submit(
            function_from_configuration(found.get_configuration()),
            RetryPolicy.from_configuration(config),
            self.body,
        )
        # moto's server takes the status from the "status" header, as its own invoke sets it.
        # The request id header is moto's own (it overwrites any other): the event's request id,
        # kept over its retries, is in the function's context and the invocation record.
        return 202, {"status": "202", "content-type": "application/json"}, ""

    LambdaResponse.invoke = invoke  # type: ignore[method-assign]
