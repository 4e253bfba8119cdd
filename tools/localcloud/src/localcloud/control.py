"""The emulator's control endpoint, beside moto's own ``/moto-api/``: fault rules, and the state a
test waits on (the event source poller idle, the concurrency each function reached).

- ``POST /_localcloud/faults``: install a rule (localcloud.faults.FaultRule as JSON); 201 with
  the rule and its ``id``; 400 with ``{"message"}`` for an invalid rule.
- ``GET /_localcloud/faults``: ``{"rules": [...]}``, each with ``matched``, ``hits`` and
  ``pids_killed``.
- ``DELETE /_localcloud/faults``: remove every rule; ``DELETE /_localcloud/faults/<id>``: one.
- ``GET /_localcloud/status``: ``{"event_source_mappings": {"idle", "mappings": {uuid:
  {"in_flight", "invocations", "last_receive_empty"}}, "retired_in_flight": {uuid: n}},
  "concurrency": {account: {function:
  {"running", "peak"}}}, "account_concurrency", "time_scale"}``.
- ``POST /_localcloud/concurrency/reset``: forget the peaks (a new measurement starts).
- ``PUT /_localcloud/settings``: ``{"time_scale", "account_concurrency"}`` (either or both)
  changed while the emulator runs, as LOCALCLOUD_TIME_SCALE and LOCALCLOUD_ACCOUNT_CONCURRENCY set
  them at its start; answers both as now in force. A test that needs seconds where a stack says
  minutes scales one deployment for its own duration, instead of starting another.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request as HttpRequest

from localcloud.authorizer import StartResponse, WsgiApp
from localcloud.concurrency import AccountConcurrency, account_limit
from localcloud.fault_injection import FaultRules
from localcloud.faults import (
    CONCURRENCY_RESET_PATH,
    FAULTS_PATH,
    SETTINGS_PATH,
    STATUS_PATH,
    FaultRule,
)
from localcloud.timescale import TIME_SCALE_VARIABLE, time_scale

PREFIX = "/_localcloud/"


class ControlEndpoint:
    """WSGI middleware serving PREFIX; every other request goes to ``app``."""

    def __init__(
        self,
        app: WsgiApp,
        rules: FaultRules,
        concurrency: AccountConcurrency,
    ) -> None:
        self._app = app
        self._rules = rules
        self._concurrency = concurrency
        # The event source poller's status; set once the poller exists (it needs the port).
        self.poller_status: Callable[[], dict[str, Any]] = lambda: {
            "idle": True,
            "mappings": {},
            "retired_in_flight": {},
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX) or path.startswith("/_localcloud/apigateway/"):
            return self._app(environ, start_response)
        status, document = self._handle(HttpRequest(environ), path)
        body = json.dumps(document).encode()
        start_response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def _handle(self, request: HttpRequest, path: str) -> tuple[str, Any]:
        if path == FAULTS_PATH or path.startswith(f"{FAULTS_PATH}/"):
            return self._faults(request, path)
        if path == STATUS_PATH and request.method == "GET":
            return "200 OK", {
                "event_source_mappings": self.poller_status(),
                "concurrency": self._concurrency.figures(),
                "account_concurrency": self._concurrency.limit,
                "time_scale": time_scale(),
            }
        if path == SETTINGS_PATH and request.method == "PUT":
            return self._settings(request)
        if path == CONCURRENCY_RESET_PATH and request.method == "POST":
            self._concurrency.reset_peaks()
            return "200 OK", {}
        return "404 Not Found", {"message": f"no control endpoint {request.method} {path}"}

    def _settings(self, request: HttpRequest) -> tuple[str, Any]:
        """Both settings are validated before either changes: a bad request changes nothing."""
        try:
            changes = json.loads(request.get_data() or b"{}")
            unknown = set(changes) - {"time_scale", "account_concurrency"}
            if unknown:
                raise ValueError(f"unknown settings {sorted(unknown)}")
            scale = changes.get("time_scale")
            limit = changes.get("account_concurrency")
            if scale is not None:
                time_scale(str(scale))
            if limit is not None:
                limit = account_limit(str(limit))
        except (ValueError, TypeError) as error:
            return "400 Bad Request", {"message": str(error)}
        if scale is not None:
            # The scale is read at each use (localcloud.timescale), from this process's environment.
            os.environ[TIME_SCALE_VARIABLE] = str(scale)
        if limit is not None:
            self._concurrency.limit = limit
        return "200 OK", {
            "account_concurrency": self._concurrency.limit,
            "time_scale": time_scale(),
        }

    def _faults(self, request: HttpRequest, path: str) -> tuple[str, Any]:
        method = request.method
        if path == FAULTS_PATH and method == "POST":
            try:
                rule = FaultRule.from_json(json.loads(request.get_data() or b"{}"))
            except (ValueError, TypeError) as error:
                return "400 Bad Request", {"message": str(error)}
            return "201 Created", self._rules.add(rule).to_json()
        if path == FAULTS_PATH and method == "GET":
            return "200 OK", {"rules": self._rules.listing()}
        if method == "DELETE":
            return self._delete_faults(path)
        return "405 Method Not Allowed", {"message": f"{method} {path} is not served"}

    def _delete_faults(self, path: str) -> tuple[str, Any]:
        if path == FAULTS_PATH:
            self._rules.clear()
            return "200 OK", {}
        if self._rules.remove(path.rsplit("/", 1)[-1]):
            return "200 OK", {}
        return "404 Not Found", {"message": "no such rule"}
