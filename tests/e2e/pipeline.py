"""The deploy pipeline's jobs, run on the local cloud the way GitHub Actions runs them.

Each job gets its own checkout (a copy of the repository's files in its own directory, with its
own Terraform working directory under build/) and calls the same make targets as the workflow
step it stands for; only what the job hands on travels between jobs: the zip artifact, and the
saved plan's key and sha256 (step outputs, read from GITHUB_OUTPUT). The generated files are the
ones `localcloud` writes for the demo (provider endpoints, S3 backend on the emulator, variables),
under the names the Makefile reads for ENV=demo.

``Pipeline`` is a workflow's runs of those jobs, as in .github/workflows/deploy-environment.yml,
on a local cloud of its own (``rehearsal``: the bootstrap's prerequisites, nothing deployed) and
against a stand-in for GitHub's REST API (main's head and history, the environment's protection
rules) that every merge of the rehearsal moves forward. Each rehearsal module starts one, so that
the modules run beside each other on their own workers (tests/e2e/conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import emulator, stack
from localcloud.aws import Identities, Identity
from localcloud.aws import role_arn as _role_arn
from randfile_localcloud import accounts
from randfile_localcloud.cloud import start_emulator
from randfile_localcloud.settings import (
    DATA_ACCOUNT_ID,
    DEFAULT_ZIP,
    DEPLOY_ROLE,
    ENVIRONMENT,
    REGION,
    STACK,
    STATE_BUCKET,
    WORKLOAD_ACCOUNT_ID,
    stack_variables,
)
from tests.http_stand_in import serve

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv"
FUNCTION_DEPS = REPO / "build" / "function-deps"
# What a checkout of the repository needs to plan and apply.
CHECKOUT = ("Makefile", "pyproject.toml", ".terraform-version", "src", "scripts", "infra")
LEAKING = ("AWS_", "TF_VAR_", "TF_DATA_DIR", "TF_CLI_ARGS", "TF_WORKSPACE", "GITHUB_")
LOG_GROUP = f"/aws/lambda/randfile-{ENVIRONMENT}"
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


def _ignore(directory: str, names: list[str]) -> set[str]:
    del directory
    skipped = (".tfstate", ".tfstate.backup", "_override.tf", ".pyc")
    return {n for n in names if n in {".terraform", "__pycache__"} or n.endswith(skipped)}


@dataclass(frozen=True)
class Runner:
    """What every job of a run gets: the emulator, the workload deploy role, the provider mirror,
    and GitHub's job variables (GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN, ...)."""

    endpoint_url: str
    workload: Identity
    root: Path
    github: Mapping[str, str] = field(default_factory=dict)

    def checkout(self, name: str, overrides: Mapping[str, Any] | None = None) -> Checkout:
        """A fresh copy of the repository, configured for ENV=demo on the emulator."""
        path = self.root / name
        for entry in CHECKOUT:
            source = REPO / entry
            if source.is_dir():
                shutil.copytree(source, path / entry, ignore=_ignore)
            else:
                path.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, path / entry)
        stack_dir = path / "infra" / "stack"
        (stack_dir / stack.OVERRIDE_FILE).write_text(STACK.override_file(self.endpoint_url))
        envs = stack_dir / "envs"
        (envs / f"{ENVIRONMENT}.s3.tfbackend").write_text(STACK.backend_config(self.endpoint_url))
        values = stack_variables(Path("unused.zip"), overrides)
        # As in CI: the zip is the checkout's dist/randfile.zip (the stack's default path), and
        # the role ARNs are ephemeral variables passed in the environment, never in a var file.
        for name_ in ("function_zip_path", "workload_role_arn", "data_role_arn"):
            values.pop(name_)
        (envs / f"{ENVIRONMENT}.tfvars").write_text(
            "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())
        )
        return Checkout(path, self)

    def environment(self) -> dict[str, str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(LEAKING)}
        mirror = REPO / "build" / "provider-mirror"
        if mirror.is_file() and mirror.read_text().strip():
            environment["TF_PROVIDER_MIRROR"] = mirror.read_text().strip()
        environment.update(self.workload.credentials.as_environment())
        environment.update(
            AWS_DEFAULT_REGION="eu-west-1",
            AWS_ENDPOINT_URL=self.endpoint_url,
            AWS_EC2_METADATA_DISABLED="true",
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            TF_VAR_workload_role_arn=_role_arn(WORKLOAD_ACCOUNT_ID, DEPLOY_ROLE),
            TF_VAR_data_role_arn=_role_arn(DATA_ACCOUNT_ID, DEPLOY_ROLE),
        )
        environment.update(self.github)
        return environment


