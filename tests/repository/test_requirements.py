"""The pinned requirements: hashed; demo.txt a subset of dev.txt covering what the demo runs."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / "requirements"
# The local cloud's own lock: the runtime interface client its function processes run.
LAMBDA_RUNTIME_LOCK = REPO / "tools" / "localcloud" / "requirements" / "lambda-runtime.txt"
LOCKS: list[str | Path] = ["dev.txt", "demo.txt", "checkov.txt", "uv.txt", LAMBDA_RUNTIME_LOCK]
# The function process's entry point: it runs on the runtime's Python with the runtime interface
# client of tools/localcloud/requirements/lambda-runtime.txt, not with the venv.
FUNCTION_BOOTSTRAP = REPO / "tools" / "localcloud" / "src" / "localcloud" / "lambda_bootstrap.py"
# What `make demo` runs with the venv's Python: the local cloud, the zip builder, and the client
# that makes the demo's dataset.
DEMO_CODE = [
    *sorted(
        set((REPO / "tools" / "localcloud" / "src" / "localcloud").glob("*.py"))
        - {FUNCTION_BOOTSTRAP}
    ),
    *sorted((REPO / "tools" / "randfile_localcloud").glob("*.py")),
    *sorted((REPO / "src" / "randfile_client").glob("*.py")),
    REPO / "scripts" / "build_zip.py",
]


FIRST_PARTY = {"localcloud", "randfile", "randfile_client", "randfile_localcloud"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: str | Path) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, hashes) for every requirement in a lock file (a name: in requirements/)."""
    path = lock if isinstance(lock, Path) else REQUIREMENTS / lock
    text = path.read_text().replace("\\\n", " ")
    found: dict[str, tuple[str, frozenset[str]]] = {}
    for line in text.splitlines():
        requirement = line.split("#", 1)[0].strip()
        if not requirement:
            continue
        match = re.fullmatch(
            r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?==(\S+)((?:\s+--hash=sha256:\w+)*)", requirement
        )
        assert match, f"{lock}: not pinned with hashes: {requirement}"
        hashes = frozenset(re.findall(r"sha256:(\w+)", match.group(4)))
        assert hashes, f"{lock}: {match.group(1)} has no hash"
        found[_normalise(match.group(1))] = (match.group(3), hashes)
    return found


@pytest.mark.parametrize("lock", LOCKS)
def test_every_requirement_is_pinned_and_hashed(lock: str | Path) -> None:
    assert pins(lock)


def test_demo_takes_the_versions_and_hashes_of_dev() -> None:
    dev = pins("dev.txt")
    demo = pins("demo.txt")
    assert {"boto3", "moto", "werkzeug"} <= set(demo)
    assert len(demo) < len(dev)
    assert {name: dev.get(name) for name in demo} == demo


def test_dev_includes_the_demo_requirements() -> None:
    assert "-r demo.in" in (REQUIREMENTS / "dev.in").read_text().splitlines()


def runtime_imports(tree: ast.AST) -> set[str]:
    """Top-level modules imported when the code runs (not under `if TYPE_CHECKING:`)."""
    found: set[str] = set()
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            found |= set().union(*(runtime_imports(child) for child in node.orelse))
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
        else:
            found |= runtime_imports(node)
    return found


def test_demo_requirements_cover_what_the_demo_imports() -> None:
    distributions = packages_distributions()
    imported = set().union(*(runtime_imports(ast.parse(path.read_text())) for path in DEMO_CODE))
    third_party = {
        _normalise(distribution)
        for module in imported - set(sys.stdlib_module_names) - FIRST_PARTY
        for distribution in distributions.get(module, [module])
    }
    assert {"boto3", "moto"} <= third_party
    assert third_party <= set(pins("demo.txt"))


def test_the_function_bootstrap_imports_only_the_runtime_interface_client() -> None:
    imported = runtime_imports(ast.parse(FUNCTION_BOOTSTRAP.read_text()))
    third_party = {_normalise(module) for module in imported - set(sys.stdlib_module_names)}
    assert third_party == {"awslambdaric"}
    assert third_party <= set(pins(LAMBDA_RUNTIME_LOCK))
