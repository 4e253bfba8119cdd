"""An asynchronous (Event) invoke runs the function for real in the emulator, in the background.

A small package built here (not the service's: this checks the local cloud, whatever the worker
does) is deployed to a fresh emulator with boto3, then invoked with InvocationType=Event:

- the call answers 202 before the function has finished: the handler waits for an object that the
  test writes only once the 202 is in hand, so a synchronous run could never finish;
- the handler ran from the zip (its module file is in the unpacked task root), under the
  function's execution role (its caller identity), and its output is in the function's log group;
- a second event is served by the same warm process (the module is not imported again), and only
  the first REPORT line carries Init Duration; stopping the emulator ends that process;
- a handler that raises is run 1 + MaximumRetryAttempts times with one request id, the one its
  invocation record then carries into the SQS on-failure destination, in Lambda's documented
  shape.
"""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import pytest
from botocore.exceptions import ClientError

from localcloud import emulator
from localcloud.aws import Identities, Identity, role_arn
from localcloud.waiting import eventually

if TYPE_CHECKING:
    from mypy_boto3_lambda.literals import RuntimeType

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("event_invoke")]

REGION: Final = "eu-west-1"
# A member account, entered through the role AWS Organizations creates there (moto lets the
# default account assume it unseen).
WORKLOAD_ACCOUNT_ID = "111111111111"
MEMBER_ACCESS_ROLE = "OrganizationAccountAccessRole"
# The Python running the tests stands for the function's runtime.
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
ROLE = "event-invoke-test-function"
BUCKET = "event-invoke-test"
HANDLERS = """
import json
import os
import time

import boto3
from botocore.exceptions import ClientError

s3 = boto3.client("s3")
BUCKET = os.environ["BUCKET"]


def wait_then_write(event, context):
    token = event["token"]
    deadline = time.time() + 60
    while True:
        try:
            s3.head_object(Bucket=BUCKET, Key=f"go/{token}")
            break
        except ClientError:
            if time.time() > deadline:
                raise TimeoutError(f"go/{token} never appeared") from None
            time.sleep(0.2)
    identity = boto3.client("sts").get_caller_identity()["Arn"]
    s3.put_object(
        Bucket=BUCKET,
        Key=f"done/{token}",
        Body=json.dumps(
            {
                "arn": identity,
                "request_id": context.aws_request_id,
                "module": __file__,
                "pid": os.getpid(),
            }
        ),
    )
    print(f"wrote done/{token}")


def fail(event, context):
    s3.put_object(Bucket=BUCKET, Key=f"attempts/{context.aws_request_id}/{time.time_ns()}")
    raise RuntimeError(f"job {event['job_id']} failed on purpose")
"""


@contextlib.contextmanager
def _cloud(state_dir: Path, package: Path) -> Iterator[Identity]:
    """An emulator running ``package``'s functions, the workload account's identity on it with
    the execution role and the bucket made; stopped on leaving."""
    with pytest.MonkeyPatch.context() as patch:
        # Lambda waits about 1 then 2 minutes between retries; the older setting still shortens
        # the first delay to 1 s (read by the emulator process at start).
        patch.setenv("LOCALCLOUD_EVENT_RETRY_DELAY_SECONDS", "1")
        running = emulator.start(
            state_dir,
            package,
            region=REGION,
            gateway_role_arn=role_arn(WORKLOAD_ACCOUNT_ID, MEMBER_ACCESS_ROLE),
        )
    try:
        identity = Identities(running.endpoint_url, REGION).assume(
            role_arn(WORKLOAD_ACCOUNT_ID, MEMBER_ACCESS_ROLE), "event-invoke-test"
        )
        _prepare(identity)
        yield identity
    finally:
        emulator.stop(state_dir)


@pytest.fixture(scope="module")
def workload(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Identity]:
    with _cloud(tmp_path_factory.mktemp("event-invoke-cloud"), package) as identity:
        yield identity


