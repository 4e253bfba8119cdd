"""Records every request the emulator serves, with the IAM identity that signed it.

moto enforces no identity policy, so a CI role that lacks a permission deploys here all the same.
The record is what makes that checkable: each line names the role behind the request's access
key (moto's STS knows which role every temporary key was issued for), the signing service and
region, and the HTTP request as sent, so a test can map it to the IAM actions AWS would authorize
and evaluate the role's policies against them (localcloud.iam.requests maps,
localcloud.iam.evaluator evaluates).

Switched on by starting the emulator with LOCALCLOUD_RECORD_FILE set (emulator.start(record_to=)).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from io import BytesIO
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request

from localcloud import signing
from localcloud.emulator import RECORD_FILE_VARIABLE

__all__ = ["RECORD_FILE_VARIABLE", "Recorder"]
# Bodies above this are object data nobody authorizes on: their size is recorded, not their bytes.
# Below it stay whole what an authorization reads from a body, CreateFunction's FunctionName
# included, which sits beside the base64 of the function's zip (about 1.4 MiB with the bundled
# libraries; Lambda takes up to 50 MB zipped in a request).
MAX_RECORDED_BODY = 8 * 1024 * 1024

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


LAMBDA_SERVICE = "lambda.amazonaws.com"
LAMBDA_SESSION_PREFIX = "awslambda_"
"""The session name under which the local cloud's event source pollers assume an execution role
(localcloud.sqs_event_source), as Lambda's own pollers do."""


def lambda_service(role: signing.AssumedRole | None, body: bytes) -> bool:
    """Whether Lambda itself made the request (an event source poller, or its AssumeRole), not
    whoever holds the role: a record of what a deployer did leaves these out."""
    if role is not None:
        return role.session_arn.rsplit("/", 1)[-1].startswith(LAMBDA_SESSION_PREFIX)
    return f"RoleSessionName={LAMBDA_SESSION_PREFIX}".encode() in body


class Recorder:
    """WSGI middleware writing one JSON line per request to ``path``."""

    def __init__(self, app: WsgiApp, path: Path) -> None:
        self._app = app
        self._path = path
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        body = request.get_data(cache=True)
        environ["wsgi.input"] = BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        signed = signing.scope(request)
        entry: dict[str, Any] = {
            "method": request.method,
            "host": request.host,
            "path": request.path,
            "query": request.query_string.decode("latin-1"),
            "target": request.headers.get("X-Amz-Target"),
            "body": body.decode("utf-8", "replace") if len(body) <= MAX_RECORDED_BODY else None,
            "body_bytes": len(body),
        }
        if signed is not None:
            role = signing.assumed_role(signed.access_key_id)
            entry.update(
                access_key_id=signed.access_key_id,
                region=signed.region,
                service=signed.service,
                principal=role.role_arn if role else None,
            )
            if lambda_service(role, body):
                entry["service_principal"] = LAMBDA_SERVICE

        def recording_start_response(status: str, headers: Any, *args: Any) -> Any:
            entry["status"] = int(status.split(" ", 1)[0])
            with self._lock, self._path.open("a") as log:
                log.write(json.dumps(entry) + "\n")
            return start_response(status, headers, *args)

        return self._app(environ, recording_start_response)
