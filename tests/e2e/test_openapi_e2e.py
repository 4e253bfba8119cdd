"""docs/openapi.yaml kept true: schemathesis sends generated requests, signed like a real caller's,
to the local cloud's HTTP endpoint; no answer may break the document and none may be a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, settings
from schemathesis import checks

from localcloud.endpoint import Published
from randfile_localcloud.settings import REGION, REPO_ROOT

# The two modules that call the API by the hundred share a deployment of their own (see conftest).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("localcloud_traffic")]

SCHEMA = schemathesis.openapi.from_path(REPO_ROOT / "docs" / "openapi.yaml")
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


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


# Each generated call that passes API Gateway runs the function once (about a second here).
@SCHEMA.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_conforms(case: schemathesis.Case[Any], signing: dict[str, Any]) -> None:
    response = case.call(**signing)
    case.validate_response(response, checks=CHECKS)
