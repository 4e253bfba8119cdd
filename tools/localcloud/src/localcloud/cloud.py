"""The local cloud as one object: bring it up, deploy the stack, call the API, check, tear down."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud import accounts, emulator, endpoint, gateway, model, stack, verify
from localcloud.aws import Identities, Identity
from localcloud.settings import (
    CALLER_ROLE,
    DATA_ACCOUNT_ID,
    DEFAULT_ZIP,
    DEPLOY_ROLE,
    DOMAIN,
    WORKLOAD_ACCOUNT_ID,
    Paths,
    role_arn,
)

FILES_PATH = "/files"


class NotRunningError(RuntimeError):
    """There is no local cloud in this state directory."""


@dataclass
class Cloud:
    paths: Paths
    zip_path: Path = DEFAULT_ZIP
    # Inputs of infra/stack beyond the local environment's own, e.g. {"kms_encryption": True}.
    variables: dict[str, Any] = field(default_factory=dict)
    # Identities by role ARN: moto's temporary credentials outlive any demo or test run.
    _identities: dict[str, Identity] = field(default_factory=dict, init=False, repr=False)
    _running: emulator.Emulator | None = field(default=None, init=False, repr=False)

    def _emulator(self) -> emulator.Emulator:
        if self._running is None:
            self._running = emulator.find(self.paths.state_dir)
        if self._running is None:
            raise NotRunningError(
                f"no local cloud is running in {self.paths.state_dir}: run `make demo`"
            )
        return self._running

    @property
    def endpoint_url(self) -> str:
        return self._emulator().endpoint_url

    def identity(self, role: str, session_name: str, duration_seconds: int = 3600) -> Identity:
        """A fresh session of ``role`` on the emulator."""
        return Identities(self.endpoint_url).assume(role, session_name, duration_seconds)

    def up(self) -> emulator.Emulator:
        """Re-use the running emulator or start one, then create the accounts' prerequisites."""
        self._identities.clear()
        self._running = emulator.find(self.paths.state_dir) or emulator.start(
            self.paths.state_dir, self.zip_path
        )
        accounts.bootstrap(Identities(self._running.endpoint_url))
        return self._running

    def deploy(self) -> dict[str, Any]:
        """terraform init + apply of the working copy; returns and records the stack's outputs."""
        stack.prepare(self.paths, self._emulator().endpoint_url, self.zip_path, self.variables)
        stack.init(self.paths)
        stack.apply(self.paths)
        outputs = stack.outputs(self.paths)
        self.paths.deployment.write_text(json.dumps(outputs, indent=2) + "\n")
        return outputs

    def api_url(self) -> str:
        """http://127.0.0.1:<port>: the custom domain's API, served over HTTP by the emulator."""
        running = self._emulator()
        if not running.api_port:
            raise NotRunningError(
                f"the local cloud in {self.paths.state_dir} predates its HTTP API: "
                "run `make demo-down`, then `make demo`"
            )
        return running.api_url

    def publish_endpoint(self) -> endpoint.Published:
        """Write what the `randfile` client and awscurl need: the endpoint file (URL, Host,
        region, API key) and a credentials profile of the caller role (12-hour keys)."""
        outputs = self.outputs()
        caller = self.identity(
            role_arn(WORKLOAD_ACCOUNT_ID, CALLER_ROLE),
            "localcloud-client",
            accounts.MAX_SESSION_SECONDS,
        )
        return endpoint.publish(
            self.paths,
            api_url=self.api_url(),
            domain=outputs.get("custom_domain_name") or DOMAIN,
            api_key=self.caller().api_key,
            credentials=caller.credentials,
        )

    def outputs(self) -> dict[str, Any]:
        if not self.paths.deployment.is_file():
            raise NotRunningError(f"nothing is deployed in {self.paths.state_dir}: run `make demo`")
        outputs: dict[str, Any] = json.loads(self.paths.deployment.read_text())
        return outputs

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
            domain_name=domain,
            path=path,
            body=body,
        )

    def verify(self, response: gateway.Response) -> verify.StoredObject:
        return verify.stored_object(self.data(), self.workload(), response.json())

    def destroy(self) -> None:
        """terraform destroy, if the emulator still holds a deployment."""
        running = emulator.find(self.paths.state_dir)
        if running is not None and self.paths.deployment.is_file():
            stack.prepare(self.paths, running.endpoint_url, self.zip_path, self.variables)
            stack.init(self.paths)
            stack.destroy(self.paths)
        self.paths.deployment.unlink(missing_ok=True)

    def down(self) -> None:
        """Destroy the stack, then discard the local cloud."""
        self.destroy()
        self.discard()

    def discard(self) -> None:
        """Stop the emulator and remove all state, without a terraform destroy first: the
        emulator keeps everything in its process, so the stack goes with it (a test's cloud)."""
        emulator.stop(self.paths.state_dir)
        self._running = None
        self._identities.clear()
        shutil.rmtree(self.paths.state_dir, ignore_errors=True)
