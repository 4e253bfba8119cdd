"""The GitHub workflows: every step runs a tested entry point, actions are pinned, rights are least.

These read .github/ as data; the scripts the steps call are exercised in
tests/functional/ci_scripts/, one test file per script.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs; only plain data is read

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((REPO / ".github" / "actions").glob("*/action.yml"))
VENV_BIN = REPO / ".venv" / "bin"
PINNED_USES = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\s*$")
MAKE_CALL = re.compile(r"^make ([a-z][a-z0-9-]*)((?: [A-Z_]+=\S+)*)$")


def load(path: Path) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    on: Any = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    assert isinstance(on, dict)
    return on


def all_steps() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in WORKFLOWS:
        for job_id, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                yield f"{path.name}:{job_id}", step
    for path in ACTIONS:
        for step in load(path)["runs"]["steps"]:
            yield str(path.relative_to(REPO)), step


def run_commands() -> list[tuple[str, str]]:
    return [(where, step["run"].strip()) for where, step in all_steps() if "run" in step]


def uses_lines() -> list[tuple[str, str]]:
    found = []
    for path in [*WORKFLOWS, *ACTIONS]:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^\s*(?:-\s+)?uses:\s*(.+)$", line)
            if match:
                found.append((path.name, match.group(1)))
    return found


def phony_targets() -> set[str]:
    database = subprocess.run(
        ["make", "-pRrq", "-f", "Makefile", ":"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    targets: set[str] = set()
    for line in database.splitlines():
        if line.startswith(".PHONY:"):
            targets.update(line.removeprefix(".PHONY:").split())
    return targets


def test_the_workflows_exist() -> None:
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "deploy.yml", "drift.yml"}


def test_every_run_step_calls_make_or_a_ci_script() -> None:
    commands = run_commands()
    assert commands
    for where, command in commands:
        assert "\n" not in command, f"{where}: inline logic in a run step: {command!r}"
        if MAKE_CALL.match(command):
            continue
        script = REPO / shlex.split(command)[0]
        assert script.parent == REPO / "scripts" / "ci", (
            f"{where}: {command!r} is neither make nor scripts/ci"
        )
        assert script.is_file(), f"{where}: {script} does not exist"
        assert os.access(script, os.X_OK), f"{where}: {script} is not executable"


def test_every_make_target_a_workflow_calls_exists() -> None:
    targets = phony_targets()
    called = {
        match.group(1) for _, command in run_commands() if (match := MAKE_CALL.match(command))
    }
    assert called >= {"test", "plan", "apply", "plan-summary", "pr-comment", "smoke", "drift"}
    assert called <= targets, f"workflows call missing make targets: {sorted(called - targets)}"


def test_the_target_check_can_fail() -> None:
    assert "no-such-target" not in phony_targets()
    assert "plan-summary" in phony_targets()


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    remote = 0
    for name, value in uses_lines():
        reference, _, comment = value.partition("#")
        reference = reference.strip()
        if reference.startswith(("$/", "./")):
            local = REPO / reference.removeprefix("$/").removeprefix("./")
            assert local.exists() or (local / "action.yml").exists(), (
                f"{name}: {reference} not found"
            )
            continue
        remote += 1
        assert PINNED_USES.match(reference), (
            f"{name}: {reference} is not pinned to a full commit SHA"
        )
        assert VERSION_COMMENT.search(f"#{comment}"), (
            f"{name}: {reference} lacks a # vX.Y.Z comment"
        )
    assert remote > 0


def test_one_version_per_action() -> None:
    versions: dict[str, set[str]] = {}
    for _, value in uses_lines():
        reference = value.partition("#")[0].strip()
        if "@" in reference:
            action, _, sha = reference.partition("@")
            versions.setdefault(action, set()).add(sha)
    assert {action for action, shas in versions.items() if len(shas) > 1} == set()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_top_level_permissions_are_empty_and_no_pull_request_target(path: Path) -> None:
    workflow = load(path)
    assert workflow.get("permissions") == {}
    assert "pull_request_target" not in triggers(workflow)
    for job_id, job in workflow["jobs"].items():
        assert "permissions" in job, f"{path.name}:{job_id} must state its own permissions"


# The actions that exchange the job's OIDC token: for an AWS role, for the Sigstore certificate
# that signs a provenance attestation, for a PyPI upload token (trusted publishing).
OIDC_ACTIONS = {
    "aws": "aws-actions/configure-aws-credentials@",
    "sigstore": "actions/attest-build-provenance@",
    "pypi": "pypa/gh-action-pypi-publish@",
}


def oidc_audiences(job: dict[str, Any]) -> set[str]:
    """Whom the job's OIDC token is for, read from the actions its steps use."""
    uses = [str(step.get("uses", "")) for step in job.get("steps", [])]
    found = {name for name, action in OIDC_ACTIONS.items() if any(action in u for u in uses)}
    if str(job.get("uses", "")).endswith("deploy-environment.yml"):
        found.add("aws")
    return found


