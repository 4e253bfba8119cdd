"""randfile on the local cloud: its accounts, its stack, a call of its API, the check of a file.

``Cloud`` is localcloud's ``LocalCloud`` with randfile's settings: the two member accounts'
prerequisites, infra/stack with the local environment's inputs, and the identities, calls and
checks that the demo and the end-to-end tests make.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from localcloud import emulator, gateway, model
from localcloud.aws import Identities, Identity, role_arn
from localcloud.cloud import LocalCloud
from localcloud.endpoint import Published, publish
from localcloud.paths import Paths
from randfile_localcloud import accounts, verify
from randfile_localcloud.settings import (
    CALLER_ROLE,
    DATA_ACCOUNT_ID,
    DEFAULT_ZIP,
    DEPLOY_ROLE,
    DOMAIN,
    GATEWAY_ROLE_ARN,
    REGION,
    STACK,
    WORKLOAD_ACCOUNT_ID,
    stack_variables,
)

FILES_PATH = "/files"
# The credentials profile `make demo` writes for the caller role (README, docs).
PROFILE = "randfile-local"
# The data account's profile beside it: what `randfile verify --env local` reads the bucket with.
DATA_PROFILE = "randfile-local-data"


def start_emulator(
    state_dir: Path, zip_path: Path = DEFAULT_ZIP, *, record_to: Path | None = None
) -> emulator.Emulator:
    """An emulator for randfile's stack, nothing deployed (for tests that run Terraform)."""
    return emulator.start(
        state_dir, zip_path, region=REGION, gateway_role_arn=GATEWAY_ROLE_ARN, record_to=record_to
    )


class Cloud(LocalCloud):
    """``overrides``: inputs of infra/stack beyond the local environment's, e.g.
    {"kms_encryption": True}."""

    how_to_start = "run `make demo`"

    def __init__(
        self,
        paths: Paths,
        zip_path: Path = DEFAULT_ZIP,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            paths,
            zip_path,
            stack=STACK,
            region=REGION,
            gateway_role_arn=GATEWAY_ROLE_ARN,
            variables=stack_variables(zip_path, overrides),
        )
        # Identities by role ARN: moto's temporary credentials outlive any demo or test run.
        self._identities: dict[str, Identity] = {}

    def prepare_accounts(self, identities: Identities) -> None:
        self._identities.clear()
        accounts.bootstrap(identities)

    def discard(self) -> None:
        super().discard()
        self._identities.clear()

    def publish_endpoint(self) -> Published:
        """Write what the `randfile` client and awscurl need: the endpoint file (URL, Host,
        region, API key, the emulator's URL) and credentials profiles of the caller role and,
        for `randfile verify --env local`'s reads of the bucket, of the data account (12-hour
        keys)."""
        outputs = self.outputs()
        caller = self.identity(
            role_arn(WORKLOAD_ACCOUNT_ID, CALLER_ROLE),
            "localcloud-client",
            accounts.MAX_SESSION_SECONDS,
        )
        data = self.identity(
            role_arn(DATA_ACCOUNT_ID, DEPLOY_ROLE),
            "localcloud-reader",
            accounts.MAX_SESSION_SECONDS,
        )
        return publish(
            self.paths,
            api_url=self.api_url(),
            domain=outputs.get("custom_domain_name") or DOMAIN,
            region=REGION,
            profile=PROFILE,
            api_key=self.caller().api_key,
            credentials=caller.credentials,
            aws_endpoint=self.endpoint_url,
            other_profiles={DATA_PROFILE: data.credentials},
        )

    def _identity(self, role: str, session_name: str) -> Identity:
        if role not in self._identities:
            self._identities[role] = self.identity(role, session_name)
        return self._identities[role]

    def workload(self) -> Identity:
        return self._identity(role_arn(WORKLOAD_ACCOUNT_ID, DEPLOY_ROLE), "localcloud-deploy")

    def data(self) -> Identity:
        return self._identity(role_arn(DATA_ACCOUNT_ID, DEPLOY_ROLE), "localcloud-deploy")

    def caller(self) -> model.Caller:
        """A client of the workload account, holding the API key its owners handed out."""
        identity = self._identity(role_arn(WORKLOAD_ACCOUNT_ID, CALLER_ROLE), "localcloud-caller")
        key_id = self.outputs().get("api_key_id")
        api_key = (
            self.workload().apigateway().get_api_key(apiKey=key_id, includeValue=True).get("value")
            if key_id
            else None
        )
        return model.Caller(
            arn=identity.arn(),
            account_id=identity.account_id(),
            access_key_id=identity.credentials.access_key_id,
            api_key=api_key,
        )

    def call(self, body: str, path: str = FILES_PATH) -> gateway.Response:
        domain = self.outputs().get("custom_domain_name") or DOMAIN
        return gateway.request(
            self.workload(),
            caller=self.caller(),
            zip_path=self.zip_path,
            environments=self.environments,
            domain_name=domain,
            path=path,
            body=body,
        )

    def verify(self, response: gateway.Response) -> verify.VerifiedObject:
        return verify.stored_object(self.data(), self.workload(), response.json())
