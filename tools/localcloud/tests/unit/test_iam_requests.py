"""The map from a recorded HTTP request to the IAM authorizations AWS performs for it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from localcloud.iam.requests import (
    S3_ACTIONS,
    S3_VERSIONED,
    TOLERATED_REFUSALS,
    Call,
    World,
    authorizations,
    decode,
    known_action,
    star_only,
)

ROLE = "arn:aws:iam::111111111111:role/randfile-ci-dev-apply"


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


# The tag condition keys of a create that tags environment=dev (and of its tagging action).
DEV_TAGGED = {"aws:RequestTag/environment": ["dev"], "aws:TagKeys": ["environment"]}


def _actions_resources_and_tags(call: Call) -> list[tuple[str, str, dict[str, Any]]]:
    """Each authorization of a call as its action, its resource and its tag condition keys."""
    return [
        (
            a.request.action,
            a.request.resource,
            {k: v for k, v in a.request.context.items() if "Tag" in k},
        )
        for a in authorizations(call, World())
    ]


def _query(service: str, **params: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The authorizations of a query-protocol request (form body, as the provider sends it)."""
    call = decode(entry(service=service, method="POST", path="/", body=urlencode(params)))
    return _actions_resources_and_tags(call)


def test_a_tagged_topic_is_created_and_tagged_and_its_subscriptions_are_star_only() -> None:
    topic = "arn:aws:sns:eu-west-1:111111111111:randfile-dev-alarms"
    created = _query(
        "sns",
        Action="CreateTopic",
        Name="randfile-dev-alarms",
        **{"Tags.member.1.Key": "environment", "Tags.member.1.Value": "dev"},
    )
    assert created == [
        ("sns:CreateTopic", topic, DEV_TAGGED),
        ("sns:TagResource", topic, DEV_TAGGED),
    ]
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
    return _actions_resources_and_tags(call)


def test_dynamodb_requests_name_their_table_and_a_tagged_create_also_tags() -> None:
    table = "arn:aws:dynamodb:eu-west-1:111111111111:table/randfile-dev-jobs"
    created = _json(
        "dynamodb",
        "DynamoDB_20120810.CreateTable",
        TableName="randfile-dev-jobs",
        Tags=[{"Key": "environment", "Value": "dev"}],
    )
    assert created == [
        ("dynamodb:CreateTable", table, DEV_TAGGED),
        ("dynamodb:TagResource", table, DEV_TAGGED),
    ]
    assert _json(
        "dynamodb", "DynamoDB_20120810.DescribeTimeToLive", TableName="randfile-dev-jobs"
    ) == [("dynamodb:DescribeTimeToLive", table, {})]
    assert _json("dynamodb", "DynamoDB_20120810.ListTagsOfResource", ResourceArn=table) == [
        ("dynamodb:ListTagsOfResource", table, {})
    ]


def test_a_dynamodb_transaction_is_authorized_as_each_of_its_actions_on_its_table() -> None:
    jobs = "arn:aws:dynamodb:eu-west-1:111111111111:table/app-jobs"
    other = "arn:aws:dynamodb:eu-west-1:111111111111:table/other"
    key = {"id": {"S": "a"}}
    assert _json(
        "dynamodb",
        "DynamoDB_20120810.TransactWriteItems",
        TransactItems=[
            {"Update": {"TableName": "app-jobs", "Key": key, "UpdateExpression": "SET a = :a"}},
            {"Put": {"TableName": "other", "Item": key}},
            {"ConditionCheck": {"TableName": "app-jobs", "Key": key, "ConditionExpression": "x"}},
            {"Delete": {"TableName": "other", "Key": key}},
        ],
    ) == [
        ("dynamodb:UpdateItem", jobs, {}),
        ("dynamodb:PutItem", other, {}),
        ("dynamodb:ConditionCheckItem", jobs, {}),
        ("dynamodb:DeleteItem", other, {}),
    ]
    assert _json(
        "dynamodb",
        "DynamoDB_20120810.TransactGetItems",
        TransactItems=[{"Get": {"TableName": "app-jobs", "Key": key}}],
    ) == [("dynamodb:GetItem", jobs, {})]