def test_oidc_and_comment_rights_only_where_used() -> None:
    for path in WORKFLOWS:
        for job_id, job in load(path)["jobs"].items():
            permissions = job.get("permissions", {})
            audiences = oidc_audiences(job)
            if permissions.get("id-token") == "write":
                assert audiences, f"{path.name}:{job_id} needs no OIDC token"
            elif audiences:
                pytest.fail(f"{path.name}:{job_id} uses OIDC without id-token: write")
            if permissions.get("pull-requests") == "write":
                assert "aws" not in audiences, f"{path.name}:{job_id} mixes AWS and PR write rights"
                assert any("pr-comment" in str(step.get("run", "")) for step in job["steps"])
            assert "write-all" not in str(permissions)


def test_checkouts_keep_no_credentials() -> None:
    checkouts = [step for _, step in all_steps() if "actions/checkout" in str(step.get("uses", ""))]
    assert checkouts
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False


def test_terraform_comes_from_the_version_file_without_wrapper() -> None:
    setups = [step for _, step in all_steps() if "setup-terraform" in str(step.get("uses", ""))]
    assert setups
    for step in setups:
        assert step["with"]["terraform_wrapper"] is False
        assert step["with"]["terraform_version"] == "${{ steps.terraform-version.outputs.version }}"
    version_steps = [step for _, step in all_steps() if step.get("id") == "terraform-version"]
    assert [step["run"] for step in version_steps] == ["scripts/ci/terraform_version.py"]
    assert re.fullmatch(r"\d+\.\d+\.\d+\n?", (REPO / ".terraform-version").read_text())


def test_fork_pull_requests_get_no_credentials_and_are_told() -> None:
    ci = load(REPO / ".github" / "workflows" / "ci.yml")
    plan = ci["jobs"]["plan"]
    assert "head.repo.full_name != github.repository" in plan["env"]["FROM_FORK"]
    for step in plan["steps"]:
        if "configure-aws-credentials" in str(step.get("uses", "")) or "make plan" in str(
            step.get("run", "")
        ):
            assert "env.FROM_FORK == 'false'" in step["if"]
    notices = [step for step in plan["steps"] if step.get("run") == "scripts/ci/fork_notice.py"]
    assert [step["if"] for step in notices] == ["env.FROM_FORK == 'true'"]


def deploy_jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = load(REPO / ".github" / "workflows" / "deploy-environment.yml")["jobs"]
    return jobs


def runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_each_environment_is_planned_then_its_saved_plan_applied_dev_before_prod() -> None:
    deploy = load(REPO / ".github" / "workflows" / "deploy.yml")["jobs"]
    assert deploy["dev"]["needs"] == "build"
    assert deploy["prod"]["needs"] == "dev"
    for env in ("dev", "prod"):
        assert deploy[env]["uses"] == "$/.github/workflows/deploy-environment.yml"
        assert deploy[env]["with"]["environment"] == env
        for role in ("workload-plan", "data-plan", "workload-apply", "data-apply"):
            name = f"{role.upper().replace('-', '_')}_ROLE_ARN_{env.upper()}"
            assert deploy[env]["with"][f"{role}-role-arn"] == f"${{{{ vars.{name} }}}}"
    jobs = deploy_jobs()
    assert set(jobs) == {"order", "plan", "apply", "smoke"}
    assert "needs" not in jobs["order"]
    assert jobs["plan"]["needs"] == "order"
    assert jobs["apply"]["needs"] == "plan"
    assert jobs["smoke"]["needs"] == "apply"
    # Only prod's environment must have reviewers; every job deploys the commit it was given.
    assert deploy["dev"]["with"]["required-reviewers"] is False
    assert deploy["prod"]["with"]["required-reviewers"] is True
    for job_id, job in jobs.items():
        [checkout] = [step for step in job["steps"] if "actions/checkout" in str(step.get("uses"))]
        assert checkout["with"]["ref"] == "${{ inputs.commit }}", job_id


