"""SQS event source mappings, the time scale, account concurrency and fault injection, on an
emulator started by the package (localcloud.emulator) with a package built here.

One emulator for the module, with LOCALCLOUD_TIME_SCALE = 0.1 (a 30 s function timeout is 3 s, a
60 s visibility timeout 6 s) and LOCALCLOUD_ACCOUNT_CONCURRENCY = 4. The handlers record what
they saw in a bucket; the test reads the queues, the bucket and the control endpoint
(localcloud.faults.FaultClient).
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import pytest
from botocore.exceptions import ClientError

from localcloud import emulator
from localcloud.aws import Identities, Identity, role_arn
from localcloud.faults import FaultClient, FaultRule, When
from localcloud.waiting import eventually

if TYPE_CHECKING:
    from mypy_boto3_lambda.literals import RuntimeType

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("sqs_event_source")]

REGION: Final = "eu-west-1"
ACCOUNT: Final = "111111111111"
ADMIN_ROLE: Final = "OrganizationAccountAccessRole"
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
ROLE: Final = "esm-test-function"
BARE_ROLE: Final = "esm-test-no-sqs"
BUCKET: Final = "esm-test"
TIME_SCALE: Final = 0.1
ACCOUNT_CONCURRENCY: Final = 4
FUNCTION_TIMEOUT: Final = 30
QUEUE_VISIBILITY: Final = 60

HANDLERS = """
import json
import os
import time

import boto3

s3 = boto3.client("s3")
BUCKET = os.environ["BUCKET"]


def consume(event, context):
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        count = record["attributes"]["ApproximateReceiveCount"]
        s3.put_object(
            Bucket=BUCKET,
            Key=f"seen/{body['token']}/{count}",
            Body=json.dumps(
                {
                    "record": record,
                    "remaining_ms": context.get_remaining_time_in_millis(),
                    "received_at_ms": int(time.time() * 1000),
                }
            ),
        )
        mode = body.get("mode")
        if mode == "sleep":
            time.sleep(body["seconds"])
        elif mode == "fail_item":
            failures.append({"itemIdentifier": record["messageId"]})
        elif mode == "raise":
            raise RuntimeError("failed on purpose")
        elif mode == "invalid":
            return {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}
    return {"batchItemFailures": failures}


def write(event, context):
    s3.put_object(Bucket=BUCKET, Key=event["key"], Body=b"written")
    return {"pid": os.getpid()}
"""


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TRUST_LAMBDA = document(
    {
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
)


@pytest.fixture(scope="module")
def requests_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the emulator records every request it serves (localcloud.recorder)."""
    return tmp_path_factory.mktemp("esm-requests") / "requests.jsonl"


@pytest.fixture(scope="module")
def cloud(
    package: Path, requests_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Identity, FaultClient]]:
    state_dir = tmp_path_factory.mktemp("esm-cloud")
    with pytest.MonkeyPatch.context() as patch:
        # Read by the emulator process at start (it inherits LOCALCLOUD_* settings).
        patch.setenv("LOCALCLOUD_TIME_SCALE", str(TIME_SCALE))
        patch.setenv("LOCALCLOUD_ACCOUNT_CONCURRENCY", str(ACCOUNT_CONCURRENCY))
        running = emulator.start(
            state_dir,
            package,
            region=REGION,
            gateway_role_arn=role_arn(ACCOUNT, ADMIN_ROLE),
            record_to=requests_file,
        )
    try:
        workload = Identities(running.endpoint_url, REGION).assume(
            role_arn(ACCOUNT, ADMIN_ROLE), "esm-test"
        )
        _prepare(workload)
        yield workload, FaultClient(running.endpoint_url)
    finally:
        emulator.stop(state_dir)


def _prepare(workload: Identity) -> None:
    iam = workload.iam()
    grants = document(
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
                "sqs:SendMessage",
            ],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        },
    )
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=TRUST_LAMBDA)
    iam.put_role_policy(RoleName=ROLE, PolicyName="handlers", PolicyDocument=grants)
    iam.create_role(RoleName=BARE_ROLE, AssumeRolePolicyDocument=TRUST_LAMBDA)
    iam.put_role_policy(
        RoleName=BARE_ROLE,
        PolicyName="no-delete",
        PolicyDocument=document(
            {
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:GetQueueAttributes"],
                "Resource": "*",
            }
        ),
    )
    workload.s3().create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )


def deploy(workload: Identity, package: Path, name: str, handler: str, role: str = ROLE) -> str:
    created = workload.lambda_().create_function(
        FunctionName=name,
        Runtime=cast("RuntimeType", RUNTIME),
        Role=role_arn(ACCOUNT, role),
        Handler=handler,
        Code={"ZipFile": package.read_bytes()},
        Timeout=FUNCTION_TIMEOUT,
        Environment={"Variables": {"BUCKET": BUCKET}},
    )
    return created["FunctionArn"]


