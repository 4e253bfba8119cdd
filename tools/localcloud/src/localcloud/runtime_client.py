"""The Lambda runtime interface client (awslambdaric) for the interpreter that runs a function.

The managed Python runtimes run a function's handler through AWS's runtime interface client, which
speaks the Runtime API (localcloud.runtime_api) and sets up what the handler sees: the logging
handler on the root logger, the context object, the JSON (de)serialisation of events and results,
the error format. The local cloud runs the same client from PyPI, pinned with hashes in this
package's requirements/lambda-runtime.txt. It has compiled parts (its own and simplejson's), so it
is installed once per interpreter version, into this package's build/lambda-runtime/
python<major.minor>, never into a virtualenv nor a function's zip.

``python -m localcloud.runtime_client VERSION...`` (major.minor) installs it for the interpreters
the local cloud runs python<VERSION> functions on (localcloud.interpreters). A project installs it
for its functions' runtime and for the Python of its virtualenv (the local cloud's own tests deploy
functions on the version of the Python that runs them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess  # nosec B404
import sys
import tempfile
from pathlib import Path

from localcloud import interpreters

# The package's own folder (tools/localcloud): the lock file it ships, the build it makes.
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
RUNTIME_CLIENT_REQUIREMENTS = _PACKAGE_ROOT / "requirements" / "lambda-runtime.txt"
RUNTIME_CLIENT_DIR = _PACKAGE_ROOT / "build" / "lambda-runtime"

_INSTALLED = ".installed"


class MissingRuntimeClient(RuntimeError):
    """The runtime interface client is not installed for an interpreter."""


def _folder(interpreter: interpreters.Interpreter) -> Path:
    major, minor = interpreter.version.split(".")[:2]
    return RUNTIME_CLIENT_DIR / f"python{major}.{minor}"


def location(interpreter: interpreters.Interpreter) -> Path:
    """Where the client is installed for ``interpreter``; raises if it is not."""
    folder = _folder(interpreter)
    if not (folder / _INSTALLED).is_file():
        raise MissingRuntimeClient(
            f"the Lambda runtime interface client (awslambdaric) is not installed for Python "
            f"{interpreter.version} in {folder}: run `python -m localcloud.runtime_client "
            f"{interpreter.version.rsplit('.', 1)[0]}`"
        )
    return folder


def install(interpreter: interpreters.Interpreter) -> Path:
    """Install requirements/lambda-runtime.txt for ``interpreter`` (hashes required), replacing
    what was there in one rename, so a local cloud never sees half an installation."""
    folder = _folder(interpreter)
    folder.parent.mkdir(parents=True, exist_ok=True)
    # UV: the uv that scripts/make-venv brought (the Makefile passes it); pip where there is none.
    uv = (
        os.environ.get("UV")
        or shutil.which("uv")
        or shutil.which("uv", path=str(Path(sys.executable).parent))
    )
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    installer = (
        [uv, "pip", "install", "--python", interpreter.executable]
        if uv
        else [interpreter.executable, "-m", "pip", "install", "--disable-pip-version-check"]
    )
    # Bytecode would be written by the installer's Python; the runtime's writes none either.
    options = ["--no-compile"] if not uv else []
    subprocess.run(  # noqa: S603  # nosec B603
        [
            *installer,
            *options,
            "--quiet",
            "--require-hashes",
            "--no-deps",
            "--target",
            str(staging),
            "-r",
            str(RUNTIME_CLIENT_REQUIREMENTS),
        ],
        check=True,
    )
    (staging / _INSTALLED).write_text(interpreter.version)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localcloud.runtime_client",
        description="Install the Lambda runtime interface client for the interpreter of each "
        "Python version (found through PATH, pyenv or uv; else the default interpreter).",
    )
    parser.add_argument(
        "versions", nargs="+", help="major.minor, as the Lambda runtime python<version> names it"
    )
    for version in parser.parse_args(argv).versions:
        interpreter = interpreters.for_runtime(f"python{version}")
        print(f"runtime interface client for Python {interpreter.version}: {install(interpreter)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
