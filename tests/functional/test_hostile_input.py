"""Malformed and abusive requests: each gets a 4xx JSON error, no traceback, and writes nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from randfile.handler import handler
from tests.events import api_event
from tests.functional.conftest import BUCKET, FakeContext, TwoAccounts


def body(text: str) -> dict[str, Any]:
    return {"body": text}


def b64(raw: bytes) -> dict[str, Any]:
    return {"body": base64.b64encode(raw).decode(), "isBase64Encoded": True}


CORPUS: list[tuple[str, dict[str, Any]]] = [
    # Broken JSON
    ("unclosed object", body("{")),
    ("unclosed string", body('{"format": "csv}')),
    ("trailing comma", body('{"size_bytes": 10,}')),
    ("single quotes", body("{'size_bytes': 10}")),
    ("comment", body('{"size_bytes": 10 /* hi */}')),
    ("bare word", body("hello")),
    ("two documents", body("{}{}")),
    ("leading garbage", body('x{"size_bytes": 10}')),
    ("deeply nested arrays", body("[" * 2000 + "]" * 2000)),
    ("deeply nested objects", body('{"a":' * 1000 + "1" + "}" * 1000)),
    ("nested object in field", body('{"size_bytes": {"size_bytes": 10}}')),
    ("duplicate key", body('{"size_bytes": 10, "size_bytes": 20}')),
    # Non-object bodies
    ("array body", body("[1, 2]")),
    ("string body", body('"size_bytes"')),
    ("number body", body("42")),
    ("true body", body("true")),
    ("null body", body("null")),
    # Wrong types
    ("size as string", body('{"size_bytes": "100"}')),
    ("size as bool", body('{"size_bytes": true}')),
    # 100.0 and 1e2 are the integer 100, as JSON Schema counts them (tests/unit/test_request.py).
    ("size with a fraction", body('{"size_bytes": 100.5}')),
    ("size as a huge exponent", body('{"size_bytes": 1e999999999}')),
    ("size as array", body('{"size_bytes": [100]}')),
    ("size as null", body('{"size_bytes": null}')),
    ("format as number", body('{"format": 1}')),
    ("format as array", body('{"format": ["csv"]}')),
    ("format as null", body('{"format": null}')),
    ("format wrong case", body('{"format": "CSV"}')),
    ("format with space", body('{"format": "csv "}')),
    ("format unknown", body('{"format": "parquet"}')),
    ("seed as string", body('{"seed": "1"}')),
    ("seed as float", body('{"seed": 1.5}')),
    ("seed as bool", body('{"seed": false}')),
    # NaN / Infinity literals
    ("NaN size", body('{"size_bytes": NaN}')),
    ("Infinity size", body('{"size_bytes": Infinity}')),
    ("-Infinity seed", body('{"seed": -Infinity}')),
    # Out of range and huge numbers
    ("zero size", body('{"size_bytes": 0}')),
    ("negative size", body('{"size_bytes": -1}')),
    # Past RANDFILE_MAX_SYNC_BYTES without a mode is a job (issue 16), not an error.
    ("size above max in sync mode", body('{"size_bytes": 104857601, "mode": "sync"}')),
    ("size above the job max", body('{"size_bytes": 10737418241}')),
    ("mode unknown", body('{"mode": "batch"}')),
    ("mode as bool", body('{"mode": true}')),
    ("huge size", body('{"size_bytes": ' + "9" * 100 + "}")),
    ("size with 5000 digits", body('{"size_bytes": ' + "9" * 4000 + "}")),
    ("negative seed", body('{"seed": -1}')),
    ("seed 2**63", body('{"seed": 9223372036854775808}')),
    ("csv below minimum", body('{"format": "csv", "size_bytes": 10}')),
    ("jsonl below minimum", body('{"format": "jsonl", "size_bytes": 100}')),
    # Unknown fields
    ("unknown field", body('{"bucket": "other-bucket"}')),
    ("key override attempt", body('{"key": "../../etc/passwd"}')),
    ("prefix override attempt", body('{"prefix": "/"}')),
    ("case variant field", body('{"Size_Bytes": 10}')),
    ("empty key", body('{"": 1}')),
    # Huge strings and oversized bodies
    ("huge format string", body('{"format": "' + "a" * 3000 + '"}')),
    ("oversized body", body('{"format": "' + "a" * 10_000 + '"}')),
    ("oversized whitespace", body(" " * 5000 + "{}")),
    ("oversized base64 body", b64(b'{"x": "' + b"a" * 6000 + b'"}')),
    # Base64
    ("bad base64", {"body": "%%%", "isBase64Encoded": True}),
    ("base64 bad padding", {"body": "eyJ9", "isBase64Encoded": True}),
    ("base64 of non-utf8", b64(b'{"format": "\xff\xfe"}')),
    ("base64 of non-object", b64(b"[]")),
    ("base64 of garbage", b64(bytes(range(256)))),
    # Unicode edge cases
    ("lone surrogate", body('{"format": "\\ud800"}')),
    ("raw lone surrogate", body('{"format": "\ud800"}')),
    ("null byte", body('{"format": "csv\\u0000"}')),
    ("right-to-left override", body('{"format": "\u202ecsv"}')),
    ("fullwidth digits", body('{"size_bytes": \uff11\uff10}')),
    ("homoglyph format", body('{"f\u043ermat": "csv"}')),
    ("byte order mark", body('\ufeff{"size_bytes": 10}')),
    # Wrong methods and paths
    ("GET", {"httpMethod": "GET", "body": None}),
    ("PUT", {"httpMethod": "PUT"}),
    ("DELETE", {"httpMethod": "DELETE"}),
    ("lowercase post", {"httpMethod": "post"}),
    ("missing method", {"httpMethod": None}),
    ("other path", {"resource": "/admin", "path": "/admin"}),
    ("nested path", {"resource": "/files/{id}", "path": "/files/1"}),
    ("traversal path", {"resource": "/files/..", "path": "/files/.."}),
    ("no path at all", {"resource": None, "path": None}),
    # Odd content types
    ("text/plain", {"headers": {"Content-Type": "text/plain"}, "body": "{}"}),
    ("form encoded", {"headers": {"content-type": "application/x-www-form-urlencoded"}}),
    ("multipart", {"headers": {"CONTENT-TYPE": "multipart/form-data; boundary=x"}}),
    ("json lookalike", {"headers": {"Content-Type": "application/jsonp"}, "body": "{}"}),
    # Non-string body in the event
    ("body as dict", {"body": {"size_bytes": 10}}),
]


def send(overrides: dict[str, Any]) -> dict[str, Any]:
    # Overrides land as they are, malformed on purpose, bypassing api_event's encoding.
    return handler({**api_event(), **overrides}, FakeContext())


def test_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 60
    assert len({name for name, _ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("name", "overrides"), CORPUS, ids=[name for name, _ in CORPUS])
def test_hostile_request_is_a_4xx_json_error_writing_nothing(
    deployed: TwoAccounts, name: str, overrides: dict[str, Any]
) -> None:
    response = send(overrides)
    assert 400 <= response["statusCode"] < 500, (name, response)
    assert response["headers"]["Content-Type"] == "application/json"
    error = json.loads(response["body"])["error"]
    assert set(error) == {"code", "message"}
    assert error["code"]
    assert error["message"]
    assert "Traceback" not in response["body"]
    assert deployed.data_s3().list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
request_like = st.fixed_dictionaries(
    {},
    optional={
        "size_bytes": st.integers(min_value=-10, max_value=2**70) | json_values,
        "format": st.sampled_from(["binary", "text", "csv", "jsonl"]) | json_values,
        "seed": st.integers(min_value=-10, max_value=2**64) | json_values,
        "extra": json_values,
    },
)
# Client mistakes only: sizes that would be valid are kept tiny so no test writes megabytes.
bodies = (
    st.text(max_size=200)
    | st.binary(max_size=200).map(lambda raw: raw.decode("latin-1"))
    | json_values.map(json.dumps)
    | request_like.map(json.dumps)
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=bodies, base64_encoded=st.booleans())
def test_any_body_gets_an_answer_and_never_a_5xx(
    deployed: TwoAccounts, text: str, base64_encoded: bool
) -> None:
    payload = (
        base64.b64encode(text.encode("utf-8", "surrogatepass")).decode() if base64_encoded else text
    )
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("size_bytes"), int | float):
        # Keep valid requests cheap: the property is about parsing, not about writing (an
        # integral float such as 1e9 is an integer too).
        document["size_bytes"] = min(max(document["size_bytes"], -1), 200)
        text = json.dumps(document)
        payload = base64.b64encode(text.encode()).decode() if base64_encoded else text
    response = send({"body": payload, "isBase64Encoded": base64_encoded})
    assert response["statusCode"] in {201, 400, 413, 415}, response
    assert "Traceback" not in response["body"]
