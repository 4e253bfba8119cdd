"""AWS's answer to one request: the policies that apply to it, evaluated as IAM documents say.

The one IAM evaluator of localcloud: the emulator's runtime authorizer (localcloud.authorizer), the
API Gateway data plane's resource-policy check (localcloud.wiring) and the CI-role audit of the
end-to-end tests all decide here. What it follows, page by page:

- Policy evaluation logic, single account: an explicit Deny in any policy wins; an identity-based
  policy or a resource-based policy may allow; a permissions boundary caps what the identity
  policies allow (both must allow), and also what a resource-based policy grants to a *role ARN*,
  but not what it grants to the role *session* ARN itself.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
- Cross-account: the caller's account must allow (identity policies within the boundary) *and*
  the resource's policy must allow the principal or its account.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
- KMS key policies: no principal, not even the account's root, has access to a key unless its key
  policy allows it; a statement naming the account (root) lets IAM policies grant access, one
  naming a role grants it on its own.
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
  https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html
- Elements: Action/NotAction, Resource/NotResource, Principal/NotPrincipal.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
- Condition operators (String, Numeric, Date, Bool, Binary, IpAddress, Arn, Null; ...IfExists;
  a missing key makes a positive operator false and a negated one true), the set operators
  ForAllValues (true on a missing or empty key) and ForAnyValue, and the evaluation of several
  values (OR) and keys and operators (AND).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
- Policy variables in Resource and in condition values (Version 2012-10-17 only): ${key} from the
  request context, ${key, 'default'}, and ${*}, ${?}, ${$} for the literal characters. A variable
  whose key is absent and has no default makes that value match nothing.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html

Not modelled: service control and resource control policies, session policies, ACLs, VPC endpoint
policies, grants (KMS), and the account-ARN nuance of NotPrincipal with Deny. Condition operators
it does not know raise UnsupportedConditionError: an unknown operator is never guessed.

Why our own: no maintained, permissively licensed Python library evaluates a request against a
set of policies. moto's access_control ignores most condition operators and boundaries,
policyuniverse (last release 2023) matches statements but evaluates no conditions or policy
types, principalmapper is AGPL and unmaintained since 2022, iam-ape computes effective
permissions of a principal rather than deciding one request. This module stays small and is
unit-tested (tools/localcloud/tests/unit/test_iam_evaluator.py).
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

Context = Mapping[str, Sequence[str] | str]


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
    """One authorization AWS performs: who, which action, on what, with which context.

    ``principal`` is the caller's IAM identity (a role or user ARN; for a role session, the role),
    ``session`` the assumed-role session ARN (arn:aws:sts::<account>:assumed-role/<role>/<name>)
    when the caller is one, ``service`` a service principal (apigateway.amazonaws.com) and
    ``federated`` the identity provider of sts:AssumeRoleWithWebIdentity. None of them: anonymous.
    """

    principal: str | None
    action: str
    resource: str
    context: Context = field(default_factory=dict)
    federated: str | None = None
    service: str | None = None
    session: str | None = None

    def value(self, key: str) -> list[str] | None:
        for name, values in self.context.items():
            if name.lower() == key.lower():
                return [values] if isinstance(values, str) else list(values)
        return None

    @property
    def account(self) -> str | None:
        return _account(self.principal) if self.principal else None

    @property
    def caller(self) -> str:
        """The identity as AWS names it in an error message."""
        return self.session or self.principal or self.service or "anonymous"


def _account(arn: str) -> str:
    return arn.split(":")[4]


# --- policy variables --------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_LITERALS = {"*": "*", "?": "?", "$": "$"}


def _substitute(text: str, request: Request, variables: bool, *, wildcards: bool) -> str | None:
    """``text`` with its policy variables replaced, as a wildcard pattern (``wildcards``) or a
    literal string; None when a variable has no value and no default (matches nothing)."""

    def literal(part: str) -> str:
        # A value from a variable never acts as a wildcard.
        return re.sub(r"([*?\\])", r"\\\1", part) if wildcards else part

    if not variables or "${" not in text:
        return text
    result: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        result.append(text[position : match.start()])
        position = match.end()
        inner = match.group(1).strip()
        if inner in _LITERALS:
            result.append(literal(_LITERALS[inner]))
            continue
        key, _, default = inner.partition(",")
        values = request.value(key.strip())
        if values:
            result.append(literal(values[0]))
        elif default.strip().startswith("'") and default.strip().endswith("'"):
            result.append(literal(default.strip()[1:-1]))
        else:
            return None
    result.append(text[position:])
    return "".join(result)


@lru_cache(maxsize=4096)
def _escaped_wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """Like _wildcard, with backslash-escaped `*`, `?` and `\\` taken literally."""
    body = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            body.append(re.escape(next(chars, "\\")))
        else:
            body.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    return re.compile(f"^{''.join(body)}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _pattern_match(
    pattern: str, value: str, request: Request, variables: bool, *, ignore_case: bool = False
) -> bool:
    substituted = _substitute(pattern, request, variables, wildcards=True)
    if substituted is None:
        return False
    if substituted is pattern:
        return wildcard_match(pattern, value, ignore_case=ignore_case)
    return _escaped_wildcard(substituted, ignore_case).match(value) is not None


# --- condition operators -----------------------------------------------------------------------


def _arn_like(expected: str, actual: str) -> bool:
    # "Each of the six colon-delimited components of the ARN is checked separately."
    want, have = expected.split(":", 5), actual.split(":", 5)
    return len(want) == len(have) and all(
        _escaped_wildcard(w, False).match(h) for w, h in zip(want, have, strict=True)
    )


def _number(text: str) -> float:
    return float(text)


def _date(text: str) -> datetime:
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, e: a == e,
    "LessThan": lambda a, e: a < e,
    "LessThanEquals": lambda a, e: a <= e,
    "GreaterThan": lambda a, e: a > e,
    "GreaterThanEquals": lambda a, e: a >= e,
}


def _ip_in(expected: str, actual: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    except ValueError:
        return False


@dataclass(frozen=True)
class _Operator:
    """A base operator (no IfExists, no set prefix): whether it is negated, and its test of one
    expected value (variables already substituted) against one value of the request."""

    negated: bool
    test: Callable[[str, str], bool]
    # Whether expected values are wildcard patterns (variables substituted as literals in them).
    wildcards: bool = False


def _operator(name: str) -> _Operator:
    string_like = {
        "StringEquals": (lambda e, a: e == a, False),
        "StringNotEquals": (lambda e, a: e == a, False),
        "StringEqualsIgnoreCase": (lambda e, a: e.lower() == a.lower(), False),
        "StringNotEqualsIgnoreCase": (lambda e, a: e.lower() == a.lower(), False),
        "StringLike": (lambda e, a: _escaped_wildcard(e, False).match(a) is not None, True),
        "StringNotLike": (lambda e, a: _escaped_wildcard(e, False).match(a) is not None, True),
        "ArnEquals": (_arn_like, True),
        "ArnLike": (_arn_like, True),
        "ArnNotEquals": (_arn_like, True),
        "ArnNotLike": (_arn_like, True),
    }
    if name in string_like:
        test, wildcards = string_like[name]
        return _Operator("Not" in name, test, wildcards)
    if name == "Bool":
        return _Operator(False, lambda e, a: e.lower() == a.lower())
    if name == "BinaryEquals":
        return _Operator(False, lambda e, a: base64.b64decode(e) == base64.b64decode(a))
    if name in ("IpAddress", "NotIpAddress"):
        return _Operator(name == "NotIpAddress", _ip_in)
    for family, parse in (("Numeric", _number), ("Date", _date)):
        if name.startswith(family):
            comparison = name.removeprefix(family)
            negated = comparison == "NotEquals"
            compare = _ORDER.get("Equals" if negated else comparison)
            if compare is None:
                break

            def test(
                e: str, a: str, parse: Callable[[str], Any] = parse, compare: Any = compare
            ) -> bool:
                try:
                    return bool(compare(parse(a), parse(e)))
                except ValueError:
                    return False

            return _Operator(negated, test)
    raise UnsupportedConditionError(name)


def _condition_holds(
    full_operator: str, key: str, expected: list[str], request: Request, variables: bool
) -> bool:
    set_operator, _, operator = full_operator.rpartition(":")
    if set_operator not in ("", "ForAllValues", "ForAnyValue"):
        raise UnsupportedConditionError(full_operator)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    actual = request.value(key)
    if operator == "Null":
        return (actual is None) == (str(expected[0]).lower() == "true")
    base = _operator(operator)
    if not actual:
        # A missing key: positive operators are false; ForAllValues (also on an empty set),
        # ...IfExists and negated operators are true.
        return set_operator == "ForAllValues" or if_exists or base.negated
    resolved = [
        value
        for value in (
            _substitute(item, request, variables, wildcards=base.wildcards) for item in expected
        )
        if value is not None
    ]

    def value_holds(value: str) -> bool:
        matched = any(base.test(item, value) for item in resolved)
        return not matched if base.negated else matched

    if set_operator == "ForAllValues":
        return all(value_holds(value) for value in actual)
    return any(value_holds(value) for value in actual)


def conditions_hold(
    condition: Mapping[str, Mapping[str, Any]], request: Request, variables: bool = True
) -> bool:
    return all(
        _condition_holds(operator, key, [str(v) for v in as_list(values)], request, variables)
        for operator, block in condition.items()
        for key, values in block.items()
    )


# --- statements --------------------------------------------------------------------------------


def _any_action(patterns: Iterable[str], action: str) -> bool:
    return any(wildcard_match(p, action, ignore_case=True) for p in patterns)


def _any_resource(patterns: Iterable[str], request: Request, variables: bool) -> bool:
    return any(_pattern_match(p, request.resource, request, variables) for p in patterns)


def statement_applies(
    statement: Mapping[str, Any], request: Request, variables: bool = True
) -> bool:
    """Action, resource and condition match (the principal is the caller's business)."""
    if "Action" in statement:
        if not _any_action(as_list(statement["Action"]), request.action):
            return False
    elif _any_action(as_list(statement.get("NotAction", [])), request.action):
        return False
    if "Resource" in statement:
        if not _any_resource(as_list(statement["Resource"]), request, variables):
            return False
    elif "NotResource" in statement and _any_resource(
        as_list(statement["NotResource"]), request, variables
    ):
        return False
    return conditions_hold(statement.get("Condition", {}), request, variables)


class Named(Enum):
    """How a resource policy statement's principal covers the caller."""

    NO = "no"
    # By its own ARN (role, session, user), "*", or as the service or identity provider.
    DIRECTLY = "directly"
    # By its session ARN: not capped by the role's permissions boundary in the same account.
    SESSION = "session"
    # By its account (root or id): a delegation to the account's IAM policies.
    ACCOUNT = "account"


def _named_in(principal: Any, request: Request) -> Named:
    if principal == "*":
        return Named.DIRECTLY
    if not isinstance(principal, Mapping):
        return Named.NO
    names = as_list(principal.get("AWS", []))
    account = request.account
    federated = as_list(principal.get("Federated", []))
    services = as_list(principal.get("Service", []))
    checks = (
        (request.federated is not None and request.federated in federated, Named.DIRECTLY),
        (request.service is not None and request.service in services, Named.DIRECTLY),
        ("*" in names, Named.DIRECTLY),
        (request.session is not None and request.session in names, Named.SESSION),
        (request.principal is not None and request.principal in names, Named.DIRECTLY),
        (
            account is not None and (account in names or f"arn:aws:iam::{account}:root" in names),
            Named.ACCOUNT,
        ),
    )
    return next((named for holds, named in checks if holds), Named.NO)


def principal_named(statement: Mapping[str, Any], request: Request) -> Named:
    """How the statement's Principal (or NotPrincipal: everyone it does not list) names the
    caller."""
    if "NotPrincipal" in statement:
        listed = _named_in(statement["NotPrincipal"], request)
        return Named.DIRECTLY if listed is Named.NO else Named.NO
    return _named_in(statement.get("Principal"), request)


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return as_list(document.get("Statement", []))


def _variables(document: Mapping[str, Any]) -> bool:
    # Policy variables exist from version 2012-10-17 on; before, ${...} is literal text.
    return document.get("Version") == "2012-10-17"


@dataclass(frozen=True)
class Match:
    """The strongest statement of one kind of policy that applies: Deny beats Allow."""

    effect: str | None = None
    sid: str | None = None
    named: Named = Named.NO


# Which Allow counts most when several apply: the session's own ARN is not capped by a boundary.
_RANK = {Named.NO: 0, Named.ACCOUNT: 1, Named.DIRECTLY: 2, Named.SESSION: 3}


def _match(
    documents: Iterable[Mapping[str, Any]], request: Request, *, resource_based: bool
) -> Match:
    allow = Match()
    for document in documents:
        variables = _variables(document)
        for statement in _statements(document):
            named = principal_named(statement, request) if resource_based else Named.DIRECTLY
            if named is Named.NO or not statement_applies(statement, request, variables):
                continue
            sid = statement.get("Sid") or "(no Sid)"
            if statement.get("Effect") == "Deny":
                return Match("Deny", sid, named)
            if allow.effect is None or _RANK[named] > _RANK[allow.named]:
                allow = Match("Allow", sid, named)
    return allow


# --- decisions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    # The end of AWS's AccessDenied message: "because no identity-based policy allows the
    # s3:GetObject action", "with an explicit deny in a permissions boundary"... Empty if allowed.
    explanation: str = ""

    @property
    def explicit_deny(self) -> bool:
        return self.explanation.startswith("with an explicit deny")

    def message(self, request: Request) -> str:
        """AWS's AccessDenied message for the request."""
        return (
            f"User: {request.caller} is not authorized to perform: {request.action} on resource: "
            f"{request.resource} {self.explanation}"
        )


def _denied(kind: str, sid: str | None) -> Decision:
    return Decision(
        False, f"denied by {kind} statement {sid}", f"with an explicit deny in a {kind}"
    )


def _missing(kind: str, request: Request) -> Decision:
    return Decision(
        False,
        f"no {kind} allows it (implicit deny)",
        f"because no {kind} allows the {request.action} action",
    )


def evaluate(document: Mapping[str, Any], request: Request) -> Decision:
    """Whether one policy document admits the request, Principal elements included where it has
    them; a statement naming the caller's account admits its identities (whether the account's
    IAM policies must then allow too is decide()'s business)."""
    resource_based = any("Principal" in s or "NotPrincipal" in s for s in _statements(document))
    found = _match([document], request, resource_based=resource_based)
    kind = "resource-based policy" if resource_based else "identity-based policy"
    if found.effect == "Deny":
        return _denied(kind, found.sid)
    if found.effect == "Allow":
        return Decision(True, f"allowed by statement {found.sid}")
    return _missing(kind, request)


def _lacking(
    identity: Match,
    boundary: Match | None,
    resource: Match,
    *,
    both_sides: bool,
    same_account: bool,
) -> str | None:
    """The kind of policy whose Allow is missing, or None when the request is allowed."""
    boundary_allows = boundary is None or boundary.effect == "Allow"
    resource_allows = resource.effect == "Allow"
    if both_sides and not resource_allows:
        return "resource-based policy"
    # In the resource's own account, a resource policy naming the principal grants on its own:
    # capped by the boundary when it names the role, not when it names the role session.
    if same_account and resource_allows and resource.named is Named.SESSION:
        return None
    if same_account and resource_allows and resource.named is Named.DIRECTLY:
        return None if boundary_allows else "permissions boundary"
    # Otherwise (no resource policy, one naming the account, another account's resource) the
    # identity policies must allow, within the boundary.
    if identity.effect != "Allow":
        return "identity-based policy"
    return None if boundary_allows else "permissions boundary"


def decide(
    request: Request,
    identity_policies: Sequence[Mapping[str, Any]],
    resource_policies: Sequence[Mapping[str, Any]] = (),
    *,
    boundaries: Sequence[Mapping[str, Any]] | None = None,
    resource_account: str | None = None,
    resource_policy_required: bool = False,
) -> Decision:
    """AWS's answer to ``request`` given the caller's identity policies, its permissions boundary
    (None: the caller has none), and the resource's policies (bucket, key, table, queue...).

    ``resource_account`` is the account owning the resource (None: the caller's): another
    account's resource needs an Allow from both sides. ``resource_policy_required`` is for KMS
    keys, whose key policy must allow, directly or by delegating to the account's IAM policies.
    """
    identity = _match(identity_policies, request, resource_based=False)
    boundary = _match(boundaries, request, resource_based=False) if boundaries is not None else None
    resource = _match(resource_policies, request, resource_based=True)
    for kind, found in (
        ("identity-based policy", identity),
        ("permissions boundary", boundary),
        ("resource-based policy", resource),
    ):
        if found is not None and found.effect == "Deny":
            return _denied(kind, found.sid)
    same_account = resource_account is None or resource_account == request.account
    lacking = _lacking(
        identity,
        boundary,
        resource,
        both_sides=resource_policy_required or not same_account,
        same_account=same_account,
    )
    if lacking is not None:
        return _missing(lacking, request)
    allowing = [m.sid for m in (identity, resource) if m.effect == "Allow"]
    return Decision(True, f"allowed by statements {', '.join(map(str, allowing))}")
