"""Evaluates IAM policy documents against one request, the way AWS decides same-account access.

moto evaluates no identity policy and no condition, so what the CI roles may do is decided here,
for the condition operators this repository's policies use. Semantics follow the IAM policy
evaluation logic: an explicit Deny in any policy wins; otherwise the request needs an Allow from
an identity policy, or from a resource policy that names the principal itself (a key policy naming
a role grants on its own; one naming the account only delegates to IAM policies).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html

No maintained, permissively licensed Python evaluator exists: moto's own ignores conditions, and
principalmapper (AGPL, last release 2022) is neither. This one stays small and is unit-tested
(tests/unit/test_iam_policy.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

Context = Mapping[str, Sequence[str]]


class UnsupportedConditionError(ValueError):
    """A policy uses a condition operator this evaluator does not implement."""


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's `*` (any run of characters) and `?` (one character)."""
    return _wildcard(pattern, ignore_case).match(value) is not None


@dataclass(frozen=True)
class Request:
    """One authorization AWS performs: who, which action, on what, with which context."""

    principal: str
    action: str
    resource: str
    context: Context = field(default_factory=dict)
    # The federated identity provider, for sts:AssumeRoleWithWebIdentity.
    federated: str | None = None

    def value(self, key: str) -> Sequence[str] | None:
        for name, values in self.context.items():
            if name.lower() == key.lower():
                return values
        return None


def _account(principal: str) -> str:
    return principal.split(":")[4]


def _string_test(operator: str) -> tuple[bool, bool, bool]:
    """(wildcards, ignore_case, negated) for a string or ARN operator."""
    negated = "Not" in operator
    base = operator.replace("Not", "")
    table = {
        "StringEquals": (False, False),
        "StringEqualsIgnoreCase": (False, True),
        "StringLike": (True, False),
        "ArnEquals": (True, False),
        "ArnLike": (True, False),
    }
    if base not in table:
        raise UnsupportedConditionError(operator)
    wildcards, ignore_case = table[base]
    return wildcards, ignore_case, negated


def _value_matches(operator: str, expected: str, actual: str) -> bool:
    if operator == "Bool":
        return expected.lower() == actual.lower()
    wildcards, ignore_case, _ = _string_test(operator)
    if wildcards:
        return wildcard_match(expected, actual, ignore_case=ignore_case)
    return expected.lower() == actual.lower() if ignore_case else expected == actual


def _condition_holds(full_operator: str, key: str, expected: list[str], request: Request) -> bool:
    operator = full_operator
    set_operator = None
    if ":" in operator:
        set_operator, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    actual = request.value(key)
    if operator == "Null":
        return (actual is None) == (str(expected[0]).lower() == "true")
    if actual is None:
        return if_exists or (set_operator == "ForAllValues")
    negated = operator != "Bool" and _string_test(operator)[2]
    positive = operator.replace("Not", "") if negated else operator

    def matches(value: str) -> bool:
        return any(_value_matches(positive, str(item), value) for item in expected)

    if set_operator == "ForAllValues":
        result = all(matches(value) for value in actual)
    else:
        result = any(matches(value) for value in actual)
    return not result if negated else result


def conditions_hold(condition: Mapping[str, Mapping[str, Any]], request: Request) -> bool:
    return all(
        _condition_holds(operator, key, [str(v) for v in as_list(values)], request)
        for operator, block in condition.items()
        for key, values in block.items()
    )


def _any_match(patterns: Iterable[str], value: str, *, ignore_case: bool) -> bool:
    return any(wildcard_match(p, value, ignore_case=ignore_case) for p in patterns)


def _principal_named(principal: Any, request: Request) -> tuple[bool, bool]:
    """(matched, directly): whether the statement names the caller, and by its own ARN."""
    if principal == "*":
        return True, True
    if not isinstance(principal, Mapping):
        return False, False
    if request.federated is not None:
        return request.federated in as_list(principal.get("Federated", [])), True
    names = as_list(principal.get("AWS", []))
    if "*" in names or request.principal in names:
        return True, True
    root = f"arn:aws:iam::{_account(request.principal)}:root"
    return (root in names or _account(request.principal) in names), False


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Action, resource and condition match (the principal is the caller's business)."""
    if "Action" in statement:
        if not _any_match(as_list(statement["Action"]), request.action, ignore_case=True):
            return False
    elif _any_match(as_list(statement.get("NotAction", [])), request.action, ignore_case=True):
        return False
    if "Resource" in statement:
        if not _any_match(as_list(statement["Resource"]), request.resource, ignore_case=False):
            return False
    elif "NotResource" in statement and _any_match(
        as_list(statement["NotResource"]), request.resource, ignore_case=False
    ):
        return False
    return conditions_hold(statement.get("Condition", {}), request)


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return as_list(document.get("Statement", []))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def decide(
    request: Request,
    identity_policies: Sequence[Mapping[str, Any]],
    resource_policies: Sequence[Mapping[str, Any]] = (),
) -> Decision:
    """AWS's answer to ``request`` in one account, with the statement that decided it."""
    allow = None
    for document in identity_policies:
        for statement in _statements(document):
            if not statement_applies(statement, request):
                continue
            if statement.get("Effect") == "Deny":
                return Decision(False, f"denied by identity statement {statement.get('Sid')}")
            allow = allow or f"identity statement {statement.get('Sid')}"
    for document in resource_policies:
        for statement in _statements(document):
            named, directly = _principal_named(statement.get("Principal"), request)
            if not named or not statement_applies(statement, request):
                continue
            if statement.get("Effect") == "Deny":
                return Decision(False, f"denied by resource statement {statement.get('Sid')}")
            if directly:
                allow = allow or f"resource statement {statement.get('Sid')}"
    if allow:
        return Decision(True, f"allowed by {allow}")
    return Decision(False, "no statement allows it (implicit deny)")
