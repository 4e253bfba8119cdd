"""Lambda's SQS event source mappings, polled in the emulator process as Lambda polls them.

moto runs an SQS mapping synchronously inside SendMessage, which without Docker cannot run the
function; ``install`` turns that off and ``SqsPoller`` polls instead, as Lambda does
(https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html):

- every enabled mapping of an SQS queue is polled with the function's **execution role** (the
  authorizer holds it to sqs:ReceiveMessage, DeleteMessage, GetQueueAttributes as AWS does);
- a batch is up to ``BatchSize`` messages gathered for up to ``MaximumBatchingWindowInSeconds``
  (scaled, localcloud.timescale); the event is AWS's documented shape (``Records[]``);
- the messages are invisible for the queue's visibility timeout (scaled) while the function runs;
- success deletes the batch; with ``ReportBatchItemFailures`` the function's
  ``batchItemFailures`` stay, the rest is deleted, and an invalid answer fails the whole batch
  (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html); a function
  error, crash or timeout deletes nothing: the messages come back after their visibility timeout,
  and moto's redrive moves one to the dead-letter queue once it has been received
  ``maxReceiveCount`` times;
- ``ScalingConfig.MaximumConcurrency`` caps the mapping's concurrent invocations, and the
  account's concurrency (localcloud.concurrency) is taken *before* receiving: Lambda does not
  receive what it cannot invoke
  (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html);
- mappings created, updated (Enabled, BatchSize, ...) and deleted while the emulator runs are
  picked up within ``RESCAN_SECONDS``.

Not modelled: FIFO queues' message-group ordering, FilterCriteria, Lambda's scaling ramp (it
adds up to 300 concurrent invocations a minute; here it starts all it may at once), the 6 MB
payload limit of a batch.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda.models import EventSourceMapping, LambdaBackend, lambda_backends
from moto.core.utils import unix_time_millis
from moto.sqs.exceptions import QueueDoesNotExist
from moto.sqs.models import sqs_backends

from localcloud import esm_validation, runtime
from localcloud.async_invoke import failure_of, queue_url
from localcloud.aws import Identity
from localcloud.concurrency import Slot
from localcloud.environments import FunctionHost, RoleNotAssumed
from localcloud.model import Function, function_from_configuration
from localcloud.recorder import LAMBDA_SESSION_PREFIX
from localcloud.timescale import scaled

logger = logging.getLogger(__name__)

RESCAN_SECONDS = 0.5
"""How often the mappings are listed again (new, changed, deleted)."""
IDLE_POLL_SECONDS = 0.2
"""Between receives of an empty queue (Lambda long-polls; this is the local equivalent)."""

# Lambda's default maximum concurrency for an SQS mapping without ScalingConfig is the
# account's: here the account concurrency alone caps it.
UNCAPPED = 1_000_000
FAILED_POLL_SECONDS = 5.0
MAX_MESSAGES_PER_RECEIVE = 10


def _sqs_mappings() -> Iterator[EventSourceMapping]:
    """Every SQS event source mapping of every account and region moto holds."""
    # .items() of moto's dicts, never [...]: indexing would create backends.
    for regions in list(lambda_backends.values()):
        for backend in list(regions.values()):
            for mapping in list(backend._event_source_mappings.values()):
                if mapping.event_source_arn.split(":")[2] == "sqs":
                    yield mapping


def record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """One SQS message as Lambda hands it to the function (with-sqs.html, "Example standard queue
    message event")."""
    attributes = message.get("Attributes", {})
    message_attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value["DataType"],
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    for value in message_attributes.values():
        for key in ("stringValue", "binaryValue"):
            if value[key] is None:
                del value[key]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            name: str(attributes[name])
            for name in (
                "ApproximateReceiveCount",
                "SentTimestamp",
                "SenderId",
                "ApproximateFirstReceiveTimestamp",
                "MessageGroupId",
                "MessageDeduplicationId",
                "SequenceNumber",
            )
            if name in attributes
        },
        "messageAttributes": message_attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


def kept_messages(result: Any, message_ids: list[str]) -> list[str] | None:
    """The message ids a ReportBatchItemFailures answer keeps on the queue; None when the answer
    fails the whole batch. Success: no answer, an empty one, a null or empty batchItemFailures.
    Whole failure: an identifier that is empty, null, under another key, or not in the batch
    (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html)."""
    if not result:
        return []
    failures = result.get("batchItemFailures") if isinstance(result, dict) else result
    if failures is None:
        return []
    if not isinstance(failures, list):
        return None
    kept: list[str] = []
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in message_ids:
            return None
        kept.append(identifier)
    return kept


