"""What a REST API deployment captured when it was created: the part of the API a stage serves.

On API Gateway a deployment is a snapshot of the API: its resources, methods, integrations,
authorization, API key requirement, request parameters, gateway responses and resource policy,
as they were when the deployment was created. A change to any of them is served only once the API
is deployed again and the stage points at the new deployment; until then the stage answers as
before. https://docs.aws.amazon.com/apigateway/latest/developerguide/updating-api.html ("Resource
updates require redeploying the API": Method, Integration, Resource, GatewayResponse, RestApi
including its resource policy), https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-deployments.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html

moto keeps no snapshot, so the emulator process takes one at CreateDeployment
(localcloud.snapshots) and serves it at SNAPSHOT_PATH; this module reads it from any process that
routes requests (the emulator's HTTP front door, `make demo`'s call). Standard library only.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

# Not an AWS route: moto serves its extras under /moto-api/, localcloud under /_localcloud/.
SNAPSHOT_PATH = (
    "/_localcloud/apigateway/{account_id}/{region}"
    "/restapis/{rest_api_id}/deployments/{deployment_id}"
)


@dataclass(frozen=True)
class Snapshot:
    """One deployment's copy of the API, in API Gateway's JSON shapes (GetResources with its
    methods embedded, GetGatewayResponses' items) and the resource policy as a document."""

    deployment_id: str
    resources: list[dict[str, Any]]
    policy: dict[str, Any] | None
    gateway_responses: dict[str, dict[str, Any]]


def snapshot_from_json(deployment_id: str, document: dict[str, Any]) -> Snapshot:
    raw_policy = document.get("policy")
    return Snapshot(
        deployment_id=deployment_id,
        resources=list(document.get("resources", [])),
        policy=json.loads(raw_policy) if raw_policy else None,
        gateway_responses={
            item["responseType"]: dict(item) for item in document.get("gatewayResponses", [])
        },
    )


def snapshot_url(
    endpoint_url: str, account_id: str, region: str, rest_api_id: str, deployment_id: str
) -> str:
    path = SNAPSHOT_PATH.format(
        account_id=quote(account_id, safe=""),
        region=quote(region, safe=""),
        rest_api_id=quote(rest_api_id, safe=""),
        deployment_id=quote(deployment_id, safe=""),
    )
    return endpoint_url.rstrip("/") + path


def fetch(
    endpoint_url: str, account_id: str, region: str, rest_api_id: str, deployment_id: str
) -> Snapshot | None:
    """The snapshot of the deployment, or None when the emulator holds none for it."""
    url = snapshot_url(endpoint_url, account_id, region, rest_api_id, deployment_id)
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"the emulator's endpoint must be an HTTP URL, not {endpoint_url}")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  # nosec B310
            document: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise
    return snapshot_from_json(deployment_id, document)
