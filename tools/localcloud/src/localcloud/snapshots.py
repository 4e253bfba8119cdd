"""Deployments as snapshots in the emulator process, which moto does not keep.

moto's deployment is an id and a description: whoever serves a stage reads the API's live
resources, so a method, integration, gateway response or resource policy changed after the
deployment would be served at once, where API Gateway serves it only after a redeployment
(localcloud.deployment cites the pages). install() wraps moto's CreateDeployment to copy, at that
moment, what the data plane reads: every resource with its methods (authorization, API key
requirement, request parameters, integration), the gateway responses and the resource policy.
serve() answers the copies over HTTP at localcloud.deployment.SNAPSHOT_PATH, for any process that
routes requests. Runs in the emulator process only (localcloud.server).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.apigateway.models import Deployment, RestAPI, apigateway_backends

from localcloud.deployment import SNAPSHOT_PATH

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# SNAPSHOT_PATH with each {name} as a named group of one path segment.
_PATH = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(SNAPSHOT_PATH)) + "$")

# (account, region, REST API, deployment) -> the snapshot's JSON document.
_snapshots: dict[tuple[str, str, str, str], str] = {}
_lock = threading.Lock()


def capture(api: RestAPI) -> str:
    """The API as a deployment freezes it, as JSON: serializing is the deep copy, so no later
    change of moto's objects reaches it."""
    return json.dumps(
        {
            "resources": [resource.to_dict() for resource in api.resources.values()],
            "gatewayResponses": [response.to_json() for response in api.gateway_responses.values()],
            # The document as UpdateRestApi stored it (GetRestApi escapes it; see compat.py).
            "policy": api.policy,
        }
    )


def install() -> None:
    """Take a snapshot whenever moto creates a deployment; a stage only points at one.

    Idempotent: a second call (a test process serving moto twice) does not wrap it again.
    """
    original = RestAPI.create_deployment
    if getattr(original, "takes_snapshots", False):
        return

    def create_deployment(
        self: RestAPI, name: str, description: str, stage_variables: Any = None
    ) -> Deployment:
        # Copied before moto makes the deployment: a stage it creates serves it at once.
        snapshot = capture(self)
        deployment: Deployment = original(self, name, description, stage_variables)
        with _lock:
            _snapshots[(self.account_id, self.region_name, self.id, deployment.id)] = snapshot
        return deployment

    create_deployment.takes_snapshots = True  # type: ignore[attr-defined]
    RestAPI.create_deployment = create_deployment  # type: ignore[method-assign]


def stored(account_id: str, region: str, rest_api_id: str, deployment_id: str) -> str | None:
    """The snapshot of a deployment that still exists, else None."""
    # .get, not [...]: indexing moto's backend dicts would create an account's backends.
    account = apigateway_backends.get(account_id)
    backend = account.get(region) if account is not None else None
    api = backend.apis.get(rest_api_id) if backend is not None else None
    if api is None or deployment_id not in api.deployments:
        return None
    with _lock:
        return _snapshots.get((account_id, region, rest_api_id, deployment_id))


class SnapshotEndpoint:
    """WSGI middleware answering GET SNAPSHOT_PATH with the snapshot (404 when there is none);
    every other request goes to moto."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        match = _PATH.match(environ.get("PATH_INFO", ""))
        if match is None or environ.get("REQUEST_METHOD") != "GET":
            return self._app(environ, start_response)
        snapshot = stored(**match.groupdict())
        if snapshot is None:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"message": "no snapshot of that deployment"}']
        body = snapshot.encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]
