"""The deploy pipeline rehearsed when a run is re-run or cancelled, on a local cloud of its own.

The jobs, checkouts and stand-in GitHub are those of test_pipeline_rehearsal_e2e.py
(tests/e2e/pipeline.py); this module runs beside it in a group of its own, with its own
deployment, which its first test makes: re-running a deploy run plans again, and the earlier
attempt's plan is refused as stale. On that deployment, a killed apply's own lock is released by
it, another's is reported and released by the unlock workflow's steps; a cancelled plan leaves no
lock; the smoke test, a job of its own, gives up on a dead endpoint, saying what each try got.
"""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest

from randfile_localcloud.settings import DEFAULT_ZIP, STATE_BUCKET, STATE_KEY
from tests.e2e.pipeline import Pipeline, kill, plan_variables, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("rehearsal_reruns")]

LOCK_KEY = f"{STATE_KEY}.tflock"


def test_a_re_run_plans_again_and_the_earlier_attempt_s_plan_is_refused_as_stale(
    pipeline: Pipeline,
) -> None:
    # The environment's first deploy: attempt 1 plans from no state at all, and attempt 2's apply
    # creates the stack that the tests after this one use.
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
    assert pipeline.retention() == 60

    # Attempt 1's apply, approved after attempt 2 applied: stale, nothing changes.
    result = pipeline.apply_job("first-attempt-apply", first_outputs)
    assert result.returncode != 0
    assert "Saved plan is stale" in result.stdout
    assert "::error title=Saved plan is stale (demo)::" in result.stdout
    assert "Re-run the whole workflow run" in result.stdout
    assert pipeline.retention() == 60


def test_a_cancelled_apply_releases_its_own_lock_and_the_unlock_workflow_any_other(
    pipeline: Pipeline,
) -> None:
    # A change of the deployed stack, planned and stored; its apply is what the run's cancellation
    # kills.
    _, planned = pipeline.plan_job(log_retention_days=14)
    job = pipeline.apply_checkout("killed-apply")
    assert job.make("plan-fetch", None, **plan_variables(planned)).returncode == 0
    process = job.start("apply")
    wait_for(lambda: pipeline.stored(LOCK_KEY), "state lock", process)
    kill(process)
    assert pipeline.stored(LOCK_KEY)
    s3 = pipeline.runner.workload.s3()
    record = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=LOCK_KEY)["Body"].read())

    # The apply job's `if: cancelled()` step: this machine's lock is its own, and released.
    released = job.make("lock-release-own")
    assert released.returncode == 0, released.stdout[-2000:] + released.stderr
    assert not pipeline.stored(LOCK_KEY)
    assert job.make("lock-report").returncode == 0

    # A lock whose holder was another runner (a runner lost mid-apply) is not this job's ...
    lost = {**record, "Who": "runner@fv-az999-lost"}
    s3.put_object(Bucket=STATE_BUCKET, Key=LOCK_KEY, Body=json.dumps(lost).encode())
    untouched = job.make("lock-release-own")
    assert untouched.returncode == 0, untouched.stdout + untouched.stderr
    assert "no lock of this machine on the state of demo" in untouched.stdout
    assert pipeline.stored(LOCK_KEY)
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
    assert pipeline.stored(LOCK_KEY)
    unlocked = unlock_job.make("unlock", {"LOCK_ID": record["ID"]})
    assert unlocked.returncode == 0, unlocked.stdout[-2000:] + unlocked.stderr
    assert not pipeline.stored(LOCK_KEY)


def test_a_cancelled_plan_leaves_no_lock(pipeline: Pipeline) -> None:
    job = pipeline.runner.checkout("cancelled-plan", {"log_retention_days": 90})
    # Killed once Terraform runs its providers, i.e. after it read the state (and, had it taken
    # one, after it took the lock): TF_LOG_PATH shows how far it got.
    log = job.path / "terraform.log"
    env = {"TF_CLI_ARGS_plan": "-lock=false", "TF_LOG": "DEBUG", "TF_LOG_PATH": str(log)}
    process = job.start("plan", env)
    wait_for(
        lambda: log.is_file() and "starting plugin" in log.read_text(errors="ignore"),
        "provider start",
        process,
    )
    kill(process)

    assert not pipeline.stored(LOCK_KEY)
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
