"""Dependabot's configuration covers every directory that has something it can update.

Each ecosystem's directories are found from the files themselves: a lock compiled from a .in file
(pip), a Terraform provider lock file, the workflows and every composite action (github-actions).
A new lock or action directory fails here until .github/dependabot.yml names it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no stubs; only plain data is read

from tests.git_files import repository_files

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / ".github" / "dependabot.yml"


def tracked(pattern: str) -> list[Path]:
    return [REPO / name for name in repository_files(pattern)]


def as_directory(path: Path) -> str:
    return "/" + str(path.relative_to(REPO)).removesuffix(".")


def expected_directories() -> dict[str, set[str]]:
    # pip-compile locks: a .txt beside the .in it is compiled from (scripts/lock-requirements).
    pip = {as_directory(p.parent) for p in tracked("*.in") if p.with_suffix(".txt").is_file()}
    terraform = {as_directory(p.parent) for p in tracked("*.terraform.lock.hcl")}
    actions = {as_directory(p.parent) for p in tracked(".github/actions/*/action.yml")}
    # "/" is the workflows' directory, .github/workflows.
    return {"pip": pip, "terraform": terraform, "github-actions": {"/", *actions}}


def configured() -> dict[str, set[str]]:
    document: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert document["version"] == 2
    found: dict[str, set[str]] = {}
    for update in document["updates"]:
        directories = update.get("directories", [update.get("directory")])
        found.setdefault(update["package-ecosystem"], set()).update(directories)
    return found


def test_the_search_finds_what_the_repository_has() -> None:
    expected = expected_directories()
    assert "/requirements" in expected["pip"]
    assert "/infra/stack" in expected["terraform"]
    assert "/.github/actions/setup-toolchain" in expected["github-actions"]


@pytest.mark.parametrize("ecosystem", ["github-actions", "pip", "terraform"])
def test_every_directory_of_an_ecosystem_is_updated(ecosystem: str) -> None:
    expected = expected_directories()[ecosystem]
    assert configured().get(ecosystem, set()) == expected


def test_every_configured_directory_exists() -> None:
    for directories in configured().values():
        for directory in directories:
            assert (REPO / directory.lstrip("/")).is_dir(), directory


def test_updates_wait_a_week_and_minor_ones_come_grouped() -> None:
    document: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for update in document["updates"]:
        assert update["cooldown"]["default-days"] >= 7, update["package-ecosystem"]
        [group] = update["groups"].values()
        assert group["update-types"] == ["minor", "patch"], update["package-ecosystem"]
