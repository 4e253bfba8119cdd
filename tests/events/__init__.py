"""Sample events the Lambda receives. One REST API proxy event (payload format 1.0), IAM-authorised
with an API key, the shape the local cloud's gateway builds (tests/unit/test_events.py holds the
two together) and AWS documents
(https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
Tests vary it with `api_event` instead of writing events by hand."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).parent
PROXY_EVENT = EVENTS / "api_gateway_proxy_event.json"


@cache
def _proxy_event() -> dict[str, Any]:
    event: dict[str, Any] = json.loads(PROXY_EVENT.read_text())
    return event


def api_event(body: Any = None, **overrides: Any) -> dict[str, Any]:
    """The sample `POST /files` event with ``body`` (None or a str as is, any other value JSON
    encoded) and top-level fields replaced by ``overrides`` (``httpMethod="GET"``,
    ``headers={...}``, ``isBase64Encoded=True`` for a body already in base64)."""
    event = copy.deepcopy(_proxy_event())
    event["body"] = body if body is None or isinstance(body, str) else json.dumps(body)
    if "headers" in overrides:
        headers = overrides["headers"] or {}
        overrides.setdefault(
            "multiValueHeaders", {name: [value] for name, value in headers.items()} or None
        )
    event.update(overrides)
    return event
