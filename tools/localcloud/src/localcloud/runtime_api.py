"""Lambda's Runtime API for one execution environment: the HTTP interface the runtime in the
function's process polls for events and answers on.

The runtime interface client (awslambdaric, as in the managed Python runtimes) finds it through
AWS_LAMBDA_RUNTIME_API and speaks version 2018-06-01 of it:
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html

- ``GET /runtime/invocation/next`` blocks until there is an event; its first call also ends the
  Init phase (the runtime is ready), each later one the invocation before it;
- ``POST /runtime/invocation/{id}/response`` and ``.../error`` end an invocation;
- ``POST /runtime/init/error`` reports that the function could not be initialised.

One server per environment, on 127.0.0.1 and a port of its own, so an environment's calls can
never answer another's invocation. Standard library only: the sandbox imports no router.
"""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"


@dataclass(frozen=True)
class Event:
    """What Lambda hands the runtime with an invocation (the ``next`` response's headers)."""

    request_id: str
    payload: bytes
    deadline_ms: int
    invoked_function_arn: str
    trace_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How an invocation ended, as the runtime reported it."""

    request_id: str
    body: bytes
    error_type: str | None = None
    """None for a response; the Lambda-Runtime-Function-Error-Type of an error."""


@dataclass(frozen=True)
class InitError:
    error_type: str
    body: bytes


@dataclass
class RuntimeApi:
    """The state one environment's Runtime API serves; its methods are thread-safe."""

    _events: queue.Queue[Event | None] = field(default_factory=queue.Queue)
    # Every report from the runtime (ready, outcome, init error), in the order it came.
    reports: queue.Queue[str | Outcome | InitError] = field(default_factory=queue.Queue)
    _current: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    READY = "ready"
    """Reported on every ``next``: the runtime waits for an event."""

    def hand(self, event: Event) -> None:
        """Give the runtime its next event (the environment runs one at a time)."""
        self._events.put(event)

    def close(self) -> None:
        """Release a ``next`` still waiting: the environment is going away."""
        self._events.put(None)

    def next_event(self) -> Event | None:
        """The next event, or None once the environment is closed."""
        self.reports.put(self.READY)
        event = self._events.get()
        if event is None:
            self._events.put(None)
            return None
        with self._lock:
            self._current = event.request_id
        return event

    def finish(self, outcome: Outcome) -> bool:
        """Record an invocation's end; False for an id that is not the running invocation."""
        with self._lock:
            if outcome.request_id != self._current:
                return False
            self._current = None
        self.reports.put(outcome)
        return True

    def init_failed(self, error: InitError) -> None:
        self.reports.put(error)


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive: the runtime client reuses its connection for next, response, next, ...
    protocol_version = "HTTP/1.1"
    server: RuntimeApiServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: one line per call would drown the emulator's log."""

    def _answer(self, status: HTTPStatus, body: dict[str, str], headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        if self.path != f"{PREFIX}/invocation/next":
            self._answer(HTTPStatus.NOT_FOUND, {"errorMessage": "not found"}, {})
            return
        event = self.server.api.next_event()
        if event is None:
            self.close_connection = True
            return
        headers = {
            "Lambda-Runtime-Aws-Request-Id": event.request_id,
            "Lambda-Runtime-Deadline-Ms": str(event.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": event.invoked_function_arn,
            "Content-Length": str(len(event.payload)),
        }
        if event.trace_id:
            headers["Lambda-Runtime-Trace-Id"] = event.trace_id
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(event.payload)

    def do_POST(self) -> None:
        body = self._body()
        error_type = self.headers.get("Lambda-Runtime-Function-Error-Type") or "Unhandled"
        parts = self.path.removeprefix(PREFIX).strip("/").split("/")
        if parts == ["init", "error"]:
            self.server.api.init_failed(InitError(error_type, body))
            self._answer(HTTPStatus.ACCEPTED, {"status": "OK"}, {})
            return
        if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            outcome = Outcome(parts[1], body, error_type if parts[2] == "error" else None)
            if self.server.api.finish(outcome):
                self._answer(HTTPStatus.ACCEPTED, {"status": "OK"}, {})
            else:
                # The API's answer to a response for an invocation that is not running.
                self._answer(
                    HTTPStatus.BAD_REQUEST,
                    {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"},
                    {},
                )
            return
        self._answer(HTTPStatus.NOT_FOUND, {"errorMessage": "not found"}, {})


class RuntimeApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = RuntimeApi()

    @property
    def address(self) -> str:
        """AWS_LAMBDA_RUNTIME_API: host:port."""
        host, port = self.server_address[:2]
        return f"{host!s}:{port}"

    def start(self) -> None:
        threading.Thread(target=self.serve_forever, name="runtime-api", daemon=True).start()

    def stop(self) -> None:
        """Refuse further calls; returns at once (the serving loop notices within its poll
        interval, so stopping many environments does not add up)."""
        self.api.close()

        def close() -> None:
            self.shutdown()
            self.server_close()

        threading.Thread(target=close, name="runtime-api-stop", daemon=True).start()
