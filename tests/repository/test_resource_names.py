"""The bootstrap and the stack name the stack's resources the same way: both read the names from
infra/modules/_names, with the same prefix, and neither spells a name of its own.

The bootstrap scopes each environment's CI roles to those names (functions, table, queues, log
groups, alarms, bucket...), so a name spelled differently in one root fails a deploy at the first
refused call. infra/stack's tests check that the modules create what _names names; this file
checks the other side: where the two roots get their names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.repository.test_module_conventions import REPO, load

NAMES = "../modules/_names"
ROOTS = {"stack": REPO / "infra" / "stack", "bootstrap": REPO / "infra" / "bootstrap"}

# What building a stack's name by hand looks like: the prefix joined to an environment, or a
# resource's suffix, log group path or alias written out. STS session names are not resources.
HAND_MADE_NAME = re.compile(
    r"\$\{var\.name_prefix\}-\$\{"
    r"|randfile-\$\{"
    r"|-(?:worker|jobs|jobs-queue|jobs-dead-letter|jobs-failed|alarms|function|data)\b[^\"]*\""
    r"|/aws/(?:lambda|apigateway)/"
)


def names_calls(root: Path) -> list[dict[str, Any]]:
    return [
        body
        for path in sorted(root.glob("*.tf"))
        for block in load(path).get("module", [])
        for body in block.values()
        if body.get("source") == NAMES
    ]


def hand_made_names(text: str) -> list[str]:
    """Code lines (comments and STS session names aside) that spell a stack resource's name."""
    found = []
    for line in text.splitlines():
        code = line.split("#", 1)[0]
        if code.strip().startswith("session_name"):
            continue
        if HAND_MADE_NAME.search(code):
            found.append(line.strip())
    return found


def default(path: Path, variable: str) -> Any:
    [value] = [
        body[variable].get("default")
        for block in load(path).get("variable", [])
        for body in [block]
        if variable in body
    ]
    return value


@pytest.mark.parametrize("root", ROOTS.values(), ids=ROOTS.keys())
def test_each_root_reads_the_names_module_once(root: Path) -> None:
    [call] = names_calls(root)
    assert "environment" in call


def test_both_roots_give_the_same_prefix() -> None:
    [stack] = names_calls(ROOTS["stack"])
    [bootstrap] = names_calls(ROOTS["bootstrap"])
    # The stack keeps _names' default prefix; the bootstrap passes its name_prefix, whose default
    # must be that same prefix, or the CI roles would be scoped to names the stack never makes.
    assert "prefix" not in stack
    assert bootstrap["prefix"] == "${var.name_prefix}"
    names_prefix = default(REPO / "infra" / "modules" / "_names" / "variables.tf", "prefix")
    assert default(ROOTS["bootstrap"] / "variables.tf", "name_prefix") == names_prefix


@pytest.mark.parametrize("root", ROOTS.values(), ids=ROOTS.keys())
def test_no_root_spells_a_stack_name_of_its_own(root: Path) -> None:
    found = {
        path.name: lines
        for path in sorted(root.glob("*.tf"))
        if (lines := hand_made_names(path.read_text(encoding="utf-8")))
    }
    assert not found, f"names built outside infra/modules/_names: {found}"


@pytest.mark.parametrize(
    "line",
    [
        'worker = "arn:${local.partition}:lambda:function:${var.name_prefix}-${env}-worker"',
        '  name = "randfile-${var.environment}"',
        '  function_role_name = "${local.name}-function"',
        'for group in ["/aws/lambda/${local.name}"] : group',
        'topic = "arn:${local.partition}:sns:${var.region}:${local.name}-alarms"',
    ],
)
def test_the_check_catches_the_names_the_roots_used_to_spell(line: str) -> None:
    assert hand_made_names(line) == [line.strip()]


def test_the_check_leaves_what_is_not_a_stack_name() -> None:
    text = "\n".join(
        [
            '      session_name = "randfile-${var.environment}-data"',
            '  apply = "${var.name_prefix}-ci-${env}-apply" # the bootstrap\'s own role',
            '      values   = ["alias/aws/dynamodb"]',
            "  # /aws/lambda/randfile-dev-worker, in a comment",
        ]
    )
    assert hand_made_names(text) == []
