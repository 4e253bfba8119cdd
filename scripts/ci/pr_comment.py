#!/usr/bin/env python3
"""Create or update an environment's plan comment on the pull request that triggered the run.

The comment is found by the hidden marker on its first line (see tfplan.py), so every push
updates the same comment instead of adding one. Reads what GitHub Actions provides:
GITHUB_TOKEN (passed by the workflow), GITHUB_API_URL, GITHUB_REPOSITORY and GITHUB_EVENT_PATH
(the pull_request event, for the pull request number).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PAGE_SIZE = 100
TIMEOUT_SECONDS = 30


class GitHub:
    """The three REST calls this script needs, with the run's token."""

    def __init__(self, api_url: str, repository: str, token: str) -> None:
        scheme = urlsplit(api_url).scheme
        if scheme != "https" and not api_url.startswith("http://127.0.0.1:"):
            raise ValueError(f"GITHUB_API_URL must be https, got {api_url!r}")
        self._base = f"{api_url.rstrip('/')}/repos/{repository}"
        self._token = token

    def _call(self, method: str, path: str, body: dict[str, str] | None = None) -> Any:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            f"{self._base}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310
            return json.loads(response.read() or b"null")

    def find_comment(self, number: int, marker: str) -> int | None:
        page = 1
        while True:
            query = f"per_page={PAGE_SIZE}&page={page}"
            comments = self._call("GET", f"/issues/{number}/comments?{query}")
            for comment in comments:
                if str(comment.get("body", "")).startswith(marker):
                    return int(comment["id"])
            if len(comments) < PAGE_SIZE:
                return None
            page += 1

    def upsert(self, number: int, marker: str, body: str) -> str:
        existing = self.find_comment(number, marker)
        if existing is None:
            created = self._call("POST", f"/issues/{number}/comments", {"body": body})
            return f"created comment {created['id']}"
        self._call("PATCH", f"/issues/comments/{existing}", {"body": body})
        return f"updated comment {existing}"


def pull_request_number(event_path: Path) -> int:
    event = json.loads(event_path.read_text(encoding="utf-8"))
    number = event.get("pull_request", {}).get("number")
    if not isinstance(number, int):
        raise SystemExit(f"{event_path} is not a pull_request event")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--body-file", required=True, type=Path, help="markdown written by tfplan.py summary"
    )
    args = parser.parse_args(argv)

    body = args.body_file.read_text(encoding="utf-8")
    marker = body.splitlines()[0] if body else ""
    if not marker.startswith("<!--"):
        raise SystemExit(f"{args.body_file} does not start with a hidden marker line")
    required = ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH")
    missing = [name for name in required if not os.environ.get(name)]
    if missing:
        raise SystemExit(f"missing environment: {', '.join(missing)}")

    github = GitHub(
        os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        os.environ["GITHUB_REPOSITORY"],
        os.environ["GITHUB_TOKEN"],
    )
    print(github.upsert(pull_request_number(Path(os.environ["GITHUB_EVENT_PATH"])), marker, body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
