from __future__ import annotations

import base64

import pytest

from randfile.content import Format
from randfile.dataset_plan import Sizes
from randfile.errors import (
    BadRequestError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    ServiceError,
    UnsupportedMediaTypeError,
)
from randfile.request import (
    DEFAULT_SIZE_BYTES,
    MAX_JSON_DEPTH,
    DatasetRequest,
    FileRequest,
    Mode,
    Route,
    check_route,
    parse_dataset_id,
    parse_dataset_request,
    parse_job_id,
    parse_request,
    status_url,
)
from tests.events import api_event

MAX = 10_000


def test_empty_body_means_all_defaults() -> None:
    defaults = FileRequest(DEFAULT_SIZE_BYTES, Format.BINARY, None)
    assert parse_request(api_event(None), MAX) == defaults
    assert parse_request(api_event("  "), MAX) == defaults


def test_all_fields() -> None:
    body = '{"size_bytes": 2048, "format": "csv", "seed": 9223372036854775807}'
    assert parse_request(api_event(body), MAX) == FileRequest(2048, Format.CSV, 2**63 - 1)


def test_base64_body() -> None:
    body = base64.b64encode(b'{"format": "jsonl", "size_bytes": 500}').decode()
    request = parse_request(api_event(body, isBase64Encoded=True), MAX)
    assert request == FileRequest(500, Format.JSONL, None)


def test_json_content_type_with_charset_is_accepted() -> None:
    headers = {"content-type": "application/json; charset=utf-8"}
    assert parse_request(api_event("{}", headers=headers), MAX).format is Format.BINARY


