"""One HTTPS request to the custom domain, served as API Gateway serves a Lambda proxy route."""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud import interpreters, model, wiring
from localcloud.aws import Identity
from localcloud.environments import Environments

# What API Gateway answers when the Lambda proxy integration fails or returns a malformed result.
_BAD_GATEWAY = 502


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: str
    route: model.Route
    interpreter: interpreters.Interpreter
    logs: str = field(repr=False, default="")
    # True when API Gateway made the answer (the function failed or answered malformed).
    gateway_error: bool = False

    def json(self) -> Any:
        return json.loads(self.body)


def proxy_event(
    route: model.Route, path: str, body: str, headers: dict[str, str], caller: model.Caller
) -> dict[str, Any]:
    """A REST API Lambda proxy event (payload format 1.0) as the custom domain delivers it."""
    now = time.time()
    request_id = str(uuid.uuid4())
    iam = route.authorization_type == "AWS_IAM"
    return {
        "resource": route.resource_path,
        "path": path,
        "httpMethod": route.http_method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": dict(route.path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": route.resource_id,
            "resourcePath": route.resource_path,
            "httpMethod": route.http_method,
            "extendedRequestId": base64.b64encode(uuid.uuid4().bytes[:12]).decode(),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": path,
            "accountId": route.method_arn.split(":")[4],
            "protocol": "HTTP/1.1",
            "stage": route.stage_name,
            "domainPrefix": route.domain_name.split(".")[0],
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "cognitoIdentityId": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "accountId": caller.account_id if iam else None,
                "caller": caller.arn.split("/", 1)[-1] if iam else None,
                "accessKey": caller.access_key_id if iam else None,
                "user": caller.arn.split("/", 1)[-1] if iam else None,
                "userArn": caller.arn if iam else None,
                "apiKey": caller.api_key if route.api_key_id else None,
                "apiKeyId": route.api_key_id,
                "principalOrgId": None,
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("User-Agent", ""),
            },
            "domainName": route.domain_name,
            "apiId": route.rest_api_id,
        },
        "body": body,
        "isBase64Encoded": False,
    }


_INTERNAL_ERROR = (
    _BAD_GATEWAY,
    {"Content-Type": "application/json"},
    '{"message": "Internal server error"}',
)


def _response_from(outcome: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Map the handler's result to HTTP as API Gateway does; anything malformed is a 502."""
    result = outcome.get("result")
    if "error" in outcome or not isinstance(result, dict):
        return _INTERNAL_ERROR
    status = result.get("statusCode")
    if not isinstance(status, int) or not 100 <= status <= 599:
        return _INTERNAL_ERROR
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name)] = ",".join(str(value) for value in values)
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    return status, headers, str(body)


def invoke(
    workload: Identity,
    route: model.Route,
    caller: model.Caller,
    zip_path: Path,
    *,
    environments: Environments,
    path: str,
    body: str,
    headers: dict[str, str],
) -> Response:
    """Run the route's function on one proxy event, in one of its warm execution environments
    (or a new one), and answer as API Gateway would."""
    event = proxy_event(route, path, body, headers, caller)
    function = route.function
    invocation = environments.invoke(
        zip_path,
        function,
        event,
        assume_role=lambda seconds: workload.assume(function.role_arn, function.name, seconds),
    )
    answer = _response_from(invocation.outcome)
    status, response_headers, response_body = answer
    return Response(
        status,
        response_headers,
        response_body,
        route,
        interpreter=invocation.interpreter,
        logs=invocation.logs,
        gateway_error=answer is _INTERNAL_ERROR,
    )


def request(
    workload: Identity,
    *,
    caller: model.Caller,
    zip_path: Path,
    environments: Environments,
    domain_name: str,
    path: str,
    body: str,
) -> Response:
    """POST ``body`` to https://<domain_name><path>."""
    route = wiring.resolve(workload, domain_name, path, "POST", caller)
    headers = {
        "Host": domain_name,
        "Content-Type": "application/json",
        "User-Agent": "localcloud",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "443",
    }
    if caller.api_key:
        headers["x-api-key"] = caller.api_key
    return invoke(
        workload,
        route,
        caller,
        zip_path,
        environments=environments,
        path=path,
        body=body,
        headers=headers,
    )
