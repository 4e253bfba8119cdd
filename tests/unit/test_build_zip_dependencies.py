"""scripts/build_zip.py --dependencies: the wheels' files are packed, the installer's traces not."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from scripts.build_zip import build

REPO = Path(__file__).resolve().parents[2]


def installed(folder: Path, installer: str) -> Path:
    """A --target install of one library, as uv or pip leaves it."""
    (folder / "lib" / "__pycache__").mkdir(parents=True)
    (folder / "lib" / "__init__.py").write_text("VALUE = 1\n")
    (folder / "lib" / "__pycache__" / "__init__.cpython-313.pyc").write_bytes(b"cache")
    info = folder / "lib-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Name: lib\nVersion: 1.0\n")
    (info / "INSTALLER").write_text(installer)
    (info / "RECORD").write_text(f"lib/__init__.py,,\n# {folder}\n")
    (folder / "bin").mkdir()
    (folder / "bin" / "lib-cli").write_text("#!/bin/sh\n")
    (folder / ".installed").touch()
    return folder


def test_dependencies_are_packed_without_installer_traces(tmp_path: Path) -> None:
    first = build(REPO / "src", tmp_path / "a.zip", installed(tmp_path / "uv", "uv"))
    second = build(REPO / "src", tmp_path / "b.zip", installed(tmp_path / "pip", "pip"))
    # Another installer, another folder, same bytes.
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        names = archive.namelist()
    assert names == sorted(names)
    assert {"lib/__init__.py", "lib-1.0.dist-info/METADATA", "randfile/handler.py"} <= set(names)
    assert not [n for n in names if n.endswith((".pyc", "INSTALLER", "RECORD", ".installed"))]
    assert not [n for n in names if n.startswith("bin/")]


def test_a_missing_dependencies_folder_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="make build"):
        build(REPO / "src", tmp_path / "out.zip", tmp_path / "absent")


def test_a_dependency_cannot_shadow_the_package(tmp_path: Path) -> None:
    folder = tmp_path / "deps"
    (folder / "randfile").mkdir(parents=True)
    (folder / "randfile" / "handler.py").write_text("")
    with pytest.raises(SystemExit, match="same name"):
        build(REPO / "src", tmp_path / "out.zip", folder)
