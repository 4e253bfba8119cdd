"""The API over real HTTP on 127.0.0.1, answering as API Gateway answers the custom domain.

Runs in the emulator process (localcloud.server), the only place that knows the secrets of the
keys moto issued. A request is routed by its Host header to the custom domain and follows the
deployed wiring (localcloud.wiring), in API Gateway's order: route and method, SigV4 signature
(AWS_IAM), API key, resource policy, usage plan throttle, stage throttle, usage plan quota, then
the Lambda proxy integration. Every refusal is a gateway response: the one the stage's deployment
holds for that type (or for DEFAULT_4XX/DEFAULT_5XX), else API Gateway's default
`{"message": ...}` with its x-amzn-ErrorType header.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError
from werkzeug.wrappers import Request, Response

from localcloud import gateway, model, principals, sigv4, wiring
from localcloud.aws import Identity
from localcloud.concurrency import Throttled
from localcloud.environments import FunctionHost
from localcloud.runtime import InvocationError
from localcloud.throttling import Limits

logger = logging.getLogger("localcloud.http_api")

# API Gateway's payload quota for REST APIs: 10 MB
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html).
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
_CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z.]+)")
_STATIC_VALUE = re.compile(r"^'(.*)'$")
_HEADER_PARAMETER = "gatewayresponse.header."


@dataclass(frozen=True)
class Refusal:
    """An answer API Gateway makes itself: gateway response type, default status, message."""

    response_type: str
    status: int
    error_type: str
    message: str
    # The gateway responses of the deployment the request reached (none before one is chosen).
    gateway_responses: Mapping[str, dict[str, Any]] = field(default_factory=dict)


class Refused(Exception):
    """Raised on the way through the checks; answered as the gateway response of its refusal."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def _apigw_id() -> str:
    return base64.b64encode(uuid.uuid4().bytes[:12]).decode()[:16]


def render_template(template: str, context: Mapping[str, str]) -> str:
    """The $context variables of a gateway response template; anything else is refused."""

    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name not in context:
            raise ValueError(f"gateway response template uses ${name}, not modelled here")
        return context[name]

    return _CONTEXT_VARIABLE.sub(value, template)


