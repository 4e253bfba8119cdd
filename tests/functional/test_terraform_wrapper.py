"""scripts/terraform: under concurrency (make test runs many Terraform commands at once, and each
must see the whole CLI configuration: a half-written one sends Terraform to the registry), and the
Go garbage collector setting it gives Terraform and its providers."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# A stand-in `terraform` that prints the configuration the wrapper pointed it at.
FAKE_TERRAFORM = '#!/bin/sh\ncat "$TF_CLI_CONFIG_FILE"\n'
# One that prints the Go garbage collector setting it was given.
FAKE_TERRAFORM_GOGC = '#!/bin/sh\necho "GOGC=$GOGC"\n'


def _wrapper_with(tmp_path: Path, fake_terraform: str) -> dict[str, str]:
    """A copy of the wrapper in a repository of its own (so its build/ is the test's, not ours)
    with ``fake_terraform`` as `terraform` on PATH and a mirror; the environment to run it in."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "terraform", tmp_path / "scripts" / "terraform")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "terraform"
    fake.write_text(fake_terraform)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    mirror = tmp_path / "mirror"
    (mirror / "registry.terraform.io" / "hashicorp" / "aws").mkdir(parents=True)
    return {
        **{
            key: value
            for key, value in os.environ.items()
            if not key.startswith("TF_") and key != "GOGC"
        },
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "TF_PROVIDER_MIRROR": str(mirror),
    }


def test_concurrent_commands_each_read_a_complete_configuration(tmp_path: Path) -> None:
    environment = _wrapper_with(tmp_path, FAKE_TERRAFORM)
    mirror = environment["TF_PROVIDER_MIRROR"]

    def run(_: int) -> str:
        done = subprocess.run(
            ["bash", str(tmp_path / "scripts" / "terraform"), "version"],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    with ThreadPoolExecutor(max_workers=16) as pool:
        configurations = list(pool.map(run, range(200)))

    complete = [text for text in configurations if f'path    = "{mirror}"' in text]
    assert len(complete) == len(configurations), (
        f"{len(configurations) - len(complete)} of {len(configurations)} commands read a "
        "partial CLI configuration"
    )
    # No staging file is left behind.
    assert sorted(path.name for path in (tmp_path / "build").iterdir()) == ["terraform.rc"]


def test_terraform_gets_a_larger_heap_goal_unless_the_caller_sets_one(tmp_path: Path) -> None:
    """GOGC=400: a quarter less CPU for each provider start (docs/performance.md)."""
    environment = _wrapper_with(tmp_path, FAKE_TERRAFORM_GOGC)
    wrapper = ["bash", str(tmp_path / "scripts" / "terraform"), "version"]

    def gogc(**extra: str) -> str:
        done = subprocess.run(
            wrapper, env={**environment, **extra}, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert gogc() == "GOGC=400"
    assert gogc(GOGC="100") == "GOGC=100"
