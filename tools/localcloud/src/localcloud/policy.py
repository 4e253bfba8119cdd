"""Just enough IAM policy evaluation to answer "does this statement admit this request?".

Covers what the stack writes: Allow/Deny, Action, Resource, AWS/Service/"*" principals, and the
Arn*, String*, Bool and Null condition operators. Anything else is reported, never guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

_SUPPORTED_CONDITIONS = {"ArnLike", "ArnEquals", "StringEquals", "StringLike", "Bool", "Null"}


class UnsupportedPolicyError(ValueError):
    """The policy uses a feature this evaluator does not model."""


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    # Principal as IAM sees it: an account ("arn:aws:iam::<id>:root" matches any identity of it),
    # a role ARN, or a service name such as apigateway.amazonaws.com.
    principal_arn: str | None = None
    principal_account: str | None = None
    service: str | None = None
    context: Mapping[str, str] | None = None


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _matches(patterns: Iterable[str], value: str) -> bool:
    # IAM wildcards: * any run of characters (slashes included), ? one character.
    return any(fnmatchcase(value, pattern) for pattern in patterns)


def _principal_matches(principal: Any, request: Request) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        raise UnsupportedPolicyError(f"principal {principal!r}")
    for kind, values in principal.items():
        for value in _as_list(values):
            if kind == "Service" and request.service == value:
                return True
            if kind == "AWS":
                if value in ("*", request.principal_arn):
                    return True
                if value in (
                    request.principal_account,
                    f"arn:aws:iam::{request.principal_account}:root",
                ):
                    return True
    return False


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], request: Request) -> bool:
    context = {key.lower(): value for key, value in (request.context or {}).items()}
    for operator, tests in conditions.items():
        if operator not in _SUPPORTED_CONDITIONS:
            raise UnsupportedPolicyError(f"condition operator {operator}")
        for key, expected in tests.items():
            actual = context.get(key.lower())
            patterns = _as_list(expected)
            if operator == "Null":
                # "true": the key must be absent from the request; "false": present.
                if (actual is None) != (patterns[0].lower() == "true"):
                    return False
                continue
            if actual is None:
                return False
            if operator == "Bool":
                if actual.lower() not in {pattern.lower() for pattern in patterns}:
                    return False
            elif operator in ("ArnLike", "StringLike"):
                if not _matches(patterns, actual):
                    return False
            elif actual not in patterns:
                return False
    return True


def statement_admits(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether the statement applies to the request (regardless of its Effect)."""
    if "NotAction" in statement or "NotResource" in statement or "NotPrincipal" in statement:
        raise UnsupportedPolicyError("NotAction/NotResource/NotPrincipal")
    if "Principal" in statement and not _principal_matches(statement["Principal"], request):
        return False
    if not _matches(_as_list(statement.get("Action", [])), request.action):
        return False
    if "Resource" in statement and not _matches(_as_list(statement["Resource"]), request.resource):
        return False
    return _conditions_hold(statement.get("Condition", {}), request)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def evaluate(document: str | Mapping[str, Any], request: Request) -> Decision:
    """An explicit Deny wins, then an Allow; otherwise the request is implicitly denied."""
    policy = json.loads(document) if isinstance(document, str) else document
    statements = policy.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    allowing = None
    for statement in statements:
        if not statement_admits(statement, request):
            continue
        sid = statement.get("Sid", "(no Sid)")
        if statement.get("Effect") == "Deny":
            return Decision(False, f"statement {sid} denies it")
        allowing = allowing or sid
    if allowing:
        return Decision(True, f"statement {allowing} allows it")
    return Decision(False, "no statement allows it")
