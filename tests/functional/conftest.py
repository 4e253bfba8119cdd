"""Fixtures: a moto-backed AWS with two accounts, the way the deployed system sees it, and the
job table the asynchronous path keeps its jobs in.

moto maps credentials from STS AssumeRole to the assumed role's account, so assuming a role in
the data account and another in the workload account gives two distinct callers, as in AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import boto3
import pytest
from moto import mock_aws

from randfile.aws import dynamodb_client, s3_client, sqs_client
from randfile_localcloud.settings import DATA_ACCOUNT_ID, WORKLOAD_ACCOUNT_ID

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

# The local cloud's account ids (tools/randfile_localcloud/settings.py), so that a moto-backed
# test and an end-to-end test name the same account the same way.
DATA_ACCOUNT: Final = DATA_ACCOUNT_ID
WORKLOAD_ACCOUNT: Final = WORKLOAD_ACCOUNT_ID
BUCKET = "randfile-test-data"
REGION: Final = "eu-west-1"
JOBS_TABLE = "randfile-test-jobs"
JOB_QUEUE = "randfile-test-jobs"
DEAD_LETTER_QUEUE = "randfile-test-jobs-dead-letter"
JOB_VARIABLES = (
    "RANDFILE_JOBS_TABLE",
    "RANDFILE_JOB_QUEUE_URL",
    "RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN",
    "RANDFILE_MAX_JOB_BYTES",
    "RANDFILE_JOB_RETENTION_DAYS",
)


@dataclass(frozen=True)
class TwoAccounts:
    data_session: boto3.Session
    workload_session: boto3.Session

    def data_s3(self) -> S3Client:
        return self.data_session.client("s3", region_name=REGION)

    def workload_s3(self) -> S3Client:
        return self.workload_session.client("s3", region_name=REGION)

    def workload_dynamodb(self) -> DynamoDBClient:
        return self.workload_session.client("dynamodb", region_name=REGION)

    def workload_sqs(self) -> SQSClient:
        return self.workload_session.client("sqs", region_name=REGION)


def assume(account_id: str, role: str) -> boto3.Session:
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{role}", RoleSessionName="tests"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def accounts(aws: None) -> TwoAccounts:
    pair = TwoAccounts(
        data_session=assume(DATA_ACCOUNT, "data-admin"),
        workload_session=assume(WORKLOAD_ACCOUNT, "randfile-writer"),
    )
    s3 = pair.data_s3()
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return pair


@dataclass
class FakeContext:
    """The two attributes of Lambda's context object the handler uses."""

    aws_request_id: str = "req-0001"
    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def deployed(accounts: TwoAccounts, monkeypatch: pytest.MonkeyPatch) -> TwoAccounts:
    """Environment as Terraform sets it, and the workload account's credentials as the caller."""
    monkeypatch.setenv("RANDFILE_BUCKET", BUCKET)
    monkeypatch.setenv("RANDFILE_BUCKET_OWNER", DATA_ACCOUNT)
    monkeypatch.delenv("RANDFILE_KEY_PREFIX", raising=False)
    monkeypatch.delenv("RANDFILE_MAX_SYNC_BYTES", raising=False)
    monkeypatch.delenv("RANDFILE_MAX_BYTES", raising=False)
    for name in JOB_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    credentials = accounts.workload_session.get_credentials()
    assert credentials is not None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials.token or "")
    # boto3.client() uses a default session that keeps the credentials it first found (those of
    # `aws`): a new one reads the workload account's.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    for client in (s3_client, dynamodb_client, sqs_client):
        client.cache_clear()
    return accounts


def create_jobs_table(client: DynamoDBClient) -> str:
    """The job table as infra/modules/function makes it: key `id`, TTL on `expiration`."""
    client.create_table(
        TableName=JOBS_TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=JOBS_TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"},
    )
    return JOBS_TABLE


