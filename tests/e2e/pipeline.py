"""The deploy pipeline's jobs, run on the local cloud the way GitHub Actions runs them.

Each job gets its own checkout (a copy of the repository's files in its own directory, with its
own Terraform working directory under build/) and calls the same make targets as the workflow
step it stands for; only what the job hands on travels between jobs: the zip artifact, and the
saved plan's key and sha256 (step outputs, read from GITHUB_OUTPUT). The generated files are the
ones `localcloud` writes for the demo (provider endpoints, S3 backend on the emulator, variables),
under the names the Makefile reads for ENV=demo.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud import stack
from localcloud.aws import Identity
from localcloud.aws import role_arn as _role_arn
from randfile_localcloud.settings import (
    DATA_ACCOUNT_ID,
    DEPLOY_ROLE,
    ENVIRONMENT,
    STACK,
    WORKLOAD_ACCOUNT_ID,
    stack_variables,
)

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv"
FUNCTION_DEPS = REPO / "build" / "function-deps"
# What a checkout of the repository needs to plan and apply.
CHECKOUT = ("Makefile", "pyproject.toml", ".terraform-version", "src", "scripts", "infra")
LEAKING = ("AWS_", "TF_VAR_", "TF_DATA_DIR", "TF_CLI_ARGS", "TF_WORKSPACE", "GITHUB_")


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