@dataclass(frozen=True)
class Checkout:
    """One job's working directory."""

    path: Path
    runner: Runner

    def _command(self, target: str, variables: Mapping[str, str]) -> list[str]:
        # The shared virtualenv stands for the one each job's setup step creates.
        return [
            "make",
            f"--directory={self.path}",
            f"--old-file={VENV}/.installed",
            f"--old-file={VENV}/.installed-demo",
            f"VENV={VENV}",
            # The zip's bundled libraries as the repository's `make build` installed them.
            f"--old-file={FUNCTION_DEPS}/.installed",
            f"FUNCTION_DEPS={FUNCTION_DEPS}",
            target,
            f"ENV={ENVIRONMENT}",
            *(f"{name}={value}" for name, value in variables.items()),
        ]

    def _environment(self, extra: Mapping[str, str]) -> dict[str, str]:
        return {
            **self.runner.environment(),
            "GITHUB_OUTPUT": str(self.path / "github-output"),
            "GITHUB_STEP_SUMMARY": str(self.path / "step-summary.md"),
            **extra,
        }

    def make(
        self, target: str, env: Mapping[str, str] | None = None, **variables: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._command(target, variables),
            capture_output=True,
            text=True,
            check=False,
            env=self._environment(env or {}),
        )

    def start(
        self, target: str, env: Mapping[str, str] | None = None, **variables: str
    ) -> subprocess.Popen[str]:
        """The step in the background, in its own process group (what a runner cancels)."""
        return subprocess.Popen(
            self._command(target, variables),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self._environment(env or {}),
            start_new_session=True,
        )

    def outputs(self) -> dict[str, str]:
        lines = (self.path / "github-output").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines)

    def step_summary(self) -> str:
        return (self.path / "step-summary.md").read_text()


def kill(process: subprocess.Popen[str]) -> None:
    """What a runner does to a job it cancels, at worst: SIGKILL to the step's processes."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_for(condition: Callable[[], bool], what: str, process: subprocess.Popen[str]) -> None:
    """Until ``condition`` holds while the step runs; the test fails if the step ends first."""
    deadline = time.monotonic() + KILL_TIMEOUT_SECONDS
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the step ended before {what}: {process.communicate()[0][-3000:]}")
        if time.monotonic() > deadline:
            kill(process)
            pytest.fail(f"no {what} within {KILL_TIMEOUT_SECONDS}s")
        time.sleep(0.2)


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


def plan_variables(outputs: Mapping[str, str]) -> dict[str, str]:
    """The plan job's outputs as the apply job's environment names them."""
    return {
        "PLAN_KEY": outputs["plan-key"],
        "PLAN_VERSION": outputs["plan-version"],
        "PLAN_SHA256": outputs["plan-sha256"],
    }


@dataclass
class Pipeline:
    """The deploy workflow's runs: each merge's order, plan and apply jobs."""

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
        self, name: str, outputs: Mapping[str, str], job: Checkout | None = None
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

    def retention(self) -> int | None:
        """The function's log retention in days, as deployed."""
        groups = self.runner.workload.logs().describe_log_groups(logGroupNamePrefix=LOG_GROUP)
        # The prefix also matches the worker's group (<function>-worker).
        [group] = [g for g in groups["logGroups"] if g["logGroupName"] == LOG_GROUP]
        return group.get("retentionInDays")

    def stored(self, key: str) -> bool:
        """Whether the state bucket holds ``key``."""
        try:
            self.runner.workload.s3().head_object(Bucket=STATE_BUCKET, Key=key)
        except ClientError:
            return False
        return True


@contextmanager
def rehearsal(root: Path) -> Iterator[Pipeline]:
    """A local cloud of its own under ``root`` with the bootstrap's prerequisites (state bucket,
    deploy roles), nothing deployed; the build job's artifact; a stand-in GitHub."""
    if not DEFAULT_ZIP.is_file():
        pytest.fail(f"{DEFAULT_ZIP} is missing: run `make build` first (make test-e2e does)")
    running = start_emulator(root / "cloud")
    try:
        identities = Identities(running.endpoint_url, REGION)
        accounts.bootstrap(identities)
        workload = identities.assume(_role_arn(WORKLOAD_ACCOUNT_ID, DEPLOY_ROLE), "rehearsal")
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
