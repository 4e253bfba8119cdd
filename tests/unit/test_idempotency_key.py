"""The Idempotency-Key header as the draft writes it: a Structured Field String."""

from __future__ import annotations

import pytest

from randfile.errors import BadRequestError
from randfile.idempotency import caller_scope, idempotency_key


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ('"8e03978e-40d5-43e8-bc93-6894a57f9324"', "8e03978e-40d5-43e8-bc93-6894a57f9324"),
        ('"with space and \\"quote\\" and \\\\"', 'with space and "quote" and \\'),
        ("01JDZQ5V8X6M3N2P4R7S9T0W1Y", "01JDZQ5V8X6M3N2P4R7S9T0W1Y"),
        ('  "padded"  ', "padded"),
    ],
)
def test_a_key_is_read_from_its_structured_field_string(value: str, key: str) -> None:
    assert idempotency_key({"IDEMPOTENCY-KEY": value}) == key


@pytest.mark.parametrize("value", ['""', "", '"a\\b"', '"é"', "two words", "x" * 256, '"x'])
def test_a_malformed_key_is_refused(value: str) -> None:
    with pytest.raises(BadRequestError, match="Idempotency-Key"):
        idempotency_key({"Idempotency-Key": value})


def test_no_header_is_no_key() -> None:
    assert idempotency_key({"Content-Type": "application/json"}) is None
    assert idempotency_key(None) is None


def test_the_scope_is_the_account_and_api_key() -> None:
    event = {"requestContext": {"identity": {"accountId": "111111111111", "apiKeyId": "k1"}}}
    assert caller_scope(event) == "111111111111/k1"
    assert caller_scope({}) == "-/-"
