"""A rehearsal of the deploy pipeline on its own local cloud: order, plan, apply and smoke jobs.

Each job is a separate checkout and Terraform working directory (tests/e2e/pipeline.py); the zip
built once and the stored plan's key, S3 version and sha256 are all that pass between them, as in
.github/workflows/deploy-environment.yml. GitHub's REST API is a stand-in (main's head and history,
the environment's protection rules) that every merge of the rehearsal moves forward. The tests run
in order on one deployment: the saved plan applies; a different zip or a tampered plan is refused;
a killed apply's own lock is released by it, another's is reported and released by the unlock
workflow's steps; a run whose commit is no longer main's head stops as superseded and main's head
stays deployed; re-running a deploy plans again, and the earlier attempt's plan is refused as
stale; a cancelled plan leaves no lock; the smoke test, a job of its own, gives up on a dead
endpoint, saying what each try got.
"""

from __future__ import annotations

import hashlib
import json
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
from tests.http_stand_in import serve

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("rehearsal")]

LOG_GROUP = f"/aws/lambda/randfile-{ENVIRONMENT}"
LOCK_KEY = f"{STATE_KEY}.tflock"
KILL_TIMEOUT_SECONDS = 120
REPOSITORY = "acme/randfile"
TOKEN = "rehearsal-token"
# The environment as "Get an environment" describes one whose gate exists.
GATED_ENVIRONMENT = {
    "name": ENVIRONMENT,
    "can_admins_bypass": False,
    "deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False},
    "protection_rules": [
        {"type": "required_reviewers", "reviewers": [{"type": "User", "reviewer": {"id": 1}}]}
    ],
}


class StandInGitHub:
    """What the deploy jobs read from GitHub: main's history (head last) and the environment."""

    def __init__(self) -> None:
        self.history: list[str] = []

    def merge(self) -> str:
        """A new commit lands on main and becomes its head."""
        # Distinct in their first 12 digits, as the messages abbreviate them.
        digest = hashlib.sha1(b"%d" % len(self.history), usedforsecurity=False)
        self.history.append(digest.hexdigest())
        return self.history[-1]

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        del body  # only GET requests
        base = f"/repos/{REPOSITORY}"
        if method != "GET" or headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {"message": "Bad credentials"}
        if path == f"{base}/branches/main":
            return 200, {"name": "main", "commit": {"sha": self.history[-1]}}
        commit = path.removeprefix(f"{base}/compare/main...")
        if commit in self.history:
            return 200, {"status": "identical" if commit == self.history[-1] else "behind"}
        if path == f"{base}/environments/{ENVIRONMENT}":
            return 200, GATED_ENVIRONMENT
        return 404, {"message": "Not Found"}