def test_only_main_s_head_is_planned_or_applied_and_a_dispatch_names_a_commit() -> None:
    deploy = load(REPO / ".github" / "workflows" / "deploy.yml")
    assert set(triggers(deploy)) == {"push", "workflow_dispatch"}
    assert triggers(deploy)["push"] == {"branches": ["main"]}
    assert set(triggers(deploy)["workflow_dispatch"]["inputs"]) == {"commit"}
    for env in ("dev", "prod"):
        assert deploy["jobs"][env]["with"]["commit"] == "${{ inputs.commit || github.sha }}"
    jobs = deploy_jobs()
    order = 'make release-order ENV="$ENVIRONMENT"'
    # Before the plan job enters its concurrency group, again inside it, and before the apply.
    assert runs(jobs["order"]) == [order]
    assert "concurrency" not in jobs["order"]
    assert runs(jobs["plan"])[0] == order
    assert runs(jobs["apply"])[:2] == [
        'make environment-gate ENV="$ENVIRONMENT" REQUIRE_REVIEWERS="$REQUIRE_REVIEWERS"',
        order,
    ]
    for job_id in ("order", "plan", "apply"):
        [step] = [step for step in jobs[job_id]["steps"] if step.get("run") == order]
        assert step["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}, job_id


def test_the_zip_artifact_may_be_uploaded_again_by_a_re_run() -> None:
    build = load(REPO / ".github" / "workflows" / "deploy.yml")["jobs"]["build"]
    [upload] = [s for s in build["steps"] if "upload-artifact" in str(s.get("uses"))]
    assert upload["with"]["overwrite"] is True
    assert upload["with"]["name"] == "randfile-zip"


def test_the_plan_job_plans_without_lock_shows_the_plan_and_stores_it() -> None:
    plan = deploy_jobs()["plan"]
    # Read-only role: the plan roles trust pull requests and the main-only `drift` environment.
    assert plan["environment"] == "drift"
    assert "inputs.workload-plan-role-arn" in str(plan["steps"])
    assert "apply-role" not in str(plan["steps"])
    assert runs(plan) == [
        'make release-order ENV="$ENVIRONMENT"',
        'make lock-report ENV="$ENVIRONMENT"',
        'make plan ENV="$ENVIRONMENT"',
        "make zip-matches-artifact",
        'make plan-summary ENV="$ENVIRONMENT"',
        'make plan-store ENV="$ENVIRONMENT"',
    ]
    [planning] = [step for step in plan["steps"] if step.get("run", "").startswith("make plan ")]
    assert planning["env"]["TF_CLI_ARGS_plan"] == "-lock=false"
    assert planning["env"]["TF_VAR_data_role_arn"] == "${{ inputs.data-plan-role-arn }}"
    assert plan["outputs"] == {
        "plan-key": "${{ steps.store.outputs.plan-key }}",
        "plan-version": "${{ steps.store.outputs.plan-version }}",
        "plan-sha256": "${{ steps.store.outputs.plan-sha256 }}",
    }
    # Only runs that were main's head enter the group (the order job runs first), so the arrival
    # that cancels a running plan is a newer commit; plans take no lock.
    assert plan["concurrency"] == {
        "group": "deploy-plan-${{ inputs.environment }}",
        "cancel-in-progress": True,
    }


def test_the_apply_job_is_gated_by_the_environment_and_applies_the_stored_plan() -> None:
    apply = deploy_jobs()["apply"]
    assert apply["environment"]["name"] == "${{ inputs.environment }}"
    assert apply["permissions"] == {"actions": "read", "contents": "read", "id-token": "write"}
    # A job waiting for review would hold a concurrency group and block later runs.
    assert "concurrency" not in apply
    assert apply["env"]["PLAN_KEY"] == "${{ needs.plan.outputs.plan-key }}"
    assert apply["env"]["PLAN_VERSION"] == "${{ needs.plan.outputs.plan-version }}"
    assert apply["env"]["PLAN_SHA256"] == "${{ needs.plan.outputs.plan-sha256 }}"
    assert apply["env"]["REQUIRE_REVIEWERS"] == "${{ inputs.required-reviewers }}"
    assert "inputs.workload-apply-role-arn" in str(apply["steps"])
    assert runs(apply) == [
        'make environment-gate ENV="$ENVIRONMENT" REQUIRE_REVIEWERS="$REQUIRE_REVIEWERS"',
        'make release-order ENV="$ENVIRONMENT"',
        'make plan-fetch ENV="$ENVIRONMENT"',
        'make apply ENV="$ENVIRONMENT"',
        'make plan-discard ENV="$ENVIRONMENT"',
        'make lock-release-own ENV="$ENVIRONMENT"',
        'make lock-report ENV="$ENVIRONMENT"',
    ]
    [release] = [step for step in apply["steps"] if "lock-release-own" in step.get("run", "")]
    assert release["if"] == "cancelled() && steps.fetch.outcome == 'success'"
    [applying] = [step for step in apply["steps"] if step.get("run", "").startswith("make apply")]
    assert applying["env"]["TF_VAR_data_role_arn"] == "${{ inputs.data-apply-role-arn }}"
    assert applying["env"]["TF_CLI_ARGS_apply"] == "-lock-timeout=10m"
    [report] = [step for step in apply["steps"] if "lock-report" in step.get("run", "")]
    assert report["if"] == "(failure() || cancelled()) && steps.fetch.outcome == 'success'"
    # The zip the plan was made with, downloaded where the stack reads it; no rebuild.
    downloads = [s for s in apply["steps"] if "download-artifact" in str(s.get("uses"))]
    assert [s["with"] for s in downloads] == [{"name": "randfile-zip", "path": "dist"}]
    assert "make build" not in runs(apply)


def test_the_smoke_test_is_a_job_of_its_own_in_the_environment() -> None:
    smoke = deploy_jobs()["smoke"]
    # The apply role trusts only the environment's jobs; a re-run needs no new plan.
    assert smoke["environment"]["name"] == "${{ inputs.environment }}"
    assert "inputs.workload-apply-role-arn" in str(smoke["steps"])
    assert runs(smoke) == ['make smoke ENV="$ENVIRONMENT"']
    assert "needs.plan" not in str(smoke)


def test_the_unlock_workflow_runs_in_the_gated_environment_with_the_apply_role() -> None:
    unlock = load(REPO / ".github" / "workflows" / "unlock.yml")
    assert set(triggers(unlock)) == {"workflow_dispatch"}
    inputs = triggers(unlock)["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["options"] == ["dev", "prod"]
    [job] = unlock["jobs"].values()
    assert job["environment"] == "${{ inputs.environment }}"
    assert runs(job) == [
        'make environment-gate ENV="$ENVIRONMENT" REQUIRE_REVIEWERS="$REQUIRE_REVIEWERS"',
        'make unlock ENV="$ENVIRONMENT"',
    ]
    # The typed lock id reaches make through the environment, never the command line.
    assert job["env"]["LOCK_ID"] == "${{ inputs.lock-id }}"
    assert "WORKLOAD_APPLY_ROLE_ARN_PROD" in str(job["steps"])
    assert "PLAN_ROLE" not in str(job["steps"])


def test_pull_requests_use_their_own_role_and_never_store_a_plan() -> None:
    plan = load(REPO / ".github" / "workflows" / "ci.yml")["jobs"]["plan"]
    roles = {entry["workload-role-arn"] for entry in plan["strategy"]["matrix"]["include"]}
    assert roles == {
        "${{ vars.WORKLOAD_PR_ROLE_ARN_DEV }}",
        "${{ vars.WORKLOAD_PR_ROLE_ARN_PROD }}",
    }
    assert not any(target in str(plan["steps"]) for target in ("plan-store", "apply", "unlock"))


def test_no_plan_file_is_ever_uploaded_as_an_artifact() -> None:
    uploads = [
        step["with"]["path"]
        for _, step in all_steps()
        if "upload-artifact" in str(step.get("uses", ""))
    ]
    assert uploads
    # build/release: the release's files and notes, built from the tag and nothing else.
    allowed = re.compile(
        r"dist/randfile\.zip|build/plans/\$\{\{ matrix\.environment \}\}(\.drift)?\.md"
        r"|build/release"
    )
    for path in uploads:
        assert allowed.fullmatch(path), f"uploads {path}: a saved plan holds the state's secrets"


def test_plans_and_drift_checks_never_take_the_lock() -> None:
    for path in WORKFLOWS:
        for job_id, job in load(path)["jobs"].items():
            for step in job.get("steps", []):
                command = str(step.get("run", ""))
                if command.startswith(("make plan ", "make drift ")):
                    assert step["env"]["TF_CLI_ARGS_plan"] == "-lock=false", f"{path.name}:{job_id}"


def _gated(jobs: dict[str, Any], job_id: str, gate: str) -> bool:
    """Whether the job, or a job it needs, only runs once the gate variable is set."""
    job = jobs[job_id]
    needs = job.get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    return gate in str(job.get("if", "")) or any(_gated(jobs, need, gate) for need in needs)


def test_nothing_reaches_aws_or_an_environment_before_setup_is_declared_done() -> None:
    gate = "vars.DELIVERY_ENABLED == 'true'"
    pypi_gate = "vars.PYPI_PUBLISH_ENABLED == 'true'"
    for path in WORKFLOWS:
        if path.name == "deploy-environment.yml":
            continue  # called only by deploy.yml's gated jobs
        jobs = load(path)["jobs"]
        for job_id, job in jobs.items():
            audiences = oidc_audiences(job)
            if "pypi" in audiences:
                # PyPI has its own setup (the trusted publisher), declared done by its variable.
                assert _gated(jobs, job_id, pypi_gate), f"{path.name}:{job_id} runs before setup"
                continue
            if audiences == {"sigstore"}:
                # Signing an attestation needs no setup: GitHub's Sigstore, no environment.
                assert "environment" not in job, f"{path.name}:{job_id}"
                continue
            touches = "environment" in job or "id-token" in job.get("permissions", {})
            if touches or "pr-comment" in str(job.get("steps", "")):
                assert _gated(jobs, job_id, gate), f"{path.name}:{job_id} runs before setup"
    deploy = load(REPO / ".github" / "workflows" / "deploy.yml")["jobs"]
    assert gate in deploy["build"]["if"]
    assert not _gated(load(REPO / ".github" / "workflows" / "ci.yml")["jobs"], "test", gate)


def test_pull_request_comments_are_marked_stale_before_being_replaced() -> None:
    jobs = load(REPO / ".github" / "workflows" / "ci.yml")["jobs"]
    assert "needs" not in jobs["stale"]
    assert runs(jobs["stale"]) == ["make pr-comment-stale"]
    assert jobs["comment"]["needs"] == ["stale", "plan"]
    assert jobs["plan"]["env"]["PLAN_COMMIT"] == "${{ github.event.pull_request.head.sha }}"
    for job_id in ("stale", "comment"):
        assert "github.event.pull_request.head.repo.full_name == github.repository" in str(
            jobs[job_id]["if"]
        )


def test_drift_runs_on_a_schedule_and_by_hand_and_reaches_an_issue() -> None:
    drift = load(REPO / ".github" / "workflows" / "drift.yml")
    assert set(triggers(drift)) == {"schedule", "workflow_dispatch"}
    jobs = drift["jobs"]
    assert runs(jobs["drift"]) == ['make drift ENV="$ENVIRONMENT"']
    assert jobs["drift"]["permissions"] == {"contents": "read", "id-token": "write"}
    issue = jobs["issue"]
    assert issue["needs"] == "drift"
    assert "!cancelled()" in issue["if"]
    assert issue["permissions"] == {"actions": "read", "contents": "read", "issues": "write"}
    assert runs(issue) == ['make drift-issue ENV="$ENVIRONMENT"']
    for path in WORKFLOWS:
        for job_id, job in load(path)["jobs"].items():
            if job.get("permissions", {}).get("issues") == "write":
                assert (path.name, job_id) == ("drift.yml", "issue")


@pytest.mark.skipif(
    not (VENV_BIN / "actionlint").exists(), reason="actionlint is installed by make venv"
)
def test_actionlint_reports_nothing() -> None:
    environment = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [str(VENV_BIN / "actionlint")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert shutil.which("shellcheck", path=environment["PATH"]), (
        "actionlint needs shellcheck to check run steps"
    )


@pytest.mark.skipif(not (VENV_BIN / "zizmor").exists(), reason="zizmor is installed by make venv")
def test_zizmor_offline_reports_nothing() -> None:
    result = subprocess.run(
        [str(VENV_BIN / "zizmor"), "--offline", "--format", "plain", ".github"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def workflow_variables() -> set[str]:
    text = "\n".join(path.read_text(encoding="utf-8") for path in WORKFLOWS)
    return set(re.findall(r"\bvars\.([A-Z0-9_]+)", text))


def test_every_repository_variable_comes_from_the_bootstrap_or_the_docs() -> None:
    outputs = (REPO / "infra" / "bootstrap" / "outputs.tf").read_text(encoding="utf-8")
    per_environment = set(re.findall(r'"([A-Z_]+)_\$\{upper\(env\)\}"', outputs))
    assert "WORKLOAD_APPLY_ROLE_ARN" in per_environment
    docs = "\n".join(
        (REPO / "docs" / name).read_text(encoding="utf-8")
        for name in ("deploying.md", "releasing.md")
    )
    used = workflow_variables()
    assert "AWS_REGION" in used
    # Set by hand, last, once environments, reviewers (or PyPI's trusted publisher) and every
    # other variable exist.
    manual = {"DELIVERY_ENABLED", "PYPI_PUBLISH_ENABLED"}
    assert manual <= used
    for name in used:
        base = re.sub(r"_(DEV|PROD)$", "", name)
        assert f"`{base}_DEV`" in docs or f"`{name}`" in docs, f"docs/ omits {name}"
        if name in manual:
            continue
        if base == name:
            assert f"{name} = var." in outputs, f"the bootstrap does not output {name}"
        elif base != "DOMAIN_NAME":
            assert base in per_environment, f"the bootstrap does not output {base}_<ENV>"


def test_terraform_variables_set_by_workflows_exist_in_the_stack() -> None:
    stack = (REPO / "infra" / "stack" / "variables.tf").read_text(encoding="utf-8")
    text = "\n".join(path.read_text(encoding="utf-8") for path in WORKFLOWS)
    names = set(re.findall(r"\bTF_VAR_([a-z0-9_]+):", text))
    assert names == {"data_role_arn"}
    for name in names:
        assert f'variable "{name}"' in stack
    for tfvars in (REPO / "infra" / "stack" / "envs").glob("*.tfvars"):
        # A -var-file value would silently win over the TF_VAR_ the workflow passes.
        assert not re.search(rf"^\s*{'|'.join(names)}\s*=", tfvars.read_text(), re.MULTILINE), (
            tfvars
        )
