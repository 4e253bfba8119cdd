"""The API over HTTP on the local cloud, called by clients nobody here wrote and by ours.

curl and http.client send no signature (403), awscurl signs on its own (201), the `randfile`
command makes a batch; every file is then read back with the data account's own credentials.
The refusals API Gateway makes itself come in the stack's error format (its gateway responses).
What a deployment holds (gateway responses, resource policy) changes what is served only once the
API is deployed again, as on API Gateway.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.credentials import Credentials

from localcloud.aws import role_arn
from localcloud.endpoint import Published
from randfile_client import ApiError, RetryPolicy
from randfile_localcloud import verify
from randfile_localcloud.cloud import DATA_PROFILE, Cloud
from randfile_localcloud.settings import DATA_ACCOUNT_ID, DEPLOY_ROLE, REGION
from tests.e2e.api_client import api_client

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("localcloud")]

BODY = '{"size_bytes": 2048, "format": "csv"}'
RANDFILE = Path(sys.executable).with_name("randfile")
AWSCURL = Path(sys.executable).with_name("awscurl")
# The command runs this checkout's client, whichever checkout the venv's editable install names.
CHECKOUT_SRC = str(Path(__file__).resolve().parents[2] / "src")


def _post(
    published: Published, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    parts = urlsplit(published.api_url)
    connection = http.client.HTTPConnection(str(parts.hostname), parts.port, timeout=60)
    try:
        connection.request(
            "POST", "/files", body=body, headers={"Host": published.domain, **headers}
        )
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(payload)


def _get(published: Published, path: str) -> tuple[int, Any]:
    parts = urlsplit(published.api_url)
    connection = http.client.HTTPConnection(str(parts.hostname), parts.port, timeout=60)
    try:
        connection.request("GET", path, headers={"Host": published.domain})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _post_body_options(published: Published, *headers: str) -> list[str]:
    """The options of curl, which awscurl takes too, that POST BODY to /files through the custom
    domain's Host, with ``headers`` besides its Host and Content-Type."""
    options = ["-X", "POST"]
    for header in (f"Host: {published.domain}", "Content-Type: application/json", *headers):
        options += ["-H", header]
    return [*options, "-d", BODY, f"{published.api_url}/files"]


def _refusal(published: Published, **overrides: Any) -> ApiError:
    with api_client(published, **overrides) as client, pytest.raises(ApiError) as raised:
        client.create(10, "text")
    return raised.value


def _verified(local: Cloud, reported: dict[str, Any]) -> verify.VerifiedObject:
    stored = verify.stored_object(local.data(), local.workload(), reported)
    assert stored.owner_account == DATA_ACCOUNT_ID
    return stored


