"""localcloud.native: a package's extension built for Lambda's architecture runs as this machine's
build of the same distribution and version, and only then."""

from __future__ import annotations

import sys
from pathlib import Path

from localcloud.native import elf_machine, substitute_foreign_extensions

AARCH64 = 183
X86_64 = 62


def elf(path: Path, machine: int, body: bytes = b"") -> Path:
    """An ELF header (64-bit, little-endian) for `machine`, enough for e_machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + (3).to_bytes(2, "little")
    path.write_bytes(header + machine.to_bytes(2, "little") + body)
    return path


def library(folder: Path, version: str, machine: int) -> Path:
    """A virtualenv's site-packages holding `native` at `version`, built for `machine`."""
    elf(folder / "_native.abi3.so", machine, b"host")
    info = folder / f"native-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "RECORD").write_text("native/__init__.py,,\n_native.abi3.so,sha256=x,1\n")
    return folder


def package(folder: Path, version: str, machine: int) -> Path:
    """An unpacked zip with the same distribution, built for `machine`, without its RECORD."""
    elf(folder / "_native.abi3.so", machine, b"lambda")
    (folder / f"native-{version}.dist-info").mkdir(parents=True)
    (folder / "handler.py").write_text("")
    return folder


def test_the_headers_name_the_machine(tmp_path: Path) -> None:
    assert elf_machine(elf(tmp_path / "a.so", AARCH64)) == AARCH64
    assert elf_machine(elf(tmp_path / "b.so", X86_64)) == X86_64
    (tmp_path / "c.so").write_text("not an ELF file")
    assert elf_machine(tmp_path / "c.so") is None
    assert elf_machine(Path(sys.executable).resolve()) is not None


def test_a_foreign_build_is_replaced_by_this_machine_s_of_the_same_version(
    tmp_path: Path,
) -> None:
    task = package(tmp_path / "task", "1.2.3", AARCH64)
    venv = library(tmp_path / "venv", "1.2.3", X86_64)
    [swapped] = substitute_foreign_extensions(task, [str(tmp_path / "empty"), str(venv)])
    assert (swapped.relative, swapped.distribution) == (
        Path("_native.abi3.so"),
        "native-1.2.3.dist-info",
    )
    assert (task / "_native.abi3.so").read_bytes() == (venv / "_native.abi3.so").read_bytes()
    assert (task / "handler.py").read_text() == ""


def test_another_version_is_never_taken(tmp_path: Path) -> None:
    task = package(tmp_path / "task", "1.2.3", AARCH64)
    venv = library(tmp_path / "venv", "1.2.4", X86_64)
    assert substitute_foreign_extensions(task, [str(venv)]) == []
    assert elf_machine(task / "_native.abi3.so") == AARCH64


def test_a_build_for_this_machine_stays_as_packed(tmp_path: Path) -> None:
    task = package(tmp_path / "task", "1.2.3", X86_64)
    venv = library(tmp_path / "venv", "1.2.3", X86_64)
    assert substitute_foreign_extensions(task, [str(venv)]) == []
    assert (task / "_native.abi3.so").read_bytes().endswith(b"lambda")
