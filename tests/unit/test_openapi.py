"""docs/openapi.yaml is a valid OpenAPI document that describes what the function answers.
(What the deployed API answers is checked against it by tests/e2e/test_openapi_e2e.py.)"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from randfile.config import DEFAULT_MAX_JOB_BYTES
from randfile.content import FORMATS, Format
from randfile.errors import BadRequestError, IdempotencyKeyInUseError, IdempotencyKeyReusedError
from randfile.idempotency import MAX_KEY_LENGTH, idempotency_key
from randfile.jobs import Job, JobStatus
from randfile.keys import is_ulid, ulid
from randfile.request import DEFAULT_SIZE_BYTES, MAX_SEED, Mode

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
