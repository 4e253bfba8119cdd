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
from botocore.stub import ANY, Stubber
from moto import mock_aws

from randfile.aws import dynamodb_client, lambda_client, s3_client
from randfile_localcloud.settings import DATA_ACCOUNT_ID, WORKLOAD_ACCOUNT_ID

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

# The local cloud's account ids (tools/randfile_localcloud/settings.py), so that a moto-backed
# test and an end-to-end test name the same account the same way.
DATA_ACCOUNT: Final = DATA_ACCOUNT_ID
WORKLOAD_ACCOUNT: Final = WORKLOAD_ACCOUNT_ID
BUCKET = "randfile-test-data"
REGION: Final = "eu-west-1"
JOBS_TABLE = "randfile-test-jobs"
WORKER_FUNCTION = "randfile-test-worker"
JOB_VARIABLES = (
    "RANDFILE_JOBS_TABLE",
    "RANDFILE_WORKER_FUNCTION",
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
    for client in (s3_client, dynamodb_client, lambda_client):
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


@pytest.fixture
def with_jobs(deployed: TwoAccounts, monkeypatch: pytest.MonkeyPatch) -> TwoAccounts:
    """`deployed` with the job table in the workload account and the jobs' environment, as the
    stack sets it for both functions."""
    create_jobs_table(deployed.workload_dynamodb())
    monkeypatch.setenv("RANDFILE_JOBS_TABLE", JOBS_TABLE)
    monkeypatch.setenv("RANDFILE_WORKER_FUNCTION", WORKER_FUNCTION)
    return deployed


@dataclass
class WorkerInvokes:
    """The API function's invokes of the worker: moto in-process cannot run a function, so
    botocore's Stubber answers them as Lambda does an accepted Event invoke (202) and checks what
    is sent; `sent` keeps each request's parameters."""

    stubber: Stubber
    sent: list[dict[str, Any]] = field(default_factory=list)

    def expect(self, count: int = 1) -> None:
        for _ in range(count):
            self.stubber.add_response(
                "invoke",
                {"StatusCode": 202},
                {"FunctionName": WORKER_FUNCTION, "InvocationType": "Event", "Payload": ANY},
            )

    def payloads(self) -> list[Any]:
        return [json.loads(params["Payload"]) for params in self.sent]


@pytest.fixture
def worker_invokes(with_jobs: TwoAccounts) -> Iterator[WorkerInvokes]:
    client = lambda_client()
    invokes = WorkerInvokes(Stubber(client))

    def record(params: dict[str, Any], **_: Any) -> None:
        invokes.sent.append(dict(params))

    client.meta.events.register("provide-client-params.lambda.Invoke", record)
    with invokes.stubber:
        yield invokes
    invokes.stubber.assert_no_pending_responses()
