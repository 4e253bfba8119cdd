"""A REST API deployment is a snapshot: the local gateway reads what it captured, not the live API.

moto serves in a thread of this process with localcloud's snapshot patch and endpoint (as the
emulator process runs them); the API is built with boto3, changed after its deployment, and the
snapshot the gateway reads (localcloud.deployment.fetch) must not see the change until the API
is deployed again. tests/e2e/test_http_api_e2e.py checks the same through HTTP on the real stack.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from localcloud import deployment, snapshots

if TYPE_CHECKING:
    from mypy_boto3_apigateway import APIGatewayClient

REGION = "eu-west-1"
# moto's default account: the static test keys below map to it.
ACCOUNT = "123456789012"
FUNCTION_URI = (
    f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:sample/invocations"
)


def _policy(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": principal},
                    "Action": "execute-api:Invoke",
                    "Resource": "execute-api:/*",
                }
            ],
        }
    )


@pytest.fixture(scope="module")
def endpoint_url() -> Iterator[str]:
    snapshots.install()
    app = snapshots.SnapshotEndpoint(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def apigateway(endpoint_url: str) -> APIGatewayClient:
    client: APIGatewayClient = boto3.client(
        "apigateway",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return client


def _put_post_files(
    apigateway: APIGatewayClient,
    api_id: str,
    files: str,
    *,
    authorization: str,
    api_key_required: bool,
) -> None:
    """POST /files -> Lambda proxy; put again, as moto has no UpdateMethod, with its integration
    (a method put anew has none)."""
    apigateway.put_method(
        restApiId=api_id,
        resourceId=files,
        httpMethod="POST",
        authorizationType=authorization,
        apiKeyRequired=api_key_required,
    )
    apigateway.put_integration(
        restApiId=api_id,
        resourceId=files,
        httpMethod="POST",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=FUNCTION_URI,
    )


def _set_policy(apigateway: APIGatewayClient, api_id: str, principal: str) -> None:
    apigateway.update_rest_api(
        restApiId=api_id,
        patchOperations=[{"op": "replace", "path": "/policy", "value": _policy(principal)}],
    )


def _api(apigateway: APIGatewayClient) -> tuple[str, str]:
    """POST /files (AWS_IAM, API key) -> Lambda proxy, one gateway response, a resource policy,
    deployed to stage v1: the REST API id and the resource id of /files."""
    api_id = apigateway.create_rest_api(name="snapshots")["id"]
    root = apigateway.get_resources(restApiId=api_id)["items"][0]["id"]
    files = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="files")["id"]
    _put_post_files(apigateway, api_id, files, authorization="AWS_IAM", api_key_required=True)
    apigateway.put_gateway_response(
        restApiId=api_id,
        responseType="DEFAULT_4XX",
        responseTemplates={"application/json": '{"code": "client_error"}'},
    )
    _set_policy(apigateway, api_id, f"arn:aws:iam::{ACCOUNT}:root")
    apigateway.create_deployment(restApiId=api_id, stageName="v1")
    return api_id, files


def _served(endpoint_url: str, apigateway: APIGatewayClient, api_id: str) -> deployment.Snapshot:
    """The snapshot of the deployment stage v1 serves now."""
    deployment_id = apigateway.get_stage(restApiId=api_id, stageName="v1")["deploymentId"]
    snapshot = deployment.fetch(endpoint_url, ACCOUNT, REGION, api_id, deployment_id)
    assert snapshot is not None
    return snapshot


def _post_files(snapshot: deployment.Snapshot) -> dict[str, Any]:
    [files] = [resource for resource in snapshot.resources if resource["path"] == "/files"]
    method: dict[str, Any] = files["resourceMethods"]["POST"]
    return method


def _redeploy(apigateway: APIGatewayClient, api_id: str) -> None:
    """What aws_api_gateway_deployment and aws_api_gateway_stage do: a new deployment, then the
    stage switched to it."""
    new = apigateway.create_deployment(restApiId=api_id)["id"]
    apigateway.update_stage(
        restApiId=api_id,
        stageName="v1",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": new}],
    )


def test_the_deployment_holds_the_api_as_it_was_deployed(
    endpoint_url: str, apigateway: APIGatewayClient
) -> None:
    api_id, _ = _api(apigateway)

    snapshot = _served(endpoint_url, apigateway, api_id)

    method = _post_files(snapshot)
    assert (method["authorizationType"], method["apiKeyRequired"]) == ("AWS_IAM", True)
    assert method["methodIntegration"]["uri"] == FUNCTION_URI
    assert list(snapshot.gateway_responses) == ["DEFAULT_4XX"]
    assert snapshot.policy == json.loads(_policy(f"arn:aws:iam::{ACCOUNT}:root"))


def test_changes_after_the_deployment_are_served_only_once_deployed_again(
    endpoint_url: str, apigateway: APIGatewayClient
) -> None:
    api_id, files = _api(apigateway)
    _put_post_files(apigateway, api_id, files, authorization="NONE", api_key_required=False)
    apigateway.put_gateway_response(
        restApiId=api_id,
        responseType="THROTTLED",
        responseTemplates={"application/json": '{"code": "throttled"}'},
    )
    _set_policy(apigateway, api_id, "*")

    before = _served(endpoint_url, apigateway, api_id)
    assert (_post_files(before)["authorizationType"], _post_files(before)["apiKeyRequired"]) == (
        "AWS_IAM",
        True,
    )
    assert "THROTTLED" not in before.gateway_responses
    assert before.policy is not None
    assert before.policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}

    _redeploy(apigateway, api_id)

    after = _served(endpoint_url, apigateway, api_id)
    assert after.deployment_id != before.deployment_id
    assert (_post_files(after)["authorizationType"], _post_files(after)["apiKeyRequired"]) == (
        "NONE",
        False,
    )
    assert after.gateway_responses["THROTTLED"]["responseTemplates"] == {
        "application/json": '{"code": "throttled"}'
    }
    assert after.policy is not None
    assert after.policy["Statement"][0]["Principal"] == {"AWS": "*"}


def test_a_deployment_made_before_a_response_was_put_never_carries_it(
    endpoint_url: str, apigateway: APIGatewayClient
) -> None:
    """The race of a first deploy: the deployment is created before the responses' PUTs."""
    api_id, _ = _api(apigateway)
    apigateway.put_gateway_response(
        restApiId=api_id,
        responseType="MISSING_AUTHENTICATION_TOKEN",
        responseTemplates={"application/json": '{"code": "missing_authentication_token"}'},
    )

    served = _served(endpoint_url, apigateway, api_id)

    assert "MISSING_AUTHENTICATION_TOKEN" not in served.gateway_responses
    assert "MISSING_AUTHENTICATION_TOKEN" in {
        item["responseType"] for item in apigateway.get_gateway_responses(restApiId=api_id)["items"]
    }


def test_no_snapshot_is_served_for_an_unknown_or_deleted_deployment(
    endpoint_url: str, apigateway: APIGatewayClient
) -> None:
    api_id, _ = _api(apigateway)
    spare = apigateway.create_deployment(restApiId=api_id)["id"]
    assert deployment.fetch(endpoint_url, ACCOUNT, REGION, api_id, spare) is not None

    apigateway.delete_deployment(restApiId=api_id, deploymentId=spare)

    assert deployment.fetch(endpoint_url, ACCOUNT, REGION, api_id, spare) is None
    assert deployment.fetch(endpoint_url, ACCOUNT, REGION, api_id, "nosuch") is None
    assert deployment.fetch(endpoint_url, "999999999999", REGION, api_id, spare) is None
