"""Follow a request through the deployed wiring the way API Gateway would, link by link.

custom domain (DNS alias, certificate) -> base path mapping -> REST API and stage -> the stage's
deployment -> resource and method (authorization, API key, resource policy) -> AWS_PROXY
integration -> Lambda function -> its resource-based permission -> its configuration. Every broken
link raises WiringError naming it.

What a deployment freezes (resources, methods, integrations, gateway responses, resource policy)
is read from the deployment's snapshot (localcloud.deployment), not from the live API: a change
is served only once it is deployed, as on API Gateway. What is not part of a deployment is read
live: the custom domain and its mappings, the stage, API keys and usage plans, the function.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from localcloud import deployment, policy
from localcloud.aws import Identity
from localcloud.model import (
    ACCESS_DENIED,
    INVALID_API_KEY,
    MISSING_AUTHENTICATION_TOKEN,
    Admission,
    Caller,
    Endpoint,
    Function,
    Rejection,
    Route,
    WiringError,
    function_from_configuration,
)

if TYPE_CHECKING:
    from mypy_boto3_apigateway import APIGatewayClient

_INTEGRATION_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:(?P<region>[a-z0-9-]+):lambda:path/2015-03-31/functions/"
    r"(?P<function>arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[^/:]+(:[^/]+)?)/invocations$"
)


def _not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in (
        "NotFoundException",
        "ResourceNotFoundException",
        "NoSuchEntity",
    )


def _split_path(path: str) -> tuple[str, str]:
    """('files', '/files') -> the first segment may be a base path; both readings are tried."""
    segments = path.strip("/").split("/", 1)
    rest = "/" + (segments[1] if len(segments) > 1 else "")
    return segments[0], rest


def _check_dns(workload: Identity, domain_name: str, target: str) -> None:
    route53 = workload.route53()
    labels = domain_name.split(".")
    zones = route53.list_hosted_zones()["HostedZones"]
    # The most specific public zone that contains the name is the one resolvers reach.
    candidates = sorted(
        (
            zone
            for zone in zones
            if not zone.get("Config", {}).get("PrivateZone")
            and labels[-len(zone["Name"].rstrip(".").split(".")) :]
            == zone["Name"].rstrip(".").split(".")
        ),
        key=lambda zone: len(zone["Name"]),
        reverse=True,
    )
    if not candidates:
        raise WiringError(f"no public hosted zone contains {domain_name}")
    zone = candidates[0]
    records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    alias = next(
        (r for r in records if r["Name"].rstrip(".") == domain_name and r["Type"] == "A"), None
    )
    if alias is None:
        raise WiringError(f"{domain_name} has no A record in hosted zone {zone['Name']}")
    alias_target = alias.get("AliasTarget", {}).get("DNSName", "").rstrip(".").lower()
    if alias_target != target.lower():
        raise WiringError(
            f"the A record of {domain_name} points at {alias_target or 'no alias'}, "
            f"not at the API's regional domain name {target}"
        )


def _custom_domain(workload: Identity, apigateway: APIGatewayClient, domain_name: str) -> None:
    try:
        domain = apigateway.get_domain_name(domainName=domain_name)
    except ClientError as error:
        if _not_found(error):
            raise WiringError(
                f"custom domain {domain_name} does not exist in API Gateway"
            ) from error
        raise
    if domain.get("securityPolicy") != "TLS_1_2":
        raise WiringError(f"custom domain {domain_name} allows TLS older than 1.2")
    certificate_arn = domain.get("regionalCertificateArn")
    if not certificate_arn:
        raise WiringError(f"custom domain {domain_name} has no regional certificate")
    status = workload.acm().describe_certificate(CertificateArn=certificate_arn)["Certificate"][
        "Status"
    ]
    if status != "ISSUED":
        raise WiringError(f"certificate {certificate_arn} of {domain_name} is {status}, not ISSUED")
    _check_dns(workload, domain_name, domain.get("regionalDomainName", ""))


@dataclass(frozen=True)
class _Mapping:
    base_path: str
    rest_api_id: str
    stage: str
    inner_path: str
    # How the stage was chosen, for messages: a mapping without a stage takes it from the path.
    stage_origin: str


def _mapping(apigateway: APIGatewayClient, domain_name: str, path: str) -> _Mapping:
    """Which API, stage and path inside the API a request path on the domain reaches."""
    mappings = apigateway.get_base_path_mappings(domainName=domain_name).get("items", [])
    first, rest = _split_path(path)
    by_base = {m.get("basePath", "(none)"): m for m in mappings}
    if first in by_base:
        chosen, base, inner = by_base[first], first, rest
    elif "(none)" in by_base:
        chosen, base, inner = by_base["(none)"], "(none)", path
    else:
        # AWS answers a path no mapping serves like an unknown route.
        raise Rejection(
            MISSING_AUTHENTICATION_TOKEN, f"no base path mapping of {domain_name} serves {path}"
        )
    api_id = chosen.get("restApiId", "")
    stage = chosen.get("stage", "")
    if stage:
        return _Mapping(base, api_id, stage, inner, f"stage {stage}")
    stage, inner = _split_path(inner)
    origin = f"stage {stage} (the next path segment: mapping {base} names no stage)"
    return _Mapping(base, api_id, stage, inner, origin)


def _deployed(
    workload: Identity,
    account_id: str,
    apigateway: APIGatewayClient,
    domain_name: str,
    mapping: _Mapping,
) -> deployment.Snapshot:
    """The snapshot of the deployment the mapped stage serves."""
    api_id, stage = mapping.rest_api_id, mapping.stage
    try:
        apigateway.get_rest_api(restApiId=api_id)
    except ClientError as error:
        if _not_found(error):
            raise WiringError(
                f"base path mapping for {domain_name} points at REST API {api_id} "
                "which does not exist"
            ) from error
        raise
    try:
        deployed = apigateway.get_stage(restApiId=api_id, stageName=stage)
    except ClientError as error:
        if _not_found(error):
            raise WiringError(
                f"base path mapping for {domain_name} points at {mapping.stage_origin} "
                f"of REST API {api_id}, which does not exist"
            ) from error
        raise
    deployment_id = deployed.get("deploymentId")
    try:
        apigateway.get_deployment(restApiId=api_id, deploymentId=deployment_id or "-")
    except ClientError as error:
        if _not_found(error):
            raise WiringError(
                f"stage {stage} of REST API {api_id} points at deployment {deployment_id}, "
                "which does not exist"
            ) from error
        raise
    snapshot = deployment.fetch(
        workload.endpoint_url, account_id, workload.region, api_id, str(deployment_id)
    )
    if snapshot is None:
        raise WiringError(
            f"deployment {deployment_id} of REST API {api_id} has no snapshot in the emulator "
            "(it was not created through the emulator's CreateDeployment)"
        )
    return snapshot


_PATH_PARAMETER = re.compile(r"^\{([A-Za-z0-9._-]+)\}$")


def match_resource(template: str, path: str) -> dict[str, str] | None:
    """The path parameters when ``path`` is an instance of the resource ``template``, else None.

    A ``{name}`` segment takes one non-empty path segment (already percent-decoded, as the HTTP
    server hands the path over); greedy ``{name+}`` is not used here.
    """
    wanted, given = template.strip("/").split("/"), path.strip("/").split("/")
    if len(wanted) != len(given):
        return None
    parameters: dict[str, str] = {}
    for pattern, segment in zip(wanted, given, strict=True):
        parameter = _PATH_PARAMETER.match(pattern)
        if parameter and segment:
            parameters[parameter.group(1)] = segment
        elif pattern != segment:
            return None
    return parameters


def _method(
    snapshot: deployment.Snapshot, api_id: str, path: str, http_method: str
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """The resource, its path parameters and the method a request reaches, in the deployment.

    API Gateway prefers a literal segment to a path parameter: /files/abc takes /files/abc if the
    API has it, /files/{job_id} otherwise.
    """
    candidates = [
        (len(parameters), resource, parameters)
        for resource in snapshot.resources
        if (parameters := match_resource(str(resource.get("path", "")), path)) is not None
    ]
    resource, parameters = None, {}
    if candidates:
        _, resource, parameters = min(candidates, key=lambda candidate: candidate[0])
    if resource is None:
        raise Rejection(
            MISSING_AUTHENTICATION_TOKEN,
            f"deployment {snapshot.deployment_id} of REST API {api_id} has no resource {path}",
            rest_api_id=api_id,
            gateway_responses=snapshot.gateway_responses,
        )
    method = (resource.get("resourceMethods") or {}).get(http_method)
    if method is None:
        raise Rejection(
            MISSING_AUTHENTICATION_TOKEN,
            f"deployment {snapshot.deployment_id} of REST API {api_id} has no {http_method} "
            f"method on {path}",
            rest_api_id=api_id,
            gateway_responses=snapshot.gateway_responses,
        )
    return dict(resource), parameters, dict(method)


def _api_key(
    apigateway: APIGatewayClient, endpoint: Endpoint, value: str | None
) -> tuple[str, dict[str, Any]]:
    """The caller's key, if enabled and in a usage plan of this stage, and that plan."""
    api_id, stage, route = endpoint.rest_api_id, endpoint.stage_name, endpoint.name
    responses = endpoint.gateway_responses
    if not value:
        raise Rejection(
            INVALID_API_KEY,
            f"{route} requires an API key and the request has none",
            rest_api_id=api_id,
            gateway_responses=responses,
        )
    keys = apigateway.get_api_keys(includeValues=True, limit=500).get("items", [])
    key = next((k for k in keys if k.get("value") == value), None)
    if key is None or not key.get("enabled"):
        raise Rejection(
            INVALID_API_KEY,
            f"{route}: the API key sent is unknown or disabled",
            rest_api_id=api_id,
            gateway_responses=responses,
        )
    plans = apigateway.get_usage_plans(keyId=key["id"]).get("items", [])
    plan = next(
        (
            dict(plan)
            for plan in plans
            for stage_ref in plan.get("apiStages", [])
            if stage_ref.get("apiId") == api_id and stage_ref.get("stage") == stage
        ),
        None,
    )
    if plan is None:
        raise Rejection(
            INVALID_API_KEY,
            f"{route}: API key {key['id']} is in no usage plan "
            f"of stage {stage} of REST API {api_id}",
            rest_api_id=api_id,
            gateway_responses=responses,
        )
    return str(key["id"]), plan


