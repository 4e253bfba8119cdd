"""Fault injection in front of moto: kill the function process making a request, or answer an
AWS error, as the rules installed through the control endpoint say (localcloud.faults has the
rules' meaning and the client).

A request is a function's when its access key is the one an execution environment of that
function holds (each environment assumes its execution role for itself): the process to kill is
that environment's. Requests of anyone else (the test, the event source poller, Terraform)
never match.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request as HttpRequest

from localcloud import access_denied, signing
from localcloud.authorizer import StartResponse, WsgiApp, request_entry
from localcloud.environments import Environments
from localcloud.faults import FaultRule, InstalledRule
from localcloud.iam import requests

logger = logging.getLogger(__name__)


class FaultRules:
    """The installed rules; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[InstalledRule] = []

    def add(self, rule: FaultRule) -> InstalledRule:
        installed = InstalledRule(uuid.uuid4().hex[:12], rule)
        with self._lock:
            self._rules.append(installed)
        return installed

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            kept = [rule for rule in self._rules if rule.id != rule_id]
            removed = len(kept) != len(self._rules)
            self._rules = kept
        return removed

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_json() for rule in self._rules]

    def of_function(self, name: str) -> list[InstalledRule]:
        with self._lock:
            return [rule for rule in self._rules if rule.rule.function == name]

    def fire(
        self, candidates: list[InstalledRule], actions: set[str], body: str, where: str = ""
    ) -> InstalledRule | None:
        """Count the match of every candidate rule; the first that fires on this request.
        ``where`` is the request's decoded path and query string."""
        request_text = f"{where}\n{body}"
        fired = None
        with self._lock:
            for installed in candidates:
                rule = installed.rule
                if rule.action not in actions:
                    continue
                if rule.body_contains is not None and rule.body_contains not in body:
                    continue
                if not all(text in request_text for text in rule.contains):
                    continue
                installed.matched += 1
                if (
                    fired is None
                    and installed.matched >= rule.occurrence
                    and installed.hits < rule.times
                ):
                    installed.hits += 1
                    fired = installed
        return fired


def actions_of(entry: dict[str, Any], principal: str) -> set[str]:
    """What a rule's ``action`` may name for this request: ``<prefix>:<Operation>`` and the IAM
    actions AWS authorizes it as."""
    call = requests.decode({**entry, "principal": principal})
    prefix = requests.SERVICES[call.service][1]
    found = {f"{prefix}:{call.operation}"}
    with contextlib.suppress(requests.UnmappedRequestError):
        found |= {a.request.action for a in requests.authorizations(call, requests.World())}
    return found


def _discard(data: bytes) -> None:
    """WSGI's write callable, which moto does not use."""
    del data


def _serve(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run the request through ``app`` to its end: (status line, headers, body)."""
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
        answer["status"], answer["headers"] = status, headers
        return _discard

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return answer["status"], answer["headers"], body


class FaultInjector:
    """WSGI middleware applying the fault rules to the requests of functions."""

    def __init__(self, app: WsgiApp, rules: FaultRules, environments: Environments) -> None:
        self._app = app
        self._rules = rules
        self._environments = environments

    def _fired(
        self, environ: dict[str, Any], http: HttpRequest
    ) -> tuple[InstalledRule, signing.Scope, int] | None:
        """The rule this request fires, the request's scope and the calling process; None when
        the request is no function's or no rule fires."""
        signed = signing.scope(http)
        if signed is None or signed.service not in requests.SERVICES:
            return None
        owner = self._environments.process_of(signed.access_key_id)
        candidates = self._rules.of_function(owner[0].name) if owner is not None else []
        if owner is None or not candidates:
            return None
        function, pid = owner
        protocol = requests.protocol(signed.service)
        read_body = protocol != "rest-xml" or any(c.rule.body_contains for c in candidates)
        entry = request_entry(environ, http, signed, read_body=read_body)
        try:
            actions = actions_of(entry, function.role_arn)
        except requests.UnmappedRequestError:
            return None
        where = f"{unquote(entry['path'])}?{unquote(entry['query'])}"
        fired = self._rules.fire(candidates, actions, entry["body"], where)
        if fired is None:
            return None
        logger.warning(
            "fault %s: %s %s on %s of %s (pid %d)",
            fired.id,
            fired.rule.effect,
            fired.rule.when,
            sorted(actions),
            function.name,
            pid,
        )
        return fired, signed, pid

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        http = HttpRequest(environ)
        found = self._fired(environ, http)
        if found is None:
            return self._app(environ, start_response)
        fired, signed, pid = found
        rule = fired.rule
        protocol = requests.protocol(signed.service)
        served = _serve(self._app, environ) if rule.when == "after" else None
        if rule.effect == "kill":
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            fired.pids_killed.append(pid)
            if served is not None:
                status_line, headers, body = served
                start_response(status_line, headers)
                return [body]
        status, headers, body = access_denied.error(
            signed.service,
            protocol,
            http.method,
            status=rule.status,
            code=rule.code,
            message=rule.message,
        )
        start_response(
            f"{status} {HTTP_STATUS_CODES.get(status, 'Error')}",
            [*headers, ("Content-Length", str(len(body)))],
        )
        return [body]
