"""randfile's stack as the local cloud deploys it (tools/randfile_localcloud/settings.py)."""

from __future__ import annotations

from pathlib import Path

from localcloud import stack
from randfile_localcloud.settings import DEPLOY_ROLE, STACK, WORKLOAD_ACCOUNT_ID, stack_variables


def test_every_resource_type_of_infra_has_its_endpoint_on_the_emulator() -> None:
    stack.check_services(STACK.source)


def test_the_override_points_both_accounts_providers_at_the_emulator() -> None:
    override = STACK.override_file("http://127.0.0.1:1234")

    assert STACK.provider_aliases == ("workload", "data")
    assert override.count('= "http://127.0.0.1:1234"') == 2 * len(stack.SERVICES)


def test_the_state_is_read_as_the_workload_accounts_deploy_role() -> None:
    backend = STACK.backend_config("http://127.0.0.1:1234")

    assert f'role_arn = "arn:aws:iam::{WORKLOAD_ACCOUNT_ID}:role/{DEPLOY_ROLE}"' in backend


def test_an_override_replaces_a_default_input() -> None:
    zip_path = Path("dist/randfile.zip")
    inputs = stack_variables(zip_path, {"kms_encryption": True, "environment": "other"})

    assert inputs["environment"] == "other"
    assert inputs["kms_encryption"] is True
    assert inputs["function_zip_path"] == str(zip_path.resolve())