@dataclass
class JobQueues:
    """The jobs queue and its dead-letter queue in the workload account, as infra/modules/function
    makes them (redrive after `max_receive_count` receives), and what Lambda's event source
    mapping hands the worker: `event` receives messages as the mapping does and wraps them in the
    SQS event's documented shape (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)."""

    client: SQSClient
    url: str
    arn: str
    dead_letter_url: str
    dead_letter_arn: str
    max_receive_count: int = 3
    received: list[tuple[str, str]] = field(default_factory=list)

    def event(self, *, dead_letter: bool = False, count: int = 10) -> dict[str, Any]:
        url, arn = (
            (self.dead_letter_url, self.dead_letter_arn) if dead_letter else (self.url, self.arn)
        )
        messages = self.client.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=count,
            VisibilityTimeout=0 if dead_letter else 30,
            AttributeNames=["All"],
        ).get("Messages", [])
        self.received = [(url, message["ReceiptHandle"]) for message in messages]
        return {"Records": [_record(message, arn) for message in messages]}

    def reappear(self) -> None:
        """The messages of the last `event` visible again: their visibility timeout is over."""
        for url, receipt_handle in self.received:
            self.client.change_message_visibility(
                QueueUrl=url, ReceiptHandle=receipt_handle, VisibilityTimeout=0
            )

    def bodies(self, *, dead_letter: bool = False) -> list[Any]:
        """The messages waiting, left in the queue."""
        url = self.dead_letter_url if dead_letter else self.url
        messages = self.client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    def delete(self, event: dict[str, Any], answer: dict[str, Any]) -> None:
        """What the mapping does with the worker's answer (ReportBatchItemFailures): deletes the
        records not named in batchItemFailures."""
        failed = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
        for record in event["Records"]:
            if record["messageId"] not in failed:
                url = (
                    self.dead_letter_url
                    if record["eventSourceARN"] == self.dead_letter_arn
                    else self.url
                )
                self.client.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])


def _record(message: MessageTypeDef, arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": REGION,
    }


def _queue_arn(client: SQSClient, url: str) -> str:
    return client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def create_job_queues(client: SQSClient, max_receive_count: int = 3) -> JobQueues:
    dead_letter_url = client.create_queue(QueueName=DEAD_LETTER_QUEUE)["QueueUrl"]
    dead_letter_arn = _queue_arn(client, dead_letter_url)
    redrive = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receive_count}
    url = client.create_queue(
        QueueName=JOB_QUEUE, Attributes={"RedrivePolicy": json.dumps(redrive)}
    )["QueueUrl"]
    return JobQueues(
        client, url, _queue_arn(client, url), dead_letter_url, dead_letter_arn, max_receive_count
    )


@pytest.fixture
def job_queues(with_jobs: TwoAccounts) -> JobQueues:
    """The queues `with_jobs` made, to drive the worker as the event source mapping does."""
    client = with_jobs.workload_sqs()
    url = client.get_queue_url(QueueName=JOB_QUEUE)["QueueUrl"]
    dead_letter_url = client.get_queue_url(QueueName=DEAD_LETTER_QUEUE)["QueueUrl"]
    return JobQueues(
        client, url, _queue_arn(client, url), dead_letter_url, _queue_arn(client, dead_letter_url)
    )


@pytest.fixture
def with_jobs(deployed: TwoAccounts, monkeypatch: pytest.MonkeyPatch) -> TwoAccounts:
    """`deployed` with the job table and queues in the workload account and the jobs'
    environment, as the stack sets it for both functions."""
    create_jobs_table(deployed.workload_dynamodb())
    queues = create_job_queues(deployed.workload_sqs())
    monkeypatch.setenv("RANDFILE_JOBS_TABLE", JOBS_TABLE)
    monkeypatch.setenv("RANDFILE_JOB_QUEUE_URL", queues.url)
    monkeypatch.setenv("RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN", queues.dead_letter_arn)
    return deployed
