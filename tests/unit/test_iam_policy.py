"""The IAM evaluator and the request-to-authorization table the role-sufficiency test relies on."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.e2e.aws_requests import (
    S3_ACTIONS,
    S3_VERSIONED,
    TOLERATED_REFUSALS,
    World,
    authorizations,
    decode,
    known_action,
    star_only,
)
from tests.e2e.iam_policy import Request, UnsupportedConditionError, decide, wildcard_match

ROLE = "arn:aws:iam::111111111111:role/randfile-ci-dev-apply"
BOUNDARY = "arn:aws:iam::111111111111:policy/randfile-ci-dev-boundary"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def request(action: str, resource: str, **context: list[str]) -> Request:
    return Request(principal=ROLE, action=action, resource=resource, context=context)


BOUNDED_CREATE = policy(
    {
        "Sid": "CreateBoundedRoles",
        "Effect": "Allow",
        "Action": ["iam:CreateRole", "iam:PutRolePolicy"],
        "Resource": "arn:aws:iam::111111111111:role/randfile-dev-*",
        "Condition": {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}},
    }
)


def test_a_condition_on_the_boundary_admits_only_that_boundary() -> None:
    role = "arn:aws:iam::111111111111:role/randfile-dev-function"
    other = "arn:aws:iam::111111111111:policy/admin"

    assert decide(
        request("iam:CreateRole", role, **{"iam:PermissionsBoundary": [BOUNDARY]}), [BOUNDED_CREATE]
    ).allowed
    assert not decide(request("iam:CreateRole", role), [BOUNDED_CREATE]).allowed
    assert not decide(
        request("iam:CreateRole", role, **{"iam:PermissionsBoundary": [other]}), [BOUNDED_CREATE]
    ).allowed
    assert not decide(
        request("iam:CreateRole", "arn:aws:iam::111111111111:role/randfile-ci-dev-apply"),
        [BOUNDED_CREATE],
    ).allowed


def test_explicit_deny_wins_and_actions_match_case_insensitively() -> None:
    documents = [
        policy({"Effect": "Allow", "Action": "IAM:*", "Resource": "*"}),
        policy({"Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"}),
    ]

    assert decide(request("iam:GetRole", "arn:aws:iam::111111111111:role/x"), documents).allowed
    decision = decide(request("iam:DeleteRolePermissionsBoundary", "x"), documents)
    assert not decision.allowed
    assert "denied" in decision.reason


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "holds"),
    [
        ("StringLike", "repo:acme/*", "repo:acme/randfile:pull_request", True),
        ("StringLike", "repo:acme/?", "repo:acme/ab", False),
        ("StringNotEquals", "dev", "prod", True),
        ("ArnLike", "arn:aws:iam::*:role/ci-*", "arn:aws:iam::1:role/ci-plan", True),
        ("ArnEquals", "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b", False),
        ("Bool", "true", "TRUE", True),
        ("StringEqualsIgnoreCase", "Dev", "dEV", True),
    ],
)
def test_condition_operators(operator: str, expected: str, actual: str, holds: bool) -> None:
    document = policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {operator: {"k": expected}},
        }
    )
    assert decide(request("s3:GetObject", "x", k=[actual]), [document]).allowed is holds


def test_missing_keys_null_and_if_exists() -> None:
    null = policy(
        {
            "Effect": "Deny",
            "Action": "s3:PutObject",
            "Resource": "*",
            "Condition": {"Null": {"s3:if-none-match": "true"}},
        },
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
    )
    if_exists = policy(
        {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "*",
            "Condition": {"StringEqualsIfExists": {"k": "v"}},
        }
    )

    assert not decide(request("s3:PutObject", "o"), [null]).allowed
    assert decide(request("s3:PutObject", "o", **{"s3:if-none-match": ["*"]}), [null]).allowed
    assert decide(request("s3:PutObject", "o"), [if_exists]).allowed
    assert not decide(request("s3:PutObject", "o", k=["w"]), [if_exists]).allowed


def test_an_unknown_operator_is_an_error_not_a_silent_match() -> None:
    document = policy(
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }
    )
    with pytest.raises(UnsupportedConditionError):
        decide(request("s3:GetObject", "x", **{"aws:SourceIp": ["10.1.1.1"]}), [document])


def test_a_key_policy_naming_the_role_grants_and_naming_the_account_only_delegates() -> None:
    names_role = policy(
        {
            "Sid": "Admins",
            "Effect": "Allow",
            "Principal": {"AWS": ROLE},
            "Action": "kms:PutKeyPolicy",
            "Resource": "*",
        }
    )
    names_account = policy(
        {
            "Sid": "Root",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    )
    key_request = request("kms:PutKeyPolicy", "*")

    assert decide(key_request, [], [names_role]).allowed
    assert not decide(key_request, [], [names_account]).allowed


def test_wildcards_are_iam_wildcards_not_regular_expressions() -> None:
    assert wildcard_match("arn:aws:s3:::randfile-dev-*/*", "arn:aws:s3:::randfile-dev-1/random/a")
    assert not wildcard_match("arn:aws:s3:::randfile.dev", "arn:aws:s3:::randfileXdev")
    assert wildcard_match("a[b]c", "a[b]c")


# --- from a recorded request to the authorizations AWS performs ---


def test_every_action_of_the_tables_exists_in_the_service_authorization_reference() -> None:
    actions = {f"s3:{name}" for name in [*S3_ACTIONS.values(), *S3_VERSIONED.values()]}
    assert [action for action in sorted(actions) if not known_action(action)] == []
    assert not known_action("s3:PutBucketEncryption")  # why the table exists
    assert {f"{service}:{operation}" for service, operation in TOLERATED_REFUSALS} == {
        "iam:GetUser"
    }


def test_describe_log_groups_is_authorized_on_star_only() -> None:
    assert star_only("logs:DescribeLogGroups")
    assert not star_only("logs:CreateLogGroup")


def entry(**fields: Any) -> dict[str, Any]:
    return {
        "principal": ROLE,
        "region": "eu-west-1",
        "query": "",
        "target": None,
        "body": "",
        "status": 200,
        **fields,
    }


def test_a_lambda_create_implies_pass_role_and_tag_resource() -> None:
    body = json.dumps(
        {
            "FunctionName": "randfile-dev",
            "Role": "arn:aws:iam::111111111111:role/randfile-dev-function",
            "Tags": {"environment": "dev"},
        }
    )
    call = decode(entry(service="lambda", method="POST", path="/2015-03-31/functions", body=body))
    found = [(a.request.action, a.request.resource) for a in authorizations(call, World())]

    assert call.operation == "CreateFunction"
    assert found == [
        ("lambda:CreateFunction", "arn:aws:lambda:eu-west-1:111111111111:function:randfile-dev"),
        ("iam:PassRole", "arn:aws:iam::111111111111:role/randfile-dev-function"),
        ("lambda:TagResource", "arn:aws:lambda:eu-west-1:111111111111:function:randfile-dev"),
    ]


def test_s3_operations_come_from_botocore_routes_and_map_to_their_actions() -> None:
    def s3(method: str, path: str, query: str = "") -> list[tuple[str, str]]:
        call = decode(entry(service="s3", method=method, path=path, query=query))
        return [(a.request.action, a.request.resource) for a in authorizations(call, World())]

    assert s3("PUT", "/b", "encryption") == [("s3:PutEncryptionConfiguration", "arn:aws:s3:::b")]
    assert s3("GET", "/b/state.tfstate") == [("s3:GetObject", "arn:aws:s3:::b/state.tfstate")]
    assert s3("GET", "/b/k", "uploadId=1") == [("s3:ListMultipartUploadParts", "arn:aws:s3:::b/k")]
    assert s3("DELETE", "/b/k", "versionId=3") == [("s3:DeleteObjectVersion", "arn:aws:s3:::b/k")]


def test_a_first_api_gateway_domain_needs_the_service_linked_role() -> None:
    call = decode(entry(service="apigateway", method="POST", path="/domainnames", body="{}"))
    found = {(a.request.action, a.request.resource) for a in authorizations(call, World())}

    assert (
        "iam:CreateServiceLinkedRole",
        "arn:aws:iam::111111111111:role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway",
    ) in found


API = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/restapis/a1b2c3", ""),
        ("DELETE", "/restapis/a1b2c3/stages/v1", ""),
        ("POST", "/restapis/a1b2c3/deployments", "{}"),
        ("PUT", "/tags/arn%3Aaws%3Aapigateway%3Aeu-west-1%3A%3A%2Frestapis%2Fa1b2c3", "{}"),
    ],
)
def test_api_gateway_children_and_tagging_are_authorised_with_the_rest_apis_tags(
    method: str, path: str, body: str
) -> None:
    """A REST API's tags are inherited by its stages, deployments... and tagging is decided on
    the tagged resource's tags: what the CI roles' environment conditions test."""
    world = World(tags={API: {"environment": "prod"}})
    call = decode(entry(service="apigateway", method=method, path=path, body=body))
    [first, *_] = authorizations(call, world)

    assert first.request.context["aws:ResourceTag/environment"] == ["prod"]


def test_an_api_gateway_create_carries_its_request_tags() -> None:
    body = json.dumps({"name": "randfile-dev", "tags": {"environment": "dev"}})
    call = decode(entry(service="apigateway", method="POST", path="/restapis", body=body))
    [create, *_] = authorizations(call, World(tags={API: {"environment": "prod"}}))

    assert create.request.context["aws:RequestTag/environment"] == ["dev"]
    assert create.request.context["aws:TagKeys"] == ["environment"]
    assert "aws:ResourceTag/environment" not in create.request.context


def _query(service: str, **params: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The authorizations of a query-protocol request (form body, as the provider sends it)."""
    call = decode(entry(service=service, method="POST", path="/", body=urlencode(params)))
    return [
        (
            a.request.action,
            a.request.resource,
            {k: v for k, v in a.request.context.items() if "Tag" in k},
        )
        for a in authorizations(call, World())
    ]