def _function_arn(method: dict[str, Any], route: str, region: str) -> str:
    integration = method.get("methodIntegration")
    if not integration:
        raise WiringError(f"{route} has no integration")
    if integration.get("type") != "AWS_PROXY":
        raise WiringError(
            f"{route} integration is {integration.get('type')}, not AWS_PROXY (Lambda proxy)"
        )
    if integration.get("httpMethod") != "POST":
        raise WiringError(
            f"{route} integration calls Lambda with {integration.get('httpMethod')}; Lambda's "
            "Invoke API only accepts POST"
        )
    match = _INTEGRATION_URI.match(integration.get("uri", ""))
    if match is None:
        raise WiringError(
            f"{route} integration URI {integration.get('uri')} is not a Lambda invocation URI"
        )
    if match["region"] != region:
        raise WiringError(f"{route} integration calls Lambda in {match['region']}, not {region}")
    return match["function"]


def _function(workload: Identity, function_arn: str, route: str) -> Function:
    try:
        found = workload.lambda_().get_function(FunctionName=function_arn)
    except ClientError as error:
        if _not_found(error):
            raise WiringError(
                f"integration of {route} points at function {function_arn} which does not exist"
            ) from error
        raise
    return function_from_configuration(dict(found["Configuration"]))


def _check_permission(
    workload: Identity, function: Function, method_arn: str, account_id: str
) -> None:
    try:
        document = workload.lambda_().get_policy(FunctionName=function.arn)["Policy"]
    except ClientError as error:
        if _not_found(error):
            raise WiringError(
                f"function {function.name} has no resource policy, so API Gateway may not invoke it"
            ) from error
        raise
    request = policy.Request(
        action="lambda:InvokeFunction",
        resource=function.arn,
        service="apigateway.amazonaws.com",
        context={"aws:SourceArn": method_arn, "aws:SourceAccount": account_id},
    )
    decision = policy.evaluate(document, request)
    if not decision.allowed:
        source_arns = [
            str(value)
            for statement in json.loads(document).get("Statement", [])
            for test in statement.get("Condition", {}).values()
            for key, value in test.items()
            if key.lower() == "aws:sourcearn"
        ]
        raise WiringError(
            f"no lambda permission of function {function.name} lets API Gateway invoke it from "
            f"{method_arn} ({decision.reason}; source_arn of its statements: "
            f"{', '.join(source_arns) or 'none'})"
        )


