"""The environments' tfvars against what the bootstrap of an account pair can serve.

The bootstrap takes one hosted zone per account pair and lets that pair's apply roles change
records in it only (docs/deploying.md, section 1), so environments sharing a workload account
must share its zone; each domain must lie inside its environment's zone.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import hcl2
import pytest

ENVS = Path(__file__).resolve().parents[2] / "infra" / "stack" / "envs"


def tfvars(path: Path) -> dict[str, Any]:
    options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
    values: dict[str, Any] = hcl2.loads(
        path.read_text(encoding="utf-8"), serialization_options=options
    )
    return values


def zones_by_account(paths: list[Path]) -> dict[str, set[str]]:
    zones: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        values = tfvars(path)
        zones[str(values["workload_account_id"])].add(str(values["hosted_zone_name"]))
    return dict(zones)


def test_environments_of_one_workload_account_share_its_hosted_zone() -> None:
    paths = sorted(ENVS.glob("*.tfvars"))
    assert {path.stem for path in paths} >= {"dev", "prod"}
    for account, zones in zones_by_account(paths).items():
        assert len(zones) == 1, f"workload account {account} would need two zones: {zones}"


def test_the_check_catches_two_zones_in_one_account(tmp_path: Path) -> None:
    for env, zone in (("dev", "dev.example.com"), ("prod", "example.com")):
        (tmp_path / f"{env}.tfvars").write_text(
            f'workload_account_id = "111111111111"\nhosted_zone_name = "{zone}"\n'
        )
    assert zones_by_account(sorted(tmp_path.glob("*.tfvars"))) == {
        "111111111111": {"dev.example.com", "example.com"}
    }


@pytest.mark.parametrize("path", sorted(ENVS.glob("*.tfvars")), ids=lambda path: path.stem)
def test_each_domain_lies_in_its_environments_zone(path: Path) -> None:
    values = tfvars(path)
    assert str(values["domain_name"]).endswith(f".{values['hosted_zone_name']}")
