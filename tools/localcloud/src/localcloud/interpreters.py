"""The Python a Lambda runtime names, found on this machine through PATH, pyenv or uv.

The function is deployed on ``python<version>``; running it locally on that version is what shows
a break of that version (a removed module, a changed default) before AWS does. Nothing here names
a machine path: each tool is asked, and each candidate is run once to check its version, because
a pyenv shim or a stale link can be on PATH without working.

``python -m localcloud.interpreters 3.N`` prints the interpreter of that Python version (the
deployed runtime's), or fails saying how to install one: a project's build can make a virtualenv
on the Lambda runtime's Python with it.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import shutil
import subprocess  # nosec B404
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

# pyenv's shims are bash scripts, slow on a busy machine.
TOOL_TIMEOUT_SECONDS = 60
_RUNTIME = re.compile(r"python(?P<version>3\.\d+)")
_PROBE = (
    "import json, platform, sys; print(json.dumps([platform.python_version(), sys.executable]))"
)


@dataclass(frozen=True)
class Interpreter:
    executable: str
    version: str
    """platform.python_version() of the interpreter, e.g. 3.13.0."""
    found_through: str
    """PATH, pyenv, uv, or "default": the interpreter running the local cloud."""

    def runs(self, version: str) -> bool:
        """Whether this is a Python ``version`` (major.minor)."""
        return self.version.startswith(f"{version}.")

    def describe(self, runtime: str) -> str:
        if self.runs(python_version(runtime)):
            source = (
                "the default interpreter"
                if self.found_through == "default"
                else f"found through {self.found_through}"
            )
            return f"Python {self.version} for runtime {runtime} ({self.executable}, {source})"
        return (
            f"Python {self.version}, the default interpreter ({self.executable}), NOT runtime "
            f"{runtime}: no Python {python_version(runtime)} found through PATH, pyenv or uv"
        )


def python_version(runtime: str) -> str:
    """``python3.N`` -> ``3.N``."""
    match = _RUNTIME.fullmatch(runtime)
    if match is None:
        raise ValueError(f"runtime {runtime!r} is not a Lambda Python runtime (python3.<minor>)")
    return match["version"]


def _output(command: list[str], environment: Mapping[str, str] | None = None) -> str | None:
    """The command's stdout, or None if it cannot run or fails: a tool that is absent or broken
    is one place fewer to look, not an error."""
    try:
        done = subprocess.run(  # noqa: S603  # nosec B603
            command,
            capture_output=True,
            text=True,
            env=environment,
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _probe(executable: str, version: str, found_through: str) -> Interpreter | None:
    output = _output([executable, "-I", "-S", "-c", _PROBE])
    if output is None:
        return None
    actual, resolved = json.loads(output)
    interpreter = Interpreter(resolved, actual, found_through)
    return interpreter if interpreter.runs(version) else None


def _on_path(version: str) -> Iterator[str]:
    found = shutil.which(f"python{version}")
    if found:
        yield found


def _pyenv(version: str) -> Iterator[str]:
    pyenv = shutil.which("pyenv")
    listed = pyenv and _output([pyenv, "versions", "--bare", "--skip-aliases"])
    if not pyenv or not listed:
        return
    # CPython releases only (3.13 or 3.13.N): not 3.13t, 3.13-dev or a virtualenv's name.
    releases = [
        name for name in listed.split() if re.fullmatch(rf"{re.escape(version)}(\.\d+)?", name)
    ]
    for name in sorted(
        releases, key=lambda name: [int(part) for part in name.split(".")], reverse=True
    ):
        found = _output([pyenv, "which", f"python{version}"], {**os.environ, "PYENV_VERSION": name})
        if found:
            yield found


def _uv(version: str) -> Iterator[str]:
    # uv may be installed in the virtualenv running this code rather than on PATH.
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    found = uv and _output([uv, "python", "find", "--no-project", version])
    if found:
        yield found


SEARCH: tuple[tuple[str, Callable[[str], Iterator[str]]], ...] = (
    ("PATH", _on_path),
    ("pyenv", _pyenv),
    ("uv", _uv),
)


@functools.cache
def find(version: str) -> Interpreter | None:
    """The first working Python ``version`` (major.minor) through PATH, pyenv, then uv."""
    for found_through, candidates in SEARCH:
        for executable in candidates(version):
            interpreter = _probe(executable, version, found_through)
            if interpreter is not None:
                return interpreter
    return None


def default() -> Interpreter:
    return Interpreter(sys.executable, platform.python_version(), "default")


def for_runtime(runtime: str) -> Interpreter:
    """The runtime's Python if this machine has one, else the default interpreter."""
    return find(python_version(runtime)) or default()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localcloud.interpreters",
        description="Print the interpreter of a Python version found through PATH, pyenv or uv.",
    )
    parser.add_argument(
        "version", help="major.minor, as the Lambda runtime python<version> names it"
    )
    version: str = parser.parse_args(argv).version
    interpreter = find(version)
    if interpreter is None:
        print(
            f"no Python {version} (the Lambda runtime's) found through PATH, pyenv or uv: install "
            f"one, e.g. `pyenv install {version}` or `uv python install {version}`",
            file=sys.stderr,
        )
        return 1
    print(interpreter.executable)
    return 0


if __name__ == "__main__":
    sys.exit(main())
