#!/usr/bin/env python3
"""Say plainly why a pull request from a fork gets no plan.

GitHub gives fork pull requests no OIDC token and a read-only GITHUB_TOKEN, so the plan and
comment steps are skipped rather than left to fail with an obscure credentials error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

MESSAGE = (
    "This pull request comes from a fork: it gets no AWS credentials, so no Terraform plan runs. "
    "The tests ran as usual. A maintainer can push the branch to this repository to get a plan."
)


def main() -> int:
    print(f"::notice title=No plan for fork pull requests::{MESSAGE}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(f"### No Terraform plan\n\n{MESSAGE}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
