"""The Lambda runtime's Python version is named once, in infra/modules/function/python-version.

Terraform makes the function's runtime from it (the module's terraform test checks that), the
local cloud picks its interpreter from the deployed runtime (the e2e test checks it ran there),
`make test-unit-runtime` builds its virtualenv on it, and CI installs it from it. These tests
keep a second copy from creeping in, so changing the runtime stays a one-line edit.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs; only plain data is read

from randfile_localcloud.settings import LAMBDA_PYTHON, PYTHON_VERSION_FILE, REPO_ROOT

SETUP_TOOLCHAIN = REPO_ROOT / ".github" / "actions" / "setup-toolchain" / "action.yml"


def tracked_code() -> list[Path]:
    """Files under version control, except prose (docs may say which version runs today)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [
        REPO_ROOT / name
        for name in listed.split("\0")
        if name and not name.endswith(".md") and (REPO_ROOT / name) != PYTHON_VERSION_FILE
    ]


def test_the_file_holds_a_lambda_python_version() -> None:
    # Lambda runtimes are named by major.minor only (python3.N), never a patch release.
    assert re.fullmatch(r"3\.\d+", LAMBDA_PYTHON), LAMBDA_PYTHON
    assert PYTHON_VERSION_FILE.read_text(encoding="utf-8") == f"{LAMBDA_PYTHON}\n"


def test_no_other_file_names_the_runtime() -> None:
    version = re.escape(LAMBDA_PYTHON)
    # The runtime's name, or the version as a quoted setting ("3.N" in YAML, TOML, HCL, Python).
    copy = re.compile(rf"python{version}(?![\d.])|[\"']{version}[\"']")
    copies = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in tracked_code()
        if path.is_file() and path.suffix not in {".zip"}
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), 1
        )
        if copy.search(line)
    ]
    assert copies == [], f"read {PYTHON_VERSION_FILE.name} instead of repeating it: {copies}"


def test_ci_installs_the_runtime_python_from_the_file() -> None:
    action: dict[str, Any] = yaml.safe_load(SETUP_TOOLCHAIN.read_text(encoding="utf-8"))
    version_files = [
        step["with"].get("python-version-file")
        for step in action["runs"]["steps"]
        if step.get("uses", "").startswith("actions/setup-python@")
    ]
    assert str(PYTHON_VERSION_FILE.relative_to(REPO_ROOT)) in version_files
