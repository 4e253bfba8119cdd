"""Every test module lies in a tier folder: it runs in its tier's make target and in `make test`.

(tests/conftest.py refuses a run that collects a test outside the tiers; this names the stray files
even when no run collects them.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TEST_ROOTS, TESTS, TIERS, tier_of


@pytest.mark.parametrize("root", TEST_ROOTS, ids=lambda root: str(root.relative_to(TESTS.parent)))
def test_every_test_module_lies_in_a_tier_folder(root: Path) -> None:
    modules = sorted(root.rglob("test_*.py"))
    assert modules
    assert [path for path in modules if tier_of(path) is None] == []


def test_each_tier_has_a_folder_and_a_make_target() -> None:
    makefile = (TESTS.parent / "Makefile").read_text()
    for tier in TIERS:
        assert (TESTS / tier / "__init__.py").is_file(), tier
        assert f"\ntest-{tier}:" in makefile, tier


def test_files_outside_the_tier_folders_have_no_tier() -> None:
    assert tier_of(TESTS / "test_stray.py") is None
    assert tier_of(TESTS / "support" / "test_stray.py") is None
    assert tier_of(Path("/elsewhere/unit/test_stray.py")) is None
    assert tier_of(TESTS / "functional" / "deeper" / "test_x.py") == "functional"
    package_tests = TESTS.parent / "tools" / "localcloud" / "tests"
    assert tier_of(package_tests / "unit" / "test_x.py") == "unit"
    assert tier_of(package_tests / "test_stray.py") is None
