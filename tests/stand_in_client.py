"""A RandfileClient for an API stand-in in tests: the stand-in's region, host and API key, and
retries that wait hundredths of a second rather than seconds."""

from __future__ import annotations

from typing import Any, Final

from botocore.credentials import Credentials

from randfile_client import RandfileClient, RetryPolicy

REGION: Final = "eu-west-1"
HOST = "files.example.test"
API_KEY = "the-api-key"


def stand_in_client(url: str, credentials: Credentials, **overrides: Any) -> RandfileClient:
    settings: dict[str, Any] = {
        "region": REGION,
        "api_key": API_KEY,
        "credentials": credentials,
        "host": HOST,
        "retry": RetryPolicy(attempts=3, initial_wait=0.01, max_wait=1),
    }
    return RandfileClient(url, **(settings | overrides))
