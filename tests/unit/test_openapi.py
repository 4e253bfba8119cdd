"""docs/openapi.yaml is a valid OpenAPI document that describes what the function answers.
(What the deployed API answers is checked against it by tests/e2e/test_openapi_e2e.py.)"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from randfile.config import DEFAULT_MAX_DATASET_FILES, DEFAULT_MAX_JOB_BYTES, DEFAULT_MAX_SYNC_BYTES
from randfile.content import FORMATS, Format
from randfile.dataset_plan import Sizes
from randfile.datasets import Dataset, FailedFile
from randfile.errors import BadRequestError, IdempotencyKeyInUseError, IdempotencyKeyReusedError
from randfile.idempotency import MAX_KEY_LENGTH, idempotency_key
from randfile.jobs import Job, JobStatus
from randfile.keys import is_ulid, ulid
from randfile.request import (
    DEFAULT_SIZE_BYTES,
    MAX_SEED,
    Mode,
    parse_dataset_request,
    parse_request,
)
from tests.events import api_event

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def test_the_document_is_valid_openapi() -> None:
    document, _ = read_from_filename(str(DOCUMENT))
    validate(document)


def test_the_request_schema_matches_the_function() -> None:
    document, _ = read_from_filename(str(DOCUMENT))
    schemas = document["components"]["schemas"]
    fields = schemas["FileRequest"]["properties"]

    assert set(fields) == {"size_bytes", "format", "seed", "mode"}
    assert set(fields["mode"]["enum"]) == {mode.value for mode in Mode}
    assert fields["size_bytes"]["maximum"] == DEFAULT_MAX_JOB_BYTES
    assert set(fields["format"]["enum"]) == {fmt.value for fmt in FORMATS}
    assert fields["size_bytes"]["default"] == DEFAULT_SIZE_BYTES
    assert fields["seed"]["maximum"] == MAX_SEED
    assert schemas["FileRequest"]["additionalProperties"] is False


def test_the_job_schemas_match_the_function() -> None:
    document, _ = read_from_filename(str(DOCUMENT))
    schemas = document["components"]["schemas"]
    job = Job(
        job_id="01JDZQ5V8X6M3N2P4R7S9T0W1Y",
        status=JobStatus.SUCCEEDED,
        bucket="b",
        key="k",
        size_bytes=1,
        format=Format.BINARY,
        seed=0,
        content_type="application/octet-stream",
        created_at="2026-11-28T09:00:00.000Z",
        updated_at="2026-11-28T09:00:00.000Z",
        expiration=0,
        sha256="0" * 64,
        checksum_crc64nvme="AAAAAAAAAAA=",
        etag="e",
        version_id=None,
    )
    failed = replace(job, status=JobStatus.FAILED, error_code="x", error_message="y")
    accepted = replace(job, status=JobStatus.QUEUED).accepted_fields("https://d/files/id")
    assert set(schemas["AcceptedJob"]["properties"]) == set(accepted)
    assert set(schemas["AcceptedJob"]["required"]) == set(accepted)
    assert set(schemas["Job"]["properties"]) == set(job.status_fields()) | {"error"}
    assert set(schemas["Job"]["required"]) == set(job.status_fields()) & set(failed.status_fields())
    assert set(schemas["Job"]["properties"]["status"]["enum"]) == {s.value for s in JobStatus}


def test_the_job_id_pattern_is_the_function_s() -> None:
    document, _ = read_from_filename(str(DOCUMENT))
    [parameter] = document["paths"]["/files/{job_id}"]["get"]["parameters"]
    pattern = re.compile(parameter["schema"]["pattern"])
    assert (
        pattern.pattern
        == document["components"]["schemas"]["Job"]["properties"]["job_id"]["pattern"]
    )
    made = ulid(datetime.now(UTC))
    assert pattern.match(made)
    assert is_ulid(made)
    assert not pattern.match("8" + made[1:])
    assert not is_ulid("8" + made[1:])


KEY_SAMPLES = [
    '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
    "01JDZQ5V8X6M3N2P4R7S9T0W1Y",
    '"with space, \\"quotes\\" and \\\\"',
    '"' + "k" * MAX_KEY_LENGTH + '"',
    "k" * MAX_KEY_LENGTH,
    '""',
    "",
    "k" * (MAX_KEY_LENGTH + 1),
    '"' + "k" * (MAX_KEY_LENGTH + 1) + '"',
    "two words",
    '"unclosed',
    '"a\\b"',
    '"caf\u00e9"',
    'in"side',
    # obs-text that Python's str.strip() takes for white space
    "\u00a0key",
    "key\u0085",
]


@pytest.mark.parametrize("value", KEY_SAMPLES)
def test_the_idempotency_key_header_is_the_function_s(value: str) -> None:
    document, _ = read_from_filename(str(DOCUMENT))
    post = document["paths"]["/files"]["post"]
    [parameter] = [p for p in post["parameters"] if p["in"] == "header"]
    assert (parameter["name"], parameter["required"]) == ("Idempotency-Key", False)
    documented = re.fullmatch(parameter["schema"]["pattern"], value) is not None
    try:
        idempotency_key({parameter["name"]: value})
    except BadRequestError:
        accepted = False
    else:
        accepted = True
    assert documented == accepted


_KEY_PATTERN = next(
    parameter["schema"]["pattern"]
    for parameter in read_from_filename(str(DOCUMENT))[0]["paths"]["/files"]["post"]["parameters"]
    if parameter["name"] == "Idempotency-Key"
)
# What an HTTP field value may hold (RFC 9110, section 5.5: VCHAR, SP, HTAB and obs-text), without
# the spaces and tabs around it, which are not part of the value.
_FIELD_VALUES = st.text(
    st.sampled_from([chr(code) for code in (0x09, *range(0x20, 0x7F), *range(0x80, 0x100))]),
    max_size=260,
).map(lambda value: value.strip(" \t"))


@settings(max_examples=500, deadline=None)
@given(value=_FIELD_VALUES | st.from_regex(_KEY_PATTERN, fullmatch=True))
def test_the_idempotency_key_pattern_allows_exactly_the_keys_the_function_takes(
    value: str,
) -> None:
    documented = re.fullmatch(_KEY_PATTERN, value) is not None
    try:
        idempotency_key({"Idempotency-Key": value})
    except BadRequestError:
        accepted = False
    else:
        accepted = True
    assert documented == accepted


def test_the_idempotency_key_s_errors_are_documented() -> None:
    document, _ = read_from_filename(str(DOCUMENT))
    responses = document["paths"]["/files"]["post"]["responses"]
    assert IdempotencyKeyInUseError.status == 409
    assert IdempotencyKeyReusedError.status == 422
    assert IdempotencyKeyInUseError.code in responses["409"]["description"]
    assert "Retry-After" in responses["409"]["headers"]
    description = document["paths"]["/files"]["post"]["description"]
    assert IdempotencyKeyReusedError.code in description
    assert responses["422"] == {"$ref": "#/components/responses/Error"}


def _file_request_schema() -> dict[str, Any]:
    document, _ = read_from_filename(str(DOCUMENT))
    schema: dict[str, Any] = document["components"]["schemas"]["FileRequest"]
    return schema


def _rules(schema: dict[str, Any], field: str, value: str) -> list[dict[str, Any]]:
    """The `size_bytes` constraints of the schema's `if`/`then` rules that apply when `field`
    is `value`."""
    return [
        rule["then"]["properties"]["size_bytes"]
        for rule in schema["allOf"]
        if rule["if"]["properties"].get(field, {}).get("const") == value
    ]


@pytest.mark.parametrize("fmt", list(Format))
def test_each_format_s_documented_minimum_is_the_code_s(fmt: Format) -> None:
    schema = _file_request_schema()
    minimums = [schema["properties"]["size_bytes"]["minimum"]] + [
        rule["minimum"] for rule in _rules(schema, "format", fmt.value)
    ]
    assert max(minimums) == FORMATS[fmt].min_size_bytes


def test_the_documented_synchronous_limit_is_the_default_one() -> None:
    [rule] = _rules(_file_request_schema(), "mode", Mode.SYNC.value)
    assert rule["maximum"] == DEFAULT_MAX_SYNC_BYTES
    assert "RANDFILE_MAX_SYNC_BYTES" in rule["description"]


_FILE_REQUEST = _file_request_schema()
_FILE_REQUEST_VALIDATOR = OAS31Validator(_FILE_REQUEST)


def _refused(body: dict[str, Any]) -> bool:
    try:
        parse_request(api_event(body), DEFAULT_MAX_SYNC_BYTES, DEFAULT_MAX_JOB_BYTES)
    except BadRequestError:
        return True
    return False


_SIZE_LIMITS = sorted(
    {
        1,
        DEFAULT_MAX_SYNC_BYTES,
        DEFAULT_MAX_JOB_BYTES,
        *(info.min_size_bytes for info in FORMATS.values()),
    }
)
_ABSENT = object()


def test_the_document_allows_exactly_the_requests_the_function_accepts_at_every_limit() -> None:
    """Every combination of format and mode, with a size on each side of every limit."""
    sizes = [_ABSENT, *(limit + step for limit in _SIZE_LIMITS for step in (-1, 0, 1))]
    formats = [_ABSENT, *(fmt.value for fmt in Format)]
    modes = [_ABSENT, *(mode.value for mode in Mode)]
    for size, fmt, mode in itertools.product(sizes, formats, modes):
        fields = {"size_bytes": size, "format": fmt, "mode": mode}
        body = {name: value for name, value in fields.items() if value is not _ABSENT}
        _assert_the_document_allows_it_exactly_if_the_function_does(
            body, _FILE_REQUEST_VALIDATOR, _refused
        )


_NOT_INTEGERS = (
    st.none()
    | st.booleans()
    | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda value: not value.is_integer())
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)
)
# JSON Schema counts 1000.0 as the integer 1000, and so does the function.
_INTEGERS = st.integers(min_value=-(2**64), max_value=2**64) | st.integers(
    min_value=-(2**53), max_value=2**53
).map(float)
# The strategies of the fields that files and datasets share.
_FORMATS = st.sampled_from([fmt.value for fmt in Format]) | _NOT_INTEGERS
_SEEDS = st.sampled_from([-1, 0, MAX_SEED, MAX_SEED + 1]) | _INTEGERS | _NOT_INTEGERS
_BODIES = st.fixed_dictionaries(
    {},
    optional={
        "size_bytes": _INTEGERS | _NOT_INTEGERS,
        "format": _FORMATS,
        "seed": _SEEDS,
        "mode": st.sampled_from([mode.value for mode in Mode]) | _NOT_INTEGERS,
        "bucket": st.just("other"),
    },
)


# --- Datasets -------------------------------------------------------------------------------------


def _schemas() -> dict[str, Any]:
    document, _ = read_from_filename(str(DOCUMENT))
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


def test_the_dataset_schemas_match_the_function() -> None:
    schemas = _schemas()
    dataset = Dataset(
        dataset_id="01JDZQ5V8X6M3N2P4R7S9T0W1Y",
        status=JobStatus.RUNNING,
        bucket="b",
        prefix="random/datasets/01JDZQ5V8X6M3N2P4R7S9T0W1Y/",
        count=2,
        format=Format.BINARY,
        sizes=Sizes.fixed(1),
        seed=0,
        total_bytes=2,
        chunk_starts=(0,),
        created_at="2026-11-28T09:00:00.000Z",
        updated_at="2026-11-28T09:00:00.000Z",
        expiration=0,
    )
    failed = replace(dataset, status=JobStatus.FAILED, failed_files=(FailedFile(0, "k", "x", "y"),))
    accepted = dataset.accepted_fields("https://d/datasets/id")
    assert set(schemas["AcceptedDataset"]["properties"]) == set(accepted)
    assert set(schemas["AcceptedDataset"]["required"]) == set(accepted)
    assert set(schemas["Dataset"]["properties"]) == set(failed.status_fields())
    assert set(schemas["Dataset"]["required"]) == set(dataset.status_fields())
    item = schemas["Dataset"]["properties"]["failed_files"]["items"]
    assert set(item["required"]) == set(failed.status_fields()["failed_files"][0])
    assert set(schemas["Dataset"]["properties"]["status"]["enum"]) == {s.value for s in JobStatus}
    fields = schemas["DatasetRequest"]["properties"]
    assert fields["count"]["maximum"] == DEFAULT_MAX_DATASET_FILES
    for name in ("size_bytes", "min_size_bytes", "max_size_bytes"):
        assert fields[name]["maximum"] == DEFAULT_MAX_JOB_BYTES


_DATASET_VALIDATOR = OAS31Validator(_schemas()["DatasetRequest"])


def _dataset_refused(body: Any) -> bool:
    try:
        parse_dataset_request(
            api_event(body, resource="/datasets"), DEFAULT_MAX_DATASET_FILES, DEFAULT_MAX_JOB_BYTES
        )
    except BadRequestError:
        return True
    return False


def _beyond_the_schema(body: Any) -> bool:
    """The one rule between fields the schema cannot say, the function's (documented):
    min_size_bytes at most max_size_bytes."""
    low, high = body.get("min_size_bytes"), body.get("max_size_bytes")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high))
    return numbers and low > high


def test_the_document_allows_exactly_the_dataset_requests_the_function_accepts_at_every_limit() -> (
    None
):
    counts = [_ABSENT, 0, 1, DEFAULT_MAX_DATASET_FILES, DEFAULT_MAX_DATASET_FILES + 1]
    sizes = [_ABSENT, *(limit + step for limit in _SIZE_LIMITS for step in (-1, 0, 1))]
    formats = [_ABSENT, *(fmt.value for fmt in Format)]
    for count, fmt, (low, high), fixed in itertools.product(
        counts,
        formats,
        [(_ABSENT, _ABSENT), *itertools.product(sizes[1:], repeat=2)][::7],
        sizes[::3],
    ):
        fields = {
            "count": count,
            "format": fmt,
            "size_bytes": fixed,
            "min_size_bytes": low,
            "max_size_bytes": high,
        }
        body = {name: value for name, value in fields.items() if value is not _ABSENT}
        _assert_the_document_allows_it_exactly_if_the_function_does(
            body, _DATASET_VALIDATOR, _dataset_refused
        )


_DATASET_BODIES = st.fixed_dictionaries(
    {},
    optional={
        "count": st.sampled_from([0, 1, 2, DEFAULT_MAX_DATASET_FILES + 1])
        | _INTEGERS
        | _NOT_INTEGERS,
        "size_bytes": _INTEGERS | _NOT_INTEGERS,
        "min_size_bytes": _INTEGERS | _NOT_INTEGERS,
        "max_size_bytes": _INTEGERS | _NOT_INTEGERS,
        "format": _FORMATS,
        "seed": _SEEDS,
        "mode": st.just("async"),
    },
)


def test_the_dataset_routes_share_the_files_idempotency_key_pattern_and_id_pattern() -> None:
    document, _ = read_from_filename(str(DOCUMENT))
    [key] = document["paths"]["/datasets"]["post"]["parameters"]
    assert key["schema"]["pattern"] == _KEY_PATTERN
    [dataset_id] = document["paths"]["/datasets/{dataset_id}"]["get"]["parameters"]
    assert (
        dataset_id["schema"]["pattern"]
        == _schemas()["Dataset"]["properties"]["dataset_id"]["pattern"]
    )
    assert re.match(dataset_id["schema"]["pattern"], ulid(datetime.now(UTC)))


# --- Files and datasets ---------------------------------------------------------------------------


def _assert_the_document_allows_it_exactly_if_the_function_does(
    body: Any, validator: OAS31Validator, refused: Callable[[Any], bool]
) -> None:
    # A file request has no minimum and maximum sizes: only a dataset request can be refused
    # beyond the schema.
    if _beyond_the_schema(body):
        assert refused(body), body
        return
    assert validator.is_valid(body) == (not refused(body)), body


@pytest.mark.parametrize(
    ("bodies", "validator", "refused"),
    [
        (_BODIES, _FILE_REQUEST_VALIDATOR, _refused),
        (_DATASET_BODIES, _DATASET_VALIDATOR, _dataset_refused),
    ],
    ids=["files", "datasets"],
)
@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_the_document_allows_exactly_the_requests_the_function_accepts(
    bodies: st.SearchStrategy[dict[str, Any]],
    validator: OAS31Validator,
    refused: Callable[[Any], bool],
    data: st.DataObject,
) -> None:
    # The function is called with the deployment defaults the document shows.
    _assert_the_document_allows_it_exactly_if_the_function_does(
        data.draw(bodies), validator, refused
    )


@pytest.mark.parametrize(
    ("route", "validator", "refused"),
    [
        ("/files", _FILE_REQUEST_VALIDATOR, _refused),
        ("/datasets", _DATASET_VALIDATOR, _dataset_refused),
    ],
)
def test_the_request_examples_are_allowed_and_accepted(
    route: str, validator: OAS31Validator, refused: Callable[[Any], bool]
) -> None:
    document, _ = read_from_filename(str(DOCUMENT))
    media = document["paths"][route]["post"]["requestBody"]["content"]["application/json"]
    examples = [example["value"] for example in media["examples"].values()]
    assert examples
    for body in examples:
        assert validator.is_valid(body), body
        assert not refused(body), body