def queue(workload: Identity, name: str, **attributes: str) -> tuple[str, str]:
    sqs = workload.sqs()
    url = sqs.create_queue(
        QueueName=name,
        Attributes={"VisibilityTimeout": str(QUEUE_VISIBILITY), **attributes},
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def consumer_of_a_new_queue(
    workload: Identity, package: Path, name: str, **mapping: Any
) -> tuple[str, str]:
    """handlers.consume deployed as ``name``, fed by a new queue ``name`` through an event source
    mapping with the settings ``mapping``: answers the queue's URL and the mapping's UUID."""
    deploy(workload, package, name, "handlers.consume")
    url, queue_arn = queue(workload, name)
    created = workload.lambda_().create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=name, **mapping
    )
    return url, created["UUID"]


def send(workload: Identity, url: str, **body: Any) -> str:
    token = uuid.uuid4().hex
    workload.sqs().send_message(QueueUrl=url, MessageBody=json.dumps({"token": token, **body}))
    return token


def seen(workload: Identity, token: str) -> list[dict[str, Any]]:
    """What the handler recorded per receive of the message ``token``, by receive count."""
    listing = workload.s3().list_objects_v2(Bucket=BUCKET, Prefix=f"seen/{token}/")
    return [
        json.loads(workload.s3().get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read())
        for item in sorted(listing.get("Contents", []), key=lambda item: item["Key"])
    ]


def seen_once(workload: Identity, token: str) -> bool | None:
    return True if seen(workload, token) else None


def received_again(workload: Identity, token: str) -> bool | None:
    return True if len(seen(workload, token)) >= 2 else None


def counts(workload: Identity, url: str) -> tuple[int, int]:
    attributes = workload.sqs().get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def retired(faults: FaultClient, mapping_id: str) -> bool | None:
    """True once the mapping is gone from the poller and none of its invocations is under way."""
    found = faults.status()["event_source_mappings"]
    gone = mapping_id not in found["mappings"] and mapping_id not in found["retired_in_flight"]
    return True if gone else None


def idle(faults: FaultClient) -> bool | None:
    return True if faults.status()["event_source_mappings"]["idle"] else None


def test_a_mapping_hands_aws_records_to_the_function_and_deletes_them(
    cloud: tuple[Identity, FaultClient], package: Path
) -> None:
    workload, faults = cloud
    arn = deploy(workload, package, "esm-consume", "handlers.consume")
    url, queue_arn = queue(workload, "esm-consume")
    workload.lambda_().create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName="esm-consume", BatchSize=1
    )
    token = send(workload, url)

    first = eventually(lambda: seen(workload, token) or None, "the message's invocation")[0]
    record = first["record"]
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue_arn
    assert record["awsRegion"] == REGION
    assert json.loads(record["body"])["token"] == token
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert set(record["attributes"]) >= {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    # The function's timeout in the local time scale, as the context reports it.
    assert 0 < first["remaining_ms"] <= FUNCTION_TIMEOUT * TIME_SCALE * 1000
    eventually(lambda: counts(workload, url) == (0, 0) or None, "the message deleted")
    eventually(lambda: idle(faults), "the poller idle")
    assert arn.endswith(":function:esm-consume")


def _pollers_receives(requests_file: Path, queue_name: str) -> int:
    """The ReceiveMessage requests Lambda's poller made of the queue, as the emulator recorded
    them."""
    entries = [json.loads(line) for line in requests_file.read_text().splitlines()]
    return sum(
        1
        for entry in entries
        if entry.get("service_principal") == "lambda.amazonaws.com"
        and entry.get("target") == "AmazonSQS.ReceiveMessage"
        and f'/{queue_name}"' in (entry.get("body") or "")
    )


def test_an_empty_queue_is_looked_at_and_only_a_message_is_received(
    cloud: tuple[Identity, FaultClient], package: Path, requests_file: Path
) -> None:
    """Lambda long-polls an empty queue; the poller looks at it in the emulator's own process
    and sends the role's ReceiveMessage only once a message is visible."""
    workload, faults = cloud
    deploy(workload, package, "esm-quiet", "handlers.consume")
    url, queue_arn = queue(workload, "esm-quiet")
    mapping_id = workload.lambda_().create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName="esm-quiet", BatchSize=1
    )["UUID"]
    eventually(
        lambda: mapping_id in faults.status()["event_source_mappings"]["mappings"] or None,
        "the mapping polled",
    )
    time.sleep(1.0)  # five looks at the empty queue (IDLE_POLL_SECONDS)

    assert _pollers_receives(requests_file, "esm-quiet") == 0
    token = send(workload, url)
    eventually(lambda: seen_once(workload, token), "the message's invocation")
    assert _pollers_receives(requests_file, "esm-quiet") >= 1


