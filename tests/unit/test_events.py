"""The sample event stays the one the local cloud's gateway delivers; `api_event` varies it."""

from __future__ import annotations

import json
from typing import Any

from localcloud import gateway, model
from tests.events import api_event


def _shape(value: Any) -> Any:
    """Keys all the way down, with the JSON type of each leaf (None where AWS sends null)."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value[:1]]
    return type(value).__name__


def _route(authorization_type: str) -> model.Route:
    function = model.Function(
        name="randfile-local",
        arn="arn:aws:lambda:eu-west-1:111111111111:function:randfile-local",
        handler="randfile.handler.handler",
        runtime="",  # not in the event
        role_arn="arn:aws:iam::111111111111:role/randfile-local",
        timeout=29,
        memory_size=1769,
        environment={},
        code_sha256="",
        tracing_mode="Active",
    )
    return model.Route(
        domain_name="randfile.local.test",
        base_path="",
        rest_api_id="d4e5f6g7h8",
        stage_name="v1",
        resource_id="a1b2c3",
        resource_path="/files",
        path_parameters={},
        http_method="POST",
        authorization_type=authorization_type,
        api_key_required=True,
        method_arn="arn:aws:execute-api:eu-west-1:111111111111:d4e5f6g7h8/v1/POST/files",
        policy=None,
        method={},
        api_key_id="k1l2m3n4o5",
        function=function,
    )


CALLER = model.Caller(
    arn="arn:aws:sts::111111111111:assumed-role/randfile-caller/session",
    account_id="111111111111",
    access_key_id="ASIAEXAMPLEEXAMPLE00",
    api_key="example-api-key-0000000000000000000000000",
)
HEADERS = {"Content-Type": "application/json", "User-Agent": "randfile-tests"}


def test_the_sample_has_the_shape_the_gateway_builds() -> None:
    built = gateway.proxy_event(_route("AWS_IAM"), "/files", '{"size_bytes": 1}', HEADERS, CALLER)
    sample = api_event({"size_bytes": 1}, headers=HEADERS)
    assert _shape(sample) == _shape(built)


def test_the_sample_names_the_gateway_s_route_and_caller() -> None:
    built = gateway.proxy_event(_route("AWS_IAM"), "/files", "", HEADERS, CALLER)
    sample = api_event()
    for field in ("resource", "path", "httpMethod"):
        assert sample[field] == built[field]
    for field in ("resourcePath", "stage", "accountId", "apiId", "domainName", "resourceId"):
        assert sample["requestContext"][field] == built["requestContext"][field], field
    for field in ("userArn", "accountId", "accessKey", "apiKey", "apiKeyId", "caller"):
        assert (
            sample["requestContext"]["identity"][field]
            == built["requestContext"]["identity"][field]
        ), field


def test_api_event_encodes_the_body_and_keeps_the_sample_intact() -> None:
    assert json.loads(api_event({"size_bytes": 3})["body"]) == {"size_bytes": 3}
    assert api_event("{")["body"] == "{"
    assert api_event()["body"] is None
    encoded = api_event("eyJ9", isBase64Encoded=True)
    assert (encoded["body"], encoded["isBase64Encoded"]) == ("eyJ9", True)
    varied = api_event(httpMethod="GET", headers={"X-Test": "1"})
    assert varied["httpMethod"] == "GET"
    assert varied["multiValueHeaders"] == {"X-Test": ["1"]}
    varied["requestContext"]["identity"]["userArn"] = "changed"
    assert api_event()["requestContext"]["identity"]["userArn"] != "changed"
    assert api_event()["httpMethod"] == "POST"
    assert api_event()["isBase64Encoded"] is False
