"""Turns an API Gateway REST API proxy event (payload 1.0) into a route and a validated
FileRequest, DatasetRequest, job id or dataset id."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, NoReturn, TypeVar

from randfile.content import FORMATS, Format
from randfile.dataset_plan import Sizes
from randfile.errors import (
    BadRequestError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from randfile.keys import is_ulid

ROUTE_PATH = "/files"
ROUTE_METHOD = "POST"
JOB_ROUTE_PATH = "/files/{job_id}"
JOB_ROUTE_METHOD = "GET"
DATASETS_ROUTE_PATH = "/datasets"
DATASET_ROUTE_PATH = "/datasets/{dataset_id}"
DEFAULT_SIZE_BYTES = 1_048_576
MAX_SEED = 2**63 - 1
MAX_BODY_BYTES = 4096
"""A request is a handful of small fields; anything bigger is abuse, not a request."""
MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects read; a valid request has depth 1.

The json module has no depth limit of its own: Python 3.11 stops near the recursion limit
(~1000) while 3.13 parses every body under MAX_BODY_BYTES, so without this limit the same body
got different answers on different interpreters."""

_FIELDS = ("size_bytes", "format", "seed", "mode")
_DATASET_FIELDS = ("count", "format", "size_bytes", "min_size_bytes", "max_size_bytes", "seed")
# A string literal (closed or running to the end of the text) or a bracket: brackets inside
# strings do not nest anything.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


class Mode(StrEnum):
    """`sync`: written before the answer (201); `async`: a job, answered at once (202)."""

    SYNC = "sync"
    ASYNC = "async"


class Route(Enum):
    CREATE = (ROUTE_PATH, ROUTE_METHOD)
    STATUS = (JOB_ROUTE_PATH, JOB_ROUTE_METHOD)
    CREATE_DATASET = (DATASETS_ROUTE_PATH, "POST")
    DATASET_STATUS = (DATASET_ROUTE_PATH, "GET")


_Choice = TypeVar("_Choice", Format, Mode)


@dataclass(frozen=True)
class FileRequest:
    size_bytes: int
    format: Format
    seed: int | None
    mode: Mode = Mode.SYNC

    def fields(self) -> dict[str, Any]:
        """The request as JSON: what an Idempotency-Key's retry must repeat."""
        return {
            "size_bytes": self.size_bytes,
            "format": self.format.value,
            "seed": self.seed,
            "mode": self.mode.value,
        }


@dataclass(frozen=True)
class DatasetRequest:
    """POST /datasets: `count` files of `format`, sized `sizes`; the seed drawn when absent."""

    count: int
    format: Format
    sizes: Sizes
    seed: int | None

    def fields(self) -> dict[str, Any]:
        """The request as JSON: what an Idempotency-Key's retry must repeat (its route too, so a
        key sent to /files is not taken for a dataset's)."""
        return {
            "route": DATASETS_ROUTE_PATH,
            "count": self.count,
            "format": self.format.value,
            "min_size_bytes": self.sizes.min_bytes,
            "max_size_bytes": self.sizes.max_bytes,
            "seed": self.seed,
        }


def check_route(event: Mapping[str, Any]) -> Route:
    """POST /files, GET /files/{job_id}, POST /datasets and GET /datasets/{dataset_id}; the
    resource template is used so a base path does not matter."""
    resource = event.get("resource") or event.get("path")
    routes = {route.value[0]: route for route in Route}
    if resource not in routes:
        raise NotFoundError(
            f"no route for {resource!r}: the routes are "
            + " and ".join(f"{method} {path}" for path, method in (r.value for r in Route))
        )
    route = routes[resource]
    path, allowed = route.value
    method = event.get("httpMethod")
    if method != allowed:
        raise MethodNotAllowedError(
            f"method {method!r} is not allowed on {path}: use {allowed}", allow=allowed
        )
    return route


def parse_job_id(event: Mapping[str, Any]) -> str:
    """The job id of GET /files/{job_id}. Anything that is not a ULID cannot name a job, so it is
    404 without a look in the store."""
    job_id = (event.get("pathParameters") or {}).get("job_id")
    if not is_ulid(job_id):
        raise NotFoundError(f"no job {job_id!r}: job ids are ULIDs, as the 202 answer gives them")
    return job_id


def parse_dataset_id(event: Mapping[str, Any]) -> str:
    """The dataset id of GET /datasets/{dataset_id}: a ULID, or 404 without a look in the store."""
    dataset_id = (event.get("pathParameters") or {}).get("dataset_id")
    if not is_ulid(dataset_id):
        raise NotFoundError(
            f"no dataset {dataset_id!r}: dataset ids are ULIDs, as the 202 answer gives them"
        )
    return dataset_id


def parse_dataset_request(
    event: Mapping[str, Any], max_dataset_files: int, max_job_bytes: int
) -> DatasetRequest:
    """The request of POST /datasets: `count` from 1 to `max_dataset_files`; either `size_bytes`
    or both `min_size_bytes` and `max_size_bytes`, each file at most `max_job_bytes` and at least
    its format's minimum. The dataset's total (max_dataset_bytes) needs the drawn sizes, so it is
    checked when the dataset is planned (randfile.datasets_service)."""
    document = _json_object(event, _DATASET_FIELDS)
    count = _optional_integer(document, "count", 1, max_dataset_files)
    if count is None:
        _reject("count", f"is required: the number of files, from 1 to {max_dataset_files}")
    fmt = _choice(document, "format", Format) or Format.BINARY
    sizes = _sizes(document, max_job_bytes)
    minimum = FORMATS[fmt].min_size_bytes
    if sizes.min_bytes < minimum:
        field = "size_bytes" if "size_bytes" in document else "min_size_bytes"
        _reject(field, f"must be at least {minimum} for format {fmt.value!r}")
    seed = _optional_integer(document, "seed", 0, MAX_SEED)
    return DatasetRequest(count=count, format=fmt, sizes=sizes, seed=seed)


