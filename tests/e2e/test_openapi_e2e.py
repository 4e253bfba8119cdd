"""docs/openapi.yaml kept true: schemathesis sends generated requests, signed like a real caller's,
to the local cloud's HTTP endpoint. Requests the document allows (positive data) must be accepted,
requests it forbids (negative data) refused with a 4xx, and no answer may break the document or be
a 5xx. The local cloud deploys the stack's defaults, the limits the document shows."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
import schemathesis
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, assume, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from localcloud.endpoint import Published
from randfile.config import DEFAULT_MAX_SYNC_BYTES
from randfile.errors import BadRequestError
from randfile.idempotency import idempotency_key
from randfile.request import DEFAULT_SIZE_BYTES, Mode
from randfile_localcloud.settings import REGION, REPO_ROOT

# The two modules that call the API by the hundred share a deployment of their own (see conftest).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("localcloud_traffic")]

# Generation modes, phases and checks are schemathesis 4's configuration
# (https://schemathesis.readthedocs.io/en/stable/reference/configuration/).
CONFIG = SchemathesisConfig.from_str(
    """
[generation]
mode = "all"                        # positive and negative data
max-examples = 15                   # the fuzzing phase's examples, per operation and mode
with-security-parameters = false    # the signature and API key are the caller's, not generated

[phases.stateful]
enabled = false

# A request the document allows is accepted: written at once (201) or a job (202).
[checks.positive_data_acceptance]
expected-statuses = ["201", "202"]

# One the document forbids is refused as the document says (403: API Gateway, for no route).
[checks.negative_data_rejection]
expected-statuses = ["400", "403", "404", "413", "415"]

# A well-formed job id that names no job is a 404, not a refusal of its shape.
[[operations]]
include-operation-id = "getJob"
checks.positive_data_acceptance.expected-statuses = ["200", "404"]

# The same for a dataset id.
[[operations]]
include-operation-id = "getDataset"
checks.positive_data_acceptance.expected-statuses = ["200", "404"]
"""
)
SCHEMA = schemathesis.openapi.from_path(REPO_ROOT / "docs" / "openapi.yaml", config=CONFIG)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.positive_data_acceptance,
    checks.negative_data_rejection,
]

CHEAP_BYTES = DEFAULT_SIZE_BYTES
"""Largest file a generated request writes: the limits themselves are held to the function by
tests/unit/test_openapi.py, and every call that writes its size would take seconds to minutes."""

# Idempotency key (as the function reads it: `"k"` and `k` are one key) -> the body accepted
# with it. The same key with another request is 422 by contract (the idempotency tests check it),
# so no positive case sends a key again with another body.
_KEYS_ACCEPTED: dict[str, Any] = {}


class SigV4(requests.auth.AuthBase):
    """Signs each prepared request with botocore, as the AWS SDKs do."""

    def __init__(self, credentials: Credentials) -> None:
        self._signer = SigV4Auth(credentials, "execute-api", REGION)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        signed = AWSRequest(
            method=request.method, url=request.url, data=body, headers=dict(request.headers)
        )
        self._signer.add_auth(signed)
        request.headers.update(dict(signed.headers.items()))
        return request


@pytest.fixture(scope="module")
def signing(published: Published) -> dict[str, Any]:
    keys = published.credentials
    return {
        "base_url": published.api_url,
        "headers": {"Host": published.domain, "x-api-key": str(published.api_key)},
        "auth": SigV4(Credentials(keys.access_key_id, keys.secret_access_key, keys.session_token)),
    }


CHEAP_DATASET_FILES = 2
"""Most files a generated dataset has: the worker writes every one."""


def _keep_cheap(case: schemathesis.Case[Any]) -> None:
    """Cuts a positive request's size to CHEAP_BYTES, keeping what it asks for: a size past the
    synchronous limit without a mode was a job, so it stays one with `"mode": "async"`. A
    dataset gets at most CHEAP_DATASET_FILES files of at most CHEAP_BYTES, its range in order
    (min_size_bytes <= max_size_bytes is the function's rule, beyond what a schema can say)."""
    body = case.body
    if not isinstance(body, dict):
        return
    if "count" in body:
        _keep_the_dataset_cheap(body)
        return
    size = body.get("size_bytes")
    if not isinstance(size, int | float) or size <= CHEAP_BYTES:
        return
    if "mode" not in body and size > DEFAULT_MAX_SYNC_BYTES:
        body["mode"] = Mode.ASYNC.value
    body["size_bytes"] = CHEAP_BYTES


def _keep_the_dataset_cheap(body: dict[str, Any]) -> None:
    if isinstance(body["count"], int | float):
        body["count"] = min(body["count"], CHEAP_DATASET_FILES)
    for name in ("size_bytes", "min_size_bytes", "max_size_bytes"):
        if isinstance(body.get(name), int | float):
            body[name] = min(body[name], CHEAP_BYTES)
    low, high = body.get("min_size_bytes"), body.get("max_size_bytes")
    if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
        body["min_size_bytes"], body["max_size_bytes"] = high, low


def _idempotency_key(case: schemathesis.Case[Any]) -> str | None:
    try:
        return idempotency_key(case.headers)
    except BadRequestError:
        return None


def _with_a_new_key_or_the_same_request(case: schemathesis.Case[Any]) -> None:
    key = _idempotency_key(case)
    assume(key not in _KEYS_ACCEPTED or _KEYS_ACCEPTED[key] == case.body)


def _remember_the_key(case: schemathesis.Case[Any], response: schemathesis.Response) -> None:
    key = _idempotency_key(case)
    if key is not None and response.status_code in (201, 202):
        _KEYS_ACCEPTED.setdefault(key, case.body)


THROTTLED_RETRIES = 10


def _call_as_a_client_would(
    case: schemathesis.Case[Any], signing: dict[str, Any]
) -> schemathesis.Response:
    """Calls again after Retry-After while the usage plan throttles (5 requests a second by
    default), as a client should: schemathesis calls back to back, faster than that. A throttled
    call never reached the function, so calling again is safe."""
    for _ in range(THROTTLED_RETRIES):
        response = case.call(**signing)
        # schemathesis gives header names in lower case, each with its list of values.
        retry_after = response.headers.get("retry-after")
        if response.status_code != 429 or not retry_after:
            return response
        time.sleep(float(retry_after[0]))
    return response


# Each generated call that passes API Gateway runs the function once (about a second here).
@SCHEMA.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_conforms(case: schemathesis.Case[Any], signing: dict[str, Any]) -> None:
    assert case.meta is not None
    if case.meta.generation.mode.is_positive:
        _keep_cheap(case)
        _with_a_new_key_or_the_same_request(case)
    response = _call_as_a_client_would(case, signing)
    _remember_the_key(case, response)
    case.validate_response(response, checks=CHECKS)
