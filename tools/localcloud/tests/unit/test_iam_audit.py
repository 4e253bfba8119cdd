"""The least-privilege audit itself, on small hand-written states: it must find and flag."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.iam.audit import (
    Document,
    Grant,
    attached_managed_policies,
    broad_grants,
    documents,
    trust_problems,
)

BUCKET = "arn:aws:s3:::bucket"


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _resource(
    address: str, values: dict[str, Any], mode: str = "managed", resource_type: str = "aws_x"
) -> dict[str, Any]:
    return {"address": address, "mode": mode, "type": resource_type, "values": values}


def _state(*resources: dict[str, Any], child: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "values": {
            "root_module": {
                "resources": list(resources),
                "child_modules": [{"resources": child or [], "child_modules": []}],
            }
        }
    }


def _grants(*statements: dict[str, Any]) -> set[Grant]:
    [document] = documents(_state(_resource("aws_x.this", {"policy": _policy(*statements)})))
    return set(broad_grants(document))


def test_documents_are_found_at_any_depth_in_any_module() -> None:
    allow = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": BUCKET}
    state = _state(
        _resource("aws_iam_role.a", {"assume_role_policy": _policy(allow), "name": "a"}),
        _resource("data.aws_iam_policy_document.d", {"json": _policy(allow)}, mode="data"),
        _resource("aws_x.not_a_policy", {"body": '{"openapi": "3.0"}', "tags": {"a": "{"}}),
        child=[
            _resource("module.m.aws_iam_role.b", {"inline_policy": [{"policy": _policy(allow)}]})
        ],
    )

    found = {(document.address, document.attribute) for document in documents(state)}

    assert found == {
        ("aws_iam_role.a", "assume_role_policy"),
        ("module.m.aws_iam_role.b", "inline_policy[0].policy"),
    }


@pytest.mark.parametrize(
    ("statement", "element", "value"),
    [
        ({"Action": "s3:*", "Resource": BUCKET}, "Action", "s3:*"),
        ({"Action": "*", "Resource": BUCKET}, "Action", "*"),
        ({"Action": ["s3:GetObject", "s3:Put*"], "Resource": BUCKET}, "Action", "s3:Put*"),
        ({"Action": "s3:GetObjec?", "Resource": BUCKET}, "Action", "s3:GetObjec?"),
        ({"Action": "s3:GetObject", "Resource": ["*"]}, "Resource", "*"),
        ({"NotAction": "iam:*", "Resource": BUCKET}, "NotAction", "iam:*"),
        ({"Action": "s3:GetObject", "NotResource": BUCKET}, "NotResource", BUCKET),
        ({"Action": "s3:GetObject", "Resource": BUCKET, "Principal": "*"}, "Principal", "*"),
        (
            {"Action": "s3:GetObject", "Resource": BUCKET, "Principal": {"AWS": ["*"]}},
            "Principal",
            '{"AWS": ["*"]}',
        ),
    ],
)
def test_a_broad_allow_is_flagged(statement: dict[str, Any], element: str, value: str) -> None:
    assert _grants({"Sid": "Broad", "Effect": "Allow", **statement}) == {
        Grant("aws_x.this", "Broad", element, value)
    }


def test_narrow_allows_and_broad_denies_are_not_flagged() -> None:
    assert (
        _grants(
            {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"{BUCKET}/p/*"]},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        )
        == set()
    )


def test_a_statement_without_sid_is_named_by_its_position() -> None:
    assert _grants(
        {"Effect": "Deny", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": BUCKET},
    ) == {Grant("aws_x.this", "#1", "Action", "*")}


def test_managed_policies_are_found_on_roles_and_in_attachments() -> None:
    state = _state(
        _resource(
            "aws_iam_role.a",
            {"name": "a", "managed_policy_arns": ["arn:aws:iam::aws:policy/A"]},
            resource_type="aws_iam_role",
        ),
        _resource(
            "aws_iam_policy_attachment.b",
            {"roles": ["b", "c"], "policy_arn": "arn:aws:iam::aws:policy/B"},
            resource_type="aws_iam_policy_attachment",
        ),
        child=[
            _resource(
                "module.m.aws_iam_role_policy_attachment.d",
                {"role": "d", "policy_arn": "arn:aws:iam::aws:policy/D"},
                resource_type="aws_iam_role_policy_attachment",
            )
        ],
    )

    assert attached_managed_policies(state) == {
        ("a", "arn:aws:iam::aws:policy/A"),
        ("b", "arn:aws:iam::aws:policy/B"),
        ("c", "arn:aws:iam::aws:policy/B"),
        ("d", "arn:aws:iam::aws:policy/D"),
    }


HOST = "token.actions.githubusercontent.com"
GITHUB = {"Federated": f"arn:aws:iam::111111111111:oidc-provider/{HOST}"}
PINNED = {f"{HOST}:aud": "sts.amazonaws.com", f"{HOST}:sub": ["repo:o/r:pull_request"]}
WORKLOAD_ROLE = "arn:aws:iam::111111111111:role/ci"


def _trust_problems(**statement: Any) -> list[str]:
    document = Document("aws_iam_role.r", "assume_role_policy", {"Statement": [statement]})
    return trust_problems(document, HOST, "111111111111")


def _web_identity(condition: dict[str, Any], action: Any = "sts:AssumeRoleWithWebIdentity") -> Any:
    return _trust_problems(Effect="Allow", Principal=GITHUB, Action=action, Condition=condition)


def _assume(principal: Any, condition: dict[str, Any]) -> list[str]:
    return _trust_problems(
        Effect="Allow", Principal=principal, Action="sts:AssumeRole", Condition=condition
    )


def test_exact_pins_and_pinned_workload_roles_are_accepted() -> None:
    assert _web_identity({"StringEquals": PINNED}) == []
    assert (
        _assume(
            {"AWS": "arn:aws:iam::111111111111:root"},
            {"ArnEquals": {"aws:PrincipalArn": WORKLOAD_ROLE}},
        )
        == []
    )


@pytest.mark.parametrize(
    ("condition", "action", "problem"),
    [
        ({"StringLike": PINNED}, "sts:AssumeRoleWithWebIdentity", "not StringEquals only"),
        (
            {"StringEquals": PINNED, "StringLike": {f"{HOST}:sub": "repo:o/r:*"}},
            "sts:AssumeRoleWithWebIdentity",
            "not StringEquals only",
        ),
        (
            {"StringEquals": {**PINNED, f"{HOST}:sub": "repo:o/r:*"}},
            "sts:AssumeRoleWithWebIdentity",
            "not a list of exact values",
        ),
        (
            {"StringEquals": {f"{HOST}:aud": "sts.amazonaws.com"}},
            "sts:AssumeRoleWithWebIdentity",
            "not a list of exact values",
        ),
        (
            {"StringEquals": {f"{HOST}:sub": "repo:o/r:pull_request"}},
            "sts:AssumeRoleWithWebIdentity",
            "aud is not exactly",
        ),
        (
            {"StringEquals": {**PINNED, f"{HOST}:aud": ["sts.amazonaws.com", "other"]}},
            "sts:AssumeRoleWithWebIdentity",
            "aud is not exactly",
        ),
        ({"StringEquals": PINNED}, ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"], "actions"),
    ],
)
def test_a_loose_github_trust_is_a_problem(condition: Any, action: Any, problem: str) -> None:
    found = _web_identity(condition, action)
    assert [p for p in found if problem in p], found


@pytest.mark.parametrize(
    ("principal", "condition", "problem"),
    [
        ({"AWS": "arn:aws:iam::333333333333:root"}, {}, "without pinning roles"),
        ({"AWS": "arn:aws:iam::111111111111:root"}, {}, "without pinning roles"),
        (
            {"AWS": "arn:aws:iam::111111111111:root"},
            {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::333333333333:role/ci"}},
            "outside 111111111111",
        ),
        (
            {"AWS": "arn:aws:iam::111111111111:root"},
            {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/*"}},
            "role patterns",
        ),
        ({"Federated": "arn:aws:iam::111111111111:oidc-provider/other.example"}, {}, "trusts"),
        ("*", {}, "trusts"),
    ],
)
def test_a_loose_account_trust_is_a_problem(principal: Any, condition: Any, problem: str) -> None:
    found = _assume(principal, condition)
    assert [p for p in found if problem in p], found