def test_a_failed_item_comes_back_after_the_scaled_visibility_then_goes_to_the_dead_letter_queue(
    cloud: tuple[Identity, FaultClient], package: Path
) -> None:
    workload, _ = cloud
    deploy(workload, package, "esm-items", "handlers.consume")
    dead_url, dead_arn = queue(workload, "esm-items-dead")
    url, queue_arn = queue(
        workload,
        "esm-items",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 2}),
    )
    workload.lambda_().create_event_source_mapping(
        EventSourceArn=queue_arn,
        FunctionName="esm-items",
        BatchSize=2,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    failing = send(workload, url, mode="fail_item")
    passing = send(workload, url)

    eventually(lambda: len(seen(workload, failing)) == 2 or None, "the failed item received twice")
    received = [entry["record"]["attributes"] for entry in seen(workload, failing)]
    assert [a["ApproximateReceiveCount"] for a in received] == ["1", "2"]
    # Received again once its visibility timeout (60 s, scaled: 6 s) had passed, not before.
    again_ms = seen(workload, failing)[1]["received_at_ms"] - int(received[0]["SentTimestamp"])
    assert QUEUE_VISIBILITY * TIME_SCALE * 1000 <= again_ms < QUEUE_VISIBILITY * 1000
    assert len(seen(workload, passing)) == 1

    def dead_letter() -> dict[str, Any] | None:
        messages = workload.sqs().receive_message(QueueUrl=dead_url).get("Messages", [])
        return messages[0] if messages else None

    moved = eventually(dead_letter, "the failed item in the dead-letter queue")
    assert json.loads(moved["Body"])["token"] == failing
    assert counts(workload, url) == (0, 0)


def test_a_function_error_or_an_invalid_answer_deletes_nothing(
    cloud: tuple[Identity, FaultClient], package: Path
) -> None:
    workload, faults = cloud
    url, mapping_id = consumer_of_a_new_queue(
        workload,
        package,
        "esm-raise",
        BatchSize=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    raising = send(workload, url, mode="raise")
    invalid = send(workload, url, mode="invalid")
    for token in (raising, invalid):
        eventually(partial(received_again, workload, token), f"{token} received again")
    # A deleted mapping stops: these messages would otherwise come back forever.
    workload.lambda_().delete_event_source_mapping(UUID=mapping_id)
    eventually(partial(retired, faults, mapping_id), "the deleted mapping's invocations ended")
    before = len(seen(workload, raising))
    time.sleep(QUEUE_VISIBILITY * TIME_SCALE + 1)
    assert len(seen(workload, raising)) == before


@pytest.mark.parametrize(
    ("name", "scaling", "peak"),
    [
        ("esm-capped", {"ScalingConfig": {"MaximumConcurrency": 2}}, 2),
        # Without MaximumConcurrency the account's concurrency caps it: the mapping waits for a
        # free execution rather than receiving what it cannot run.
        ("esm-account", {}, ACCOUNT_CONCURRENCY),
    ],
)
def test_concurrency_caps_a_mapping(
    cloud: tuple[Identity, FaultClient],
    package: Path,
    name: str,
    scaling: dict[str, Any],
    peak: int,
) -> None:
    workload, faults = cloud
    deploy(workload, package, name, "handlers.consume")
    url, queue_arn = queue(workload, name)
    for _ in range(8):
        send(workload, url, mode="sleep", seconds=1)
    workload.lambda_().create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=name, BatchSize=1, **scaling
    )
    eventually(lambda: counts(workload, url) == (0, 0) or None, "every message consumed")
    assert faults.status()["concurrency"][ACCOUNT][name]["peak"] == peak


def test_a_disabled_mapping_stops_and_an_enabled_one_resumes(
    cloud: tuple[Identity, FaultClient], package: Path
) -> None:
    workload, _ = cloud
    url, mapping_id = consumer_of_a_new_queue(
        workload, package, "esm-toggle", BatchSize=1, Enabled=False
    )
    lambda_ = workload.lambda_()
    # Disabled from the start, then disabled while an invocation runs: each time nothing more is
    # received until it is enabled again.
    for round_ in range(2):
        token = send(workload, url)
        time.sleep(2)
        assert seen(workload, token) == []
        lambda_.update_event_source_mapping(UUID=mapping_id, Enabled=True)
        eventually(partial(seen_once, workload, token), f"round {round_}'s message consumed")
        if round_ == 0:
            send(workload, url, mode="sleep", seconds=1)
            time.sleep(0.5)
            lambda_.update_event_source_mapping(UUID=mapping_id, Enabled=False)


def test_create_is_refused_as_aws_refuses_it(
    cloud: tuple[Identity, FaultClient], package: Path
) -> None:
    workload, _ = cloud
    deploy(workload, package, "esm-refused", "handlers.consume")
    deploy(workload, package, "esm-bare", "handlers.consume", role=BARE_ROLE)
    short = workload.sqs().create_queue(
        QueueName="esm-short", Attributes={"VisibilityTimeout": "10"}
    )["QueueUrl"]
    short_arn = workload.sqs().get_queue_attributes(QueueUrl=short, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    _, queue_arn = queue(workload, "esm-refused")
    client = workload.lambda_()

    with pytest.raises(ClientError) as refused:
        client.create_event_source_mapping(EventSourceArn=short_arn, FunctionName="esm-refused")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert refused.value.response["Error"]["Message"] == (
        "Queue visibility timeout: 10 seconds is less than Function timeout: 30 seconds"
    )
    with pytest.raises(ClientError) as refused:
        client.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="esm-bare")
    assert refused.value.response["Error"]["Message"] == (
        "The provided execution role does not have permissions to call DeleteMessage on SQS"
    )
    with pytest.raises(ClientError) as refused:
        client.create_event_source_mapping(
            EventSourceArn=queue_arn, FunctionName="esm-refused", BatchSize=20
        )
    assert refused.value.response["Error"]["Message"] == (
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
        "greater than 10"
    )
    assert (
        client.list_event_source_mappings(FunctionName="esm-refused")["EventSourceMappings"] == []
    )


def _event_invoked(workload: Identity, package: Path, name: str) -> str:
    """A function whose Event invokes are not retried and whose failures land in a queue."""
    deploy(workload, package, name, "handlers.write")
    url, arn = queue(workload, f"{name}-failed")
    workload.lambda_().put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    return url


def _failure_record(workload: Identity, url: str) -> dict[str, Any]:
    def received() -> dict[str, Any] | None:
        messages = workload.sqs().receive_message(QueueUrl=url).get("Messages", [])
        return json.loads(messages[0]["Body"]) if messages else None

    return eventually(received, "the invocation's failure record")


def _exists(workload: Identity, key: str) -> bool:
    try:
        workload.s3().head_object(Bucket=BUCKET, Key=key)
    except ClientError:
        return False
    return True


@pytest.mark.parametrize(("when", "written"), [("before", False), ("after", True)])
def test_a_kill_rule_ends_the_invocation_before_or_after_the_request(
    cloud: tuple[Identity, FaultClient], package: Path, when: When, written: bool
) -> None:
    workload, faults = cloud
    name = f"fault-kill-{when}"
    failed = _event_invoked(workload, package, name)
    rule = faults.add(FaultRule(function=name, action="s3:PutObject", effect="kill", when=when))
    key = f"killed/{when}"

    workload.lambda_().invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps({"key": key}).encode()
    )
    record = _failure_record(workload, failed)
    assert record["responsePayload"]["errorType"] == "Runtime.ExitError"
    assert _exists(workload, key) is written
    installed = faults.rule(rule)
    assert (installed["matched"], installed["hits"], len(installed["pids_killed"])) == (1, 1, 1)
    # The environment was replaced: the next invocation runs in a new process.
    workload.lambda_().invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps({"key": f"{key}/2"}).encode()
    )
    eventually(lambda: _exists(workload, f"{key}/2") or None, "the next invocation's object")


def test_an_error_rule_answers_n_times_then_passes_and_never_matches_another_principal(
    cloud: tuple[Identity, FaultClient], package: Path
) -> None:
    workload, faults = cloud
    name = "fault-error"
    _event_invoked(workload, package, name)
    rule = faults.add(
        FaultRule(
            function=name,
            action="s3:PutObject",
            effect="error",
            times=2,
            status=500,
            code="InternalError",
        )
    )
    # The test's own PutObject is not the function's: it never matches.
    workload.s3().put_object(Bucket=BUCKET, Key="not-the-function", Body=b"")
    assert faults.rule(rule)["matched"] == 0

    workload.lambda_().invoke(
        FunctionName=name, InvocationType="Event", Payload=b'{"key": "after-errors"}'
    )
    # boto3 in the function retries a 500 InternalError: two errors, then the third attempt passes.
    eventually(lambda: _exists(workload, "after-errors") or None, "the object after two errors")
    installed = faults.rule(rule)
    assert (installed["matched"], installed["hits"]) == (3, 2)
    faults.clear()
    assert faults.rules() == []
