"""The runtime authorizer in front of moto: what AWS refuses to an execution role, it refuses.

moto runs in this process behind localcloud.authorizer.Authorizer on a local HTTP server; a role
trusting lambda.amazonaws.com (in the workload account) with a permissions boundary writes to a
bucket of another account under SSE-KMS, as the function does. Each refusal is checked against
the error AWS sends: its code, and the policy type its message names.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from localcloud.authorizer import Authorizer

pytestmark = pytest.mark.functional

REGION = "eu-west-1"
WORKLOAD = "111111111111"
DATA = "222222222222"
BUCKET = "authorizer-test-data"
OBJECT_ARN = f"arn:aws:s3:::{BUCKET}/random/*"
ROLE_NAME = "app-function"
ROLE = f"arn:aws:iam::{WORKLOAD}:role/{ROLE_NAME}"
TABLE = "authorizer-test-jobs"
QUEUE = "authorizer-test-failed"
CI_ROLE = "ci-deploy"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: list[str], resources: list[str] | str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


TRUST_LAMBDA = document(
    {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"Service": "lambda.amazonaws.com"},
    }
)
TRUST_ACCOUNT = document(
    {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"AWS": f"arn:aws:iam::{WORKLOAD}:root"},
    }
)
ROLE_POLICY = document(
    allow(["s3:PutObject", "s3:GetObject"], OBJECT_ARN),
    allow(["kms:GenerateDataKey", "kms:Decrypt"]),
    allow(["dynamodb:PutItem"], f"arn:aws:dynamodb:{REGION}:{WORKLOAD}:table/{TABLE}"),
    allow(["sqs:SendMessage"], f"arn:aws:sqs:{REGION}:{WORKLOAD}:{QUEUE}"),
)
# The bootstrap's boundary before issue 23: writes only, no read-back.
WRITE_ONLY_BOUNDARY = document(
    allow(["s3:PutObject", "s3:AbortMultipartUpload"], OBJECT_ARN),
    allow(["kms:GenerateDataKey", "kms:Decrypt", "dynamodb:*", "sqs:*"]),
)
READ_BACK_BOUNDARY = document(
    allow(["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject"], OBJECT_ARN),
    allow(["kms:GenerateDataKey", "kms:Decrypt", "dynamodb:*", "sqs:*"]),
)


def client(service: str, credentials: dict[str, str], endpoint: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        region_name=REGION,
        endpoint_url=endpoint,
        config=Config(retries={"max_attempts": 1}),
        **credentials,
    )


# moto's default account for static keys; each account's administrator is reached by AssumeRole.
STATIC = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class Cloud:
    endpoint: str

    def assume(self, role_arn: str, session: str) -> dict[str, str]:
        sts = client("sts", STATIC, self.endpoint)
        found = sts.assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
        return {
            "aws_access_key_id": found["AccessKeyId"],
            "aws_secret_access_key": found["SecretAccessKey"],
            "aws_session_token": found["SessionToken"],
        }

    def admin(self, account: str, service: str) -> Any:
        credentials = self.assume(f"arn:aws:iam::{account}:role/admin", "admin")
        return client(service, credentials, self.endpoint)

    def function(self, service: str) -> Any:
        return client(service, self.assume(ROLE, "app-function"), self.endpoint)


@pytest.fixture(scope="module")
def cloud(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[Cloud]:
    monkeypatch_module.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    app = Authorizer(DomainDispatcherApplication(create_backend_app), [CI_ROLE])
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    cloud = Cloud(f"http://127.0.0.1:{server.server_port}")
    _provision(cloud)
    try:
        yield cloud
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _provision(cloud: Cloud) -> None:
    iam = cloud.admin(WORKLOAD, "iam")
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=WRITE_ONLY_BOUNDARY)
    iam.create_role(
        RoleName=ROLE_NAME,
        AssumeRolePolicyDocument=TRUST_LAMBDA,
        PermissionsBoundary=boundary["Policy"]["Arn"],
    )
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="app", PolicyDocument=ROLE_POLICY)
    iam.create_policy(PolicyName="read-back-boundary", PolicyDocument=READ_BACK_BOUNDARY)
    iam.create_role(RoleName=CI_ROLE, AssumeRolePolicyDocument=TRUST_ACCOUNT)
    iam.create_role(RoleName="unenforced", AssumeRolePolicyDocument=TRUST_ACCOUNT)
    kms = cloud.admin(DATA, "kms")
    key = kms.create_key(Policy=_key_policy(writer=False))["KeyMetadata"]["Arn"]
    s3 = cloud.admin(DATA, "s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_policy(Bucket=BUCKET, Policy=_bucket_policy(ROLE))
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key,
                    }
                }
            ]
        },
    )
    dynamodb = cloud.admin(WORKLOAD, "dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    cloud.admin(WORKLOAD, "sqs").create_queue(QueueName=QUEUE)


def _bucket_policy(writer: str) -> str:
    return document(
        allow(["s3:PutObject", "s3:GetObject"], OBJECT_ARN, Principal={"AWS": writer}),
    )


def _key_policy(*, writer: bool) -> str:
    statements = [
        allow(["kms:*"], Principal={"AWS": f"arn:aws:iam::{DATA}:root"}, Sid="Admin"),
    ]
    if writer:
        statements.append(
            allow(
                ["kms:GenerateDataKey", "kms:Decrypt"],
                Principal={"AWS": ROLE},
                Sid="Writer",
                Condition={"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
            )
        )
    return document(*statements)


def _set_key_policy(cloud: Cloud, *, writer: bool) -> None:
    kms = cloud.admin(DATA, "kms")
    [key] = kms.list_keys()["Keys"]
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=_key_policy(writer=writer))


def _refusal(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    found = error.value.response["Error"]
    return str(found.get("Code")), str(found.get("Message", ""))


def test_the_key_policy_must_let_the_role_use_the_key_through_s3(cloud: Cloud) -> None:
    s3 = cloud.function("s3")
    _set_key_policy(cloud, writer=False)

    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=BUCKET, Key="random/a.csv", Body=b"a", IfNoneMatch="*")
    code, message = _refusal(refused)
    assert code == "AccessDenied"
    assert message.startswith(
        "User: arn:aws:sts::111111111111:assumed-role/app-function/app-function is not "
        "authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:eu-west-1:"
        "222222222222:key/"
    )
    assert message.endswith(
        "because no resource-based policy allows the kms:GenerateDataKey action"
    )

    _set_key_policy(cloud, writer=True)
    s3.put_object(Bucket=BUCKET, Key="random/a.csv", Body=b"a", IfNoneMatch="*")


def test_a_boundary_without_get_object_refuses_the_read_back(cloud: Cloud) -> None:
    _set_key_policy(cloud, writer=True)
    s3 = cloud.function("s3")
    s3.put_object(Bucket=BUCKET, Key="random/b.csv", Body=b"b", IfNoneMatch="*")

    with pytest.raises(ClientError) as refused:
        s3.get_object(Bucket=BUCKET, Key="random/b.csv")
    code, message = _refusal(refused)
    assert code == "AccessDenied"
    assert message.endswith("because no permissions boundary allows the s3:GetObject action")
    with pytest.raises(ClientError) as head:
        s3.head_object(Bucket=BUCKET, Key="random/b.csv")
    assert head.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    iam = cloud.admin(WORKLOAD, "iam")
    iam.put_role_permissions_boundary(
        RoleName=ROLE_NAME,
        PermissionsBoundary=f"arn:aws:iam::{WORKLOAD}:policy/read-back-boundary",
    )
    try:
        assert s3.head_object(Bucket=BUCKET, Key="random/b.csv")["ContentLength"] == 1
        assert s3.get_object(Bucket=BUCKET, Key="random/b.csv")["Body"].read() == b"b"
    finally:
        iam.put_role_permissions_boundary(
            RoleName=ROLE_NAME, PermissionsBoundary=f"arn:aws:iam::{WORKLOAD}:policy/boundary"
        )


def test_the_other_accounts_bucket_policy_must_allow_too(cloud: Cloud) -> None:
    _set_key_policy(cloud, writer=True)
    s3 = cloud.function("s3")
    admin = cloud.admin(DATA, "s3")
    admin.put_bucket_policy(Bucket=BUCKET, Policy=_bucket_policy(f"arn:aws:iam::{WORKLOAD}:role/x"))
    try:
        with pytest.raises(ClientError) as refused:
            s3.put_object(Bucket=BUCKET, Key="random/c.csv", Body=b"c")
        code, message = _refusal(refused)
        assert code == "AccessDenied"
        assert message.endswith("because no resource-based policy allows the s3:PutObject action")
    finally:
        admin.put_bucket_policy(Bucket=BUCKET, Policy=_bucket_policy(ROLE))
    # Outside the role's prefix neither side allows.
    with pytest.raises(ClientError) as outside:
        s3.put_object(Bucket=BUCKET, Key="elsewhere/c.csv", Body=b"c")
    assert _refusal(outside)[0] == "AccessDenied"


def test_json_services_answer_access_denied_exception(cloud: Cloud) -> None:
    dynamodb = cloud.function("dynamodb")
    dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "1"}})
    with pytest.raises(ClientError) as refused:
        dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "1"}})
    code, message = _refusal(refused)
    assert code == "AccessDeniedException"
    assert "dynamodb:GetItem" in message


def test_a_queue_policy_deny_wins_and_sqs_answers_access_denied(cloud: Cloud) -> None:
    admin = cloud.admin(WORKLOAD, "sqs")
    url = admin.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    sqs = cloud.function("sqs")
    sqs.send_message(QueueUrl=url, MessageBody="{}")

    deny = document(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:SendMessage",
            "Resource": f"arn:aws:sqs:{REGION}:{WORKLOAD}:{QUEUE}",
        }
    )
    admin.set_queue_attributes(QueueUrl=url, Attributes={"Policy": deny})
    try:
        with pytest.raises(ClientError) as refused:
            sqs.send_message(QueueUrl=url, MessageBody="{}")
        code, message = _refusal(refused)
        assert code == "AccessDenied"
        assert message.endswith("with an explicit deny in a resource-based policy")
    finally:
        admin.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})


def test_only_enforced_roles_are_held_to_their_policies(cloud: Cloud) -> None:
    # Neither role has any policy: the unenforced one is let through as moto would.
    unenforced = client(
        "sqs",
        cloud.assume(f"arn:aws:iam::{WORKLOAD}:role/unenforced", "unenforced"),
        cloud.endpoint,
    )
    assert unenforced.list_queues()["QueueUrls"]
    ci = client(
        "sqs", cloud.assume(f"arn:aws:iam::{WORKLOAD}:role/{CI_ROLE}", "ci"), cloud.endpoint
    )
    with pytest.raises(ClientError) as refused:
        ci.list_queues()
    assert _refusal(refused)[0] == "AccessDenied"


def test_an_unmapped_request_of_an_enforced_role_is_refused_not_let_through(cloud: Cloud) -> None:
    ssm = cloud.function("ssm")
    with pytest.raises(ClientError) as refused:
        ssm.describe_parameters()
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