def test_a_tagged_topic_is_created_and_tagged_and_its_subscriptions_are_star_only() -> None:
    topic = "arn:aws:sns:eu-west-1:111111111111:randfile-dev-alarms"
    tagged = {"aws:RequestTag/environment": ["dev"], "aws:TagKeys": ["environment"]}
    created = _query(
        "sns",
        Action="CreateTopic",
        Name="randfile-dev-alarms",
        **{"Tags.member.1.Key": "environment", "Tags.member.1.Value": "dev"},
    )
    assert created == [("sns:CreateTopic", topic, tagged), ("sns:TagResource", topic, tagged)]
    assert _query("sns", Action="GetSubscriptionAttributes", SubscriptionArn=f"{topic}:1") == [
        ("sns:GetSubscriptionAttributes", "*", {})
    ]


def test_cloudwatch_requests_in_the_query_protocol_name_their_alarms_and_dashboards() -> None:
    alarm = "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:"
    # botocore's CloudWatch model prefers CBOR; the provider sends the query protocol.
    assert _query(
        "monitoring",
        Action="DeleteAlarms",
        **{"AlarmNames.member.1": "randfile-dev-a", "AlarmNames.member.2": "randfile-dev-b"},
    ) == [
        ("cloudwatch:DeleteAlarms", alarm + "randfile-dev-a", {}),
        ("cloudwatch:DeleteAlarms", alarm + "randfile-dev-b", {}),
    ]
    put = _query(
        "monitoring",
        Action="PutMetricAlarm",
        AlarmName="randfile-dev-a",
        **{"Tags.member.1.Key": "environment", "Tags.member.1.Value": "dev"},
    )
    assert [(action, resource) for action, resource, _ in put] == [
        ("cloudwatch:PutMetricAlarm", alarm + "randfile-dev-a"),
        ("cloudwatch:TagResource", alarm + "randfile-dev-a"),
    ]
    assert _query("monitoring", Action="PutDashboard", DashboardName="randfile-dev") == [
        ("cloudwatch:PutDashboard", "arn:aws:cloudwatch::111111111111:dashboard/randfile-dev", {})
    ]