class FrontDoor:
    """The WSGI application of the API's HTTP endpoint.

    ``host``: what the integrations run functions with, its identities' region the APIs' region,
    which callers sign their requests for; ``gateway_role_arn``: a role in the account that owns
    the APIs, which the gateway reads their configuration with."""

    def __init__(
        self, host: FunctionHost, *, gateway_role_arn: str, limits: Limits | None = None
    ) -> None:
        self._host = host
        self._gateway_role_arn = gateway_role_arn
        self._limits = limits or Limits()
        self._lock = threading.Lock()
        self._workload: Identity | None = None

    def workload(self) -> Identity:
        # Creating boto3 clients is not thread-safe: the identity and its clients are made once.
        with self._lock:
            if self._workload is None:
                identity = self._host.identities.assume(
                    self._gateway_role_arn, "localcloud-apigateway"
                )
                for client in (
                    identity.apigateway,
                    identity.acm,
                    identity.route53,
                    identity.lambda_,
                    identity.iam,
                    identity.sts,
                ):
                    client()
                self._workload = identity
            return self._workload

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        request_id = str(uuid.uuid4())
        try:
            response = self._handle(request, request_id)
        except Refused as refused:
            response = self._refuse(refused.refusal, request_id)
        except Exception:
            logger.exception("request %s failed in the local API Gateway", request_id)
            response = self._refuse(
                Refusal(
                    "DEFAULT_5XX", 500, "InternalServerErrorException", "Internal server error"
                ),
                request_id,
            )
        return response(environ, start_response)

    def _handle(self, request: Request, request_id: str) -> Response:
        workload = self.workload()
        host = request.headers.get("Host", "")
        domain = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host
        try:
            workload.apigateway().get_domain_name(domainName=domain)
        except ClientError:
            # No custom domain of that name: API Gateway's front end knows no API for it.
            raise Refused(Refusal("", 403, "ForbiddenException", "Forbidden")) from None
        try:
            endpoint = wiring.find_method(workload, domain, request.path, request.method)
        except model.Rejection as rejection:
            raise Refused(self._rejected(rejection)) from None
        body = self._body(request)
        if body is None:
            raise Refused(
                Refusal(
                    "REQUEST_TOO_LARGE",
                    413,
                    "RequestTooLargeException",
                    f"HTTP content length exceeded {MAX_PAYLOAD_BYTES} bytes.",
                    endpoint.gateway_responses,
                )
            )
        api_key = request.headers.get("x-api-key")
        try:
            caller = self._caller(request, endpoint, body, api_key)
            admission = wiring.authorize(workload, endpoint, caller)
        except sigv4.SignatureRejected as rejected:
            raise Refused(
                Refusal(
                    rejected.response_type,
                    403,
                    rejected.error_type,
                    rejected.message,
                    endpoint.gateway_responses,
                )
            ) from None
        except model.Rejection as rejection:
            logger.info("request %s refused: %s", request_id, rejection)
            raise Refused(self._rejected(rejection)) from None
        self._throttle(workload, endpoint, admission)
        try:
            route = wiring.integrate(workload, endpoint, admission)
        except model.WiringError as error:
            logger.error("request %s: %s", request_id, error)
            raise Refused(
                Refusal(
                    "API_CONFIGURATION_ERROR",
                    500,
                    "InternalServerErrorException",
                    "Internal server error",
                    endpoint.gateway_responses,
                )
            ) from error
        return self._integrate(
            workload, route, caller=caller, request=request, body=body, request_id=request_id
        )

    @staticmethod
    def _body(request: Request) -> bytes | None:
        """The body, or None when it exceeds API Gateway's payload limit (read no further)."""
        if (request.content_length or 0) > MAX_PAYLOAD_BYTES:
            return None
        body = request.stream.read(MAX_PAYLOAD_BYTES + 1)
        return None if len(body) > MAX_PAYLOAD_BYTES else body

    def _caller(
        self, request: Request, endpoint: model.Endpoint, body: bytes, api_key: str | None
    ) -> model.Caller:
        if endpoint.authorization_type != "AWS_IAM":
            return model.Caller("anonymous", "", "", api_key)
        headers = dict(request.headers.items())
        authorization = sigv4.parse(headers, self._host.identities.region)
        principal = principals.lookup(authorization.access_key_id, authorization.session_token)
        query = request.query_string.decode()
        sigv4.verify(
            authorization,
            principal.credentials,
            method=request.method,
            url=f"https://{request.headers.get('Host', '')}{request.path}"
            + (f"?{query}" if query else ""),
            headers=headers,
            body=body,
        )
        return model.Caller(
            principal.arn, principal.account_id, authorization.access_key_id, api_key
        )

    @staticmethod
    def _rejected(rejection: model.Rejection) -> Refusal:
        if rejection.response_type == model.INVALID_API_KEY:
            return Refusal(
                rejection.response_type,
                403,
                "ForbiddenException",
                "Forbidden",
                rejection.gateway_responses,
            )
        if rejection.response_type == model.ACCESS_DENIED:
            return Refusal(
                rejection.response_type,
                403,
                "AccessDeniedException",
                rejection.public_message or "Forbidden",
                rejection.gateway_responses,
            )
        return Refusal(
            rejection.response_type,
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
            rejection.gateway_responses,
        )

    def _throttle(
        self, workload: Identity, endpoint: model.Endpoint, admission: model.Admission
    ) -> None:
        """Usage plan throttle (per key), stage throttle, then the usage plan's quota."""
        api_id, responses = endpoint.rest_api_id, endpoint.gateway_responses
        throttled = Refusal(
            "THROTTLED", 429, "TooManyRequestsException", "Too Many Requests", responses
        )
        plan = admission.usage_plan or {}
        throttle = plan.get("throttle")
        if throttle and not self._limits.admit(
            f"plan:{plan['id']}:{admission.api_key_id}",
            float(throttle["rateLimit"]),
            int(throttle["burstLimit"]),
        ):
            raise Refused(throttled)
        stage = workload.apigateway().get_stage(restApiId=api_id, stageName=endpoint.stage_name)
        settings = stage.get("methodSettings", {})
        method_key = f"{endpoint.resource_path.lstrip('/')}/{endpoint.http_method}"
        chosen = settings.get(method_key) or settings.get("*/*")
        if chosen and not self._limits.admit(
            f"stage:{api_id}:{endpoint.stage_name}:{method_key if method_key in settings else '*'}",
            float(chosen["throttlingRateLimit"]),
            int(chosen["throttlingBurstLimit"]),
        ):
            raise Refused(throttled)
        quota = plan.get("quota")
        if quota and not self._limits.count(f"plan:{plan['id']}:{admission.api_key_id}", quota):
            raise Refused(
                Refusal(
                    "QUOTA_EXCEEDED", 429, "LimitExceededException", "Limit Exceeded", responses
                )
            )

    def _integrate(
        self,
        workload: Identity,
        route: model.Route,
        *,
        caller: model.Caller,
        request: Request,
        body: bytes,
        request_id: str,
    ) -> Response:
        headers = {
            **dict(request.headers.items()),
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Port": "443",
        }
        try:
            answer = gateway.invoke(
                workload,
                route,
                caller,
                self._host.zip_path,
                environments=self._host.environments,
                path=request.path,
                body=body.decode("utf-8", errors="replace"),
                headers=headers,
            )
        except Throttled as error:
            # Lambda throttles before the function runs, so there is no proxy answer: API Gateway
            # answers 500 Internal server error, not the 429 Lambda gave it
            # (https://repost.aws/questions/QUfI6bsdd0SOiPeyimzxSkfQ,
            # https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html).
            logger.error("request %s: Lambda throttled: %s", request_id, error)
            return self._refuse(
                Refusal(
                    "DEFAULT_5XX",
                    500,
                    "InternalServerErrorException",
                    "Internal server error",
                    route.gateway_responses,
                ),
                request_id,
            )
        except InvocationError as error:
            logger.error("request %s: %s", request_id, error)
            timed_out = "timed out" in str(error)
            return self._refuse(
                Refusal(
                    "INTEGRATION_TIMEOUT" if timed_out else "DEFAULT_5XX",
                    504 if timed_out else 502,
                    "InternalServerErrorException",
                    "Endpoint request timed out" if timed_out else "Internal server error",
                    route.gateway_responses,
                ),
                request_id,
            )
        if answer.gateway_error:
            logger.error("request %s: malformed function answer\n%s", request_id, answer.logs)
            return self._refuse(
                Refusal(
                    "DEFAULT_5XX",
                    502,
                    "InternalServerErrorException",
                    "Internal server error",
                    route.gateway_responses,
                ),
                request_id,
            )
        response = Response(answer.body, status=answer.status, headers=answer.headers)
        response.headers["x-amzn-RequestId"] = request_id
        response.headers["x-amz-apigw-id"] = _apigw_id()
        return response

    def _refuse(self, refusal: Refusal, request_id: str) -> Response:
        """API Gateway's own answer, shaped by the API's gateway responses where it has them."""
        # The deployment's responses, not the API's live ones: a response put after the
        # deployment is not served until the API is deployed again (localcloud.deployment).
        responses = refusal.gateway_responses
        fallback = responses.get("DEFAULT_4XX" if refusal.status < 500 else "DEFAULT_5XX", {})
        chosen = responses.get(refusal.response_type) or fallback
        # A status on DEFAULT_4XX/5XX replaces every status of its class (the types' page above).
        status = int(chosen.get("statusCode") or fallback.get("statusCode") or refusal.status)
        template = (chosen.get("responseTemplates") or {}).get("application/json")
        context = {
            "error.messageString": json.dumps(refusal.message),
            "error.message": refusal.message,
            "error.responseType": refusal.response_type,
            "requestId": request_id,
        }
        body = (
            render_template(template, context)
            if template
            else json.dumps({"message": refusal.message})
        )
        response = Response(body, status=status, content_type="application/json")
        response.headers["x-amzn-RequestId"] = request_id
        response.headers["x-amzn-ErrorType"] = refusal.error_type
        response.headers["x-amz-apigw-id"] = _apigw_id()
        for name, value in (chosen.get("responseParameters") or {}).items():
            static = _STATIC_VALUE.match(value)
            if not name.startswith(_HEADER_PARAMETER) or static is None:
                raise ValueError(f"gateway response parameter {name} = {value} is not modelled")
            response.headers[name.removeprefix(_HEADER_PARAMETER)] = static[1]
        return response
