"""Every module's README shows its use from another repository by a release tag, with inputs the
module declares, outside the tables `make docs` generates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# An internal module (`_<name>`) is called only by the modules beside it, never by tag.
MODULES = sorted(
    path.parent
    for path in (REPO / "infra" / "modules").glob("*/main.tf")
    if not path.parent.name.startswith("_")
)
GENERATED = re.compile(r"<!-- BEGIN_TF_DOCS -->.*?<!-- END_TF_DOCS -->", re.DOTALL)
# Terraform's GitHub source with a subdirectory (//) and a tag (ref):
# https://developer.hashicorp.com/terraform/language/modules/sources#github
BY_TAG = re.compile(
    r'^  source\s+= "github\.com/[\w.-]+/[\w.-]+//infra/modules/(?P<module>[\w-]+)'
    r'\?ref=v(?:X\.Y\.Z|\d+\.\d+\.\d+)"$',
    re.MULTILINE,
)


def hcl_blocks(readme: Path) -> list[str]:
    text = GENERATED.sub("", readme.read_text(encoding="utf-8"))
    return re.findall(r"```hcl\n(.*?)```", text, re.DOTALL)


def declared_variables(module: Path) -> set[str]:
    text = "\n".join(path.read_text(encoding="utf-8") for path in module.glob("*.tf"))
    return set(re.findall(r'^variable "(\w+)"', text, re.MULTILINE))


def assigned_inputs(block: str) -> set[str]:
    names = set(re.findall(r"^  (\w+)\s+=", block, re.MULTILINE))
    return names - {"source", "providers"}


def test_the_modules_are_found() -> None:
    assert {module.name for module in MODULES} >= {"api", "data-bucket", "function", "monitoring"}


@pytest.mark.parametrize("module", MODULES, ids=lambda module: module.name)
def test_the_readme_shows_the_module_used_by_tag(module: Path) -> None:
    blocks = hcl_blocks(module / "README.md")
    by_tag = [block for block in blocks if BY_TAG.search(block)]
    assert by_tag, f"{module.name}/README.md has no source = github.com/...//infra/modules/...?ref="
    [block] = by_tag
    match = BY_TAG.search(block)
    assert match
    assert match.group("module") == module.name
    inputs = assigned_inputs(block)
    assert inputs, block
    assert inputs <= declared_variables(module), inputs - declared_variables(module)
    # The same inputs as the README's example from this repository: one example, two sources.
    local = [block for block in blocks if f'"../modules/{module.name}"' in block]
    assert [assigned_inputs(block) for block in local] == [inputs]
