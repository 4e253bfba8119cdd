"""What may import what: the local cloud knows nothing of randfile, and unit tests need no e2e code.

tools/localcloud is a package of its own (its README): its code and its tests import nothing of
randfile, and its code does not even name it. randfile's unit tests stand on their own too: a
helper that unit tests share lives with the unit tier or with the package that owns it, never in
tests/e2e.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import TESTS

REPO = TESTS.parent
PACKAGE = REPO / "tools" / "localcloud"
RANDFILE_MODULES = ("randfile", "randfile_client", "randfile_localcloud", "tests", "scripts")
# The IAM helpers that move into localcloud (issue 23: "the IAM helpers live with the package that
# owns them"); until they do, these unit tests import them from tests/e2e. Emptied by that move:
# the test below fails as soon as a listed module no longer imports tests.e2e.
PENDING_MOVE = {"test_iam_policy.py", "test_policy_audit.py"}


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` or ``from ... import`` of the file names (absolute imports)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def _names(modules: set[str], roots: tuple[str, ...]) -> set[str]:
    return {module for module in modules if module.split(".")[0] in roots}


@pytest.mark.parametrize("folder", ["src", "tests"])
def test_the_local_cloud_imports_nothing_of_randfile(folder: str) -> None:
    files = sorted((PACKAGE / folder).rglob("*.py"))
    assert files
    leaks = {
        str(path.relative_to(REPO)): sorted(_names(imported_modules(path), RANDFILE_MODULES))
        for path in files
    }
    assert {path: names for path, names in leaks.items() if names} == {}


def test_the_local_cloud_code_does_not_name_randfile() -> None:
    naming = [
        str(path.relative_to(REPO))
        for path in sorted((PACKAGE / "src").rglob("*"))
        if path.is_file()
        and path.suffix in {".py", ".md", ".toml", ".txt"}
        and "randfile" in path.read_text(encoding="utf-8").lower()
    ]
    assert naming == []


def test_no_unit_test_imports_from_the_end_to_end_tier() -> None:
    importing = {
        path.name
        for path in sorted((TESTS / "unit").rglob("*.py"))
        if any(
            module == "tests.e2e" or module.startswith("tests.e2e.")
            for module in imported_modules(path)
        )
    }
    assert importing == PENDING_MOVE


def test_imports_are_found_in_both_forms(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import tests.e2e.x\nfrom randfile_localcloud import cloud\nfrom . import y\n"
    )

    assert imported_modules(module) == {"tests.e2e.x", "randfile_localcloud"}