@dataclass
class Pipeline:
    runner: Runner
    artifact: Path
    github: StandInGitHub
    runs: int = 0

    def plan_job(
        self, *, commit: str | None = None, rerun: int | None = None, **overrides: Any
    ) -> tuple[Checkout, dict[str, str]]:
        """deploy-environment.yml's order and plan jobs for a new merge, or for attempt 2 of run
        ``rerun`` ("Re-run all jobs"); returns the plan job's checkout and step outputs."""
        if rerun is None:
            self.runs += 1
        run, attempt = (self.runs, 1) if rerun is None else (rerun, 2)
        commit = commit or self.github.merge()
        job = self.runner.checkout(f"run{run}-{attempt}-plan", overrides)
        for target, variables in (
            ("release-order", {"DEPLOY_COMMIT": commit}),
            ("plan", {}),
            ("zip-matches-artifact", {"ZIP_ARTIFACT": str(self.artifact)}),
            ("plan-summary", {"PLAN_COMMIT": "0123456789abcdef0123"}),
            ("plan-store", {"PLAN_RUN": f"{run}-{attempt}"}),
        ):
            result = job.make(target, {"TF_CLI_ARGS_plan": "-lock=false"}, **variables)
            assert result.returncode == 0, f"make {target}\n{result.stdout[-3000:]}{result.stderr}"
        return job, {**job.outputs(), "commit": commit}

    def apply_checkout(self, name: str) -> Checkout:
        """The apply job's checkout, with the artifact downloaded into dist/."""
        job = self.runner.checkout(name)
        (job.path / "dist").mkdir()
        shutil.copy2(self.artifact, job.path / "dist" / "randfile.zip")
        return job

    def apply_job(
        self, name: str, outputs: dict[str, str], job: Checkout | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The apply job's gate, order, fetch, apply and discard steps; the first failing step's
        result."""
        job = job or self.apply_checkout(name)
        steps: tuple[tuple[str, dict[str, str]], ...] = (
            ("environment-gate", {"REQUIRE_REVIEWERS": "true"}),
            ("release-order", {"DEPLOY_COMMIT": outputs["commit"]}),
            ("plan-fetch", plan_variables(outputs)),
            ("apply", {}),
            ("plan-discard", plan_variables(outputs)),
        )
        result = subprocess.CompletedProcess[str]([], 0, "", "")
        for target, variables in steps:
            result = job.make(target, {"TF_CLI_ARGS_apply": "-lock-timeout=0s"}, **variables)
            if result.returncode != 0:
                return result
        return result


def plan_variables(outputs: dict[str, str]) -> dict[str, str]:
    """The plan job's outputs as the apply job's environment names them."""
    return {
        "PLAN_KEY": outputs["plan-key"],
        "PLAN_VERSION": outputs["plan-version"],
        "PLAN_SHA256": outputs["plan-sha256"],
    }


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
        github = StandInGitHub()
        with serve(github) as (api_url, _):
            variables = {
                "GITHUB_API_URL": api_url,
                "GITHUB_REPOSITORY": REPOSITORY,
                "GITHUB_TOKEN": TOKEN,
                "GITHUB_EVENT_NAME": "push",
            }
            runner = Runner(running.endpoint_url, workload, root, variables)
            yield Pipeline(runner, artifact, github)
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


def test_a_cancelled_apply_releases_its_own_lock_and_the_unlock_workflow_any_other(
    pipeline: Pipeline, older_plan: dict[str, str]
) -> None:
    job = pipeline.apply_checkout("killed-apply")
    assert job.make("plan-fetch", None, **plan_variables(older_plan)).returncode == 0
    process = job.start("apply")
    _wait_for(lambda: _stored(pipeline, LOCK_KEY), "state lock", process)
    kill(process)
    assert _stored(pipeline, LOCK_KEY)
    s3 = pipeline.runner.workload.s3()
    record = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=LOCK_KEY)["Body"].read())

    # The apply job's `if: cancelled()` step: this machine's lock is its own, and released.
    released = job.make("lock-release-own")
    assert released.returncode == 0, released.stdout[-2000:] + released.stderr
    assert not _stored(pipeline, LOCK_KEY)
    assert job.make("lock-report").returncode == 0

    # A lock whose holder was another runner (a runner lost mid-apply) is not this job's ...
    lost = {**record, "Who": "runner@fv-az999-lost"}
    s3.put_object(Bucket=STATE_BUCKET, Key=LOCK_KEY, Body=json.dumps(lost).encode())
    untouched = job.make("lock-release-own")
    assert untouched.returncode == 0, untouched.stdout + untouched.stderr
    assert "no lock of this machine on the state of demo" in untouched.stdout
    assert _stored(pipeline, LOCK_KEY)
    report = job.make("lock-report")
    assert report.returncode != 0
    [line] = [line for line in report.stdout.splitlines() if line.startswith("::warning")]
    assert "::warning title=State of demo is locked::Lock " in line
    assert "OperationTypeApply by runner@fv-az999-lost" in line
    assert f"release it with the unlock workflow (environment demo, lock id {record['ID']})" in line
    assert line.endswith(f"make unlock ENV=demo LOCK_ID={record['ID']}")

    # ... and the unlock workflow's steps, in a job of its own, release it: the environment's
    # gate, then `make unlock` with the typed lock id in the environment.
    unlock_job = pipeline.runner.checkout("unlock")
    gate = unlock_job.make("environment-gate", REQUIRE_REVIEWERS="true")
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert unlock_job.make("unlock", {"LOCK_ID": "not-a-lock; true"}).returncode != 0
    assert _stored(pipeline, LOCK_KEY)
    unlocked = unlock_job.make("unlock", {"LOCK_ID": record["ID"]})
    assert unlocked.returncode == 0, unlocked.stdout[-2000:] + unlocked.stderr
    assert not _stored(pipeline, LOCK_KEY)


def test_a_superseded_run_stops_and_main_s_head_stays_deployed(
    pipeline: Pipeline, older_plan: dict[str, str]
) -> None:
    # A second merge lands while the first run's apply waits: its run plans and applies. Whatever
    # the killed apply got done, the newer plan sees it.
    _, newer = pipeline.plan_job(log_retention_days=30)
    landed = pipeline.apply_job("newer-apply", newer)
    assert landed.returncode == 0, landed.stdout[-3000:] + landed.stderr
    assert _retention(pipeline) == 30

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
    assert _retention(pipeline) == 30
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


def test_a_re_run_plans_again_and_the_earlier_attempt_s_plan_is_refused_as_stale(
    pipeline: Pipeline,
) -> None:
    first, first_outputs = pipeline.plan_job(log_retention_days=60)
    run = pipeline.runs
    # "Re-run all jobs": the build job uploads the (reproducible) zip again over the artifact,
    # and each job runs again as attempt 2 of the same run, storing its own plan.
    shutil.copy2(DEFAULT_ZIP, pipeline.artifact)
    _, second = pipeline.plan_job(commit=first_outputs["commit"], rerun=run, log_retention_days=60)
    assert second["plan-key"] == f"{STATE_KEY}.plans/{run}-2.tfplan"
    assert first_outputs["plan-key"] == f"{STATE_KEY}.plans/{run}-1.tfplan"
    # A stored plan is never replaced: attempt 1's plan cannot be stored over.
    again = first.make("plan-store", PLAN_RUN=f"{run}-1")
    assert again.returncode != 0
    assert "already exists" in again.stdout + again.stderr

    landed = pipeline.apply_job("rerun-apply", second)
    assert landed.returncode == 0, landed.stdout[-3000:] + landed.stderr
    assert _retention(pipeline) == 60

    # Attempt 1's apply, approved after attempt 2 applied: stale, nothing changes.
    result = pipeline.apply_job("first-attempt-apply", first_outputs)
    assert result.returncode != 0
    assert "Saved plan is stale" in result.stdout
    assert "::error title=Saved plan is stale (demo)::" in result.stdout
    assert "Re-run the whole workflow run" in result.stdout
    assert _retention(pipeline) == 60


def test_a_cancelled_plan_leaves_no_lock(pipeline: Pipeline) -> None:
    job = pipeline.runner.checkout("cancelled-plan", {"log_retention_days": 90})
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
    # The smoke job: a checkout of its own (not the apply job's working directory), so it can be
    # re-run alone; it reads the stack's outputs from the state, whose domain has no DNS record
    # outside the emulator.
    job = pipeline.runner.checkout("smoke-job")
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
