"""The IAM evaluator against AWS's documented policy evaluation logic.

Each test names the page whose rule it checks:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
"""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.iam.evaluator import (
    Request,
    UnsupportedConditionError,
    decide,
    evaluate,
    wildcard_match,
)

ROLE = "arn:aws:iam::111111111111:role/randfile-ci-dev-apply"
BOUNDARY = "arn:aws:iam::111111111111:policy/randfile-ci-dev-boundary"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def request(action: str, resource: str, **context: list[str]) -> Request:
    return Request(principal=ROLE, action=action, resource=resource, context=context)


def allow_get_if(condition: dict[str, Any]) -> dict[str, Any]:
    """Allows s3:GetObject on anything when ``condition`` holds."""
    return policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": condition}
    )


BOUNDED_CREATE = policy(
    {
        "Sid": "CreateBoundedRoles",
        "Effect": "Allow",
        "Action": ["iam:CreateRole", "iam:PutRolePolicy"],
        "Resource": "arn:aws:iam::111111111111:role/randfile-dev-*",
        "Condition": {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}},
    }
)


def test_a_condition_on_the_boundary_admits_only_that_boundary() -> None:
    role = "arn:aws:iam::111111111111:role/randfile-dev-function"
    other = "arn:aws:iam::111111111111:policy/admin"

    assert decide(
        request("iam:CreateRole", role, **{"iam:PermissionsBoundary": [BOUNDARY]}), [BOUNDED_CREATE]
    ).allowed
    assert not decide(request("iam:CreateRole", role), [BOUNDED_CREATE]).allowed
    assert not decide(
        request("iam:CreateRole", role, **{"iam:PermissionsBoundary": [other]}), [BOUNDED_CREATE]
    ).allowed
    assert not decide(
        request("iam:CreateRole", "arn:aws:iam::111111111111:role/randfile-ci-dev-apply"),
        [BOUNDED_CREATE],
    ).allowed


def test_explicit_deny_wins_and_actions_match_case_insensitively() -> None:
    documents = [
        policy({"Effect": "Allow", "Action": "IAM:*", "Resource": "*"}),
        policy({"Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"}),
    ]

    assert decide(request("iam:GetRole", "arn:aws:iam::111111111111:role/x"), documents).allowed
    decision = decide(request("iam:DeleteRolePermissionsBoundary", "x"), documents)
    assert not decision.allowed
    assert "denied" in decision.reason


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "holds"),
    [
        ("StringLike", "repo:acme/*", "repo:acme/randfile:pull_request", True),
        ("StringLike", "repo:acme/?", "repo:acme/ab", False),
        ("StringNotEquals", "dev", "prod", True),
        ("ArnLike", "arn:aws:iam::*:role/ci-*", "arn:aws:iam::1:role/ci-plan", True),
        ("ArnEquals", "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b", False),
        ("Bool", "true", "TRUE", True),
        ("StringEqualsIgnoreCase", "Dev", "dEV", True),
        ("NumericLessThan", "10", "9", True),
        ("NumericLessThanEquals", "10", "10", True),
        ("NumericGreaterThan", "10", "10", False),
        ("NumericNotEquals", "10", "11", True),
        ("NumericEquals", "10", "ten", False),
        ("DateLessThan", "2026-01-01T00:00:00Z", "2025-12-31T23:59:59Z", True),
        ("DateGreaterThan", "2026-01-01T00:00:00Z", "1767225601", True),
        ("DateEquals", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00+00:00", True),
        ("IpAddress", "10.0.0.0/8", "10.1.2.3", True),
        ("IpAddress", "10.0.0.0/8", "192.168.0.1", False),
        ("NotIpAddress", "10.0.0.0/8", "192.168.0.1", True),
        ("IpAddress", "2001:db8::/32", "2001:db8::1", True),
        ("ArnNotLike", "arn:aws:iam::1:role/ci-*", "arn:aws:iam::1:role/app", True),
        ("StringNotLike", "dev-*", "dev-1", False),
        ("StringNotEqualsIgnoreCase", "DEV", "dev", False),
        ("BinaryEquals", "QmluYXJ5", "QmluYXJ5", True),
        ("Bool", "false", "true", False),
    ],
)
def test_condition_operators(operator: str, expected: str, actual: str, holds: bool) -> None:
    document = allow_get_if({operator: {"k": expected}})
    assert decide(request("s3:GetObject", "x", k=[actual]), [document]).allowed is holds


