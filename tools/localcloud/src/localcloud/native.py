"""A package's native libraries built for Lambda's architecture, run on this machine's.

A function declares its architecture (`arm64` or `x86_64`) and its package carries the wheels of
that platform; the local cloud runs every function on the machine it runs on. A native extension
module of the package (an ELF shared object) built for another machine cannot be loaded here, so
before the function's process starts, each such file in its unpacked package is replaced by this
machine's build of the same file of the same distribution at the same version, taken from the
folders the runtime's libraries come from (runtime.library_paths: the virtualenv, which stands in
for the runtime as it does for boto3). Only a file of the same name is taken (an `abi3` module, or
one named for no interpreter), since one built for the virtualenv's Python version would not load
on another; without one the foreign file stays, and the import fails as it would on Lambda with a
wheel of the wrong platform. Pure-Python files are never touched.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_ELF_MAGIC = b"\x7fELF"
_E_MACHINE = slice(18, 20)
"""e_machine in the ELF header: the architecture the file was built for (byte order by EI_DATA)."""


@dataclass(frozen=True)
class Substitution:
    relative: Path
    """The file's path in the package."""
    source: Path
    """This machine's build of it, now copied over it."""
    distribution: str


def elf_machine(path: Path) -> int | None:
    """The ELF header's e_machine of `path`, or None when it is not an ELF file."""
    with path.open("rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or not header.startswith(_ELF_MAGIC):
        return None
    # EI_DATA: 1 little-endian, 2 big-endian.
    return int.from_bytes(header[_E_MACHINE], "little" if header[5] == 1 else "big")


def substitute_foreign_extensions(task_root: Path, library_paths: list[str]) -> list[Substitution]:
    """Replaces every extension module under `task_root` built for another machine than its
    counterpart in `library_paths` (same relative path, same distribution and version); says
    which."""
    done: list[Substitution] = []
    for extension in sorted(task_root.rglob("*.so")):
        relative = extension.relative_to(task_root)
        machine = elf_machine(extension)
        if machine is None:
            continue
        for folder in map(Path, library_paths):
            candidate = folder / relative
            if not candidate.is_file() or elf_machine(candidate) in (None, machine):
                continue
            owner = _owner(folder, relative)
            if owner is None or not (task_root / owner).is_dir():
                logger.warning(
                    "%s is built for another machine and %s holds another version of it",
                    relative,
                    folder,
                )
                continue
            shutil.copyfile(candidate, extension)
            done.append(Substitution(relative, candidate, owner))
            break
    return done


def _owner(folder: Path, relative: Path) -> str | None:
    """The `<name>-<version>.dist-info` in `folder` whose RECORD lists `relative`."""
    listed = re.compile(rf"^{re.escape(relative.as_posix())},", re.MULTILINE)
    for record in folder.glob("*.dist-info/RECORD"):
        if listed.search(record.read_text(encoding="utf-8", errors="replace")):
            return record.parent.name
    return None