def _prepare(identity: Identity) -> None:
    """The function's execution role and the bucket its handlers use."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    identity.iam().create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    # The emulator authorizes an execution role's calls as AWS does (authorizer.py): without
    # these grants the handlers' S3 calls and the on-failure delivery would be refused.
    grants = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            },
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            },
        ],
    }
    identity.iam().put_role_policy(
        RoleName=ROLE, PolicyName="handlers", PolicyDocument=json.dumps(grants)
    )
    identity.s3().create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )


def _deploy(workload: Identity, package: Path, name: str, handler: str) -> str:
    workload.logs().create_log_group(logGroupName=f"/aws/lambda/{name}")
    created = workload.lambda_().create_function(
        FunctionName=name,
        Runtime=cast("RuntimeType", RUNTIME),
        Role=role_arn(WORKLOAD_ACCOUNT_ID, ROLE),
        Handler=handler,
        Code={"ZipFile": package.read_bytes()},
        Timeout=60,
        Environment={"Variables": {"BUCKET": BUCKET}},
    )
    return created["FunctionArn"]


def _object(workload: Identity, key: str) -> dict[str, Any] | None:
    try:
        body = workload.s3().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    except ClientError:
        return None
    document: dict[str, Any] = json.loads(body)
    return document


def test_an_event_invoke_answers_at_once_and_runs_the_zip_under_the_role(
    workload: Identity, package: Path
) -> None:
    name = "event-invoke-waits"
    _deploy(workload, package, name, "handlers.wait_then_write")
    token = uuid.uuid4().hex

    answer = workload.lambda_().invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps({"token": token}).encode()
    )
    assert answer["StatusCode"] == 202
    # Only now may the function finish: had the invoke waited for it, it would have timed out.
    workload.s3().put_object(Bucket=BUCKET, Key=f"go/{token}", Body=b"")

    done = eventually(lambda: _object(workload, f"done/{token}"), f"done/{token}")
    assert done["arn"].startswith(f"arn:aws:sts::{WORKLOAD_ACCOUNT_ID}:assumed-role/{ROLE}/")
    assert uuid.UUID(done["request_id"])
    assert "/localcloud-environment-" in done["module"]
    assert done["module"].endswith("/task/handlers.py")

    def logged(token: str) -> list[str] | None:
        events = workload.logs().filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        messages = [event["message"] for event in events]
        return messages if f"wrote done/{token}" in messages else None

    eventually(lambda: logged(token), "the function's output in its log group")

    again = uuid.uuid4().hex
    workload.s3().put_object(Bucket=BUCKET, Key=f"go/{again}", Body=b"")
    workload.lambda_().invoke(
        FunctionName=name, InvocationType="Event", Payload=json.dumps({"token": again}).encode()
    )
    warm = eventually(lambda: _object(workload, f"done/{again}"), f"done/{again}")
    assert warm["pid"] == done["pid"]
    messages = eventually(lambda: logged(again), "the second run's output in its log group")
    reports = [message for message in messages if message.startswith("REPORT RequestId: ")]
    assert len(reports) == 2
    assert "\tInit Duration: " in reports[0]
    assert "Init Duration" not in reports[1]


def test_stopping_the_emulator_ends_its_function_processes(package: Path, tmp_path: Path) -> None:
    with _cloud(tmp_path, package) as workload:
        name = "event-invoke-stops"
        _deploy(workload, package, name, "handlers.wait_then_write")
        token = uuid.uuid4().hex
        workload.s3().put_object(Bucket=BUCKET, Key=f"go/{token}", Body=b"")
        workload.lambda_().invoke(
            FunctionName=name, InvocationType="Event", Payload=json.dumps({"token": token}).encode()
        )
        pid = eventually(lambda: _object(workload, f"done/{token}"), f"done/{token}")["pid"]
        assert Path(f"/proc/{pid}").exists()
    assert not Path(f"/proc/{pid}").exists()


def test_a_failing_event_is_retried_then_recorded_in_the_on_failure_queue(
    workload: Identity, package: Path
) -> None:
    name = "event-invoke-fails"
    arn = _deploy(workload, package, name, "handlers.fail")
    sqs = workload.sqs()
    queue = sqs.create_queue(QueueName=f"{name}-failed")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    workload.lambda_().put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=1,
        MaximumEventAgeInSeconds=3600,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )

    answer = workload.lambda_().invoke(
        FunctionName=name, InvocationType="Event", Payload=b'{"job_id": "j1"}'
    )
    assert answer["StatusCode"] == 202

    def received() -> dict[str, Any] | None:
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
        return json.loads(messages[0]["Body"]) if messages else None

    record = eventually(received, "the invocation record in the on-failure queue")
    request_id = record["requestContext"]["requestId"]
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": f"{arn}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 2,
    }
    assert record["requestPayload"] == {"job_id": "j1"}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "job j1 failed on purpose"
    attempts = workload.s3().list_objects_v2(Bucket=BUCKET, Prefix=f"attempts/{request_id}/")
    assert attempts["KeyCount"] == 2
