#!/usr/bin/env python3
"""Refuse to plan or apply a commit that is no longer the release branch's head.

Runs of two merges minutes apart race: `make test` takes a varying time, so the older run can
reach an environment after the newer one, and its plan would revert the newer deploy. Before a
plan and again before an apply, this compares the commit being deployed with the head of the
release branch (GET /repos/{owner}/{repo}/branches/{branch}, `contents: read`) and stops a
superseded run with a "Superseded" error: the newer run deploys main's head.

A manual dispatch (GITHUB_EVENT_NAME workflow_dispatch) naming an older commit is how to roll
back: it is allowed when the commit is in the release branch's history (the compare API answers
"behind" or "identical", https://docs.github.com/en/rest/commits/commits#compare-two-commits), so
only reviewed commits of main are ever deployed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import urllib.error
from collections.abc import Sequence
from urllib.parse import quote

from scripts.ci.github_api import GitHub, append_step_summary

COMMIT = re.compile(r"[0-9a-f]{40}")
# compare/{base}...{head}: "behind" means base (the release branch) is ahead of head (the commit).
IN_HISTORY = {"behind", "identical"}


def branch_head(github: GitHub, branch: str) -> str:
    head: str = github.call("GET", f"/branches/{quote(branch, safe='')}")["commit"]["sha"]
    return head


def in_history(github: GitHub, commit: str, branch: str) -> bool:
    try:
        status = github.call("GET", f"/compare/{quote(branch, safe='')}...{commit}")["status"]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        raise
    return status in IN_HISTORY


def verdict(github: GitHub, env: str, commit: str, branch: str, event: str) -> tuple[bool, str]:
    """Whether the run may go on, and the line that says why."""
    if event == "workflow_dispatch":
        if in_history(github, commit, branch):
            return True, (
                f"::notice title=Deploying {commit[:12]} to {env} by hand::a manual dispatch "
                f"deploys a commit of {branch}'s history (a rollback); the next merge deploys "
                f"{branch}'s head again"
            )
        return False, (
            f"::error title=Not a commit of {branch} ({env})::{commit} is not in {branch}'s "
            f"history: only reviewed commits of {branch} are deployed"
        )
    head = branch_head(github, branch)
    if head == commit:
        return True, f"{commit[:12]} is {branch}'s head: deploying it to {env}"
    return False, (
        f"::error title=Superseded ({env})::{commit[:12]} is no longer {branch}'s head "
        f"({head[:12]} is): the run of {head[:12]} deploys {env}, this run stops without "
        "changing it. To roll back on purpose, dispatch the deploy workflow naming a commit."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env", required=True)
    parser.add_argument("--commit", required=True, help="the commit this run deploys")
    parser.add_argument("--branch", default="main", help="the release branch")
    args = parser.parse_args(argv)
    if not COMMIT.fullmatch(args.commit):
        raise SystemExit(f"--commit must be a full commit id, got {args.commit!r}")
    event = os.environ.get("GITHUB_EVENT_NAME", "push")
    go_on, line = verdict(GitHub.from_environment(), args.env, args.commit, args.branch, event)
    print(line)
    if not go_on:
        append_step_summary(f"### `{args.env}` not deployed\n\n{line.split('::', 2)[2]}\n")
    return 0 if go_on else 1


if __name__ == "__main__":
    sys.exit(main())