def _check_role(workload: Identity, function: Function) -> None:
    name = function.role_arn.rsplit("/", 1)[-1]
    try:
        role = workload.iam().get_role(RoleName=name)["Role"]
    except ClientError as error:
        if _not_found(error):
            raise WiringError(
                f"execution role {function.role_arn} of function {function.name} does not exist"
            ) from error
        raise
    if role["Arn"] != function.role_arn:
        raise WiringError(
            f"function {function.name} names role {function.role_arn}, found {role['Arn']}"
        )
    trust = role["AssumeRolePolicyDocument"]
    document = json.loads(trust) if isinstance(trust, str) else trust
    decision = policy.evaluate(
        document,
        policy.Request(
            action="sts:AssumeRole", resource=role["Arn"], service="lambda.amazonaws.com"
        ),
    )
    if not decision.allowed:
        raise WiringError(
            f"execution role {function.role_arn} does not trust lambda.amazonaws.com "
            f"({decision.reason})"
        )


def find_method(workload: Identity, domain_name: str, path: str, http_method: str) -> Endpoint:
    """Custom domain -> mapping -> REST API, stage and deployment -> resource and method."""
    apigateway = workload.apigateway()
    _custom_domain(workload, apigateway, domain_name)
    mapping = _mapping(apigateway, domain_name, path)
    api_id, stage, inner_path = mapping.rest_api_id, mapping.stage, mapping.inner_path
    account_id = workload.account_id()
    snapshot = _deployed(workload, account_id, apigateway, domain_name, mapping)
    resource, parameters, method = _method(snapshot, api_id, inner_path, http_method)
    authorization = method.get("authorizationType") or "NONE"
    if authorization not in ("AWS_IAM", "NONE"):
        raise WiringError(
            f"{http_method} {inner_path} of REST API {api_id} uses {authorization} "
            "authorization, which localcloud does not model"
        )
    return Endpoint(
        domain_name=domain_name,
        base_path=mapping.base_path,
        rest_api_id=api_id,
        stage_name=stage,
        resource_id=resource["id"],
        resource_path=resource["path"],
        path_parameters=parameters,
        http_method=http_method,
        authorization_type=authorization,
        api_key_required=bool(method.get("apiKeyRequired")),
        method_arn=(
            f"arn:aws:execute-api:{workload.region}:{account_id}:{api_id}/{stage}/"
            f"{http_method}{inner_path}"
        ),
        policy=snapshot.policy,
        method=method,
        gateway_responses=snapshot.gateway_responses,
    )


