"""API Gateway proxy responses: always JSON, errors in one shape."""

from __future__ import annotations

import json
from typing import Any

from randfile.errors import ServiceError


def json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "isBase64Encoded": False,
        "body": json.dumps(body, separators=(",", ":")),
    }


def error_response(error: ServiceError) -> dict[str, Any]:
    return json_response(
        error.status, {"error": {"code": error.code, "message": error.message}}, error.headers
    )
