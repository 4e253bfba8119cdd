"""Running a script of scripts/ci the way the workflows run it, and what several scripts' tests
share: the repository's root, a job's AWS credentials, and its variables for GitHub's API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

# The job's credentials as the workflows' AWS step exports them.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIDSMOKETEST",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_SESSION_TOKEN": "session-token",
    "AWS_DEFAULT_REGION": "eu-west-1",
}

# The token the stand-in GitHub APIs accept; any other is answered 401, as GitHub does.
GITHUB_TOKEN = "token-123"


def github_api(url: str) -> dict[str, str]:
    """A workflow step's variables for GitHub's REST API, pointed at the stand-in at `url`."""
    return {
        "GITHUB_API_URL": url,
        "GITHUB_REPOSITORY": "acme/randfile",
        "GITHUB_TOKEN": GITHUB_TOKEN,
    }


def run_script(name: str, *args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """The script as the Makefile runs it: a module of the repository, from its root."""
    scrubbed = {key: value for key, value in os.environ.items() if not key.startswith("GITHUB_")}
    return subprocess.run(
        [sys.executable, "-m", f"scripts.ci.{name.removesuffix('.py')}", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env={**scrubbed, **environment},
    )
