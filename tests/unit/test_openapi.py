"""docs/openapi.yaml is a valid OpenAPI document that describes what the function answers.
(What the deployed API answers is checked against it by tests/e2e/test_openapi_e2e.py.)"""

from __future__ import annotations

from pathlib import Path

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from randfile.content import FORMATS
from randfile.request import DEFAULT_SIZE_BYTES, MAX_SEED

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def test_the_document_is_valid_openapi() -> None:
    document, _ = read_from_filename(str(DOCUMENT))
    validate(document)


def test_the_request_schema_matches_the_function() -> None:
    document, _ = read_from_filename(str(DOCUMENT))
    schemas = document["components"]["schemas"]
    fields = schemas["FileRequest"]["properties"]

    assert set(fields) == {"size_bytes", "format", "seed"}
    assert set(fields["format"]["enum"]) == {fmt.value for fmt in FORMATS}
    assert fields["size_bytes"]["default"] == DEFAULT_SIZE_BYTES
    assert fields["seed"]["maximum"] == MAX_SEED
    assert schemas["FileRequest"]["additionalProperties"] is False
