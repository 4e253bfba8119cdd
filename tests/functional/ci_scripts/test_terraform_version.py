"""scripts/ci/terraform_version.py: the pinned Terraform version, handed to the workflow."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.ci import terraform_version
from tests.functional.ci_scripts.script_runner import REPO, run_script


def test_the_terraform_version_goes_to_github_output(tmp_path: Path) -> None:
    output = tmp_path / "github-output"
    result = run_script("terraform_version.py", GITHUB_OUTPUT=str(output))
    assert result.returncode == 0, result.stderr
    pinned = (REPO / ".terraform-version").read_text().strip()
    assert output.read_text() == f"version={pinned}\n"


def test_the_terraform_version_file_must_hold_one_exact_version(tmp_path: Path) -> None:
    bad = tmp_path / ".terraform-version"
    bad.write_text("~> 1.11\n")
    with pytest.raises(SystemExit, match="one exact version"):
        terraform_version.pinned_version(bad)
