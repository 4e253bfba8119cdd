"""The local cloud's own logic, without an emulator: policies, generated files, the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from localcloud import policy, runtime, stack
from localcloud.aws import Credentials, Identity
from localcloud.model import Function
from localcloud.settings import LAMBDA_PYTHON, REPO_ROOT

METHOD_ARN = "arn:aws:execute-api:eu-west-1:111111111111:abc123/v1/POST/files"


def _api_policy(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _invoke(principal_arn: str) -> policy.Request:
    return policy.Request(
        action="execute-api:Invoke",
        resource=METHOD_ARN,
        principal_arn=principal_arn,
        principal_account=principal_arn.split(":")[4],
    )


ALLOW_ACCOUNT: dict[str, Any] = {
    "Sid": "Account",
    "Effect": "Allow",
    "Action": "execute-api:Invoke",
    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Resource": "arn:aws:execute-api:eu-west-1:111111111111:abc123/*/POST/files",
}


def test_an_account_root_principal_admits_every_identity_of_that_account() -> None:
    document = _api_policy(ALLOW_ACCOUNT)

    assert policy.evaluate(document, _invoke("arn:aws:sts::111111111111:assumed-role/r/s")).allowed
    assert not policy.evaluate(document, _invoke("arn:aws:iam::333333333333:role/r")).allowed


def test_an_explicit_deny_wins_over_an_allow() -> None:
    deny = {**ALLOW_ACCOUNT, "Sid": "No", "Effect": "Deny", "Principal": "*"}

    decision = policy.evaluate(_api_policy(ALLOW_ACCOUNT, deny), _invoke("arn:aws:iam::1:role/r"))

    assert not decision.allowed
    assert "No" in decision.reason


def test_a_source_arn_condition_must_match_the_calling_method() -> None:
    document = _api_policy(
        {
            "Sid": "Api",
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Resource": "arn:aws:lambda:eu-west-1:111111111111:function:f",
            "Condition": {
                "ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:*:*:abc123/*/POST/files"}
            },
        }
    )

    def from_arn(source_arn: str) -> policy.Request:
        return policy.Request(
            action="lambda:InvokeFunction",
            resource="arn:aws:lambda:eu-west-1:111111111111:function:f",
            service="apigateway.amazonaws.com",
            context={"aws:SourceArn": source_arn},
        )

    assert policy.evaluate(document, from_arn(METHOD_ARN)).allowed
    assert not policy.evaluate(document, from_arn(METHOD_ARN.replace("abc123", "other"))).allowed
    assert not policy.evaluate(document, from_arn(METHOD_ARN.replace("POST", "GET"))).allowed


def test_an_unmodelled_condition_is_reported_not_guessed() -> None:
    statement = {**ALLOW_ACCOUNT, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}

    with pytest.raises(policy.UnsupportedPolicyError, match="IpAddress"):
        policy.evaluate(_api_policy(statement), _invoke("arn:aws:iam::111111111111:role/r"))


def test_the_override_points_both_providers_at_the_emulator_only() -> None:
    override = stack.override_file("http://127.0.0.1:1234")

    for alias in stack.PROVIDER_ALIASES:
        assert f'alias                       = "{alias}"' in override
    assert override.count('= "http://127.0.0.1:1234"') == 2 * len(stack.SERVICES)
    # The stack's own assume_role (into each account's deploy role) must stay in force.
    assert "assume_role" not in override


def test_every_resource_type_of_infra_has_its_endpoint_on_the_emulator() -> None:
    stack.check_services(REPO_ROOT / "infra")


def test_an_unknown_resource_type_stops_the_deployment(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "this" {}\n')

    with pytest.raises(stack.UnsupportedResourceError, match="aws_sqs_queue"):
        stack.check_services(tmp_path)


def test_null_and_bool_conditions_follow_iam() -> None:
    deny_unconditional_put = {
        "Sid": "CreateOnly",
        "Effect": "Deny",
        "Action": "s3:PutObject",
        "Principal": "*",
        "Resource": "arn:aws:s3:::b/*",
        "Condition": {
            "Null": {"s3:if-none-match": "true"},
            "Bool": {"s3:ObjectCreationOperation": "true"},
        },
    }
    allow = {**deny_unconditional_put, "Sid": "Put", "Effect": "Allow", "Condition": {}}
    document = _api_policy(allow, deny_unconditional_put)

    def put(context: dict[str, str]) -> bool:
        request = policy.Request(
            action="s3:PutObject", resource="arn:aws:s3:::b/k", principal_arn="*", context=context
        )
        return policy.evaluate(document, request).allowed

    assert put({"s3:ObjectCreationOperation": "true", "s3:if-none-match": "*"})
    assert not put({"s3:ObjectCreationOperation": "true"})
    assert put({"s3:ObjectCreationOperation": "false"})


def test_the_function_process_sees_only_what_lambda_gives_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", "/root")
    monkeypatch.setenv("AWS_PROFILE", "developer")
    function = Function(
        name="f",
        arn="arn:aws:lambda:eu-west-1:111111111111:function:f",
        handler="randfile.handler.handler",
        runtime=f"python{LAMBDA_PYTHON}",
        role_arn="arn:aws:iam::111111111111:role/f",
        timeout=29,
        memory_size=512,
        environment={"RANDFILE_BUCKET": "b"},
        code_sha256="x",
        tracing_mode="Active",
    )
    role = Identity("http://127.0.0.1:1", Credentials("ASIA1", "secret", "token"))

    environment = runtime.environment(function, role, tmp_path, "request-id")

    assert environment["RANDFILE_BUCKET"] == "b"
    assert environment["_HANDLER"] == "randfile.handler.handler"
    assert environment["LAMBDA_TASK_ROOT"] == str(tmp_path)
    assert environment["AWS_ACCESS_KEY_ID"] == "ASIA1"
    assert environment["AWS_SESSION_TOKEN"] == "token"
    assert environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert "HOME" not in environment
    assert "AWS_PROFILE" not in environment
    assert not any(
        name.startswith("PYTHON") and name != "PYTHONDONTWRITEBYTECODE" for name in environment
    )


@pytest.mark.parametrize("module", ["localcloud.runtime", "localcloud.model"])
def test_the_sandbox_does_not_import_the_api_gateway_router(module: str) -> None:
    """The Lambda side shares localcloud.model with the gateway, never the other way round."""
    listing = "print(' '.join(m for m in sys.modules if m.startswith('localcloud')))"
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys, {module}; {listing}"],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO_ROOT / "tools"), "PATH": "/usr/bin:/bin"},
    ).stdout.split()
    assert module in loaded
    router = {"localcloud.wiring", "localcloud.gateway", "localcloud.http_api"}
    assert router.isdisjoint(loaded), sorted(router & set(loaded))
