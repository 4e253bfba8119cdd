"""The few GitHub REST calls the workflow scripts make, with the run's GITHUB_TOKEN.

Standard library only: the jobs that write to GitHub run without the project's virtualenv and
never see AWS credentials.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

PAGE_SIZE = 100
TIMEOUT_SECONDS = 30
# Comments and issues written with a workflow's GITHUB_TOKEN are authored by this app user:
# https://docs.github.com/en/actions/security-for-github-actions/security-guides/automatic-token-authentication
BOT_LOGIN = "github-actions[bot]"


class GitHub:
    """One repository's REST API, authenticated with the run's token."""

    def __init__(self, api_url: str, repository: str, token: str) -> None:
        _require_https(api_url, "GITHUB_API_URL")
        self._base = f"{api_url.rstrip('/')}/repos/{repository}"
        self._token = token

    @classmethod
    def from_environment(cls) -> GitHub:
        """What every GitHub Actions job has; GITHUB_TOKEN is passed by the workflow step."""
        required = ("GITHUB_TOKEN", "GITHUB_REPOSITORY")
        missing = [name for name in required if not os.environ.get(name)]
        if missing:
            raise SystemExit(f"missing environment: {', '.join(missing)}")
        return cls(
            os.environ.get("GITHUB_API_URL", "https://api.github.com"),
            os.environ["GITHUB_REPOSITORY"],
            os.environ["GITHUB_TOKEN"],
        )

    @staticmethod
    def run_url() -> str | None:
        """Link to this workflow run, from the variables every GitHub Actions job has."""
        names = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
        parts = [os.environ.get(name) for name in names]
        return "{}/{}/actions/runs/{}".format(*parts) if all(parts) else None

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        return self._send(method, f"{self._base}{path}", data, "application/json")

    def upload(self, url: str, content: bytes, content_type: str) -> Any:
        """POST raw bytes to an absolute URL the API handed out (a release's upload_url)."""
        _require_https(url, "an upload URL")
        return self._send("POST", url, content, content_type)

    def _send(self, method: str, url: str, data: bytes | None, content_type: str) -> Any:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked by the callers
            url,
            method=method,
            data=data,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self._token}",
                "Content-Type": content_type,
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310
            return json.loads(response.read() or b"null")

    def pages(self, path: str, **query: str) -> Iterator[dict[str, Any]]:
        """Every item of a paginated listing."""
        page = 1
        while True:
            listing = urlencode({**query, "per_page": PAGE_SIZE, "page": page})
            items = self.call("GET", f"{path}?{listing}")
            yield from items
            if len(items) < PAGE_SIZE:
                return
            page += 1


def _require_https(url: str, what: str) -> None:
    """The token goes to GitHub over TLS only; plain HTTP only to a local stand-in in tests."""
    if urlsplit(url).scheme != "https" and not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"{what} must be https, got {url!r}")


def written_by_bot(item: dict[str, Any], bot_login: str = BOT_LOGIN) -> bool:
    """Whether a comment or issue was written by the workflow's own bot, not by a person."""
    user = item.get("user") or {}
    return bool(user.get("login") == bot_login and user.get("type") == "Bot")


def append_step_summary(markdown: str) -> None:
    """Add to the job's summary page (GITHUB_STEP_SUMMARY); nothing outside GitHub Actions."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with Path(target).open("a", encoding="utf-8") as summary:
            summary.write(markdown)


def mask(secret: str) -> None:
    """Have GitHub Actions replace ``secret`` with *** in every log line after this one.

    https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#masking-a-value-in-a-log
    Outside GitHub Actions nothing is printed: the command itself would show the value.
    """
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::add-mask::{secret}", flush=True)