@dataclass(frozen=True)
class _Batch:
    """Messages received for one invocation, and what they were received with."""

    mapping: EventSourceMapping
    function: Function
    role: Identity
    messages: list[dict[str, Any]]
    slot: Slot


@dataclass
class _MappingState:
    """What the poller keeps for one mapping between scans."""

    uuid: str
    in_flight: int = 0
    invocations: int = 0
    last_receive_empty: bool = False
    stop: threading.Event = field(default_factory=threading.Event)


class SqsPoller:
    """Polls every enabled SQS mapping in threads of the emulator process."""

    def __init__(self, host: FunctionHost) -> None:
        self._host = host
        self._lock = threading.Condition()
        self._states: dict[str, _MappingState] = {}
        self._retired: list[_MappingState] = []
        self._roles: dict[str, tuple[Identity, float]] = {}
        self._stopped = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._scan_forever, name="sqs-esm-scan", daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()

    # --- what the control endpoint reports ----------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Per mapping: in-flight invocations, invocations so far, whether its last look or
        receive found nothing on the queue; ``idle``: nothing in flight and every mapping's
        last look or receive empty."""
        with self._lock:
            self._retired = [state for state in self._retired if state.in_flight]
            mappings = {
                state.uuid: {
                    "in_flight": state.in_flight,
                    "invocations": state.invocations,
                    "last_receive_empty": state.last_receive_empty,
                }
                for state in self._states.values()
            }
            # A disabled or deleted mapping's invocations under way still count, by mapping, so
            # that a caller can wait for a deleted mapping's last invocation to end (on AWS a
            # deleted mapping stays `Deleting` while its invocations finish).
            retired: dict[str, int] = {}
            for state in self._retired:
                retired[state.uuid] = retired.get(state.uuid, 0) + state.in_flight
        idle = not retired and all(
            m["in_flight"] == 0 and m["last_receive_empty"] for m in mappings.values()
        )
        return {"idle": idle, "mappings": mappings, "retired_in_flight": retired}

    # --- scanning -----------------------------------------------------------------------------

    def _scan_forever(self) -> None:
        while not self._stopped.wait(RESCAN_SECONDS):
            try:
                self._scan()
            except Exception:
                logger.exception("scanning the event source mappings failed")

    def _scan(self) -> None:
        live = {m.uuid: m for m in _sqs_mappings() if m.enabled}
        with self._lock:
            for mapping_id in list(self._states):
                state = self._states[mapping_id]
                if mapping_id not in live or state.stop.is_set():
                    # Disabled, deleted, or its poller stopped: a new state if it comes back;
                    # the invocations under way finish on the old one.
                    state.stop.set()
                    del self._states[mapping_id]
                    self._retired.append(state)
            for mapping_id in set(live) - set(self._states):
                state = _MappingState(mapping_id)
                self._states[mapping_id] = state
                threading.Thread(
                    target=self._poll,
                    args=(state,),
                    name=f"sqs-esm-{mapping_id}",
                    daemon=True,
                ).start()

    @staticmethod
    def _mapping(mapping_id: str) -> EventSourceMapping | None:
        """The mapping as it is now (its settings may have changed), or None once gone/disabled."""
        for mapping in _sqs_mappings():
            if mapping.uuid == mapping_id:
                return mapping if mapping.enabled else None
        return None

    # --- one mapping --------------------------------------------------------------------------

    def _poll(self, state: _MappingState) -> None:
        while not state.stop.is_set() and not self._stopped.is_set():
            mapping = self._mapping(state.uuid)
            if mapping is None:
                state.stop.set()
                break
            try:
                worked = self._poll_once(state, mapping)
            except Exception:
                # E.g. the role may not receive: Lambda keeps trying, so does the poller, slower.
                logger.exception("event source mapping %s: polling failed", state.uuid)
                state.stop.wait(FAILED_POLL_SECONDS)
                continue
            if not worked:
                state.stop.wait(IDLE_POLL_SECONDS)

    def _function(self, mapping: EventSourceMapping) -> Function:
        account_id, region = mapping.function_arn.split(":")[4], mapping.function_arn.split(":")[3]
        found = lambda_backends[account_id][region].get_function(mapping.function_arn)
        return function_from_configuration(found.get_configuration())

    def _role(self, function: Function) -> Identity:
        """The execution role's credentials the poller receives and deletes with, renewed before
        they expire."""
        cached = self._roles.get(function.role_arn)
        if cached is not None and cached[1] > time.monotonic() + 300:
            return cached[0]
        identity = self._host.identities.assume(
            function.role_arn, f"{LAMBDA_SESSION_PREFIX}{function.name}"[:64]
        )
        self._roles[function.role_arn] = (identity, time.monotonic() + 3600)
        return identity

    def _poll_once(self, state: _MappingState, mapping: EventSourceMapping) -> bool:
        """Receive one batch and start its invocation; False when nothing was started."""
        if not self._anything_visible(mapping.event_source_arn):
            with self._lock:
                state.last_receive_empty = True
            return False
        maximum = int((mapping.scaling_config or {}).get("MaximumConcurrency") or UNCAPPED)
        with self._lock:
            if state.in_flight >= maximum:
                return False
        function = self._function(mapping)
        # The account's concurrency first: Lambda does not receive what it cannot invoke.
        slot = self._host.environments.concurrency.try_acquire(function, executing=False)
        if slot is None:
            return False
        try:
            role = self._role(function)
            messages = self._receive(role, mapping)
        except Exception:
            self._host.environments.concurrency.release(slot)
            raise
        with self._lock:
            state.last_receive_empty = not messages
        if messages and (state.stop.is_set() or self._mapping(state.uuid) is None):
            # Disabled or deleted during the receive (the scan that stops this poller may not
            # have run yet): the messages go back, nothing runs.
            self._hide(mapping.event_source_arn, messages, 0)
            messages = []
        if not messages:
            self._host.environments.concurrency.release(slot)
            return False
        self._host.environments.concurrency.executes(slot)
        with self._lock:
            state.in_flight += 1
            state.invocations += 1
        threading.Thread(
            target=self._invoke,
            args=(state, _Batch(mapping, function, role, messages, slot)),
            name=f"sqs-esm-invoke-{state.uuid}",
            daemon=True,
        ).start()
        return True

    def _receive(self, role: Identity, mapping: EventSourceMapping) -> list[dict[str, Any]]:
        """Up to BatchSize messages, gathered for up to the (scaled) batching window."""
        url = queue_url(self._host.identities.endpoint_url, mapping.event_source_arn)
        window = scaled(float(mapping.max_batch_window or 0))
        deadline = time.monotonic() + window
        visibility = self._visibility_seconds(mapping.event_source_arn)
        batch: list[dict[str, Any]] = []
        while len(batch) < mapping.batch_size:
            answer = role.sqs().receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(MAX_MESSAGES_PER_RECEIVE, mapping.batch_size - len(batch)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = answer.get("Messages", [])
            self._hide(mapping.event_source_arn, received, visibility)
            batch += received
            if time.monotonic() >= deadline or (not received and not batch):
                break
            if not received:
                time.sleep(min(IDLE_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        return batch

    @staticmethod
    def _queue(queue_arn: str) -> Any:
        _, _, _, region, account_id, name = queue_arn.split(":")
        return sqs_backends[account_id][region].get_queue(name)

    def _anything_visible(self, queue_arn: str) -> bool:
        """Whether a receive could get a message now, read from the queue in this process.

        Lambda long-polls an empty queue; here an empty queue is looked at every
        IDLE_POLL_SECONDS instead of being asked through a signed ReceiveMessage each time, which
        the emulator authorized, recorded and answered for every mapping it held (the pollers'
        side alone: 6 % of the busy samples of ten emulators in a py-spy profile of an end-to-end
        suite). A message made visible, sent or back from its visibility timeout, is received as
        before, with the role's credentials; a queue moto does not hold is received from anyway,
        so that the receive's error is the one reported."""
        try:
            queue = self._queue(queue_arn)
        except QueueDoesNotExist:
            return True
        return bool(queue.messages)

    def _visibility_seconds(self, queue_arn: str) -> float:
        """The queue's visibility timeout as the emulator applies it (scaled)."""
        return scaled(float(self._queue(queue_arn).visibility_timeout))

    def _hide(self, queue_arn: str, messages: list[dict[str, Any]], seconds: float) -> None:
        """Keep the received messages invisible for the scaled visibility timeout: moto counts
        whole seconds from the queue's (unscaled) setting, so it is set here to the millisecond."""
        handles = {message["ReceiptHandle"] for message in messages}
        visible_at = unix_time_millis() + seconds * 1000
        for stored in list(self._queue(queue_arn)._messages):
            if stored.receipt_handle in handles:
                stored.visible_at = visible_at

    def _invoke(self, state: _MappingState, batch: _Batch) -> None:
        mapping, function, messages = batch.mapping, batch.function, batch.messages
        queue_arn = mapping.event_source_arn
        event = {"Records": [record(message, queue_arn) for message in messages]}
        request_id = str(uuid.uuid4())
        outcome: dict[str, Any] = {}

        def run() -> runtime.Invocation:
            invocation = self._host.invoke(function, event, request_id=request_id, slot=batch.slot)
            outcome.update(invocation.outcome)
            return invocation

        try:
            try:
                failure = failure_of(run)
            except RoleNotAssumed as error:
                failure = None
                outcome = {
                    "error": {"errorType": "Lambda.AccessDenied", "errorMessage": str(error)}
                }
            ids = [message["MessageId"] for message in messages]
            kept: list[str] | None
            if failure is not None or "error" in outcome:
                kept = None
                logger.warning(
                    "event source mapping %s: %s failed on %d message(s): %s: %s",
                    state.uuid,
                    function.name,
                    len(messages),
                    failure.error_type if failure else outcome["error"].get("errorType"),
                    failure.error_message if failure else outcome["error"].get("errorMessage"),
                )
            elif "ReportBatchItemFailures" in (mapping.function_response_types or []):
                kept = kept_messages(outcome.get("result"), ids)
                if kept is None:
                    logger.warning(
                        "event source mapping %s: invalid batchItemFailures from %s: %r; the "
                        "whole batch fails",
                        state.uuid,
                        function.name,
                        outcome.get("result"),
                    )
            else:
                kept = []
            if kept is not None:
                self._delete(
                    batch.role, queue_arn, [m for m in messages if m["MessageId"] not in kept]
                )
        except Exception:
            logger.exception("event source mapping %s: handling a batch failed", state.uuid)
        finally:
            with self._lock:
                state.in_flight -= 1
                state.last_receive_empty = False
                self._lock.notify_all()

    def _delete(self, role: Identity, queue_arn: str, messages: list[dict[str, Any]]) -> None:
        url = queue_url(self._host.identities.endpoint_url, queue_arn)
        for start in range(0, len(messages), MAX_MESSAGES_PER_RECEIVE):
            chunk = messages[start : start + MAX_MESSAGES_PER_RECEIVE]
            answer = role.sqs().delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(chunk)
                ],
            )
            for failed in answer.get("Failed", []):
                logger.warning("could not delete a message of %s: %s", queue_arn, failed)


