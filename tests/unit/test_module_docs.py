"""Terraform READMEs and examples kept in step with the code.

terraform-docs (a Go binary, not on PyPI or npm) cannot be installed here, so this test is the
checker: each module's and the stack's README lists every variable of variables.tf under
`## Inputs` and every output of outputs.tf under `## Outputs`, nothing stale, with the Required
(and, for one-line types, the Type) column matching the code. Every module also ships the
`minimal` and `complete` examples, each planned by a run of the module's `terraform test`
(scripts/tf-module-tests), and every variable with a validation block is named in some run's
`expect_failures`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = sorted(path.parent for path in (REPO / "infra" / "modules").glob("*/variables.tf"))
ROOTS = [*MODULES, REPO / "infra" / "stack"]
REQUIRED_EXAMPLES = ("minimal", "complete")

# Top-level blocks start in column 0 and end at the first "}" in column 0 (terraform fmt layout).
BLOCK = re.compile(r'^(variable|output) "([^"]+)" \{\n(.*?)^\}', re.MULTILINE | re.DOTALL)
ARGUMENT = r"^  {name}\s*=\s*(.*)$"
HEADING = re.compile(r"^## (.+)$", re.MULTILINE)
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
TAG = re.compile(r"<[^>]+>")
EXPECT_FAILURES = re.compile(r"expect_failures\s*=\s*\[(.*?)\]", re.DOTALL)
EXAMPLE_SOURCE = re.compile(r'^\s*source\s*=\s*"\./examples/([^"/]+)/?"', re.MULTILINE)


@dataclass(frozen=True)
class Variable:
    name: str
    required: bool
    type: str | None  # None: declared over several lines, not compared


def blocks(path: Path, kind: str) -> dict[str, str]:
    return {
        name: body
        for found_kind, name, body in BLOCK.findall(path.read_text(encoding="utf-8"))
        if found_kind == kind
    }


def variables(root: Path) -> dict[str, Variable]:
    found = {}
    for name, body in blocks(root / "variables.tf", "variable").items():
        type_match = re.search(ARGUMENT.format(name="type"), body, re.MULTILINE)
        one_line_type = type_match.group(1).strip() if type_match else None
        if one_line_type is not None and one_line_type.count("(") != one_line_type.count(")"):
            one_line_type = None
        required = re.search(ARGUMENT.format(name="default"), body, re.MULTILINE) is None
        found[name] = Variable(name=name, required=required, type=one_line_type)
    return found


def outputs(root: Path) -> set[str]:
    return set(blocks(root / "outputs.tf", "output"))


def cell_text(cell: str) -> str:
    """A table cell as plain text: no links, HTML anchors, code ticks or markdown escapes."""
    text = TAG.sub("", LINK.sub(r"\1", cell))
    return text.replace("\\_", "_").replace("`", "").strip()


def table(readme: Path, heading: str) -> list[dict[str, str]]:
    """Rows of the first table under `## <heading>`, as {column name (lowercase): text}."""
    text = readme.read_text(encoding="utf-8")
    sections = HEADING.split(text)
    # split() gives [before, heading1, body1, heading2, body2, ...]
    bodies = {sections[i].strip(): sections[i + 1] for i in range(1, len(sections) - 1, 2)}
    assert heading in bodies, f"{readme.relative_to(REPO)} has no '## {heading}' section"
    lines = [line.strip() for line in bodies[heading].splitlines() if line.strip().startswith("|")]
    assert len(lines) >= 2, f"{readme.relative_to(REPO)}: '## {heading}' has no table"
    header = [cell_text(cell).lower() for cell in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:  # lines[1] is the |---| separator
        cells = [cell_text(cell) for cell in line.strip("|").split("|")]
        rows.append(dict(zip(header, cells, strict=False)))
    return rows


def ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(REPO / "infra")) for path in paths]


@pytest.mark.parametrize("root", ROOTS, ids=ids(ROOTS))
def test_inputs_table_lists_every_variable_and_nothing_else(root: Path) -> None:
    listed = [row["name"] for row in table(root / "README.md", "Inputs")]
    declared = set(variables(root))
    assert sorted(declared - set(listed)) == [], "variables missing from the README's Inputs"
    assert sorted(set(listed) - declared) == [], "README Inputs that variables.tf does not declare"
    assert len(listed) == len(set(listed)), "a variable is listed twice"


@pytest.mark.parametrize("root", ROOTS, ids=ids(ROOTS))
def test_inputs_table_required_and_type_match_the_code(root: Path) -> None:
    declared = variables(root)
    mismatches = []
    for row in table(root / "README.md", "Inputs"):
        variable = declared.get(row["name"])
        if variable is None:
            continue  # reported by the test above
        if "required" in row and (row["required"].lower() == "yes") != variable.required:
            mismatches.append(f"{variable.name}: Required says {row['required']!r}")
        if "type" in row and variable.type is not None and row["type"] != variable.type:
            mismatches.append(f"{variable.name}: Type says {row['type']!r}, code {variable.type!r}")
    assert mismatches == [], "README Inputs disagree with variables.tf"


@pytest.mark.parametrize("root", ROOTS, ids=ids(ROOTS))
def test_outputs_table_lists_every_output_and_nothing_else(root: Path) -> None:
    listed = [row["name"] for row in table(root / "README.md", "Outputs")]
    declared = outputs(root)
    assert sorted(declared - set(listed)) == [], "outputs missing from the README's Outputs"
    assert sorted(set(listed) - declared) == [], "README Outputs that outputs.tf does not declare"
    assert len(listed) == len(set(listed)), "an output is listed twice"


@pytest.mark.parametrize("root", ROOTS, ids=ids(ROOTS))
def test_has_terraform_tests(root: Path) -> None:
    assert sorted((root / "tests").glob("*.tftest.hcl")), "no tests/*.tftest.hcl"


@pytest.mark.parametrize("module", MODULES, ids=ids(MODULES))
def test_examples_exist_and_are_planned_by_the_tests(module: Path) -> None:
    examples = {path.parent.name for path in (module / "examples").glob("*/main.tf")}
    planned = {
        name
        for test_file in (module / "tests").glob("*.tftest.hcl")
        for name in EXAMPLE_SOURCE.findall(test_file.read_text(encoding="utf-8"))
    }
    assert sorted(set(REQUIRED_EXAMPLES) - examples) == [], "required examples missing"
    assert sorted(examples - planned) == [], "examples no run block plans (module { source })"
    assert sorted(planned - examples) == [], "runs plan examples that do not exist"


@pytest.mark.parametrize("root", ROOTS, ids=ids(ROOTS))
def test_every_validated_variable_is_tested_with_a_bad_value(root: Path) -> None:
    validated = {
        name
        for name, body in blocks(root / "variables.tf", "variable").items()
        if re.search(r"^  validation \{", body, re.MULTILINE)
    }
    expected = {
        name
        for test_file in (root / "tests").glob("*.tftest.hcl")
        for listed in EXPECT_FAILURES.findall(test_file.read_text(encoding="utf-8"))
        for name in re.findall(r"var\.(\w+)", listed)
    }
    assert sorted(validated - expected) == [], "validated variables no run expects to fail"


def test_the_readme_parser_sees_a_missing_variable(tmp_path: Path) -> None:
    (tmp_path / "variables.tf").write_text(
        'variable "kept" {\n  type = string\n}\n\n'
        'variable "forgotten" {\n  type    = number\n  default = 1\n}\n',
        encoding="utf-8",
    )
    (tmp_path / "README.md").write_text(
        "# m\n\n## Inputs\n\n| Name | Type | Required |\n| --- | --- | :---: |\n"
        '| <a name="input_kept"></a> [kept](#input\\_kept) | `string` | yes |\n\n## Outputs\n',
        encoding="utf-8",
    )
    assert set(variables(tmp_path)) == {"kept", "forgotten"}
    assert variables(tmp_path)["forgotten"] == Variable("forgotten", required=False, type="number")
    assert [row["name"] for row in table(tmp_path / "README.md", "Inputs")] == ["kept"]
