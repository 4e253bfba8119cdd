"""scripts/ci/pr_comment.py against a stand-in GitHub API on 127.0.0.1."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.functional.ci_scripts.script_runner import GITHUB_TOKEN, github_api, run_script
from tests.http_stand_in import Recorder


class FakeGitHub:
    """Issue comments of pull request 7 of acme/randfile, with GitHub's pagination."""

    def __init__(self) -> None:
        person = {"login": "octocat", "type": "User"}
        self.comments: list[dict[str, Any]] = [
            {"id": n, "body": f"unrelated {n}", "user": person} for n in range(1, 100)
        ]
        # Someone quoting our marker: never edited.
        self.comments.append(
            {"id": 100, "body": "<!-- randfile-plan:dev -->\nmine", "user": person}
        )

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        if headers.get("authorization") != f"Bearer {GITHUB_TOKEN}":
            return 401, {"message": "Bad credentials"}
        listing = re.fullmatch(
            r"/repos/acme/randfile/issues/7/comments\?per_page=100&page=(\d+)", path
        )
        if method == "GET" and listing:
            page = int(listing.group(1))
            return 200, self.comments[(page - 1) * 100 : page * 100]
        if method == "POST" and path == "/repos/acme/randfile/issues/7/comments":
            comment = {
                "id": 1000 + len(self.comments),
                "body": json.loads(body)["body"],
                "user": {"login": "github-actions[bot]", "type": "Bot"},
            }
            self.comments.append(comment)
            return 201, comment
        edit = re.fullmatch(r"/repos/acme/randfile/issues/comments/(\d+)", path)
        if method == "PATCH" and edit:
            comment = next(c for c in self.comments if c["id"] == int(edit.group(1)))
            comment["body"] = json.loads(body)["body"]
            return 200, comment
        return 404, {"message": "Not Found"}


@pytest.mark.parametrize("server", [FakeGitHub()], indirect=True)
def test_the_plan_comment_is_created_once_then_updated(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = server
    github = recorder.respond_as(FakeGitHub)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "f" * 40}}}))
    body = tmp_path / "dev.md"
    environment = {
        **github_api(url),
        "GITHUB_EVENT_PATH": str(event),
    }

    body.write_text("<!-- randfile-plan:dev -->\nfirst plan\n")
    first = run_script("pr_comment.py", f"--body-file={body}", **environment)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "created comment 1100"

    body.write_text("<!-- randfile-plan:dev -->\nsecond plan\n")
    second = run_script("pr_comment.py", f"--body-file={body}", **environment)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "updated comment 1100"

    ours = [c for c in github.comments if c["user"]["type"] == "Bot"]
    assert [(c["id"], c["body"]) for c in ours] == [
        (1100, "<!-- randfile-plan:dev -->\nsecond plan\n")
    ]
    assert github.comments[99]["body"] == "<!-- randfile-plan:dev -->\nmine"
    assert len(github.comments) == 101
    assert [method for method, *_ in recorder.requests].count("POST") == 1

    stale = run_script("pr_comment.py", "--mark-stale", **environment, GITHUB_RUN_ID="77")
    assert stale.returncode == 0, stale.stderr
    assert stale.stdout.strip() == "marked comment 1100 stale"
    marked = str(ours[0]["body"])
    assert marked.startswith("<!-- randfile-plan:dev -->\n> [!WARNING]\n> **Outdated plan.**")
    assert f"is planning `{'f' * 12}`" in marked
    assert marked.endswith("\n\nsecond plan\n")
    # Marking twice keeps one banner; the next plan replaces the whole body.
    assert run_script("pr_comment.py", "--mark-stale", **environment).returncode == 0
    assert str(ours[0]["body"]).count("Outdated plan") == 1
    assert str(ours[0]["body"]).endswith("\n\nsecond plan\n")
    assert github.comments[99]["body"] == "<!-- randfile-plan:dev -->\nmine"


def test_pr_comment_refuses_a_body_without_marker(tmp_path: Path) -> None:
    body = tmp_path / "x.md"
    body.write_text("no marker\n")
    result = run_script("pr_comment.py", f"--body-file={body}", GITHUB_TOKEN="t")
    assert result.returncode != 0
    assert "hidden marker" in result.stderr