def _validated_create(self: LambdaBackend, spec: dict[str, Any]) -> None:
    """Refuse, as Lambda does, what moto would accept (localcloud.esm_validation)."""
    arn = str(spec.get("EventSourceArn", ""))
    if arn.split(":")[2:3] != ["sqs"]:
        return
    try:
        function = self.get_function(str(spec.get("FunctionName", "")))
        queue = SqsPoller._queue(arn)
    except Exception:  # moto's own create answers what is missing
        return
    esm_validation.raise_refusal(
        esm_validation.problem(
            spec,
            queue_visibility_seconds=int(queue.visibility_timeout),
            function_timeout_seconds=int(function.timeout),
            role_allows=esm_validation.role_allows(str(function.role), arn),
        )
    )


def install() -> None:
    """Validate SQS mappings as Lambda does, and stop moto from running them inside SendMessage:
    the poller runs them."""
    original_create = LambdaBackend.create_event_source_mapping
    original_update = LambdaBackend.update_event_source_mapping

    def create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> Any:
        _validated_create(self, spec)
        mapping = original_create(self, spec)
        if mapping.event_source_arn.split(":")[2] == "sqs":
            SqsPoller._queue(mapping.event_source_arn).lambda_event_source_mappings.pop(
                mapping.function_arn, None
            )
        return mapping

    def update_event_source_mapping(self: LambdaBackend, uuid: str, spec: dict[str, Any]) -> Any:
        mapping = self.get_event_source_mapping(uuid)
        if mapping is not None:
            merged = {**mapping.get_configuration(), **spec}
            esm_validation.raise_refusal(
                esm_validation.problem(
                    merged,
                    queue_visibility_seconds=None,
                    function_timeout_seconds=None,
                    role_allows=None,
                )
            )
        return original_update(self, uuid, spec)

    LambdaBackend.create_event_source_mapping = create_event_source_mapping  # type: ignore[method-assign]
    LambdaBackend.update_event_source_mapping = update_event_source_mapping  # type: ignore[method-assign]
