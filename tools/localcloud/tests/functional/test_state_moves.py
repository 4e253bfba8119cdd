"""move_instances leaves the state `terraform state mv` leaves, checked against Terraform itself.

The resources are `terraform_data`, built into Terraform, so no provider is needed: the same
moves are made by `terraform state mv` (one command each) in one copy of an applied state and by
move_instances (one rewrite) in another, and the two states must hold the same resources."""

from __future__ import annotations

import json
import shutil
import subprocess  # nosec B404
from pathlib import Path
from typing import Any

import pytest

from localcloud.state_moves import move_instances

CONFIGURATION = """
resource "terraform_data" "role" {
  for_each = toset(["dev-plan", "dev-apply", "prod-plan"])
  input    = each.key
}

module "api" {
  source = "./api"
}
"""

MODULE = """
resource "terraform_data" "this" {
  for_each = toset(["post_files", "get_job"])
  input    = each.key
}
"""

MOVES = {
    'terraform_data.role["dev-plan"]': 'terraform_data.role_plan["dev"]',
    'terraform_data.role["prod-plan"]': 'terraform_data.role_plan["prod"]',
    'terraform_data.role["dev-apply"]': 'terraform_data.role_apply["dev"]',
    'module.api.terraform_data.this["post_files"]': "module.api.terraform_data.api",
}


def terraform(workdir: Path, *args: str) -> str:
    """Terraform on PATH in ``workdir``; its output."""
    return subprocess.run(  # nosec B603 B607
        ["terraform", f"-chdir={workdir}", *args], check=True, capture_output=True, text=True
    ).stdout


def resources(state_file: Path) -> list[tuple[Any, ...]]:
    """Every instance: its address parts and object, in a stable order."""
    state = json.loads(state_file.read_text(encoding="utf-8"))
    return sorted(
        (
            resource.get("module", ""),
            resource["type"],
            resource["name"],
            resource["provider"],
            str(instance.get("index_key")),
            json.dumps(instance["attributes"], sort_keys=True),
        )
        for resource in state["resources"]
        for instance in resource["instances"]
    )


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("applied")
    (workdir / "main.tf").write_text(CONFIGURATION, encoding="utf-8")
    (workdir / "api").mkdir()
    (workdir / "api" / "main.tf").write_text(MODULE, encoding="utf-8")
    terraform(workdir, "init", "-input=false")
    terraform(workdir, "apply", "-input=false", "-auto-approve")
    return workdir


def test_the_rewrite_leaves_the_state_terraform_state_mv_leaves(
    applied: Path, tmp_path: Path
) -> None:
    by_terraform = tmp_path / "by-terraform"
    shutil.copytree(applied, by_terraform)
    for source, destination in MOVES.items():
        terraform(by_terraform, "state", "mv", source, destination)
    by_rewrite = tmp_path / "by-rewrite"
    shutil.copytree(applied, by_rewrite)
    before = json.loads((by_rewrite / "terraform.tfstate").read_text(encoding="utf-8"))

    move_instances(by_rewrite / "terraform.tfstate", MOVES)

    assert resources(by_rewrite / "terraform.tfstate") == resources(
        by_terraform / "terraform.tfstate"
    )
    after = json.loads((by_rewrite / "terraform.tfstate").read_text(encoding="utf-8"))
    assert after["serial"] > before["serial"]
    assert after["lineage"] == before["lineage"]


def test_terraform_reads_the_rewritten_state(applied: Path, tmp_path: Path) -> None:
    """`terraform state list` takes the file and lists every new address, and no old one."""
    copy = tmp_path / "copy"
    shutil.copytree(applied, copy)
    move_instances(copy / "terraform.tfstate", MOVES)
    listed = terraform(copy, "state", "list").split()
    assert set(MOVES.values()) <= set(listed)
    assert not set(MOVES) & set(listed)
    assert 'terraform_data.role["dev-apply"]' not in listed
    assert 'module.api.terraform_data.this["get_job"]' in listed


@pytest.mark.parametrize(
    ("moves", "refusal"),
    [
        ({'terraform_data.role["qa-plan"]': 'terraform_data.role_plan["qa"]'}, "is not in"),
        ({'terraform_data.role["dev-plan"]': 'terraform_data.role["prod-plan"]'}, "already in"),
        ({"data.aws_caller_identity.this": "terraform_data.x"}, "is not a managed resource"),
    ],
)
def test_a_move_terraform_would_refuse_is_refused_and_the_file_is_untouched(
    applied: Path, tmp_path: Path, moves: dict[str, str], refusal: str
) -> None:
    state_file = tmp_path / "terraform.tfstate"
    shutil.copy(applied / "terraform.tfstate", state_file)
    before = state_file.read_bytes()
    with pytest.raises(ValueError, match=refusal):
        move_instances(state_file, moves)
    assert state_file.read_bytes() == before
