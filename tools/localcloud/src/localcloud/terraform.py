"""One Terraform root run on the emulator: copied from its source folder to a working folder, then
init/plan/apply/destroy there with the Terraform executable given (a project's wrapper, e.g. one
that selects a provider mirror, or `terraform` on PATH) and nothing of the caller's AWS or
Terraform settings. The stack deployment (localcloud.stack) uses it; so can a project's tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess  # nosec B404
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Ambient settings that would override or confuse the generated configuration: profiles, real
# keys or endpoints, and Terraform settings that change the inputs, working data or workspace.
# The CLI configuration and the provider mirror settings stay.
_LEAKING = ("AWS_", "TF_VAR_", "TF_DATA_DIR", "TF_WORKSPACE", "TF_CLI_ARGS")


class TerraformError(RuntimeError):
    """A terraform command failed; the message holds its output's tail."""


def ignore(directory: str, names: list[str]) -> set[str]:
    """What a working copy never takes from the source: working data, state, override files."""
    del directory
    return {
        name
        for name in names
        if name == ".terraform"
        or name.endswith(("_override.tf", "_override.tf.json", ".tfstate", ".tfstate.backup"))
    }


def environment(credentials: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment: the caller's minus anything AWS or Terraform, plus ``credentials``
    (AWS_* variables) as the only AWS settings."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith(_LEAKING)}
    return {
        **kept,
        "AWS_EC2_METADATA_DISABLED": "true",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        **(credentials or {}),
    }


@dataclass(frozen=True)
class Root:
    """A Terraform root in ``workdir``; ``log`` (if set) collects every command's output;
    ``executable`` runs Terraform (a path, or a name found on PATH)."""

    workdir: Path
    log: Path | None = None
    executable: Path | str = "terraform"

    @classmethod
    def copy(
        cls,
        source: Path,
        workdir: Path,
        log: Path | None = None,
        *,
        executable: Path | str = "terraform",
    ) -> Root:
        """A verbatim working copy of ``source`` (see ``ignore``), merged over ``workdir``."""
        shutil.copytree(source, workdir, ignore=ignore, dirs_exist_ok=True)
        return cls(workdir, log, executable)

    def run(
        self, *args: str, credentials: Mapping[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Terraform in the working folder; a failure raises TerraformError if ``check``."""
        result = subprocess.run(  # noqa: S603  # nosec B603
            [str(self.executable), f"-chdir={self.workdir}", *args],
            capture_output=True,
            text=True,
            env=environment(credentials),
            check=False,
        )
        if self.log is not None:
            with self.log.open("a") as log:
                log.write(f"$ terraform {' '.join(args)}\n{result.stdout}{result.stderr}\n")
        if check and result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-40:])
            where = f"full output in {self.log}" if self.log else f"in {self.workdir}"
            raise TerraformError(
                f"terraform {args[0]} failed (exit {result.returncode}); {where}\n{tail}"
            )
        return result

    def outputs(self, credentials: Mapping[str, str] | None = None) -> dict[str, Any]:
        result = self.run("output", "-json", "-no-color", credentials=credentials)
        raw: dict[str, dict[str, Any]] = json.loads(result.stdout)
        return {name: entry["value"] for name, entry in raw.items()}

    def show(self, *args: str) -> dict[str, Any]:
        """`terraform show -json` of the state (or of a saved plan given in ``args``)."""
        shown: dict[str, Any] = json.loads(self.run("show", "-json", "-no-color", *args).stdout)
        return shown
