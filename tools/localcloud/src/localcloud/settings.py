"""The names of the local cloud: accounts, roles, domain, and where its state lives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_STATE_DIR = REPO_ROOT / "build" / "localcloud"
DEFAULT_ZIP = REPO_ROOT / "dist" / "randfile.zip"
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
STATIC_CREDENTIALS = ("test", "test")

ENVIRONMENT = "demo"
HOSTED_ZONE = "randfile.test"
DOMAIN = f"api.{HOSTED_ZONE}"
STATE_BUCKET = f"randfile-tfstate-{WORKLOAD_ACCOUNT_ID}-{REGION}"
STATE_KEY = f"randfile/{ENVIRONMENT}/terraform.tfstate"


def role_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{name}"


@dataclass(frozen=True)
class Paths:
    """Everything one local cloud keeps on disk; a demo and a test each have their own."""

    state_dir: Path

    @property
    def working_copy(self) -> Path:
        return self.state_dir / "infra"

    @property
    def stack_dir(self) -> Path:
        return self.working_copy / "stack"

    @property
    def tfvars(self) -> Path:
        return self.state_dir / "localcloud.tfvars.json"

    @property
    def backend_config(self) -> Path:
        return self.state_dir / "localcloud.s3.tfbackend"

    @property
    def deployment(self) -> Path:
        return self.state_dir / "deployment.json"

    @property
    def terraform_log(self) -> Path:
        return self.state_dir / "terraform.log"
