"""Every Terraform root keeps the house's module conventions (CONTRIBUTING.md).

Each module and the stack has `terraform test` files; every module ships the `minimal` and
`complete` examples (an internal module, `_<name>`, none), each planned by a run of the module's
tests (scripts/tf-module-tests); every variable with a validation block is named in some run's
`expect_failures`. The files are read with python-hcl2; the README tables are generated
(scripts/module_docs.py, `make docs-check`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = sorted(path.parent for path in (REPO / "infra" / "modules").glob("*/variables.tf"))
# Internal modules (a leading `_`, as terraform-aws-eks's modules/_user_data) are called only by
# the modules beside them: tested, but without examples of their own.
PUBLIC_MODULES = [module for module in MODULES if not module.name.startswith("_")]
ROOTS = [*MODULES, REPO / "infra" / "stack"]
REQUIRED_EXAMPLES = ("minimal", "complete")
OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)


def load(path: Path) -> dict[str, Any]:
    parsed: dict[str, Any] = hcl2.loads(
        path.read_text(encoding="utf-8"), serialization_options=OPTIONS
    )
    return parsed


def runs(root: Path) -> list[dict[str, Any]]:
    return [
        body
        for test_file in sorted((root / "tests").glob("*.tftest.hcl"))
        for block in load(test_file).get("run", [])
        for body in block.values()
    ]


def ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(REPO / "infra")) for path in paths]


@pytest.mark.parametrize("root", ROOTS, ids=ids(ROOTS))
def test_has_terraform_tests(root: Path) -> None:
    assert sorted((root / "tests").glob("*.tftest.hcl")), "no tests/*.tftest.hcl"


def test_internal_modules_are_found() -> None:
    assert {module.name for module in MODULES} - {module.name for module in PUBLIC_MODULES} >= {
        "_kms-key-policy"
    }


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=ids(PUBLIC_MODULES))
def test_examples_exist_and_are_planned_by_the_tests(module: Path) -> None:
    examples = {path.parent.name for path in (module / "examples").glob("*/main.tf")}
    planned = {
        Path(source["source"]).name
        for run in runs(module)
        for source in run.get("module", [])
        if source["source"].startswith("./examples/")
    }
    assert sorted(set(REQUIRED_EXAMPLES) - examples) == [], "required examples missing"
    assert sorted(examples - planned) == [], "examples no run block plans (module { source })"
    assert sorted(planned - examples) == [], "runs plan examples that do not exist"


@pytest.mark.parametrize("root", ROOTS, ids=ids(ROOTS))
def test_every_validated_variable_is_tested_with_a_bad_value(root: Path) -> None:
    validated = {
        name
        for block in load(root / "variables.tf").get("variable", [])
        for name, body in block.items()
        if "validation" in body
    }
    expected = {
        str(reference).removeprefix("${var.").removesuffix("}")
        for run in runs(root)
        for reference in run.get("expect_failures", [])
        if str(reference).startswith("${var.")
    }
    assert sorted(validated - expected) == [], "validated variables no run expects to fail"