def _json(service: str, target: str, **params: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """The authorizations of a JSON-protocol request (X-Amz-Target, JSON body)."""
    call = decode(
        entry(service=service, method="POST", path="/", target=target, body=json.dumps(params))
    )
    return [
        (
            a.request.action,
            a.request.resource,
            {k: v for k, v in a.request.context.items() if "Tag" in k},
        )
        for a in authorizations(call, World())
    ]


def test_dynamodb_requests_name_their_table_and_a_tagged_create_also_tags() -> None:
    table = "arn:aws:dynamodb:eu-west-1:111111111111:table/randfile-dev-jobs"
    tagged = {"aws:RequestTag/environment": ["dev"], "aws:TagKeys": ["environment"]}
    created = _json(
        "dynamodb",
        "DynamoDB_20120810.CreateTable",
        TableName="randfile-dev-jobs",
        Tags=[{"Key": "environment", "Value": "dev"}],
    )
    assert created == [
        ("dynamodb:CreateTable", table, tagged),
        ("dynamodb:TagResource", table, tagged),
    ]
    assert _json(
        "dynamodb", "DynamoDB_20120810.DescribeTimeToLive", TableName="randfile-dev-jobs"
    ) == [("dynamodb:DescribeTimeToLive", table, {})]
    assert _json("dynamodb", "DynamoDB_20120810.ListTagsOfResource", ResourceArn=table) == [
        ("dynamodb:ListTagsOfResource", table, {})
    ]


def test_sqs_requests_name_their_queue_by_name_or_url_and_a_tagged_create_also_tags() -> None:
    queue = "arn:aws:sqs:eu-west-1:111111111111:randfile-dev-jobs-failed"
    tagged = {"aws:RequestTag/environment": ["dev"], "aws:TagKeys": ["environment"]}
    created = _json(
        "sqs",
        "AmazonSQS.CreateQueue",
        QueueName="randfile-dev-jobs-failed",
        tags={"environment": "dev"},
    )
    assert created == [("sqs:CreateQueue", queue, tagged), ("sqs:TagQueue", queue, tagged)]
    url = "https://sqs.eu-west-1.amazonaws.com/111111111111/randfile-dev-jobs-failed"
    assert _json("sqs", "AmazonSQS.GetQueueAttributes", QueueUrl=url, AttributeNames=["All"]) == [
        ("sqs:GetQueueAttributes", queue, {})
    ]
    # The emulator's queue URLs carry its own host; the account and name are what count.
    local = "http://127.0.0.1:4566/111111111111/randfile-dev-jobs-failed"
    assert _json("sqs", "AmazonSQS.DeleteQueue", QueueUrl=local) == [("sqs:DeleteQueue", queue, {})]


def test_a_worker_event_invoke_config_is_a_lambda_action_on_the_worker() -> None:
    worker = "arn:aws:lambda:eu-west-1:111111111111:function:randfile-dev-worker"
    path = "/2019-09-25/functions/randfile-dev-worker/event-invoke-config"
    found = {
        method: [
            (a.request.action, a.request.resource)
            for a in authorizations(
                decode(entry(service="lambda", method=method, path=path, body="{}")), World()
            )
        ]
        for method in ("PUT", "GET", "POST", "DELETE")
    }
    assert found == {
        "PUT": [("lambda:PutFunctionEventInvokeConfig", worker)],
        "GET": [("lambda:GetFunctionEventInvokeConfig", worker)],
        "POST": [("lambda:UpdateFunctionEventInvokeConfig", worker)],
        "DELETE": [("lambda:DeleteFunctionEventInvokeConfig", worker)],
    }


def test_a_key_named_by_its_alias_is_authorised_on_the_key_with_the_alias_as_context() -> None:
    call = decode(
        entry(
            service="kms",
            method="POST",
            path="/",
            target="TrentService.DescribeKey",
            body=json.dumps({"KeyId": "alias/aws/dynamodb"}),
        )
    )
    [authorization] = list(authorizations(call, World()))
    assert authorization.request.action == "kms:DescribeKey"
    assert authorization.request.resource == "arn:aws:kms:eu-west-1:111111111111:key/*"
    assert authorization.request.context["kms:RequestAlias"] == ["alias/aws/dynamodb"]
    alias_arn = "arn:aws:kms:eu-west-1:111111111111:alias/randfile-dev-alarms"
    key = "arn:aws:kms:eu-west-1:111111111111:key/0d1c2b3a-0000-4000-8000-000000000001"
    known = decode(
        entry(
            service="kms",
            method="POST",
            path="/",
            target="TrentService.DescribeKey",
            body=json.dumps({"KeyId": alias_arn}),
        )
    )
    [resolved] = list(authorizations(known, World(key_aliases={alias_arn: key})))
    assert resolved.request.resource == key
    assert resolved.request.context["kms:RequestAlias"] == ["alias/randfile-dev-alarms"]
