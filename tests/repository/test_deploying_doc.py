"""docs/deploying.md's bootstrap variables against infra/bootstrap: a stranger who copies the
example must be asked for nothing and refused nothing (every required variable set, no unknown one).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "deploying.md"
BOOTSTRAP = REPO / "infra" / "bootstrap"
# The heredoc the doc writes the bootstrap's variables with.
OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
EXAMPLE = re.compile(r"cat > ~/randfile-bootstrap-dev\.tfvars <<'HCL'\n(.*?)\nHCL\n", re.S)


def bootstrap_variables() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(BOOTSTRAP.glob("*.tf")):
        document: dict[str, Any] = hcl2.loads(
            path.read_text(encoding="utf-8"), serialization_options=OPTIONS
        )
        for block in document.get("variable", []):
            found.update(block)
    return found


def example_values() -> dict[str, Any]:
    match = EXAMPLE.search(DOC.read_text(encoding="utf-8"))
    assert match, "docs/deploying.md no longer writes the bootstrap's tfvars as a heredoc"
    values: dict[str, Any] = hcl2.loads(match.group(1), serialization_options=OPTIONS)
    return values


def test_the_example_sets_every_required_bootstrap_variable() -> None:
    required = {name for name, body in bootstrap_variables().items() if "default" not in body}
    assert required, "the bootstrap declares no required variable: the parsing is broken"
    missing = required - set(example_values())
    assert not missing, f"docs/deploying.md's bootstrap example omits {sorted(missing)}"


def test_the_example_sets_no_unknown_bootstrap_variable() -> None:
    unknown = set(example_values()) - set(bootstrap_variables())
    assert not unknown, f"docs/deploying.md's bootstrap example sets unknown {sorted(unknown)}"
