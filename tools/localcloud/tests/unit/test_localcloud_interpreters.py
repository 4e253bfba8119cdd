"""Finding the function's runtime Python: PATH, pyenv, uv, and the fallback, with stand-in tools.

Each stand-in is a shell script answering as the real tool does; the search runs them for real.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud import interpreters

# A version no machine has, so only the stand-ins can answer for it.
VERSION = "3.99"


@pytest.fixture(autouse=True)
def only_stand_ins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """PATH holds the stand-ins and the shell's own tools; the search's answers are not cached."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    interpreters.find.cache_clear()
    yield bin_dir
    interpreters.find.cache_clear()


def script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def fake_python(path: Path, version: str) -> Path:
    """Answers the probe as a Python ``version`` installed at ``path`` would."""
    return script(path, f"echo '{json.dumps([version, str(path)])}'")


def test_a_runtime_names_its_python_version() -> None:
    assert interpreters.python_version("python3.12") == "3.12"
    with pytest.raises(ValueError, match="not a Lambda Python runtime"):
        interpreters.python_version("nodejs22.x")


def test_a_python_on_path_is_used_after_checking_its_version(only_stand_ins: Path) -> None:
    python = fake_python(only_stand_ins / f"python{VERSION}", f"{VERSION}.2")

    found = interpreters.find(VERSION)

    assert found == interpreters.Interpreter(str(python), f"{VERSION}.2", "PATH")


@pytest.mark.parametrize(
    "answer",
    [
        # A pyenv shim whose version is not selected exits 127.
        "echo 'pyenv: python3.99: command not found' >&2; exit 127",
        # A link that points at another minor version.
        'echo \'["3.12.1", "/usr/bin/python3.12"]\'',
    ],
)
def test_a_python_on_path_that_is_not_the_version_is_passed_over(
    only_stand_ins: Path, answer: str
) -> None:
    script(only_stand_ins / f"python{VERSION}", answer)

    assert interpreters.find(VERSION) is None


def test_pyenv_gives_its_newest_release_of_the_version(
    only_stand_ins: Path, tmp_path: Path
) -> None:
    versions = tmp_path / "pyenv-versions"
    for name in ("3.99.2", "3.99.10", "3.99t"):
        fake_python(versions / name / f"python{VERSION}", name)
    script(
        only_stand_ins / "pyenv",
        f"""case "$1" in
  versions) printf '3.11.7\\n3.99.2\\n3.99.10\\n3.99t\\n3.99-dev\\n' ;;
  which) echo "{versions}/$PYENV_VERSION/$2" ;;
  *) exit 1 ;;
esac""",
    )

    found = interpreters.find(VERSION)

    assert found is not None
    # 3.99.10 is newer than 3.99.2; the free-threaded build is not the runtime's CPython.
    assert (found.version, found.found_through) == ("3.99.10", "pyenv")
    assert found.executable == str(versions / "3.99.10" / f"python{VERSION}")


def test_uv_is_asked_when_path_and_pyenv_have_none(only_stand_ins: Path, tmp_path: Path) -> None:
    python = fake_python(tmp_path / "uv-python" / f"python{VERSION}", f"{VERSION}.1")
    script(
        only_stand_ins / "uv",
        f'[ "$*" = "python find --no-project {VERSION}" ] && echo {python} || exit 2',
    )

    found = interpreters.find(VERSION)

    assert found == interpreters.Interpreter(str(python), f"{VERSION}.1", "uv")


def test_without_the_runtime_python_the_default_runs_it_and_says_so() -> None:
    interpreter = interpreters.for_runtime(f"python{VERSION}")

    assert interpreter == interpreters.default()
    description = interpreter.describe(f"python{VERSION}")
    assert f"NOT runtime python{VERSION}" in description
    assert f"no Python {VERSION} found through PATH, pyenv or uv" in description


def test_the_description_names_the_version_and_where_it_was_found() -> None:
    interpreter = interpreters.Interpreter("/opt/python3.99", f"{VERSION}.0", "pyenv")

    assert interpreter.describe(f"python{VERSION}") == (
        f"Python {VERSION}.0 for runtime python{VERSION} (/opt/python3.99, found through pyenv)"
    )


def test_the_command_prints_the_interpreter_of_the_version_it_is_given(
    only_stand_ins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = fake_python(only_stand_ins / f"python{VERSION}", f"{VERSION}.2")

    assert interpreters.main([VERSION]) == 0
    assert capsys.readouterr().out == f"{python}\n"


def test_the_command_says_how_to_install_a_missing_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert interpreters.main([VERSION]) == 1
    assert f"uv python install {VERSION}" in capsys.readouterr().err