def authorize(workload: Identity, endpoint: Endpoint, caller: Caller) -> Admission:
    """The API key (in a usage plan of the stage), then the resource policy for the caller."""
    admission = Admission(None, None)
    if endpoint.api_key_required:
        admission = Admission(*_api_key(workload.apigateway(), endpoint, caller.api_key))
    if endpoint.policy is not None:
        iam = endpoint.authorization_type == "AWS_IAM"
        request = policy.Request(
            action="execute-api:Invoke",
            resource=endpoint.method_arn,
            principal_arn=caller.arn if iam else None,
            principal_account=caller.account_id if iam else None,
        )
        decision = policy.evaluate(endpoint.policy, request)
        if not decision.allowed:
            who = caller.arn if iam else "an anonymous caller"
            raise Rejection(
                ACCESS_DENIED,
                f"the resource policy of REST API {endpoint.rest_api_id} does not let {who} "
                f"invoke {endpoint.method_arn} ({decision.reason})",
                public_message=(
                    f"User: {caller.arn if iam else 'anonymous'} is not authorized to perform: "
                    f"execute-api:Invoke on resource: {endpoint.method_arn}"
                    + (" with an explicit deny" if "denies" in decision.reason else "")
                ),
                rest_api_id=endpoint.rest_api_id,
                gateway_responses=endpoint.gateway_responses,
            )
    return admission


def integrate(workload: Identity, endpoint: Endpoint, admission: Admission) -> Route:
    """AWS_PROXY integration -> function -> its permission for this method -> its role."""
    function = _function(
        workload, _function_arn(endpoint.method, endpoint.name, workload.region), endpoint.name
    )
    _check_permission(workload, function, endpoint.method_arn, workload.account_id())
    _check_role(workload, function)
    reached = {field.name: getattr(endpoint, field.name) for field in fields(Endpoint)}
    return Route(**reached, api_key_id=admission.api_key_id, function=function)


def resolve(
    workload: Identity, domain_name: str, path: str, http_method: str, caller: Caller
) -> Route:
    """The route a request to https://<domain_name><path> takes, checked link by link."""
    endpoint = find_method(workload, domain_name, path, http_method)
    return integrate(workload, endpoint, authorize(workload, endpoint, caller))