def _sizes(document: Mapping[str, Any], max_job_bytes: int) -> Sizes:
    fixed = _optional_integer(document, "size_bytes", 1, max_job_bytes)
    low = _optional_integer(document, "min_size_bytes", 1, max_job_bytes)
    high = _optional_integer(document, "max_size_bytes", 1, max_job_bytes)
    if fixed is not None and (low is not None or high is not None):
        _reject(
            "size_bytes",
            "give either size_bytes (every file that size) or min_size_bytes and max_size_bytes"
            " (each file's size drawn between them), not both",
        )
    if fixed is not None:
        return Sizes.fixed(fixed)
    if low is None or high is None:
        _reject(
            "size_bytes",
            "is required: give size_bytes, or both min_size_bytes and max_size_bytes",
        )
    if low > high:
        _reject("min_size_bytes", f"must be at most max_size_bytes ({high}), got {low}")
    return Sizes(low, high)


def status_url(event: Mapping[str, Any], job_id: str) -> str:
    """Where the caller reads the job: the domain it called and the path it used (on a custom
    domain with its base path, on the execute-api domain with the stage), as API Gateway gives
    them in requestContext (https://docs.aws.amazon.com/apigateway/latest/developerguide/
    set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format)."""
    context = event.get("requestContext") or {}
    domain = context.get("domainName") or (event.get("headers") or {}).get("Host", "")
    path = context.get("path") or event.get("path") or ROUTE_PATH
    return f"https://{domain}{path.rstrip('/')}/{job_id}"


def parse_request(
    event: Mapping[str, Any], max_sync_bytes: int, max_job_bytes: int | None = None
) -> FileRequest:
    """The request of POST /files. Without `mode`, a size up to `max_sync_bytes` is written at once
    and a larger one, up to `max_job_bytes`, becomes a job; `max_job_bytes` None offers no job
    larger than `max_sync_bytes`."""
    document = _json_object(event, _FIELDS)
    chosen = _choice(document, "mode", Mode)
    job_bytes = max_sync_bytes if max_job_bytes is None else max_job_bytes
    limits = {
        Mode.SYNC: max_sync_bytes,
        Mode.ASYNC: job_bytes,
        None: max(max_sync_bytes, job_bytes),
    }
    requested_size = _optional_integer(document, "size_bytes", 1, limits[chosen])
    size_bytes = DEFAULT_SIZE_BYTES if requested_size is None else requested_size
    # The default size is written at once whatever max_sync_bytes says, as it was before jobs.
    above_sync = requested_size is not None and requested_size > max_sync_bytes
    mode = chosen or (Mode.ASYNC if above_sync else Mode.SYNC)
    fmt = _choice(document, "format", Format) or Format.BINARY
    minimum = FORMATS[fmt].min_size_bytes
    if size_bytes < minimum:
        _reject("size_bytes", f"must be at least {minimum} for format {fmt.value!r}")
    seed = _optional_integer(document, "seed", 0, MAX_SEED)
    return FileRequest(size_bytes=size_bytes, format=fmt, seed=seed, mode=mode)


def _reject(field: str, rule: str) -> NoReturn:
    raise BadRequestError(f"{field}: {rule}")


def _json_object(event: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """The request's body: a JSON object (with a JSON content type) of the `allowed` fields only."""
    _check_content_type(event.get("headers"))
    document = _decode_json(_body_bytes(event))
    if not isinstance(document, dict):
        _reject("body", f"must be a JSON object, got {_json_type(document)}")
    unknown = sorted(set(document) - set(allowed))
    if unknown:
        _reject("body", f"unknown field(s) {unknown}; allowed fields are {list(allowed)}")
    return document


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
        # Numbers with a fraction or an exponent are read exactly (Decimal, not float), so that
        # an integral one such as 1e3 or 1000.0 is the integer it spells, as JSON Schema counts
        # it (https://json-schema.org/draft/2020-12/json-schema-core#section-6.3) and so the
        # OpenAPI 3.1 document's `type: integer` does.
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_reject_duplicate_keys,
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
    # bool is an int subclass in Python, yet `true` is no integer in JSON.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        _reject(field, f"must be an integer, got {_json_type(value)}")
    if isinstance(value, Decimal) and value != value.to_integral_value():
        _reject(field, f"must be an integer, got {value}")
    if not low <= value <= high:
        _reject(field, f"must be between {low} and {high}, got {value}")
    # Converted only once in range: int(Decimal("1e999999999")) would take a gigabyte.
    return int(value)


def _choice(document: Mapping[str, Any], field: str, choices: type[_Choice]) -> _Choice | None:
    """The field's value as one of `choices`, None when absent."""
    if field not in document:
        return None
    value = document[field]
    allowed = [choice.value for choice in choices]
    if not isinstance(value, str) or value not in allowed:
        shown = value if isinstance(value, str) else _json_type(value)
        _reject(field, f"must be one of {allowed}, got {shown!r}")
    return choices(value)


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", Decimal: "number"}
    if value is None:
        return "null"
    if isinstance(value, int) and not isinstance(value, bool):
        return "integer"
    return names.get(type(value), type(value).__name__)
