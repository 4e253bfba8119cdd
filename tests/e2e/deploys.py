"""What the end-to-end fixtures that deploy do when a deployment fails on the local cloud.

A create answered "already exists" on a fresh local cloud, where nothing else creates, was sent
twice by the provider: the local cloud carried out the first one and the provider did not get its
answer. KMS CreateAlias, IAM CreateRole and Route 53 ChangeResourceRecordSets did so in three of
about fifteen fresh-clone runs, all in the first two minutes, when every group deploys at once.
The emulator's log shows no error for the first one, and the cause is not found. A fixture prints
what the emulator answered with an error, and makes such a deployment again, once, on a new local
cloud; any other failure, or a second one, fails the fixture.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from localcloud import emulator

_SENT_TWICE = re.compile(r"already exists|AlreadyExists", re.IGNORECASE)
_ANSWERED_AN_ERROR = re.compile(r'" [45]\d\d ')


def sent_twice(error: BaseException) -> bool:
    """Whether a failed deployment's error is a create answered "already exists"."""
    return _SENT_TWICE.search(str(error)) is not None


def report_emulator_errors(state_dir: Path) -> None:
    """What the emulator answered with an error or raised, on stderr, which pytest shows with the
    failed setup: the state folder and its logs go with the session, and a failed deploy in CI
    leaves nothing else to read."""
    log = emulator.log_file(state_dir)
    if not log.is_file():
        return
    lines = log.read_text(errors="replace").splitlines()
    telling = [
        line
        for line in lines
        if _ANSWERED_AN_ERROR.search(line) or "Traceback" in line or "Error" in line
    ]
    print(f"{log}: {len(lines)} lines; the last errors and refusals:", file=sys.stderr)
    for line in telling[-40:]:
        print(f"  {line}", file=sys.stderr)