def test_sqs_requests_name_their_queue_by_name_or_url_and_a_tagged_create_also_tags() -> None:
    queue = "arn:aws:sqs:eu-west-1:111111111111:randfile-dev-jobs-failed"
    created = _json(
        "sqs",
        "AmazonSQS.CreateQueue",
        QueueName="randfile-dev-jobs-failed",
        tags={"environment": "dev"},
    )
    assert created == [("sqs:CreateQueue", queue, DEV_TAGGED), ("sqs:TagQueue", queue, DEV_TAGGED)]
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


def test_an_invoke_synchronous_or_event_is_lambda_invoke_function() -> None:
    path = "/2015-03-31/functions/randfile-dev-worker/invocations"
    call = decode(entry(service="lambda", method="POST", path=path, body='{"job_id": "x"}'))
    assert call.operation == "Invoke"
    assert [(a.request.action, a.request.resource) for a in authorizations(call, World())] == [
        (
            "lambda:InvokeFunction",
            "arn:aws:lambda:eu-west-1:111111111111:function:randfile-dev-worker",
        )
    ]


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


def test_event_source_mappings_are_authorized_with_the_function_they_invoke() -> None:
    worker = "arn:aws:lambda:eu-west-1:111111111111:function:randfile-dev-worker"
    mapping = "arn:aws:lambda:eu-west-1:111111111111:event-source-mapping:6f1b"
    tags = {"environment": "dev"}
    world = World(event_source_mappings={"6f1b": worker}, tags={mapping: tags})

    def found(method: str, path: str, body: Any = None) -> list[tuple[str, str, dict[str, Any]]]:
        call = decode(
            entry(service="lambda", method=method, path=path, body=json.dumps(body or {}))
        )
        return [
            (
                a.request.action,
                a.request.resource,
                {k: v for k, v in a.request.context.items() if k.startswith(("lambda:", "aws:Re"))},
            )
            for a in authorizations(call, world)
        ]

    created = found(
        "POST",
        "/2015-03-31/event-source-mappings",
        {"FunctionName": "randfile-dev-worker", "EventSourceArn": "arn:aws:sqs:...", "Tags": tags},
    )
    assert created == [
        (
            "lambda:CreateEventSourceMapping",
            "*",
            {"lambda:FunctionArn": [worker], "aws:RequestTag/environment": ["dev"]},
        ),
        (
            "lambda:TagResource",
            "arn:aws:lambda:eu-west-1:111111111111:event-source-mapping:*",
            {"aws:RequestTag/environment": ["dev"]},
        ),
    ]
    on_mapping = {"lambda:FunctionArn": [worker], "aws:ResourceTag/environment": ["dev"]}
    # The mapping's function comes from what the world knows of it, as AWS knows it.
    assert found("GET", "/2015-03-31/event-source-mappings/6f1b") == [
        ("lambda:GetEventSourceMapping", mapping, on_mapping)
    ]
    assert found("DELETE", "/2015-03-31/event-source-mappings/6f1b") == [
        ("lambda:DeleteEventSourceMapping", mapping, on_mapping)
    ]
    assert found("PUT", "/2015-03-31/event-source-mappings/6f1b", {"Enabled": False}) == [
        ("lambda:UpdateEventSourceMapping", mapping, on_mapping)
    ]
    assert found("GET", f"/2017-03-31/tags/{mapping}") == [
        ("lambda:ListTags", mapping, {"aws:ResourceTag/environment": ["dev"]})
    ]


@pytest.mark.parametrize(
    ("query", "headers", "operation"),
    [
        ("partNumber=2&uploadId=abc", {}, "UploadPart"),
        ("partNumber=2&uploadId=abc", {"x-amz-copy-source": "b/other"}, "UploadPartCopy"),
        ("", {}, "PutObject"),
        ("", {"X-Amz-Copy-Source": "b/other"}, "CopyObject"),
    ],
)
def test_a_copy_is_told_from_a_write_by_its_copy_source_header(
    query: str, headers: dict[str, str], operation: str
) -> None:
    call = decode(entry(service="s3", method="PUT", path="/b/k.bin", query=query, headers=headers))
    assert call.operation == operation
    assert [a.request.action for a in authorizations(call, World())] == ["s3:PutObject"]
