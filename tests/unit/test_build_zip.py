from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from scripts.build_zip import build

REPO = Path(__file__).resolve().parents[2]


def test_zip_is_reproducible_and_holds_runtime_code_only(tmp_path: Path) -> None:
    first = build(REPO / "src", tmp_path / "a" / "randfile.zip")
    # A stray cache and a fresh mtime must not change the result.
    (REPO / "src" / "randfile" / "__init__.py").touch()
    second = build(REPO / "src", tmp_path / "b" / "randfile.zip")
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    with zipfile.ZipFile(tmp_path / "a" / "randfile.zip") as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert "randfile/handler.py" in names
        assert all(name.startswith("randfile/") and name.endswith(".py") for name in names)
        # The client (src/randfile_client) is installed by pip, never shipped to Lambda.
        assert not any(name.startswith("randfile_client") for name in names)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert not list(tmp_path.rglob("*.partial"))


def test_wrong_source_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"handler\.py not found"):
        build(tmp_path, tmp_path / "out.zip")
    assert not (tmp_path / "out.zip").exists()
