"""Everything one local cloud keeps on disk, under its state directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """The files of one local cloud; a demo and a test each have their own state directory."""

    state_dir: Path

    @property
    def working_copy(self) -> Path:
        """Where the stack's source folder is copied to and run (localcloud.stack)."""
        return self.state_dir / "infra"

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
