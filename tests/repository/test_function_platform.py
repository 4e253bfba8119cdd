"""The zip's libraries are the wheels of the platform the functions run on.

infra/modules/function declares the functions' architecture; the Makefile installs the bundled
libraries (requirements/function.txt, awscrt's native code among them) for that platform, whatever
machine builds the zip. A change of one without the other would ship native code Lambda cannot
load, which only an import on AWS would reveal: the local cloud runs this machine's build
(localcloud.native).
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}


def make_variable(name: str) -> str:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    match = re.search(rf"^{name} := (.+)$", text, re.MULTILINE)
    assert match, f"the Makefile sets no {name}"
    return match.group(1).strip()


def test_the_bundled_wheels_are_for_the_functions_architecture() -> None:
    module = (REPO / "infra" / "modules" / "function" / "main.tf").read_text(encoding="utf-8")
    declared = set(re.findall(r"^\s*architectures\s*=\s*\[\"(\w+)\"\]", module, re.MULTILINE))
    assert len(declared) == 1, f"the functions share one zip, so one architecture: {declared}"
    machine = MACHINES[declared.pop()]
    assert make_variable("LAMBDA_PLATFORM").startswith(f"{machine}-manylinux")
    pip_platforms = make_variable("LAMBDA_PIP_PLATFORMS").split()
    assert pip_platforms
    assert all(platform.endswith(f"_{machine}") for platform in pip_platforms), pip_platforms
