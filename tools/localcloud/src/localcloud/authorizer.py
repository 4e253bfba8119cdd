"""Authorizes at run time what AWS authorizes: WSGI middleware in front of moto.

moto lets every signed request through. On AWS, a request made with a role's credentials is
evaluated against the role's identity policies within its permissions boundary, the resource's
policy (an S3 bucket in another account must allow too) and, for an object under SSE-KMS, the KMS
key policy of the data key S3 asks for on the caller's behalf (kms:ViaService). This middleware
does the same for the sessions of the roles it enforces, before moto sees the request, and
answers AWS's AccessDenied in the service's protocol when AWS would refuse.

Enforced by default: every role whose trust policy names lambda.amazonaws.com (execution roles:
the calls of the function and the worker). LOCALCLOUD_ENFORCED_ROLES adds roles by name
(comma-separated fnmatch patterns, e.g. ``my-ci-*``), so that deploy-time roles can be held
to their policies online too. A request of an enforced role that localcloud.iam.requests cannot
map to IAM actions is refused and logged, never let through unchecked.

Policies: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
SSE-KMS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms
(PutObject needs kms:GenerateDataKey, GetObject kms:Decrypt, a multipart upload both).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from io import BytesIO
from typing import Any

from moto.iam.models import iam_backends
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request as HttpRequest

from localcloud import access_denied, policy_store, signing
from localcloud.iam import requests
from localcloud.iam.evaluator import Decision, Request, decide

ENFORCED_ROLES_VARIABLE = "LOCALCLOUD_ENFORCED_ROLES"
EXECUTION_ROLE_SERVICE = "lambda.amazonaws.com"

# What S3 asks KMS for on the caller's behalf, per operation, when the object is under SSE-KMS.
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html
S3_KMS_ACTIONS = {
    "PutObject": ("kms:GenerateDataKey",),
    "CreateMultipartUpload": ("kms:GenerateDataKey", "kms:Decrypt"),
    "GetObject": ("kms:Decrypt",),
}

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
log = logging.getLogger("localcloud.authorizer")


def role_patterns(value: str | None = None) -> list[str]:
    """The role-name patterns of LOCALCLOUD_ENFORCED_ROLES (or ``value``)."""
    raw = os.environ.get(ENFORCED_ROLES_VARIABLE, "") if value is None else value
    return [pattern.strip() for pattern in raw.split(",") if pattern.strip()]


def _principal_context(role: signing.AssumedRole) -> dict[str, list[str]]:
    """The global condition keys of a role session.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"""
    found = iam_backends[role.account_id][policy_store.PARTITION].get_role_by_arn(role.role_arn)
    session_name = role.session_arn.rsplit("/", 1)[-1]
    now = time.time()
    context = {
        "aws:PrincipalArn": [role.role_arn],
        "aws:PrincipalAccount": [role.account_id],
        "aws:PrincipalType": ["AssumedRole"],
        "aws:userid": [f"{found.id}:{session_name}"],
        "aws:CurrentTime": [datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
        "aws:EpochTime": [str(int(now))],
    }
    tags: Any = found.tags or []
    for tag in tags.values() if isinstance(tags, dict) else tags:
        context[f"aws:PrincipalTag/{tag['Key']}"] = [str(tag["Value"])]
    return context


def _kms_on_behalf(call: requests.Call, role: signing.AssumedRole) -> Iterator[Request]:
    """The KMS requests S3 makes for the caller when the object is under SSE-KMS."""
    actions = S3_KMS_ACTIONS.get(call.operation, ())
    if not actions or "Bucket" not in call.params:
        return
    if call.headers.get("x-amz-server-side-encryption", "aws:kms") != "aws:kms":
        return
    key = policy_store.s3_kms_key(
        call.region,
        str(call.params["Bucket"]),
        str(call.params["Key"]) if call.operation == "GetObject" else None,
        call.headers.get("x-amz-server-side-encryption-aws-kms-key-id"),
    )
    if key is None:
        return
    for action in actions:
        yield Request(
            principal=role.role_arn,
            action=action,
            resource=key,
            context={
                **requests.BASE_CONTEXT,
                "kms:ViaService": [f"s3.{call.region}.amazonaws.com"],
                "kms:CallerAccount": [role.account_id],
            },
        )


def evaluate(request: Request, identity: policy_store.IdentityPolicies) -> Decision:
    """AWS's decision on one request of a role whose policies are ``identity``, with the
    policy of the resource it names."""
    resource = policy_store.resource_policy(request.resource)
    return decide(
        request,
        identity.policies,
        resource.documents,
        boundaries=identity.boundary,
        resource_account=resource.account_id,
        resource_policy_required=resource.required,
    )


def refusal(entry: dict[str, Any], role: signing.AssumedRole) -> str | None:
    """AWS's AccessDenied message for a request of ``role``'s session, or None if AWS allows it."""
    try:
        call = requests.decode({**entry, "principal": role.role_arn})
        asked = [a.request for a in requests.authorizations(call, requests.World())]
    except requests.UnmappedRequestError as error:
        log.error("refused an unmapped request of %s: %s", role.session_arn, error)
        return f"localcloud cannot authorize this request as AWS would: {error}"
    asked += list(_kms_on_behalf(call, role))
    identity = policy_store.identity_policies(role.role_arn)
    principal = _principal_context(role)
    for each in asked:
        request = replace(each, session=role.session_arn, context={**each.context, **principal})
        decision = evaluate(request, identity)
        if not decision.allowed:
            message = decision.message(request)
            log.warning("refused %s: %s (%s)", call.describe(), message, decision.reason)
            return message
    return None


def request_entry(
    environ: dict[str, Any], http: HttpRequest, signed: signing.Scope, *, read_body: bool
) -> dict[str, Any]:
    """A signed request as localcloud.iam.requests.decode reads it (the recorder's line). With
    ``read_body`` the body is read and put back for the app behind."""
    body = b""
    if read_body:
        body = http.get_data(cache=True)
        environ["wsgi.input"] = BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
    return {
        "method": http.method,
        "path": http.path,
        "query": http.query_string.decode("latin-1"),
        "target": http.headers.get("X-Amz-Target"),
        "body": body.decode("utf-8", "replace"),
        "headers": dict(http.headers.items()),
        "service": signed.service,
        "region": signed.region,
    }


class Authorizer:
    """WSGI middleware refusing what AWS would refuse to the roles it enforces."""

    def __init__(self, app: WsgiApp, patterns: Sequence[str] = ()) -> None:
        self._app = app
        self._patterns = list(patterns)

    def enforced(self, role: signing.AssumedRole) -> bool:
        return any(fnmatchcase(role.role_name, p) for p in self._patterns) or (
            policy_store.trusts_service(role.role_arn, EXECUTION_ROLE_SERVICE)
        )

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        http = HttpRequest(environ)
        signed = signing.scope(http)
        role = signing.assumed_role(signed.access_key_id) if signed is not None else None
        if signed is None or role is None or not self.enforced(role):
            return self._app(environ, start_response)
        protocol = requests.protocol(signed.service) if signed.service in requests.SERVICES else ""
        # Object data (S3) is never needed to authorize: only other protocols' bodies are read.
        entry = request_entry(environ, http, signed, read_body=protocol != "rest-xml")
        message = refusal(entry, role)
        if message is None:
            return self._app(environ, start_response)
        status, headers, payload = access_denied.response(
            signed.service, protocol, http.method, message
        )
        start_response(
            f"{status} {HTTP_STATUS_CODES[status]}",
            [*headers, ("Content-Length", str(len(payload)))],
        )
        return [payload]
