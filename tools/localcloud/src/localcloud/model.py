"""What the local API Gateway and the Lambda sandbox share: the function, the route a request
takes to it, who calls, and the errors of a broken or refusing link.

Standard library only, so the sandbox (localcloud.runtime) runs a function without importing the
router that resolves routes (localcloud.wiring) or the HTTP front door (localcloud.http_api).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class WiringError(RuntimeError):
    """A link between the custom domain and the function is missing or wrong."""


# Gateway response types API Gateway answers with before the integration runs:
# https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
# A gateway response type, not a secret.
MISSING_AUTHENTICATION_TOKEN = "MISSING_AUTHENTICATION_TOKEN"  # noqa: S105  # nosec B105
INVALID_API_KEY = "INVALID_API_KEY"
ACCESS_DENIED = "ACCESS_DENIED"


class Rejection(WiringError):
    """API Gateway refuses the request itself: the route, method, key or policy does not admit
    it. `response_type` is the gateway response it answers with; `public_message` what it tells
    the caller (the exception's own message, for the operator, says why)."""

    def __init__(
        self,
        response_type: str,
        detail: str,
        public_message: str | None = None,
        rest_api_id: str | None = None,
        gateway_responses: Mapping[str, dict[str, Any]] | None = None,
    ):
        super().__init__(detail)
        self.response_type = response_type
        self.public_message = public_message
        # The API refusing; None before one is chosen.
        self.rest_api_id = rest_api_id
        # The gateway responses of the stage's deployment, which shape the answer; none before
        # a deployment is chosen.
        self.gateway_responses: Mapping[str, dict[str, Any]] = gateway_responses or {}


@dataclass(frozen=True)
class Caller:
    """Who calls: the signing identity (for AWS_IAM) and the API key it sends, if any."""

    arn: str
    account_id: str
    access_key_id: str
    api_key: str | None


@dataclass(frozen=True)
class Function:
    name: str
    arn: str
    handler: str
    runtime: str
    role_arn: str
    timeout: int
    memory_size: int
    environment: dict[str, str]
    code_sha256: str
    tracing_mode: str


def function_from_configuration(config: dict[str, Any]) -> Function:
    """A function from Lambda's FunctionConfiguration (GetFunction's ``Configuration``)."""
    return Function(
        name=config["FunctionName"],
        arn=config["FunctionArn"],
        handler=config.get("Handler", ""),
        runtime=config.get("Runtime", ""),
        role_arn=config["Role"],
        timeout=config.get("Timeout", 3),
        memory_size=config.get("MemorySize", 128),
        environment=dict(config.get("Environment", {}).get("Variables", {})),
        code_sha256=config["CodeSha256"],
        tracing_mode=config.get("TracingConfig", {}).get("Mode", "PassThrough"),
    )


@dataclass(frozen=True)
class Endpoint:
    """The method a request reaches on the custom domain, before any authorization."""

    domain_name: str
    base_path: str
    rest_api_id: str
    stage_name: str
    resource_id: str
    resource_path: str
    """The resource as API Gateway names it: a template such as /files/{job_id}."""
    path_parameters: dict[str, str]
    """The values of the template's {name} segments in the requested path."""
    http_method: str
    authorization_type: str
    api_key_required: bool
    method_arn: str
    policy: dict[str, Any] | None
    method: dict[str, Any]
    # The deployment's gateway responses by type, for the refusals of this request; keyword-only
    # so that Route can add fields without defaults.
    gateway_responses: Mapping[str, dict[str, Any]] = field(default_factory=dict, kw_only=True)

    @property
    def name(self) -> str:
        return f"{self.http_method} {self.resource_path} of REST API {self.rest_api_id}"


@dataclass(frozen=True)
class Route(Endpoint):
    """The whole way to the function: the method, who was admitted, and what it runs."""

    api_key_id: str | None
    function: Function


@dataclass(frozen=True)
class Admission:
    """Who was let in: the API key's id and its usage plan, when the method requires a key."""

    api_key_id: str | None
    usage_plan: dict[str, Any] | None
