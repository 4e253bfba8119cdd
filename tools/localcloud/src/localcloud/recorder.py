"""Records every request the emulator serves, with the IAM identity that signed it.

moto enforces no identity policy, so a CI role that lacks a permission deploys here all the same.
The record is what makes that checkable: each line names the role behind the request's access
key (moto's STS knows which role every temporary key was issued for), the signing service and
region, and the HTTP request as sent, so a test can map it to the IAM actions AWS would authorize
and evaluate the role's policies against them (tests/e2e/aws_requests.py maps, iam_policy.py
evaluates).

Switched on by starting the emulator with LOCALCLOUD_RECORD_FILE set (emulator.start(record_to=)).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from io import BytesIO
from pathlib import Path
from typing import Any

from moto.iam.models import get_account_id_from
from moto.sts.models import sts_backends
from werkzeug.wrappers import Request

from localcloud.emulator import RECORD_FILE_VARIABLE

__all__ = ["RECORD_FILE_VARIABLE", "Recorder"]
# Bodies above this are object data nobody authorizes on: their size is recorded, not their bytes.
# Below it stay whole what an authorization reads from a body, CreateFunction's FunctionName
# included, which sits beside the base64 of the function's zip (about 1.4 MiB with the bundled
# libraries; Lambda takes up to 50 MB zipped in a request).
MAX_RECORDED_BODY = 8 * 1024 * 1024
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _principal(access_key_id: str) -> str | None:
    """The role ARN an access key was issued for by AssumeRole, or None for static test keys."""
    account_id = get_account_id_from(access_key_id)
    for partition_backend in sts_backends[account_id].values():
        assumed = partition_backend.get_assumed_role_from_access_key(access_key_id)
        if assumed is not None:
            return str(assumed.role_arn)
    return None


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
        authorization = request.headers.get("Authorization", "")
        match = _CREDENTIAL.search(authorization) or _CREDENTIAL.search(
            "Credential=" + request.args.get("X-Amz-Credential", "")
        )
        entry: dict[str, Any] = {
            "method": request.method,
            "host": request.host,
            "path": request.path,
            "query": request.query_string.decode("latin-1"),
            "target": request.headers.get("X-Amz-Target"),
            "body": body.decode("utf-8", "replace") if len(body) <= MAX_RECORDED_BODY else None,
            "body_bytes": len(body),
        }
        if match:
            access_key_id, region, service = match.groups()
            entry.update(
                access_key_id=access_key_id,
                region=region,
                service=service,
                principal=_principal(access_key_id),
            )

        def recording_start_response(status: str, headers: Any, *args: Any) -> Any:
            entry["status"] = int(status.split(" ", 1)[0])
            with self._lock, self._path.open("a") as log:
                log.write(json.dumps(entry) + "\n")
            return start_response(status, headers, *args)

        return self._app(environ, recording_start_response)
