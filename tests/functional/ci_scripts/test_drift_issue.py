"""scripts/ci/drift_issue.py against a stand-in GitHub API on 127.0.0.1."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from scripts.ci import drift_issue
from tests.functional.ci_scripts.script_runner import GITHUB_TOKEN, github_api, run_script
from tests.http_stand_in import Recorder

BOT = {"login": "github-actions[bot]", "type": "Bot"}


class FakeIssues:
    """Open issues of acme/randfile; records what the script changes."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        self.issues = issues
        self.comments: list[tuple[int, str]] = []
        # Unfinished runs of deploy.yml by status, as "List workflow runs for a workflow" answers,
        # and each run's jobs, as "List jobs for a workflow run attempt" does.
        self.deploys: dict[str, list[dict[str, Any]]] = {}
        self.jobs: dict[int, list[dict[str, Any]]] = {}

    def listing(self, path: str) -> tuple[int, Any]:
        if path.startswith("/repos/acme/randfile/issues?state=open&"):
            return 200, [issue for issue in self.issues if issue["state"] == "open"]
        jobs = re.fullmatch(r"/repos/acme/randfile/actions/runs/(\d+)/jobs\?per_page=100", path)
        if jobs:
            listed_jobs = self.jobs.get(int(jobs.group(1)), [])
            return 200, {"total_count": len(listed_jobs), "jobs": listed_jobs}
        status = re.fullmatch(
            r"/repos/acme/randfile/actions/workflows/deploy\.yml/runs\?status=(\w+)", path
        )
        if not status:
            return 404, {"message": "Not Found"}
        listed = self.deploys.get(status.group(1), [])
        return 200, {"total_count": len(listed), "workflow_runs": listed}

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        if headers.get("authorization") != f"Bearer {GITHUB_TOKEN}":
            return 401, {"message": "Bad credentials"}
        if method == "GET":
            return self.listing(path)
        if method == "POST" and path == "/repos/acme/randfile/issues":
            issue = {
                **json.loads(body),
                "number": 50 + len(self.issues),
                "state": "open",
                "user": BOT,
            }
            self.issues.append(issue)
            return 201, issue
        number = re.fullmatch(r"/repos/acme/randfile/issues/(\d+)(/comments)?", path)
        if number:
            issue = next(i for i in self.issues if i["number"] == int(number.group(1)))
            if number.group(2):
                self.comments.append((issue["number"], json.loads(body)["body"]))
                return 201, {}
            issue.update(json.loads(body))
            return 200, issue
        return 404, {"message": "Not Found"}


def drift_summary(tmp_path: Path, outcome: str) -> Path:
    path = tmp_path / f"{outcome}.md"
    path.write_text(f"<!-- randfile-drift:prod {outcome} -->\n### Drift check: `prod`\n\nrows\n")
    return path


HUMAN_ISSUE = {
    "number": 3,
    "state": "open",
    "title": "quoting the bot",
    "body": "<!-- randfile-drift-issue:prod -->",
    "user": {"login": "octocat", "type": "User"},
}


@pytest.mark.parametrize("server", [FakeIssues([dict(HUMAN_ISSUE)])], indirect=True)
def test_drift_opens_one_issue_updates_it_and_closes_it_when_clean(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = server
    github = recorder.respond_as(FakeIssues)
    environment = github_api(url)

    def run(summary: Path) -> str:
        result = run_script("drift_issue.py", "--env=prod", f"--summary={summary}", **environment)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert run(drift_summary(tmp_path, "drift")) == "prod: opened issue #51"
    assert run(tmp_path / "missing.md") == "prod: updated issue #51"
    [issue] = [i for i in github.issues if i["number"] == 51]
    assert issue["title"] == "Drift check of prod failed"
    assert issue["body"].startswith("<!-- randfile-drift-issue:prod -->\nLast checked ")
    assert "**The drift check failed**" in issue["body"]
    assert run(drift_summary(tmp_path, "drift")) == "prod: updated issue #51"
    assert issue["title"] == "Drift in prod"
    assert run(drift_summary(tmp_path, "clean")) == "prod: closed issue #51"
    assert issue["state"] == "closed"
    assert issue["state_reason"] == "completed"
    assert [number for number, _ in github.comments] == [51]
    assert run(drift_summary(tmp_path, "clean")) == "prod: no drift, no open issue"
    # The person's issue that quotes the marker was never touched.
    assert github.issues[0] == HUMAN_ISSUE

    # A deploy of prod waiting for its reviewer: what differs is what it deploys, so no issue.
    github.deploys["waiting"] = [{"id": 9, "html_url": "https://github.com/acme/randfile/runs/9"}]
    github.jobs[9] = [
        {"name": "dev / apply dev", "status": "completed"},
        {"name": "prod / plan prod", "status": "completed"},
        {"name": "prod / apply prod", "status": "waiting"},
    ]
    issues_before = len(github.issues)
    assert run(drift_summary(tmp_path, "drift")) == (
        "::notice title=No drift issue for prod while deploying::a deploy of prod has not "
        "finished (https://github.com/acme/randfile/runs/9): what differs may be what it is "
        "deploying; the next check reports"
    )
    assert len(github.issues) == issues_before
    # A run still deploying dev only does not hold back prod's issue.
    github.jobs[9] = [{"name": "dev / smoke test dev", "status": "in_progress"}]
    assert run(drift_summary(tmp_path, "drift")) == f"prod: opened issue #{50 + issues_before}"


def test_a_drift_issue_body_stays_within_github_s_limit() -> None:
    assert drift_issue.fitted("short") == "short"
    body = drift_issue.fitted("x" * 100_000)
    assert len(body) <= 65_536
    assert body.endswith("the drift run's summary has it all.\n")


def test_a_drift_summary_of_another_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not the drift summary of dev"):
        drift_issue.outcome_of(drift_summary(tmp_path, "drift"), "dev")
