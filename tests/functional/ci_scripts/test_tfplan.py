"""scripts/ci/tfplan.py: the plan summary, the drift check, the planned zip and the stale-plan
refusal.

The plan fixture is a real `terraform show -json` of a saved plan over `terraform_data`
resources (built into Terraform, no provider or cloud needed).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scripts.ci import tfplan
from tests.functional.ci_scripts.script_runner import REPO, run_script

TERRAFORM = REPO / "scripts" / "terraform"

CONFIG_BEFORE = """
resource "terraform_data" "kept" { input = "same" }
resource "terraform_data" "updated" { input = "v1" }
resource "terraform_data" "replaced" { triggers_replace = "v1" }
resource "terraform_data" "deleted" { input = "soon gone" }
"""
CONFIG_AFTER = """
resource "terraform_data" "kept" { input = "same" }
resource "terraform_data" "updated" { input = "v2" }
resource "terraform_data" "replaced" { triggers_replace = "v2" }
resource "terraform_data" "created" {
  for_each = toset(["a|b"])
  input    = each.key
}
"""


@dataclass(frozen=True)
class Plans:
    changes: Path
    no_changes: Path


def _terraform(workdir: Path, *args: str) -> str:
    result = subprocess.run(
        [str(TERRAFORM), f"-chdir={workdir}", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> Plans:
    workdir = tmp_path_factory.mktemp("tfplan")
    (workdir / "main.tf").write_text(CONFIG_BEFORE)
    _terraform(workdir, "init", "-input=false")
    _terraform(workdir, "apply", "-input=false", "-auto-approve")
    _terraform(workdir, "plan", "-input=false", "-out=same.tfplan")
    (workdir / "same.json").write_text(_terraform(workdir, "show", "-json", "same.tfplan"))
    (workdir / "main.tf").write_text(CONFIG_AFTER)
    _terraform(workdir, "plan", "-input=false", "-out=changes.tfplan")
    (workdir / "changes.json").write_text(_terraform(workdir, "show", "-json", "changes.tfplan"))
    return Plans(changes=workdir / "changes.json", no_changes=workdir / "same.json")


# --- tfplan.py summary -----------------------------------------------------------------------


def test_changes_are_read_from_a_real_plan(plans: Plans) -> None:
    found = tfplan.changes(json.loads(plans.changes.read_text()))
    assert [(change.action, change.address) for change in found] == [
        ("create", 'terraform_data.created["a|b"]'),
        ("update", "terraform_data.updated"),
        ("replace", "terraform_data.replaced"),
        ("delete", "terraform_data.deleted"),
    ]
    assert not any(change.drifted for change in found)


def test_summary_counts_and_lists_every_changed_resource(plans: Plans, tmp_path: Path) -> None:
    output, step_summary = tmp_path / "dev.md", tmp_path / "step-summary.md"
    plan_text = tmp_path / "plan.txt"
    plan_text.write_text(
        '  # terraform_data.updated will be updated in-place\n  ~ input = "v1" -> "v2"\n'
    )
    result = run_script(
        "tfplan.py",
        "summary",
        "--env=dev",
        f"--plan-json={plans.changes}",
        f"--plan-text={plan_text}",
        "--commit=89abcdef0123456789abcdef",
        f"--output={output}",
        GITHUB_SERVER_URL="https://github.com",
        GITHUB_REPOSITORY="acme/randfile",
        GITHUB_RUN_ID="42",
        GITHUB_STEP_SUMMARY=str(step_summary),
    )
    assert result.returncode == 0, result.stderr
    markdown = output.read_text()
    assert markdown.splitlines()[0] == "<!-- randfile-plan:dev -->"
    assert ":warning: **1 to create, 1 to update, 1 to replace, 1 to delete.**" in markdown
    assert '| `+` | create | `terraform_data.created["a\\|b"]` |' in markdown
    assert "| `-/+` | replace | `terraform_data.replaced` |" in markdown
    assert "| `-` | delete | `terraform_data.deleted` |" in markdown
    assert "terraform_data.kept" not in markdown
    assert "Full plan: [workflow run](https://github.com/acme/randfile/actions/runs/42)" in markdown
    assert re.search(
        r"Plan of commit `89abcdef0123`, made \d{4}-\d\d-\d\d \d\d:\d\d UTC\.", markdown
    )
    shown = '  # terraform_data.updated will be updated in-place\n  ~ input = "v1" -> "v2"'
    assert f"```text\n{shown}\n```" in markdown
    assert step_summary.read_text() == markdown


def test_a_long_plan_is_cut_in_the_comment_but_whole_in_the_job_summary(plans: Plans) -> None:
    plan = json.loads(plans.changes.read_text())
    text = "".join(f"  ~ line {n}\n" for n in range(20_000))
    comment = tfplan.render_summary(
        "dev", plan, None, plan_text=text, limit=tfplan.MAX_COMMENT_CHARS
    )
    full = tfplan.render_summary("dev", plan, None, plan_text=text)
    assert len(comment) <= tfplan.MAX_COMMENT_CHARS
    assert ":scissors: Cut after" in comment
    assert text.rstrip("\n") in full
    assert ":scissors:" not in full


def test_a_plan_of_multibyte_values_stays_within_the_limits_in_bytes(plans: Plans) -> None:
    plan = json.loads(plans.changes.read_text())
    text = "".join(f'  ~ name = "Zürich €{n}" -> "東京 {n}"\n' for n in range(40_000))
    for limit in (tfplan.MAX_COMMENT_CHARS, tfplan.MAX_STEP_SUMMARY_CHARS):
        markdown = tfplan.render_summary("dev", plan, None, plan_text=text, limit=limit)
        assert len(markdown.encode()) <= limit
        assert ":scissors: Cut after" in markdown


def test_the_plan_cannot_close_its_code_block() -> None:
    markdown = tfplan.render_summary("dev", {}, None, plan_text="```\n# injected heading\n````\n")
    assert "`````text\n```\n# injected heading\n````\n`````" in markdown


def test_summary_of_an_unchanged_plan(plans: Plans) -> None:
    markdown = tfplan.render_summary("prod", json.loads(plans.no_changes.read_text()), None)
    assert "**No changes.**" in markdown
    assert "|" not in markdown
    assert "Full plan" not in markdown


def test_a_missing_plan_reads_as_failed(tmp_path: Path) -> None:
    result = run_script(
        "tfplan.py",
        "summary",
        "--env=prod",
        f"--plan-json={tmp_path / 'none.json'}",
        f"--plan-text={tmp_path / 'none.txt'}",
    )
    assert result.returncode == 0
    assert result.stdout.startswith("<!-- randfile-plan:prod -->\n")
    assert "**The plan failed**" in result.stdout


# --- tfplan.py drift -------------------------------------------------------------------------


def test_drift_fails_and_names_each_resource(plans: Plans, tmp_path: Path) -> None:
    plan = json.loads(plans.changes.read_text())
    # What Terraform records when a refresh finds an object changed outside it.
    plan["resource_drift"] = [
        {"address": "terraform_data.updated", "change": {"actions": ["update"]}},
    ]
    drifted = tmp_path / "drifted.json"
    drifted.write_text(json.dumps(plan))
    step_summary, output = tmp_path / "summary.md", tmp_path / "prod.drift.md"

    result = run_script(
        "tfplan.py",
        "drift",
        "--env=prod",
        f"--plan-json={drifted}",
        f"--output={output}",
        GITHUB_STEP_SUMMARY=str(step_summary),
    )
    assert result.returncode == tfplan.EXIT_CHANGES
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert errors == [
        '::error title=Drift in prod::terraform_data.created["a|b"] would be created'
        " (configuration not applied)",
        "::error title=Drift in prod::terraform_data.updated would be updated"
        " (changed outside Terraform)",
        "::error title=Drift in prod::terraform_data.replaced would be replaced"
        " (configuration not applied)",
        "::error title=Drift in prod::terraform_data.deleted would be deleted"
        " (configuration not applied)",
    ]
    assert "4 resource(s) differ" in step_summary.read_text()
    assert "| update | `terraform_data.updated` | yes |" in step_summary.read_text()
    assert output.read_text() == f"<!-- randfile-drift:prod drift -->\n{step_summary.read_text()}"


def test_no_drift_passes(plans: Plans, tmp_path: Path) -> None:
    output = tmp_path / "dev.drift.md"
    result = run_script(
        "tfplan.py", "drift", "--env=dev", f"--plan-json={plans.no_changes}", f"--output={output}"
    )
    assert result.returncode == tfplan.EXIT_NO_CHANGES, result.stdout
    assert "::notice title=No drift in dev::" in result.stdout
    assert output.read_text().startswith("<!-- randfile-drift:dev clean -->\n")


def test_drift_without_a_plan_is_an_error_not_a_pass(tmp_path: Path) -> None:
    output = tmp_path / "dev.drift.md"
    result = run_script(
        "tfplan.py",
        "drift",
        "--env=dev",
        f"--plan-json={tmp_path / 'no.json'}",
        f"--output={output}",
    )
    assert result.returncode == 1
    assert "::error title=Drift check failed in dev::" in result.stdout
    assert output.read_text() == "<!-- randfile-drift:dev failed -->\n"


# --- tfplan.py zip, apply-failed -------------------------------------------------------------


def _lambda_plan(tmp_path: Path, content: bytes) -> dict[str, Any]:
    (tmp_path / "dist").mkdir(exist_ok=True)
    (tmp_path / "dist" / "randfile.zip").write_bytes(content)
    digest = base64.b64encode(hashlib.sha256(b"planned").digest()).decode()
    after = {"filename": "../dist/randfile.zip", "source_code_hash": digest}
    return {
        "resource_changes": [
            {
                "address": "module.function.aws_lambda_function.this",
                "type": "aws_lambda_function",
                "change": {"actions": ["update"], "after": after},
            }
        ]
    }


def test_the_apply_refuses_a_zip_other_than_the_planned_one(tmp_path: Path) -> None:
    stack_dir = tmp_path / "stack"
    stack_dir.mkdir()
    assert tfplan.zip_problems(_lambda_plan(tmp_path, b"planned"), stack_dir) == []
    [problem] = tfplan.zip_problems(_lambda_plan(tmp_path, b"rebuilt"), stack_dir)
    assert problem.startswith("module.function.aws_lambda_function.this: ")
    assert "the plan was made with" in problem


def test_a_stale_plan_refusal_says_to_rerun(tmp_path: Path) -> None:
    log = tmp_path / "apply.log"
    log.write_text("\x1b[31m│\x1b[0m \x1b[1mError: \x1b[0mSaved plan is stale\n")
    result = run_script("tfplan.py", "apply-failed", "--env=prod", f"--log={log}")
    assert result.returncode == 1
    assert result.stdout.startswith("::error title=Saved plan is stale (prod)::")
    assert "Re-run the whole workflow run" in result.stdout
