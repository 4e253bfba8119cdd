"""randfile on the local cloud: its accounts, roles, domain, state, and the stack's inputs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from localcloud.aws import role_arn
from localcloud.stack import Backend, Stack

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STATE_DIR = REPO_ROOT / "build" / "localcloud"
DEFAULT_ZIP = REPO_ROOT / "dist" / "randfile.zip"
# Terraform with the provider mirror (no internet): every Terraform command here runs through it.
TERRAFORM = REPO_ROOT / "scripts" / "terraform"
# The function's Python version (major.minor), named once: the function module makes its runtime
# python<version> from this file, and the unit tests run on it too (make test-unit-runtime).
PYTHON_VERSION_FILE = REPO_ROOT / "infra" / "modules" / "function" / "python-version"
LAMBDA_PYTHON: Final = PYTHON_VERSION_FILE.read_text(encoding="utf-8").strip()

REGION: Final = "eu-west-1"
# moto answers unknown access keys as this account; it stands for the organisation's management
# account, the only identity that exists before the two member accounts are set up.
MANAGEMENT_ACCOUNT_ID = "123456789012"
WORKLOAD_ACCOUNT_ID = "111111111111"
DATA_ACCOUNT_ID = "222222222222"
# The role AWS Organizations creates in every member account; moto lets it be assumed unseen.
MEMBER_ACCESS_ROLE = "OrganizationAccountAccessRole"
DEPLOY_ROLE = "randfile-localcloud-deploy"
# A separate identity calls the API, as a client of the workload account would.
CALLER_ROLE = "randfile-localcloud-caller"
# The local API Gateway reads the REST API (workload account) with the deploy role.
GATEWAY_ROLE_ARN = role_arn(WORKLOAD_ACCOUNT_ID, DEPLOY_ROLE)

ENVIRONMENT = "demo"
HOSTED_ZONE = "randfile.test"
DOMAIN = f"api.{HOSTED_ZONE}"
STATE_BUCKET = f"randfile-tfstate-{WORKLOAD_ACCOUNT_ID}-{REGION}"
STATE_KEY = f"randfile/{ENVIRONMENT}/terraform.tfstate"

# infra/ copied whole (the stack's root references ../modules), its root infra/stack with one
# provider configuration per account, its state in the workload account's bucket.
STACK = Stack(
    source=REPO_ROOT / "infra",
    root="stack",
    provider_aliases=("workload", "data"),
    backend=Backend(
        bucket=STATE_BUCKET,
        key=STATE_KEY,
        region=REGION,
        role_arn=role_arn(WORKLOAD_ACCOUNT_ID, DEPLOY_ROLE),
    ),
    terraform=TERRAFORM,
)


def stack_variables(zip_path: Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The local environment's inputs of infra/stack; ``overrides`` sets any other input."""
    return {
        "environment": ENVIRONMENT,
        "region": REGION,
        "workload_account_id": WORKLOAD_ACCOUNT_ID,
        "data_account_id": DATA_ACCOUNT_ID,
        "workload_role_arn": role_arn(WORKLOAD_ACCOUNT_ID, DEPLOY_ROLE),
        "data_role_arn": role_arn(DATA_ACCOUNT_ID, DEPLOY_ROLE),
        # The deploy role administers the bucket key (when there is one) through its key policy,
        # as the CI apply role does in AWS.
        "bucket_kms_key_administrator_arns": [role_arn(DATA_ACCOUNT_ID, DEPLOY_ROLE)],
        "repository": "local/randfile",
        "hosted_zone_name": HOSTED_ZONE,
        "domain_name": DOMAIN,
        "function_zip_path": str(zip_path.resolve()),
        # A throw-away environment: `make demo-down` must be able to delete the written files.
        "bucket_force_destroy": True,
        # Jobs up to 1 GiB: the emulator keeps what it is sent, and schemathesis asks for the
        # largest size the API documents (400 here, not a 10 GiB job).
        "max_job_bytes": 2**30,
        **(overrides or {}),
    }
