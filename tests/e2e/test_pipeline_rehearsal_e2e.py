"""A rehearsal of the deploy pipeline on its own local cloud: plan job, then apply-saved-plan job.

Each job is a separate checkout and Terraform working directory (tests/e2e/pipeline.py); the zip
built once and the stored plan's key and sha256 are all that pass between them, as in
.github/workflows/deploy-environment.yml. The tests run in order on one deployment: the saved
plan applies; a different zip or a tampered plan is refused; a plan made before another change
landed is refused as stale; a cancelled plan leaves no lock, while a killed apply's lock is
reported with the command that releases it; the smoke test gives up on a dead endpoint, saying
what each try got.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import emulator
from localcloud.aws import Identities, role_arn
from randfile_localcloud import accounts
from randfile_localcloud.cloud import start_emulator
from randfile_localcloud.settings import (
    DEFAULT_ZIP,
    DEPLOY_ROLE,
    ENVIRONMENT,
    REGION,
    STATE_BUCKET,
    STATE_KEY,
    WORKLOAD_ACCOUNT_ID,
)
from tests.e2e.pipeline import Checkout, Runner, kill

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("rehearsal")]

LOG_GROUP = f"/aws/lambda/randfile-{ENVIRONMENT}"
LOCK_KEY = f"{STATE_KEY}.tflock"
KILL_TIMEOUT_SECONDS = 120


@dataclass
class Pipeline:
    runner: Runner
    artifact: Path
    runs: int = 0

    def plan_job(self, **overrides: Any) -> tuple[Checkout, dict[str, str]]:
        """deploy-environment.yml's plan job; returns its checkout and its step outputs."""
        self.runs += 1
        job = self.runner.checkout(f"run{self.runs}-plan", overrides)
        for target, variables in (
            ("plan", {}),
            ("zip-matches-artifact", {"ZIP_ARTIFACT": str(self.artifact)}),
            ("plan-summary", {"PLAN_COMMIT": "0123456789abcdef0123"}),
            ("plan-store", {"PLAN_RUN": f"{self.runs}-1"}),
        ):
            result = job.make(target, {"TF_CLI_ARGS_plan": "-lock=false"}, **variables)
            assert result.returncode == 0, f"make {target}\n{result.stdout[-3000:]}{result.stderr}"
        return job, job.outputs()

    def apply_checkout(self, name: str) -> Checkout:
        """The apply job's checkout, with the artifact downloaded into dist/."""
        job = self.runner.checkout(name)
        (job.path / "dist").mkdir()
        shutil.copy2(self.artifact, job.path / "dist" / "randfile.zip")
        return job

    def apply_job(
        self, name: str, outputs: dict[str, str], job: Checkout | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The apply job's fetch, apply and discard steps; the first failing step's result."""
        job = job or self.apply_checkout(name)
        plan = {"PLAN_KEY": outputs["plan-key"], "PLAN_SHA256": outputs["plan-sha256"]}
        result = subprocess.CompletedProcess[str]([], 0, "", "")
        for target in ("plan-fetch", "apply", "plan-discard"):
            result = job.make(target, {"TF_CLI_ARGS_apply": "-lock-timeout=0s"}, **plan)
            if result.returncode != 0:
                return result
        return result


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    if not DEFAULT_ZIP.is_file():
        pytest.fail(f"{DEFAULT_ZIP} is missing: run `make build` first (make test-e2e does)")
    root = tmp_path_factory.mktemp("rehearsal")
    running = start_emulator(root / "cloud")
    try:
        identities = Identities(running.endpoint_url, REGION)
        accounts.bootstrap(identities)
        workload = identities.assume(role_arn(WORKLOAD_ACCOUNT_ID, DEPLOY_ROLE), "rehearsal")
        # The build job's artifact: the zip `make build` made once.
        artifact = root / "artifact" / "randfile.zip"
        artifact.parent.mkdir()
        shutil.copy2(DEFAULT_ZIP, artifact)
        yield Pipeline(Runner(running.endpoint_url, workload, root), artifact)
    finally:
        emulator.stop(root / "cloud")


def _retention(pipeline: Pipeline) -> int | None:
    groups = pipeline.runner.workload.logs().describe_log_groups(logGroupNamePrefix=LOG_GROUP)
    # The prefix also matches the worker's group (<function>-worker).
    [group] = [g for g in groups["logGroups"] if g["logGroupName"] == LOG_GROUP]
    return group.get("retentionInDays")


def _stored(pipeline: Pipeline, key: str) -> bool:
    try:
        pipeline.runner.workload.s3().head_object(Bucket=STATE_BUCKET, Key=key)
    except ClientError:
        return False
    return True


def _wait_for(condition: Any, what: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + KILL_TIMEOUT_SECONDS
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the step ended before {what}: {process.communicate()[0][-3000:]}")
        if time.monotonic() > deadline:
            kill(process)
            pytest.fail(f"no {what} within {KILL_TIMEOUT_SECONDS}s")
        time.sleep(0.2)


def test_the_saved_plan_applies_in_another_checkout(pipeline: Pipeline) -> None:
    started = time.monotonic()
    plan_job, outputs = pipeline.plan_job(log_retention_days=7)
    assert outputs["plan-key"] == f"{STATE_KEY}.plans/1-1.tfplan"
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
    assert _retention(pipeline) == 7
    # Applied, the plan (it holds the state's secrets) is gone from the bucket.
    assert not _stored(pipeline, outputs["plan-key"])
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
    assert _retention(pipeline) == 7


def test_a_plan_other_than_the_stored_one_is_refused(
    pipeline: Pipeline, older_plan: dict[str, str]
) -> None:
    result = pipeline.apply_job("tampered-apply", {**older_plan, "plan-sha256": "0" * 64})
    assert result.returncode != 0
    assert "Not the reviewed plan" in result.stdout + result.stderr
    assert _retention(pipeline) == 7


def test_a_killed_apply_leaves_a_lock_reported_with_its_release_command(
    pipeline: Pipeline, older_plan: dict[str, str]
) -> None:
    job = pipeline.apply_checkout("killed-apply")
    plan = {"PLAN_KEY": older_plan["plan-key"], "PLAN_SHA256": older_plan["plan-sha256"]}
    assert job.make("plan-fetch", None, **plan).returncode == 0
    process = job.start("apply")
    _wait_for(lambda: _stored(pipeline, LOCK_KEY), "state lock", process)
    kill(process)
    assert _stored(pipeline, LOCK_KEY)

    report = job.make("lock-report")

    assert report.returncode != 0
    [line] = [line for line in report.stdout.splitlines() if line.startswith("::warning")]
    assert "::warning title=State of demo is locked::Lock " in line
    assert "OperationTypeApply" in line
    release = re.search(r"make unlock ENV=demo LOCK_ID=(\S+)$", line)
    assert release, line
    unlocked = job.make("unlock", LOCK_ID=release.group(1))
    assert unlocked.returncode == 0, unlocked.stdout[-2000:] + unlocked.stderr
    assert not _stored(pipeline, LOCK_KEY)
    assert job.make("lock-report").returncode == 0


def test_a_plan_made_before_another_change_landed_is_refused_as_stale(
    pipeline: Pipeline, older_plan: dict[str, str]
) -> None:
    # Whatever the killed apply got done, the newer plan sees it and the newer apply lands.
    _, newer = pipeline.plan_job(log_retention_days=30)
    landed = pipeline.apply_job("newer-apply", newer)
    assert landed.returncode == 0, landed.stdout[-3000:] + landed.stderr
    assert _retention(pipeline) == 30

    result = pipeline.apply_job("older-apply", older_plan)

    assert result.returncode != 0
    assert "Saved plan is stale" in result.stdout
    assert "::error title=Saved plan is stale (demo)::" in result.stdout
    assert "Re-run the whole workflow run" in result.stdout
    assert _retention(pipeline) == 30


def test_a_cancelled_plan_leaves_no_lock(pipeline: Pipeline) -> None:
    job = pipeline.runner.checkout("cancelled-plan", {"log_retention_days": 60})
    # Killed once Terraform runs its providers, i.e. after it read the state (and, had it taken
    # one, after it took the lock): TF_LOG_PATH shows how far it got.
    log = job.path / "terraform.log"
    env = {"TF_CLI_ARGS_plan": "-lock=false", "TF_LOG": "DEBUG", "TF_LOG_PATH": str(log)}
    process = job.start("plan", env)
    _wait_for(
        lambda: log.is_file() and "starting plugin" in log.read_text(errors="ignore"),
        "provider start",
        process,
    )
    kill(process)

    assert not _stored(pipeline, LOCK_KEY)
    report = job.make("lock-report")
    assert report.returncode == 0, report.stdout + report.stderr
    assert "the state of demo is not locked" in report.stdout


def test_the_smoke_test_gives_up_on_a_dead_endpoint_saying_what_each_try_got(
    pipeline: Pipeline,
) -> None:
    # The apply job's checkout that deployed last: the smoke step reads its stack's outputs, whose
    # domain has no DNS record outside the emulator.
    job = Checkout(pipeline.runner.root / "newer-apply", pipeline.runner)
    started = time.monotonic()
    smoke = job.make("smoke", SMOKE_MAX_SECONDS="5")
    elapsed = time.monotonic() - started

    assert smoke.returncode != 0, smoke.stdout + smoke.stderr
    [error] = [line for line in smoke.stdout.splitlines() if line.startswith("::error")]
    assert error.startswith(
        "::error title=Smoke test failed::POST https://api.randfile.test/files: no HTTP answer. "
        "Gave up after "
    )
    tries = re.findall(r"try (\d+) at [\d.]+s: DNS error", error)
    assert len(tries) >= 2, error
    assert tries == [str(n) for n in range(1, len(tries) + 1)]
    assert elapsed < 60, "the retries are bounded in time"
