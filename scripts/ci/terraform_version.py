#!/usr/bin/env python3
"""Hand the Terraform version pinned in .terraform-version to later workflow steps.

Local tooling and every workflow read the same file; this writes `version=<x.y.z>` to
GITHUB_OUTPUT (or stdout outside GitHub Actions) for hashicorp/setup-terraform.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

VERSION_FILE = Path(__file__).resolve().parents[2] / ".terraform-version"
VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def pinned_version(path: Path = VERSION_FILE) -> str:
    version = path.read_text(encoding="utf-8").strip()
    if not VERSION.fullmatch(version):
        raise SystemExit(f"{path} must hold one exact version such as 1.11.4, got {version!r}")
    return version


def main() -> int:
    line = f"version={pinned_version()}\n"
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with Path(output).open("a", encoding="utf-8") as handle:
            handle.write(line)
    else:
        sys.stdout.write(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
