"""Turns an API Gateway REST API proxy event (payload 1.0) into a validated FileRequest."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from randfile.content import FORMATS, Format
from randfile.errors import (
    BadRequestError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)

ROUTE_PATH = "/files"
ROUTE_METHOD = "POST"
DEFAULT_SIZE_BYTES = 1_048_576
MAX_SEED = 2**63 - 1
MAX_BODY_BYTES = 4096
"""A request is a handful of small fields; anything bigger is abuse, not a request."""
MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects read; a valid request has depth 1.

The json module has no depth limit of its own: Python 3.11 stops near the recursion limit
(~1000) while 3.13 parses every body under MAX_BODY_BYTES, so without this limit the same body
got different answers on different interpreters."""

_FIELDS = ("size_bytes", "format", "seed")
# A string literal (closed or running to the end of the text) or a bracket: brackets inside
# strings do not nest anything.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


@dataclass(frozen=True)
class FileRequest:
    size_bytes: int
    format: Format
    seed: int | None


def check_route(event: Mapping[str, Any]) -> None:
    """Only POST /files exists; the resource template is used so a base path does not matter."""
    resource = event.get("resource") or event.get("path")
    if resource != ROUTE_PATH:
        raise NotFoundError(f"no route for {resource!r}: the only route is POST {ROUTE_PATH}")
    method = event.get("httpMethod")
    if method != ROUTE_METHOD:
        raise MethodNotAllowedError(
            f"method {method!r} is not allowed on {ROUTE_PATH}: use {ROUTE_METHOD}",
            allow=ROUTE_METHOD,
        )


def parse_request(event: Mapping[str, Any], max_bytes: int) -> FileRequest:
    _check_content_type(event.get("headers"))
    document = _decode_json(_body_bytes(event))
    if not isinstance(document, dict):
        _reject("body", f"must be a JSON object, got {_json_type(document)}")
    unknown = sorted(set(document) - set(_FIELDS))
    if unknown:
        _reject("body", f"unknown field(s) {unknown}; allowed fields are {list(_FIELDS)}")
    requested_size = _optional_integer(document, "size_bytes", 1, max_bytes)
    size_bytes = DEFAULT_SIZE_BYTES if requested_size is None else requested_size
    fmt = _format(document)
    minimum = FORMATS[fmt].min_size_bytes
    if size_bytes < minimum:
        _reject("size_bytes", f"must be at least {minimum} for format {fmt.value!r}")
    seed = _optional_integer(document, "seed", 0, MAX_SEED)
    return FileRequest(size_bytes=size_bytes, format=fmt, seed=seed)


def _reject(field: str, rule: str) -> NoReturn:
    raise BadRequestError(f"{field}: {rule}")


def _check_content_type(headers: Mapping[str, str] | None) -> None:
    for name, value in (headers or {}).items():
        if name.lower() == "content-type":
            media_type = value.split(";", 1)[0].strip().lower()
            if media_type != "application/json":
                raise UnsupportedMediaTypeError(
                    f"Content-Type must be application/json, got {value!r}"
                )


def _body_bytes(event: Mapping[str, Any]) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise BadRequestError("body: must be a string in the proxy event")
    if len(body) > MAX_BODY_BYTES * 2:
        raise PayloadTooLargeError(f"body: must be at most {MAX_BODY_BYTES} bytes")
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequestError(
                "body: isBase64Encoded is set but the body is not base64"
            ) from None
    else:
        raw = body.encode("utf-8", errors="surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"body: must be at most {MAX_BODY_BYTES} bytes")
    return raw


def _decode_json(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequestError("body: must be UTF-8 encoded JSON") from None
    # Checked before parsing, so a deep body is refused the same way whether or not it is valid
    # JSON and whichever interpreter runs.
    _check_depth(text)
    try:
        return json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_reject_duplicate_keys
        )
    except ValueError as error:  # JSONDecodeError and int-conversion limits are ValueErrors
        raise BadRequestError(f"body: invalid JSON ({error})") from None


def _check_depth(text: str) -> None:
    depth = 0
    for token in _STRUCTURE.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                _reject("body", f"JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels)")
        elif bracket in ("]", "}"):
            depth -= 1


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("duplicate keys in an object")
    return document


def _optional_integer(document: Mapping[str, Any], field: str, low: int, high: int) -> int | None:
    if field not in document:
        return None
    value = document[field]
    # bool is an int subclass in Python, and 1.0 is a float: neither is accepted as an integer.
    if not isinstance(value, int) or isinstance(value, bool):
        _reject(field, f"must be an integer, got {_json_type(value)}")
    if not low <= value <= high:
        _reject(field, f"must be between {low} and {high}, got {value}")
    return value


def _format(document: Mapping[str, Any]) -> Format:
    value = document.get("format", Format.BINARY.value)
    allowed = [fmt.value for fmt in Format]
    if not isinstance(value, str) or value not in allowed:
        shown = value if isinstance(value, str) else _json_type(value)
        _reject("format", f"must be one of {allowed}, got {shown!r}")
    return Format(value)


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", float: "number"}
    if value is None:
        return "null"
    if isinstance(value, int) and not isinstance(value, bool):
        return "integer"
    return names.get(type(value), type(value).__name__)
