"""A rehearsal of the deploy pipeline on its own local cloud: order, plan and apply jobs.

Each job is a separate checkout and Terraform working directory (tests/e2e/pipeline.py); the zip
built once and the stored plan's key, S3 version and sha256 are all that pass between them, as in
.github/workflows/deploy-environment.yml. The tests run in order on one deployment: the saved plan
applies; a plan made while it is deployed carries the API key but its summary does not; a different
zip or a tampered plan is refused; a run whose commit is no longer main's head stops as superseded
and main's head stays deployed. Re-runs, cancellations, the unlock workflow and the smoke job are
test_pipeline_rehearsal_reruns_e2e.py's, on a local cloud of their own (a group of their own, so
that the two deployments run at once).
"""

from __future__ import annotations

import re
import time

import pytest

from randfile_localcloud.settings import STATE_KEY
from tests.e2e.pipeline import Pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("rehearsal")]


def test_the_saved_plan_applies_in_another_checkout(pipeline: Pipeline) -> None:
    started = time.monotonic()
    plan_job, outputs = pipeline.plan_job(log_retention_days=7)
    assert outputs["plan-key"] == f"{STATE_KEY}.plans/1-1.tfplan"
    assert outputs["plan-version"]
    assert re.fullmatch(r"[0-9a-f]{64}", outputs["plan-sha256"])
    summary = plan_job.step_summary()
    assert "Plan of commit `0123456789ab`" in summary
    assert "to create" in summary
    # The whole plan, attributes included, as `terraform show` renders it.
    assert "# module.function.aws_lambda_function.this will be created" in summary
    assert re.search(r'\+ function_name +?= "randfile-demo"', summary)

    result = pipeline.apply_job("run1-apply", outputs)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert (
        "Apply complete!"
        in (pipeline.runner.root / "run1-apply" / "build/plans/demo.tfplan.apply.log").read_text()
    )
    function = pipeline.runner.workload.lambda_().get_function(FunctionName="randfile-demo")
    assert function["Configuration"]["Handler"] == "randfile.handler.handler"
    assert pipeline.retention() == 7
    # Applied, the plan (it holds the state's secrets) is gone from the bucket.
    assert not pipeline.stored(outputs["plan-key"])
    print(f"plan job + apply job from zero: {time.monotonic() - started:.0f}s")


@pytest.fixture(scope="module")
def older_plan(pipeline: Pipeline) -> dict[str, str]:
    """A plan of one change, made before another change lands."""
    job, outputs = pipeline.plan_job(log_retention_days=14)
    outputs["summary"] = job.step_summary()
    outputs["plan-json"] = (job.path / "build/plans/demo.tfplan.json").read_text()
    return outputs


def test_the_summary_masks_what_the_saved_plan_holds(
    pipeline: Pipeline, older_plan: dict[str, str]
) -> None:
    apigateway = pipeline.runner.workload.apigateway()
    [key] = apigateway.get_api_keys(includeValues=True)["items"]
    # The saved plan carries the API key's value (why it never travels as an artifact) ...
    assert key["value"] in older_plan["plan-json"]
    # ... and the summary reviewers read shows the change but not the secret.
    assert "retention_in_days" in older_plan["summary"]
    assert key["value"] not in older_plan["summary"]


def test_a_zip_other_than_the_planned_one_is_refused_before_anything_changes(
    pipeline: Pipeline, older_plan: dict[str, str]
) -> None:
    job = pipeline.apply_checkout("wrong-zip-apply")
    with (job.path / "dist" / "randfile.zip").open("ab") as package:
        package.write(b"not the artifact")
    result = pipeline.apply_job("wrong-zip-apply", older_plan, job)
    assert result.returncode != 0
    assert "::error title=Not the planned package (demo)::" in result.stdout
    assert pipeline.retention() == 7


def test_a_plan_other_than_the_stored_one_is_refused(
    pipeline: Pipeline, older_plan: dict[str, str]
) -> None:
    result = pipeline.apply_job("tampered-apply", {**older_plan, "plan-sha256": "0" * 64})
    assert result.returncode != 0
    assert "Not the reviewed plan" in result.stdout + result.stderr
    assert pipeline.retention() == 7


def test_a_superseded_run_stops_and_main_s_head_stays_deployed(
    pipeline: Pipeline, older_plan: dict[str, str]
) -> None:
    # A second merge lands while the first run's apply waits for its approval: its run plans and
    # applies.
    _, newer = pipeline.plan_job(log_retention_days=30)
    landed = pipeline.apply_job("newer-apply", newer)
    assert landed.returncode == 0, landed.stdout[-3000:] + landed.stderr
    assert pipeline.retention() == 30

    # The older run's apply, approved late, stops before fetching anything ...
    result = pipeline.apply_job("older-apply", older_plan)
    assert result.returncode != 0
    old, head = older_plan["commit"][:12], newer["commit"][:12]
    [error] = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert error == (
        f"::error title=Superseded (demo)::{old} is no longer main's head ({head} is): the run "
        f"of {head} deploys demo, this run stops without changing it. To roll back on purpose, "
        "dispatch the deploy workflow naming a commit."
    )
    assert not (pipeline.runner.root / "older-apply" / "build/plans/demo.tfplan").exists()
    assert pipeline.retention() == 30
    # ... and its plan job, had it come late, would not plan (the order job refuses first).
    order = pipeline.runner.checkout("older-order").make(
        "release-order", DEPLOY_COMMIT=older_plan["commit"]
    )
    assert order.returncode != 0
    assert "::error title=Superseded (demo)::" in order.stdout
    # A dispatch naming that commit of main's history is a deliberate rollback: allowed.
    rollback = pipeline.runner.checkout("rollback-order").make(
        "release-order",
        {"GITHUB_EVENT_NAME": "workflow_dispatch"},
        DEPLOY_COMMIT=old.ljust(40, "0"),
    )
    assert rollback.returncode != 0, "only a commit of main's history"
    rollback = pipeline.runner.checkout("rollback-order-2").make(
        "release-order",
        {"GITHUB_EVENT_NAME": "workflow_dispatch"},
        DEPLOY_COMMIT=older_plan["commit"],
    )
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    assert f"::notice title=Deploying {old} to demo by hand::" in rollback.stdout
