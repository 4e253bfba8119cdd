#!/usr/bin/env python3
"""Create, update or mark stale an environment's plan comment on the triggering pull request.

A comment is ours when the workflow's bot wrote it (see github_api.BOT_LOGIN) and its first line
is the hidden marker tfplan.py writes; comments by anyone else are never edited, even when they
quote the marker. Every push updates the same comment instead of adding one, and when a newer
run starts, `--mark-stale` flags the previous plans as outdated until the new ones replace them.

Reads what GitHub Actions provides: GITHUB_TOKEN (passed by the workflow), GITHUB_API_URL,
GITHUB_REPOSITORY, GITHUB_SERVER_URL, GITHUB_RUN_ID and GITHUB_EVENT_PATH (the pull_request
event: its number and head commit).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from scripts.ci.github_api import BOT_LOGIN, GitHub, written_by_bot

MARKER_PREFIX = "<!-- randfile-plan:"
STALE_PREFIX = "> [!WARNING]\n> **Outdated plan.**"


def pull_request(event_path: Path) -> tuple[int, str]:
    """The pull request's number and head commit, from the pull_request event."""
    event = json.loads(event_path.read_text(encoding="utf-8"))
    number = event.get("pull_request", {}).get("number")
    head = event.get("pull_request", {}).get("head", {}).get("sha")
    if not isinstance(number, int) or not isinstance(head, str):
        raise SystemExit(f"{event_path} is not a pull_request event")
    return number, head


def our_comments(github: GitHub, number: int, bot_login: str) -> Iterator[dict[str, Any]]:
    for comment in github.pages(f"/issues/{number}/comments"):
        if written_by_bot(comment, bot_login) and str(comment.get("body", "")).startswith(
            MARKER_PREFIX
        ):
            yield comment


def upsert(github: GitHub, number: int, body: str, bot_login: str) -> str:
    marker = body.splitlines()[0]
    for comment in our_comments(github, number, bot_login):
        if str(comment["body"]).splitlines()[0] == marker:
            github.call("PATCH", f"/issues/comments/{comment['id']}", {"body": body})
            return f"updated comment {comment['id']}"
    created = github.call("POST", f"/issues/{number}/comments", {"body": body})
    return f"created comment {created['id']}"


def stale_banner(head: str, run_url: str | None) -> str:
    run = f"[a newer run]({run_url})" if run_url else "a newer run"
    return (
        f"{STALE_PREFIX} {run} is planning `{head[:12]}`; this comment will be replaced "
        "by its plan. Do not review the plan below.\n"
    )


def mark_stale(github: GitHub, number: int, head: str, bot_login: str) -> list[str]:
    """Put the stale banner under the marker of each of our plan comments (replacing an old one)."""
    banner = stale_banner(head, github.run_url())
    changed = []
    for comment in our_comments(github, number, bot_login):
        marker, _, rest = str(comment["body"]).partition("\n")
        if rest.startswith(STALE_PREFIX):
            rest = rest.split("\n\n", 1)[1] if "\n\n" in rest else ""
        github.call(
            "PATCH", f"/issues/comments/{comment['id']}", {"body": f"{marker}\n{banner}\n{rest}"}
        )
        changed.append(f"marked comment {comment['id']} stale")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--body-file", type=Path, help="markdown written by tfplan.py summary")
    action.add_argument(
        "--mark-stale", action="store_true", help="flag our plan comments as outdated"
    )
    parser.add_argument(
        "--bot-login", default=BOT_LOGIN, help="the only author whose comments are edited"
    )
    args = parser.parse_args(argv)

    body = ""
    if args.body_file:
        body = args.body_file.read_text(encoding="utf-8")
        if not body.startswith(MARKER_PREFIX):
            raise SystemExit(f"{args.body_file} does not start with a hidden marker line")
    if not os.environ.get("GITHUB_EVENT_PATH"):
        raise SystemExit("missing environment: GITHUB_EVENT_PATH")
    github = GitHub.from_environment()
    number, head = pull_request(Path(os.environ["GITHUB_EVENT_PATH"]))
    if args.mark_stale:
        print("\n".join(mark_stale(github, number, head, args.bot_login)) or "no plan comment yet")
    else:
        print(upsert(github, number, body, args.bot_login))
    return 0


if __name__ == "__main__":
    sys.exit(main())