@pytest.mark.parametrize(
    "body",
    [
        '{"size_bytes": 1000.0, "seed": 7.0}',
        '{"size_bytes": 1e3, "seed": 0.7e1}',
        '{"size_bytes": 1000.000000000000000000000, "seed": 70e-1}',
    ],
)
def test_integral_numbers_are_integers(body: str) -> None:
    # JSON Schema, hence the OpenAPI 3.1 document, counts 1000.0 as the integer 1000.
    request = parse_request(api_event(body), MAX)
    assert (request.size_bytes, request.seed) == (1000, 7)
    assert type(request.size_bytes) is int
    assert type(request.seed) is int


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ('{"size_bytes": true}', "size_bytes", "must be an integer, got boolean"),
        ('{"size_bytes": 10.5}', "size_bytes", "must be an integer, got 10.5"),
        ('{"size_bytes": 1e-3}', "size_bytes", "must be an integer, got 0.001"),
        ('{"size_bytes": 1e999999999}', "size_bytes", "must be between 1 and"),
        ('{"size_bytes": "10"}', "size_bytes", "must be an integer, got string"),
        ('{"size_bytes": null}', "size_bytes", "must be an integer, got null"),
        ('{"size_bytes": 0}', "size_bytes", "between 1 and 10000"),
        ('{"size_bytes": 10001}', "size_bytes", "between 1 and 10000"),
        ('{"size_bytes": 50, "format": "csv"}', "size_bytes", "at least 93 for format 'csv'"),
        ('{"format": "xml"}', "format", "must be one of"),
        ('{"format": 1}', "format", "must be one of"),
        ('{"seed": -1}', "seed", "between 0 and 9223372036854775807"),
        ('{"seed": 9223372036854775808}', "seed", "between 0"),
        ('{"seed": false}', "seed", "must be an integer"),
        ('{"name": "x"}', "body", "unknown field(s) ['name']"),
        ("[]", "body", "must be a JSON object, got array"),
        ('"text"', "body", "must be a JSON object, got string"),
        ("42", "body", "must be a JSON object, got integer"),
        ("null", "body", "must be a JSON object, got null"),
        ("{", "body", "invalid JSON"),
        ('{"seed": NaN}', "body", "NaN is not valid JSON"),
        ('{"size_bytes": Infinity}', "body", "invalid JSON"),
        ('{"seed": 1, "seed": 2}', "body", "duplicate keys"),
        ("[" * 2000 + "]" * 2000, "body", f"nested too deeply (more than {MAX_JSON_DEPTH} levels)"),
    ],
)
def test_bad_body_is_400_naming_field_and_rule(body: str, field: str, rule: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_request(api_event(body), MAX)
    assert caught.value.status == 400
    assert caught.value.message.startswith(f"{field}:")
    assert rule in caught.value.message


def nested_arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# These run on the Lambda runtime's interpreter in make test (test-unit-runtime) and on the default
# one in make test-unit: the json module alone answers the deep ones differently on 3.11 and 3.13.
@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (nested_arrays(MAX_JSON_DEPTH), "must be a JSON object, got array"),
        (nested_objects(MAX_JSON_DEPTH), "unknown field(s) ['a']"),
        (nested_arrays(MAX_JSON_DEPTH + 1), "nested too deeply"),
        (nested_objects(MAX_JSON_DEPTH + 1), "nested too deeply"),
        # Deep enough for 3.11's parser to hit the recursion limit, shallow enough for 3.13's.
        (nested_arrays(1500), "nested too deeply"),
        # Invalid as well as deep: the depth is what is reported, not the parser's error.
        ("[" * 4000, "nested too deeply"),
        ('{"size_bytes": 10, ' + "[" * 40, "nested too deeply"),
        # Brackets inside strings, escaped quotes included, nest nothing.
        ('{"format": "' + "[{" * 100 + '"}', "format: must be one of"),
        ('{"format": "\\"' + "[" * 100 + '"}', "format: must be one of"),
        ('{"format": "' + "[" * 100, "invalid JSON"),
    ],
    ids=lambda value: value[:24],
)
def test_json_nesting_limit_is_the_same_on_every_interpreter(body: str, rule: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_request(api_event(body), MAX)
    assert rule in caught.value.message


def test_bad_base64_is_400() -> None:
    with pytest.raises(BadRequestError, match="not base64"):
        parse_request(api_event("%%%not-base64", isBase64Encoded=True), MAX)


def test_non_utf8_is_400() -> None:
    body = base64.b64encode(b'{"format": "\xff"}').decode()
    with pytest.raises(BadRequestError, match="UTF-8"):
        parse_request(api_event(body, isBase64Encoded=True), MAX)


def test_oversized_body_is_413() -> None:
    with pytest.raises(PayloadTooLargeError):
        parse_request(api_event('{"seed": 1' + " " * 5000 + "}"), MAX)


def test_other_content_type_is_415() -> None:
    with pytest.raises(UnsupportedMediaTypeError, match="text/plain"):
        parse_request(api_event("{}", headers={"Content-Type": "text/plain"}), MAX)


@pytest.mark.parametrize(
    ("resource", "method", "error"),
    [
        ("/other", "POST", NotFoundError),
        ("/files/x", "POST", NotFoundError),
        (None, "POST", NotFoundError),
        ("/files", "GET", MethodNotAllowedError),
        ("/files", "DELETE", MethodNotAllowedError),
    ],
)
def test_only_post_files_is_routed(
    resource: str | None, method: str, error: type[ServiceError]
) -> None:
    with pytest.raises(error):
        check_route(api_event(resource=resource, path=resource, httpMethod=method))


def test_wrong_method_names_the_allowed_one_in_its_headers() -> None:
    with pytest.raises(MethodNotAllowedError) as caught:
        check_route(api_event(httpMethod="GET"))
    assert caught.value.headers == {"Allow": "POST"}


def test_route_accepts_post_files() -> None:
    check_route(api_event(path="/v1/files"))


JOB_MAX = 50_000


@pytest.mark.parametrize(
    ("body", "size", "mode"),
    [
        ("{}", DEFAULT_SIZE_BYTES, Mode.SYNC),
        ('{"size_bytes": 10000}', 10_000, Mode.SYNC),
        ('{"size_bytes": 10001}', 10_001, Mode.ASYNC),
        ('{"size_bytes": 50000}', 50_000, Mode.ASYNC),
        ('{"size_bytes": 5, "mode": "async"}', 5, Mode.ASYNC),
        ('{"size_bytes": 5, "mode": "sync"}', 5, Mode.SYNC),
        ('{"mode": "async"}', DEFAULT_SIZE_BYTES, Mode.ASYNC),
    ],
)
def test_the_mode_defaults_to_sync_up_to_the_synchronous_limit(
    body: str, size: int, mode: Mode
) -> None:
    request = parse_request(api_event(body), MAX, JOB_MAX)
    assert (request.size_bytes, request.mode) == (size, mode)


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ('{"size_bytes": 10001, "mode": "sync"}', "size_bytes: must be between 1 and 10000"),
        ('{"size_bytes": 50001}', "size_bytes: must be between 1 and 50000"),
        ('{"size_bytes": 50001, "mode": "async"}', "size_bytes: must be between 1 and 50000"),
        ('{"mode": "Async"}', "mode: must be one of ['sync', 'async'], got 'Async'"),
        ('{"mode": null}', "mode: must be one of ['sync', 'async'], got 'null'"),
    ],
)
def test_each_mode_has_its_limit(body: str, rule: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        parse_request(api_event(body), MAX, JOB_MAX)
    assert caught.value.message.startswith(rule)


def test_the_status_route_is_get_files_job_id() -> None:
    event = api_event(resource="/files/{job_id}", path="/files/x", httpMethod="GET")
    assert check_route(event) is Route.STATUS
    assert check_route(api_event()) is Route.CREATE
    with pytest.raises(MethodNotAllowedError) as caught:
        check_route({**event, "httpMethod": "POST"})
    assert caught.value.headers == {"Allow": "GET"}


@pytest.mark.parametrize(
    ("parameters", "job_id"),
    [
        ({"job_id": "01JDZQ5V8X6M3N2P4R7S9T0W1Y"}, "01JDZQ5V8X6M3N2P4R7S9T0W1Y"),
        ({"job_id": "01JDZQ5V8X6M3N2P4R7S9T0W1"}, None),
        ({"job_id": "../01JDZQ5V8X6M3N2P4R7S9T0W1Y"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_a_job_id_is_a_ulid_or_404(parameters: dict[str, str] | None, job_id: str | None) -> None:
    event = api_event(resource="/files/{job_id}", httpMethod="GET", pathParameters=parameters)
    if job_id is None:
        with pytest.raises(NotFoundError):
            parse_job_id(event)
    else:
        assert parse_job_id(event) == job_id


@pytest.mark.parametrize(
    ("domain", "path", "url"),
    [
        ("api.example.com", "/files", "https://api.example.com/files/ID"),
        ("api.example.com", "/v2/files", "https://api.example.com/v2/files/ID"),
        (
            "abc.execute-api.eu-west-1.amazonaws.com",
            "/prod/files",
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod/files/ID",
        ),
    ],
)
def test_the_status_url_is_where_the_caller_called(domain: str, path: str, url: str) -> None:
    context = {**api_event()["requestContext"], "domainName": domain, "path": path}
    assert status_url(api_event(requestContext=context), "ID") == url


def dataset_event(body: object) -> dict[str, object]:
    return api_event(body, resource="/datasets")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"size_bytes": 10}, "count: is required: the number of files, from 1 to 100"),
        ({"count": 0, "size_bytes": 10}, "count: must be between 1 and 100, got 0"),
        ({"count": 101, "size_bytes": 10}, "count: must be between 1 and 100, got 101"),
        ({"count": 2}, "size_bytes: is required: give size_bytes, or both min_size_bytes"),
        ({"count": 2, "max_size_bytes": 5}, "size_bytes: is required"),
        (
            {"count": 2, "size_bytes": 5, "max_size_bytes": 5},
            "size_bytes: give either size_bytes (every file that size) or min_size_bytes and"
            " max_size_bytes (each file's size drawn between them), not both",
        ),
        (
            {"count": 2, "min_size_bytes": 6, "max_size_bytes": 5},
            "min_size_bytes: must be at most max_size_bytes (5), got 6",
        ),
        ({"count": 2, "size_bytes": MAX + 1}, f"size_bytes: must be between 1 and {MAX}"),
        ({"count": 2, "min_size_bytes": 1, "max_size_bytes": MAX + 1}, "max_size_bytes: must be"),
        ({"count": 2, "size_bytes": 1, "format": "jsonl"}, "size_bytes: must be at least"),
        (
            {"count": 2, "min_size_bytes": 1, "max_size_bytes": 500, "format": "csv"},
            "min_size_bytes: must be at least",
        ),
        ({"count": 2, "size_bytes": 1, "seed": -1}, "seed: must be between 0 and"),
        ({"count": 2, "size_bytes": 1, "mode": "sync"}, "body: unknown field(s) ['mode']"),
        ([1], "body: must be a JSON object, got array"),
    ],
)
def test_a_dataset_request_is_refused_with_its_reason(body: object, message: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        parse_dataset_request(dataset_event(body), 100, MAX)
    assert message in refused.value.message


def test_a_dataset_request_of_either_form() -> None:
    fixed = parse_dataset_request(dataset_event({"count": 3, "size_bytes": 9}), 100, MAX)
    assert fixed == DatasetRequest(3, Format.BINARY, Sizes.fixed(9), None)
    ranged = parse_dataset_request(
        dataset_event(
            {"count": 100, "min_size_bytes": 1, "max_size_bytes": MAX, "format": "text", "seed": 4}
        ),
        100,
        MAX,
    )
    assert ranged == DatasetRequest(100, Format.TEXT, Sizes(1, MAX), 4)
    assert ranged.fields()["route"] == "/datasets"


@pytest.mark.parametrize("dataset_id", [None, "", "nope", "01JDZQ5V8X"])
def test_a_dataset_id_that_is_no_ulid_is_404(dataset_id: str | None) -> None:
    event = api_event(None, pathParameters={"dataset_id": dataset_id})
    with pytest.raises(NotFoundError):
        parse_dataset_id(event)


def test_the_dataset_routes() -> None:
    assert check_route(api_event(None, resource="/datasets")) is Route.CREATE_DATASET
    status = api_event(None, resource="/datasets/{dataset_id}", httpMethod="GET")
    assert check_route(status) is Route.DATASET_STATUS
    with pytest.raises(MethodNotAllowedError):
        check_route(api_event(None, resource="/datasets", httpMethod="GET"))
