"""The test tiers: each test runs in the tier of the folder it lies in, and only there.

A tier is named by what its tests need (DEVELOPERS.md lists them with their make targets); the
folder gives each test its tier's marker, and a test module outside every tier folder stops the
run, so that no test can fall outside every make target's subset.

Every test also shares one botocore data loader (see ``one_botocore_loader``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import botocore.loaders
import botocore.session
import pytest

TIERS = ("unit", "functional", "repository", "e2e")
TESTS = Path(__file__).parent
# The folders holding tier folders: the repository's tests, and those of the packages it keeps
# under tools/ (each has its own tests/, run by `make test` too).
TEST_ROOTS = (TESTS, TESTS.parent / "tools" / "localcloud" / "tests")


def tier_of(path: Path) -> str | None:
    """The tier folder ``path`` lies in, or None."""
    for root in TEST_ROOTS:
        if path.is_relative_to(root):
            parts = path.relative_to(root).parts
            return parts[0] if len(parts) > 1 and parts[0] in TIERS else None
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = tier_of(item.path)
        if tier is None:
            raise pytest.UsageError(
                f"{item.path} lies in no test tier: move it under tests/{{{','.join(TIERS)}}}/ "
                "(or a package's tests/<tier>/)"
            )
        # A module marked for another tier (say `e2e` in tests/unit) would run in the wrong target.
        others = {marker.name for marker in item.iter_markers()} & set(TIERS) - {tier}
        if others:
            raise pytest.UsageError(f"{item.nodeid} is marked {sorted(others)} but lies in {tier}")
        item.add_marker(tier)


@pytest.fixture(scope="session", autouse=True)
def one_botocore_loader() -> Iterator[None]:
    """Every botocore session of the run reads the service models through one loader.

    A session builds its own loader, and a loader caches what it parsed only for itself
    (botocore's ``instance_cache``), so each new session parses the service model and endpoint
    JSON again: the tests make several sessions per test (two accounts, each test's own moto), and
    that parsing was three quarters of the functional tests' time. Sharing the loader per data path
    is the workaround botocore's maintainers give (https://github.com/boto/botocore/issues/3078).
    The sessions then share what one session's clients already share, including the S3 request
    URIs botocore rewrites in place on a client's first call: a test that needs the models as
    shipped reads them with a loader of its own (tests/e2e/aws_requests.py). A different
    AWS_DATA_PATH still gets a loader of its own.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            botocore.session, "create_loader", functools.cache(botocore.loaders.create_loader)
        )
        yield