def test_unsigned_curl_and_http_client_get_403(published: Published) -> None:
    curl = shutil.which("curl")
    assert curl, "curl is needed: it is the independent unsigned client"
    result = subprocess.run(
        [
            curl,
            "-s",
            "-o",
            "-",
            "-w",
            "\n%{http_code}",
            *_post_body_options(published),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    body, status = result.stdout.rsplit("\n", 1)
    assert status == "403"
    assert json.loads(body) == {
        "error": {"code": "missing_authentication_token", "message": "Missing Authentication Token"}
    }

    status_code, headers, document = _post(
        published,
        BODY.encode(),
        {"Content-Type": "application/json", "x-api-key": str(published.api_key)},
    )
    assert status_code == 403
    assert document["error"]["code"] == "missing_authentication_token"
    assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert headers["x-amzn-requestid"]


def test_awscurl_signing_on_its_own_gets_201(
    local: Cloud, published: Published, client_environment: dict[str, str]
) -> None:
    result = subprocess.run(
        [
            str(AWSCURL),
            "--service",
            "execute-api",
            "--region",
            REGION,
            *_post_body_options(published, f"x-api-key: {published.api_key}"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=client_environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    reported = json.loads(result.stdout)
    assert (reported["size_bytes"], reported["format"]) == (2048, "csv")
    _verified(local, reported)


def test_the_randfile_command_makes_a_batch_each_file_in_the_data_account(
    local: Cloud, published: Published, client_environment: dict[str, str], tmp_path: Path
) -> None:
    manifest = tmp_path / "batch.jsonl"
    result = subprocess.run(
        [
            str(RANDFILE),
            "create",
            f"--endpoint={published.api_url}",
            f"--host={published.domain}",
            f"--region={REGION}",
            "--size=3KiB",
            "--format=jsonl",
            "--seed=100",
            "--count=6",
            "--parallel=3",
            f"--manifest={manifest}",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={
            **client_environment,
            "RANDFILE_API_KEY": str(published.api_key),
            "PYTHONPATH": CHECKOUT_SRC,
        },
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["files"], summary["bytes"], summary["failures"]) == (6, 6 * 3072, {})
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert sorted(line["seed"] for line in lines) == list(range(100, 106))
    assert len({line["key"] for line in lines}) == 6
    for line in lines:
        stored = _verified(local, {**line, "size_bytes": line["size"]})
        assert stored.size_bytes == 3072

    # `randfile verify` checks the manifest's objects by HEAD and S3's CRC64NVME, read with the
    # data account's profile `make demo` publishes, at the local cloud's AWS endpoint.
    assert all(line["checksum_crc64nvme"] for line in lines)
    aws_endpoint = json.loads(published.endpoint_file.read_text())["aws_endpoint"]
    reader = {
        **client_environment,
        "AWS_PROFILE": DATA_PROFILE,
        "AWS_ENDPOINT_URL_S3": aws_endpoint,
        "PYTHONPATH": CHECKOUT_SRC,
    }

    def verify_command(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(RANDFILE), "verify", str(manifest), "--json", *arguments],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env=reader,
        )

    checked = verify_command()
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["ok"] == 6
    lines[2]["checksum_crc64nvme"] = "AAAAAAAAAAA="
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    mismatches = tmp_path / "mismatches.jsonl"
    different = verify_command(f"--mismatches={mismatches}")
    assert different.returncode == 1, different.stderr
    [mismatch] = [json.loads(line) for line in mismatches.read_text().splitlines()]
    assert (mismatch["key"], mismatch["problem"], mismatch["expected"]) == (
        lines[2]["key"],
        "checksum",
        "AAAAAAAAAAA=",
    )


def test_api_gateways_refusals_come_in_the_error_format(local: Cloud, published: Published) -> None:
    assert (wrong_key := _refusal(published, api_key="not-the-key")).status == 403
    assert (wrong_key.code, wrong_key.message) == ("invalid_api_key", "Forbidden")

    keys = published.credentials
    forged = Credentials(keys.access_key_id, "not-the-secret", keys.session_token)
    assert _refusal(published, credentials=forged).code == "invalid_signature"

    unknown = Credentials("ASIAUNKNOWNKEY000000", "secret", "token")
    refused = _refusal(published, credentials=unknown)
    assert (refused.code, refused.message) == (
        "access_denied",
        "The security token included in the request is invalid.",
    )

    # The data account's role is a real identity, but not one the resource policy admits.
    outsider = local.identity(role_arn(DATA_ACCOUNT_ID, DEPLOY_ROLE), "outsider").credentials
    refused = _refusal(
        published,
        credentials=Credentials(
            outsider.access_key_id, outsider.secret_access_key, outsider.session_token
        ),
    )
    assert refused.code == "access_denied"
    assert refused.message.startswith(f"User: arn:aws:sts::{DATA_ACCOUNT_ID}:assumed-role/")
    assert "is not authorized to perform: execute-api:Invoke" in refused.message


def test_an_unknown_host_method_or_oversized_body_is_refused(published: Published) -> None:
    status, headers, document = _post(published, b"{}", {"Host": "elsewhere.randfile.test"})
    assert (status, document, headers["x-amzn-errortype"]) == (
        403,
        {"message": "Forbidden"},
        "ForbiddenException",
    )

    status, document = _get(published, "/files")
    assert (status, document["error"]["code"]) == (403, "missing_authentication_token")

    status, _, document = _post(published, b"x" * (10 * 1024 * 1024 + 1), {})
    assert status == 413
    assert document["error"]["code"] == "request_too_large"


@contextmanager
def _usage_plan(local: Cloud, plan_id: str, *operations: tuple[str, str]) -> Iterator[None]:
    """Patch the usage plan (the local API reads it on every request); put it back after."""
    apigateway = local.workload().apigateway()
    before = apigateway.get_usage_plan(usagePlanId=plan_id)
    apigateway.update_usage_plan(
        usagePlanId=plan_id,
        patchOperations=[
            {"op": "replace", "path": path, "value": value} for path, value in operations
        ],
    )
    try:
        yield
    finally:
        apigateway.update_usage_plan(
            usagePlanId=plan_id,
            patchOperations=[
                {
                    "op": "replace",
                    "path": "/throttle/rateLimit",
                    "value": f"{before['throttle']['rateLimit']:g}",
                },
                {
                    "op": "replace",
                    "path": "/throttle/burstLimit",
                    "value": f"{before['throttle']['burstLimit']:g}",
                },
                {
                    "op": "replace",
                    "path": "/quota/limit",
                    "value": f"{int(before['quota']['limit'])}",
                },
            ],
        )


def test_the_usage_plan_throttles_and_its_quota_runs_out(
    local: Cloud, outputs: dict[str, Any], published: Published
) -> None:
    apigateway = local.workload().apigateway()
    [plan] = apigateway.get_usage_plans(keyId=outputs["api_key_id"])["items"]
    plan_id = plan["id"]
    with _usage_plan(
        local, plan_id, ("/throttle/rateLimit", "0.001"), ("/throttle/burstLimit", "1")
    ):
        with api_client(published) as client:
            client.create(10, "text")
        throttled = _refusal(published)
    assert (throttled.status, throttled.code, throttled.retry_after) == (429, "throttled", 1.0)

    with _usage_plan(local, plan_id, ("/quota/limit", "1")):
        spent = _refusal(published, retry=RetryPolicy(attempts=3))
    assert (spent.status, spent.code, spent.message) == (429, "quota_exceeded", "Limit Exceeded")


def test_the_stage_throttles_every_caller(
    local: Cloud, outputs: dict[str, Any], published: Published
) -> None:
    apigateway = local.workload().apigateway()
    api_id, stage = outputs["rest_api_id"], outputs["stage_name"]
    before = apigateway.get_stage(restApiId=api_id, stageName=stage)["methodSettings"]["*/*"]

    def throttle(rate: str, burst: str) -> None:
        apigateway.update_stage(
            restApiId=api_id,
            stageName=stage,
            patchOperations=[
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": rate},
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": burst},
            ],
        )

    throttle("0.001", "1")
    try:
        with api_client(published) as client:
            client.create(10, "text")
        throttled = _refusal(published)
    finally:
        throttle(str(before["throttlingRateLimit"]), str(before["throttlingBurstLimit"]))
    assert (throttled.status, throttled.code) == (429, "throttled")


@contextmanager
def _deployments(local: Cloud, outputs: dict[str, Any]) -> Iterator[Callable[[], None]]:
    """Yield `redeploy`: a new deployment of the API as it is now, and the stage switched to it,
    as aws_api_gateway_deployment and aws_api_gateway_stage do. Afterwards the stage serves the
    stack's deployment again and the new ones are deleted."""
    apigateway = local.workload().apigateway()
    api_id, stage = outputs["rest_api_id"], outputs["stage_name"]
    stacks = apigateway.get_stage(restApiId=api_id, stageName=stage)["deploymentId"]
    made: list[str] = []

    def switch(deployment_id: str) -> None:
        apigateway.update_stage(
            restApiId=api_id,
            stageName=stage,
            patchOperations=[{"op": "replace", "path": "/deploymentId", "value": deployment_id}],
        )

    def redeploy() -> None:
        made.append(apigateway.create_deployment(restApiId=api_id)["id"])
        switch(made[-1])

    try:
        yield redeploy
    finally:
        switch(stacks)
        for deployment_id in made:
            apigateway.delete_deployment(restApiId=api_id, deploymentId=deployment_id)


def test_a_gateway_response_missing_from_the_deployment_is_not_served(
    local: Cloud, outputs: dict[str, Any], published: Published
) -> None:
    """What a first deployment that raced the responses' PUTs serves: the response exists on the
    API, but the deployment was made without it, so API Gateway answers with DEFAULT_4XX's."""
    apigateway = local.workload().apigateway()
    api_id = outputs["rest_api_id"]
    kept = apigateway.get_gateway_response(
        restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN"
    )

    def put_back() -> None:
        apigateway.put_gateway_response(
            restApiId=api_id,
            responseType="MISSING_AUTHENTICATION_TOKEN",
            responseTemplates=kept.get("responseTemplates", {}),
            responseParameters=kept.get("responseParameters", {}),
        )

    with _deployments(local, outputs) as redeploy:
        apigateway.delete_gateway_response(
            restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN"
        )
        try:
            redeploy()
        finally:
            put_back()
        # The API has the response again; the deployment the stage serves does not.
        status, document = _get(published, "/files")
        assert (status, document["error"]["code"]) == (403, "client_error")

        redeploy()
        status, document = _get(published, "/files")
        assert (status, document["error"]["code"]) == (403, "missing_authentication_token")


def test_a_resource_policy_change_is_served_only_once_deployed(
    local: Cloud, outputs: dict[str, Any], published: Published
) -> None:
    apigateway = local.workload().apigateway()
    api_id = outputs["rest_api_id"]
    # GetRestApi returns the policy as an escaped JSON string.
    kept = json.loads(f'"{apigateway.get_rest_api(restApiId=api_id)["policy"]}"')
    deny_all = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}
        ],
    }

    def set_policy(document: str) -> None:
        apigateway.update_rest_api(
            restApiId=api_id,
            patchOperations=[{"op": "replace", "path": "/policy", "value": document}],
        )

    with _deployments(local, outputs) as redeploy:
        set_policy(json.dumps(deny_all))
        try:
            with api_client(published) as client:
                client.create(10, "text")

            redeploy()
            denied = _refusal(published)
        finally:
            set_policy(kept)
    assert (denied.status, denied.code) == (403, "access_denied")
    assert denied.message.endswith("with an explicit deny")
