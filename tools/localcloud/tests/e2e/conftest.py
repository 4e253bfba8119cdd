"""What the local cloud's end-to-end tests share: a function package built from the test
module's own ``HANDLERS`` source."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def package(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A zip holding ``handlers.py``: the requesting module's HANDLERS."""
    path = tmp_path_factory.mktemp("package") / "handlers.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("handlers.py", str(request.module.HANDLERS))
    return path
