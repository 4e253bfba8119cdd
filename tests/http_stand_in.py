"""A local HTTP server standing in for GitHub's REST API or an API Gateway endpoint in tests.

It records every request and answers with whatever the test's `respond` callable returns, as
JSON, on 127.0.0.1 (the only plain-HTTP address scripts/ci/github_api.py accepts).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

Respond = Callable[[str, str, dict[str, str], bytes], tuple[int, Any]]
StandIn = TypeVar("StandIn")


@dataclass
class Recorder:
    """What a stand-in server received, and how it answers."""

    respond: Respond
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    def respond_as(self, kind: type[StandIn]) -> StandIn:
        """``respond`` as the class the test made it of (to look at the state it keeps)."""
        assert isinstance(self.respond, kind)
        return self.respond


@contextmanager
def serve(respond: Respond) -> Iterator[tuple[str, Recorder]]:
    """The server's base URL and its recorder, until the block ends."""
    recorder = Recorder(respond=respond)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {key.lower(): value for key, value in self.headers.items()}
            recorder.requests.append((self.command, self.path, headers, body))
            status, document = recorder.respond(self.command, self.path, headers, body)
            payload = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output clean."""

    with local_server(Handler) as url:
        yield url, recorder


@contextmanager
def local_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """The base URL of a server on 127.0.0.1 that answers with ``handler``, until the block ends."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # shutdown() waits for serve_forever's next poll: 0.5 s by default, at the end of every test.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
