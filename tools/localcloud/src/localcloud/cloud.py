"""The local cloud as one object: bring it up, deploy a stack, tear it down.

What the stack is and what the accounts need before it (roles, a hosted zone, the state bucket) is
the project's: a project describes its ``Stack`` and subclasses ``LocalCloud`` to create its
accounts' prerequisites (``prepare_accounts``) and to call and check what it deployed.
"""

from __future__ import annotations

import atexit
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from localcloud import emulator
from localcloud.aws import Identities, Identity
from localcloud.environments import Environments
from localcloud.paths import Paths
from localcloud.stack import Stack


class NotRunningError(RuntimeError):
    """There is no local cloud in this state directory."""


class LocalCloud:
    """The emulator of ``paths.state_dir`` and the ``stack`` deployed on it with ``variables``.

    ``zip_path``: the built function package the local Lambda runs; ``region``: the stack's;
    ``gateway_role_arn``: the role the local API Gateway reads the APIs with (localcloud.http_api).
    """

    # What a refusal because nothing runs or nothing is deployed tells the user to do.
    how_to_start = "start it and deploy the stack"

    def __init__(
        self,
        paths: Paths,
        zip_path: Path,
        *,
        stack: Stack,
        region: str,
        gateway_role_arn: str,
        variables: Mapping[str, Any],
    ) -> None:
        self.paths = paths
        self.zip_path = zip_path
        self.stack = stack
        self.region = region
        self.gateway_role_arn = gateway_role_arn
        self.variables = dict(variables)
        self._running: emulator.Emulator | None = None
        # The warm execution environments of the functions this process runs itself (a project's
        # own calls through localcloud.gateway); the emulator has its own for what it serves.
        self._environments: Environments | None = None

    @property
    def environments(self) -> Environments:
        if self._environments is None:
            self._environments = Environments()
            # No function process outlives the program that started it.
            atexit.register(self._environments.stop)
        return self._environments

    def _emulator(self) -> emulator.Emulator:
        if self._running is None:
            self._running = emulator.find(self.paths.state_dir)
        if self._running is None:
            raise NotRunningError(
                f"no local cloud is running in {self.paths.state_dir}: {self.how_to_start}"
            )
        return self._running

    @property
    def endpoint_url(self) -> str:
        return self._emulator().endpoint_url

    def identities(self) -> Identities:
        return Identities(self.endpoint_url, self.region)

    def identity(self, role: str, session_name: str, duration_seconds: int = 3600) -> Identity:
        """A fresh session of ``role`` on the emulator."""
        return self.identities().assume(role, session_name, duration_seconds)

    def prepare_accounts(self, identities: Identities) -> None:
        """Create what the stack expects to exist before it; a project overrides it. Runs on
        every ``up``, so it must be safe to run again."""
        del identities

    def up(self) -> emulator.Emulator:
        """Re-use the running emulator or start one, then create the accounts' prerequisites."""
        self._running = emulator.find(self.paths.state_dir) or emulator.start(
            self.paths.state_dir,
            self.zip_path,
            region=self.region,
            gateway_role_arn=self.gateway_role_arn,
        )
        self.prepare_accounts(self.identities())
        return self._running

    def deploy(self) -> dict[str, Any]:
        """terraform init + apply of the working copy; returns and records the stack's outputs."""
        self.stack.prepare(self.paths, self._emulator().endpoint_url, self.variables)
        self.stack.init(self.paths)
        self.stack.apply(self.paths)
        outputs = self.stack.outputs(self.paths)
        self.paths.deployment.write_text(json.dumps(outputs, indent=2) + "\n")
        return outputs

    def api_url(self) -> str:
        """http://127.0.0.1:<port>: the stack's custom domains, served over HTTP by the emulator."""
        running = self._emulator()
        if not running.api_port:
            raise NotRunningError(
                f"the local cloud in {self.paths.state_dir} predates its HTTP API: stop it and "
                "start it again"
            )
        return running.api_url

    def outputs(self) -> dict[str, Any]:
        if not self.paths.deployment.is_file():
            raise NotRunningError(
                f"nothing is deployed in {self.paths.state_dir}: {self.how_to_start}"
            )
        outputs: dict[str, Any] = json.loads(self.paths.deployment.read_text())
        return outputs

    def destroy(self) -> None:
        """terraform destroy, if the emulator still holds a deployment."""
        running = emulator.find(self.paths.state_dir)
        if running is not None and self.paths.deployment.is_file():
            self.stack.prepare(self.paths, running.endpoint_url, self.variables)
            self.stack.init(self.paths)
            self.stack.destroy(self.paths)
        self.paths.deployment.unlink(missing_ok=True)

    def down(self) -> None:
        """Destroy the stack, then discard the local cloud."""
        self.destroy()
        self.discard()

    def discard(self) -> None:
        """Stop the emulator and remove all state, without a terraform destroy first: the
        emulator keeps everything in its process, so the stack goes with it (a test's cloud)."""
        if self._environments is not None:
            self._environments.stop()
            atexit.unregister(self._environments.stop)
            self._environments = None
        emulator.stop(self.paths.state_dir)
        self._running = None
        shutil.rmtree(self.paths.state_dir, ignore_errors=True)