def test_missing_keys_null_and_if_exists() -> None:
    null = policy(
        {
            "Effect": "Deny",
            "Action": "s3:PutObject",
            "Resource": "*",
            "Condition": {"Null": {"s3:if-none-match": "true"}},
        },
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
    )
    if_exists = policy(
        {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "*",
            "Condition": {"StringEqualsIfExists": {"k": "v"}},
        }
    )

    assert not decide(request("s3:PutObject", "o"), [null]).allowed
    assert decide(request("s3:PutObject", "o", **{"s3:if-none-match": ["*"]}), [null]).allowed
    assert decide(request("s3:PutObject", "o"), [if_exists]).allowed
    assert not decide(request("s3:PutObject", "o", k=["w"]), [if_exists]).allowed


def test_an_unknown_operator_is_an_error_not_a_silent_match() -> None:
    document = policy(
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringMatchesRegex": {"aws:SourceIp": "10.*"}},
        }
    )
    with pytest.raises(UnsupportedConditionError):
        decide(request("s3:GetObject", "x", **{"aws:SourceIp": ["10.1.1.1"]}), [document])


def test_a_key_policy_naming_the_role_grants_and_naming_the_account_only_delegates() -> None:
    names_role = policy(
        {
            "Sid": "Admins",
            "Effect": "Allow",
            "Principal": {"AWS": ROLE},
            "Action": "kms:PutKeyPolicy",
            "Resource": "*",
        }
    )
    names_account = policy(
        {
            "Sid": "Root",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    )
    key_request = request("kms:PutKeyPolicy", "*")

    assert decide(key_request, [], [names_role]).allowed
    assert not decide(key_request, [], [names_account]).allowed


def test_wildcards_are_iam_wildcards_not_regular_expressions() -> None:
    assert wildcard_match("arn:aws:s3:::randfile-dev-*/*", "arn:aws:s3:::randfile-dev-1/random/a")
    assert not wildcard_match("arn:aws:s3:::randfile.dev", "arn:aws:s3:::randfileXdev")
    assert wildcard_match("a[b]c", "a[b]c")


# --- policy types together -------------------------------------------------------------------

SESSION = "arn:aws:sts::111111111111:assumed-role/randfile-ci-dev-apply/github"
OTHER_ROLE = "arn:aws:iam::222222222222:role/randfile-dev-data"
OBJECT = "arn:aws:s3:::randfile-data/random/a.csv"
ALLOW_GET = policy({"Sid": "Get", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
ALLOW_PUT = policy({"Sid": "Put", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"})


def session_request(action: str, resource: str = OBJECT) -> Request:
    return Request(principal=ROLE, session=SESSION, action=action, resource=resource)


def bucket_policy(principal: Any, action: str = "s3:GetObject", effect: str = "Allow") -> Any:
    return policy(
        {
            "Sid": "Bucket",
            "Effect": effect,
            "Principal": principal,
            "Action": action,
            "Resource": "arn:aws:s3:::randfile-data/*",
        }
    )


def test_identity_policy_and_boundary_must_both_allow() -> None:
    get = session_request("s3:GetObject")

    assert decide(get, [ALLOW_GET], boundaries=[ALLOW_GET]).allowed
    refused = decide(get, [ALLOW_GET], boundaries=[ALLOW_PUT])
    assert not refused.allowed
    assert refused.explanation == "because no permissions boundary allows the s3:GetObject action"
    assert not decide(get, [ALLOW_PUT], boundaries=[ALLOW_GET]).allowed
    assert decide(get, [ALLOW_GET]).allowed  # no boundary: nothing caps the identity policy


def test_an_explicit_deny_in_the_boundary_wins_and_aws_says_so() -> None:
    deny = policy(
        {"Sid": "No", "Effect": "Deny", "Action": "s3:*", "Resource": "*"},
        ALLOW_GET["Statement"][0],
    )
    get = session_request("s3:GetObject")
    decision = decide(get, [ALLOW_GET], boundaries=[deny])

    assert not decision.allowed
    assert decision.explicit_deny
    assert decision.message(get) == (
        f"User: {SESSION} is not authorized to perform: s3:GetObject on resource: {OBJECT} "
        "with an explicit deny in a permissions boundary"
    )


def test_a_deny_in_a_resource_policy_wins_over_any_allow() -> None:
    get = session_request("s3:GetObject")
    decision = decide(get, [ALLOW_GET], [bucket_policy("*", effect="Deny")])
    assert not decision.allowed
    assert decision.explanation == "with an explicit deny in a resource-based policy"


def test_same_account_a_resource_policy_naming_the_role_grants_alone_but_within_the_boundary() -> (
    None
):
    get = session_request("s3:GetObject")
    names_role = bucket_policy({"AWS": ROLE})

    assert decide(get, [], [names_role]).allowed
    # A resource policy granting to the role ARN is capped by an implicit deny in the boundary...
    assert not decide(get, [], [names_role], boundaries=[ALLOW_PUT]).allowed
    # ...one granting to the role session ARN is not.
    assert decide(get, [], [bucket_policy({"AWS": SESSION})], boundaries=[ALLOW_PUT]).allowed


def test_same_account_a_resource_policy_naming_the_account_only_delegates_to_iam() -> None:
    get = session_request("s3:GetObject")
    names_account = bucket_policy({"AWS": "arn:aws:iam::111111111111:root"})

    assert not decide(get, [], [names_account]).allowed
    assert decide(get, [ALLOW_GET], [names_account]).allowed


def test_cross_account_both_the_identity_side_and_the_resource_policy_must_allow() -> None:
    get = session_request("s3:GetObject")
    names_role = bucket_policy({"AWS": ROLE})
    other = "222222222222"

    assert decide(get, [ALLOW_GET], [names_role], resource_account=other).allowed
    no_identity = decide(get, [], [names_role], resource_account=other)
    assert not no_identity.allowed
    assert no_identity.explanation.startswith("because no identity-based policy allows")
    no_resource = decide(get, [ALLOW_GET], [], resource_account=other)
    assert not no_resource.allowed
    assert no_resource.explanation.startswith("because no resource-based policy allows")
    # The boundary caps the identity side across accounts too.
    assert not decide(
        get, [ALLOW_GET], [names_role], boundaries=[ALLOW_PUT], resource_account=other
    ).allowed
    # Naming the caller's account is enough for the resource side; IAM then decides.
    names_account = bucket_policy({"AWS": "111111111111"})
    assert decide(get, [ALLOW_GET], [names_account], resource_account=other).allowed


KEY = "arn:aws:kms:eu-west-1:111111111111:key/0d1c2b3a-0000-4000-8000-000000000001"
ALLOW_KMS = policy({"Sid": "Kms", "Effect": "Allow", "Action": "kms:*", "Resource": "*"})


def key_policy(principal: Any) -> Any:
    return policy(
        {
            "Sid": "Key",
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": "kms:*",
            "Resource": "*",
        }
    )


def test_a_key_needs_its_key_policy_even_for_an_identity_policy_granting_kms_star() -> None:
    generate = session_request("kms:GenerateDataKey", KEY)

    refused = decide(generate, [ALLOW_KMS], [], resource_policy_required=True)
    assert not refused.allowed
    assert refused.explanation.startswith("because no resource-based policy allows")
    # The default key policy names the account root: IAM policies then grant.
    root = key_policy("arn:aws:iam::111111111111:root")
    assert decide(generate, [ALLOW_KMS], [root], resource_policy_required=True).allowed
    assert not decide(generate, [], [root], resource_policy_required=True).allowed
    # A key policy naming the role grants without any IAM policy.
    assert decide(generate, [], [key_policy(ROLE)], resource_policy_required=True).allowed


def test_not_action_and_not_resource_allow_everything_but_what_they_list() -> None:
    all_but_iam = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    all_but_secrets = policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secrets/*"}
    )

    assert decide(request("s3:GetObject", OBJECT), [all_but_iam]).allowed
    assert not decide(request("iam:CreateRole", "x"), [all_but_iam]).allowed
    assert decide(request("s3:GetObject", OBJECT), [all_but_secrets]).allowed
    assert not decide(request("s3:GetObject", "arn:aws:s3:::secrets/k"), [all_but_secrets]).allowed


def test_not_principal_denies_everyone_it_does_not_list() -> None:
    only_role = policy(
        {
            "Sid": "OnlyRole",
            "Effect": "Deny",
            "NotPrincipal": {"AWS": [ROLE, SESSION]},
            "Action": "s3:*",
            "Resource": "*",
        }
    )
    mine = session_request("s3:GetObject")
    other = Request(
        principal=OTHER_ROLE,
        session="arn:aws:sts::222222222222:assumed-role/randfile-dev-data/x",
        action="s3:GetObject",
        resource=OBJECT,
    )

    assert decide(mine, [ALLOW_GET], [only_role]).allowed
    assert decide(other, [ALLOW_GET], [only_role]).explicit_deny


def test_arn_like_matches_each_colon_delimited_part_apart() -> None:
    document = allow_get_if({"ArnLike": {"aws:SourceArn": "arn:aws:execute-api:*:111111111111:*"}})

    def holds(arn: str) -> bool:
        return decide(request("s3:GetObject", "x", **{"aws:SourceArn": [arn]}), [document]).allowed

    assert holds("arn:aws:execute-api:eu-west-1:111111111111:abc/prod/GET/files")
    # "*" in the region part may not swallow the account's colon.
    assert not holds("arn:aws:execute-api:eu-west-1:222222222222:abc:111111111111:x")


def test_a_missing_key_makes_positive_operators_false_and_negated_ones_true() -> None:
    def allowed(operator: str, **context: list[str]) -> bool:
        document = allow_get_if({operator: {"k": "v"}})
        return decide(request("s3:GetObject", "x", **context), [document]).allowed

    assert not allowed("StringEquals")
    assert allowed("StringNotEquals")
    assert allowed("ArnNotLike")
    assert allowed("NumericLessThanIfExists")
    assert not allowed("StringEqualsIfExists", k=["w"])
    assert allowed("ForAllValues:StringEquals")
    assert not allowed("ForAnyValue:StringEquals")
    assert allowed("ForAllValues:StringEquals", k=[])


def test_set_operators_on_multivalued_keys() -> None:
    def allowed(operator: str, tags: list[str]) -> bool:
        document = allow_get_if({operator: {"aws:TagKeys": ["environment", "owner"]}})
        return decide(request("s3:GetObject", "x", **{"aws:TagKeys": tags}), [document]).allowed

    assert allowed("ForAllValues:StringEquals", ["environment"])
    assert not allowed("ForAllValues:StringEquals", ["environment", "cost"])
    assert allowed("ForAnyValue:StringEquals", ["cost", "owner"])
    assert not allowed("ForAnyValue:StringEquals", ["cost"])
    # Negation applies to each value: every value must be outside the list.
    assert allowed("ForAllValues:StringNotEquals", ["cost", "team"])
    assert not allowed("ForAllValues:StringNotEquals", ["cost", "owner"])


def test_several_values_are_or_and_several_keys_and_operators_are_and() -> None:
    document = allow_get_if({"StringEquals": {"a": ["1", "2"], "b": "3"}, "Bool": {"c": "true"}})

    def allowed(**context: list[str]) -> bool:
        return decide(request("s3:GetObject", "x", **context), [document]).allowed

    assert allowed(a=["2"], b=["3"], c=["true"])
    assert not allowed(a=["2"], b=["3"], c=["false"])
    assert not allowed(a=["2"], b=["4"], c=["true"])


def test_policy_variables_in_resources_and_conditions() -> None:
    home = policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::home/${aws:username}/*",
        },
        {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": "*",
            "Condition": {"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team}/"}},
        },
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::${aws:PrincipalTag/bucket, 'shared'}",
        },
        {
            "Effect": "Allow",
            "Action": "s3:DeleteObject",
            "Resource": "arn:aws:s3:::trash/${aws:userid}/${*}",
        },
    )
    user = {
        "aws:username": ["alice"],
        "aws:PrincipalTag/team": ["blue"],
        "aws:userid": ["AROAEXAMPLE:github"],
    }

    def allowed(action: str, resource: str, **context: list[str]) -> bool:
        return decide(request(action, resource, **context), [home]).allowed

    assert allowed("s3:GetObject", "arn:aws:s3:::home/alice/notes", **user)
    assert not allowed("s3:GetObject", "arn:aws:s3:::home/bob/notes", **user)
    # No aws:username (a role session has none) and no default: the resource matches nothing.
    assert not allowed("s3:GetObject", "arn:aws:s3:::home/${aws:username}/notes")
    assert allowed("s3:PutObject", "x", **{**user, "s3:prefix": ["blue/"]})
    assert not allowed("s3:PutObject", "x", **{**user, "s3:prefix": ["red/"]})
    assert allowed("s3:ListBucket", "arn:aws:s3:::shared")
    assert allowed("s3:ListBucket", "arn:aws:s3:::own", **{"aws:PrincipalTag/bucket": ["own"]})
    # ${*} is a literal asterisk, not a wildcard.
    assert allowed("s3:DeleteObject", "arn:aws:s3:::trash/AROAEXAMPLE:github/*", **user)
    assert not allowed("s3:DeleteObject", "arn:aws:s3:::trash/AROAEXAMPLE:github/x", **user)


def test_a_variable_value_is_never_a_wildcard_and_old_versions_have_no_variables() -> None:
    home = policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::home/${aws:username}",
        }
    )
    old = {**home, "Version": "2008-10-17"}
    star = {"aws:username": ["*"]}

    assert not decide(request("s3:GetObject", "arn:aws:s3:::home/bob", **star), [home]).allowed
    assert decide(request("s3:GetObject", "arn:aws:s3:::home/*", **star), [home]).allowed
    assert not decide(
        request("s3:GetObject", "arn:aws:s3:::home/alice", **{"aws:username": ["alice"]}), [old]
    ).allowed


def test_evaluate_one_resource_policy_for_a_service_principal() -> None:
    permission = policy(
        {
            "Sid": "Api",
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": "arn:aws:lambda:eu-west-1:1:function:f",
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:execute-api:eu-west-1:1:api/*"}},
        }
    )

    def invoke(source: str) -> bool:
        return evaluate(
            permission,
            Request(
                principal=None,
                service="apigateway.amazonaws.com",
                action="lambda:InvokeFunction",
                resource="arn:aws:lambda:eu-west-1:1:function:f",
                context={"aws:SourceArn": source},
            ),
        ).allowed

    assert invoke("arn:aws:execute-api:eu-west-1:1:api/prod/POST/files")
    assert not invoke("arn:aws:execute-api:eu-west-1:1:other/prod/POST/files")


# --- one policy alone (API Gateway and Lambda resource policies, bucket policies) ---------

METHOD_ARN = "arn:aws:execute-api:eu-west-1:111111111111:abc123/v1/POST/files"


def _invoke(principal_arn: str) -> Request:
    return Request(principal=principal_arn, action="execute-api:Invoke", resource=METHOD_ARN)


ALLOW_ACCOUNT: dict[str, Any] = {
    "Sid": "Account",
    "Effect": "Allow",
    "Action": "execute-api:Invoke",
    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Resource": "arn:aws:execute-api:eu-west-1:111111111111:abc123/*/POST/files",
}


def test_an_account_root_principal_admits_every_identity_of_that_account() -> None:
    document = policy(ALLOW_ACCOUNT)

    assert evaluate(document, _invoke("arn:aws:sts::111111111111:assumed-role/r/s")).allowed
    assert not evaluate(document, _invoke("arn:aws:iam::333333333333:role/r")).allowed


def test_an_explicit_deny_wins_over_an_allow() -> None:
    deny = {**ALLOW_ACCOUNT, "Sid": "No", "Effect": "Deny", "Principal": "*"}

    decision = evaluate(policy(ALLOW_ACCOUNT, deny), _invoke("arn:aws:iam::1:role/r"))

    assert not decision.allowed
    assert "No" in decision.reason


def test_a_source_arn_condition_must_match_the_calling_method() -> None:
    document = policy(
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

    def from_arn(source_arn: str) -> Request:
        return Request(
            principal=None,
            action="lambda:InvokeFunction",
            resource="arn:aws:lambda:eu-west-1:111111111111:function:f",
            service="apigateway.amazonaws.com",
            context={"aws:SourceArn": source_arn},
        )

    assert evaluate(document, from_arn(METHOD_ARN)).allowed
    assert not evaluate(document, from_arn(METHOD_ARN.replace("abc123", "other"))).allowed
    assert not evaluate(document, from_arn(METHOD_ARN.replace("POST", "GET"))).allowed


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
    document = policy(allow, deny_unconditional_put)

    def put(context: dict[str, str]) -> bool:
        request = Request(
            principal=ROLE, action="s3:PutObject", resource="arn:aws:s3:::b/k", context=context
        )
        return evaluate(document, request).allowed

    assert put({"s3:ObjectCreationOperation": "true", "s3:if-none-match": "*"})
    assert not put({"s3:ObjectCreationOperation": "true"})
    assert put({"s3:ObjectCreationOperation": "false"})
