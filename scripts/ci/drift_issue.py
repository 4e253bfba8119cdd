#!/usr/bin/env python3
"""One GitHub issue per environment for drift: opened or updated while the check finds drift
(or fails), closed when the next check is clean.

A scheduled run's failure e-mails only whoever last edited the cron line; an issue is seen by
everyone watching the repository. The issue is found by the hidden marker on its body's first
line, among open issues the workflow's bot wrote. Input: the markdown `tfplan.py drift` wrote,
whose first line says the outcome; a missing file means the check failed before it could say.

While a deploy of the environment is queued, waiting for a reviewer or running, the environment
differs from main for a good reason (the deploy is about to change it): no issue is opened or
updated then, only a notice; the next check reports. The unfinished deploy runs and their jobs are
read through the REST API ("List workflow runs for a workflow" and "List jobs for a workflow run
attempt", https://docs.github.com/en/rest/actions/workflow-runs and /workflow-jobs,
`actions: read`); an environment's jobs are those whose name ends with it (deploy-environment.yml:
"order <env>", "plan <env>", "apply <env>", "smoke test <env>").
An issue body is cut to GitHub's limit of 65,536 characters.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scripts.ci.github_api import BOT_LOGIN, GitHub, written_by_bot

DEPLOY_WORKFLOW = "deploy.yml"
# Statuses of a run that has not finished: https://docs.github.com/en/rest/actions/workflow-runs
UNFINISHED = ("queued", "in_progress", "waiting", "requested", "pending")
# GitHub refuses a longer issue body ("body is too long (maximum is 65536 characters)").
MAX_BODY_CHARS = 65_536
OUTCOME = re.compile(
    r"^<!-- randfile-drift:(?P<env>[a-z0-9-]+) (?P<outcome>clean|drift|failed) -->$"
)


def marker(env: str) -> str:
    return f"<!-- randfile-drift-issue:{env} -->"


def outcome_of(summary: Path, env: str) -> tuple[str, str]:
    """(clean|drift|failed, markdown) read from the drift check's summary file."""
    if not summary.is_file():
        return "failed", (
            f"### Drift check: `{env}`\n\n:x: **The drift check failed** before it could "
            "compare the environment with the code (credentials, backend, provider). The run log "
            "says why.\n"
        )
    text = summary.read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    match = OUTCOME.match(first)
    if not match or match["env"] != env:
        raise SystemExit(f"{summary} is not the drift summary of {env}")
    return match["outcome"], rest


def find_issue(github: GitHub, env: str, bot_login: str) -> dict[str, Any] | None:
    for issue in github.pages("/issues", state="open"):
        if (
            "pull_request" not in issue
            and written_by_bot(issue, bot_login)
            and str(issue.get("body") or "").startswith(marker(env))
        ):
            return issue
    return None


def deploys_in_flight(github: GitHub, env: str, workflow: str = DEPLOY_WORKFLOW) -> list[str]:
    """Links to the unfinished deploy runs with a job of ``env`` not completed yet."""
    found: list[str] = []
    for status in UNFINISHED:
        listing = github.call("GET", f"/actions/workflows/{workflow}/runs?status={status}")
        for run in listing.get("workflow_runs", []):
            jobs = github.call("GET", f"/actions/runs/{run['id']}/jobs?per_page=100")
            if any(
                str(job.get("name", "")).endswith(f" {env}") and job.get("status") != "completed"
                for job in jobs.get("jobs", [])
            ):
                found.append(str(run.get("html_url")))
    return found


def fitted(body: str, limit: int = MAX_BODY_CHARS) -> str:
    """The body, cut to GitHub's limit with a note saying so."""
    if len(body) <= limit:
        return body
    note = "\n\n:scissors: Cut to GitHub's issue size limit; the drift run's summary has it all.\n"
    return body[: limit - len(note)] + note


def report(
    github: GitHub, env: str, outcome: str, markdown: str, *, bot_login: str = BOT_LOGIN
) -> str:
    if outcome != "clean":
        in_flight = deploys_in_flight(github, env)
        if in_flight:
            return (
                f"::notice title=No drift issue for {env} while deploying::a deploy of {env} has "
                f"not finished ({', '.join(in_flight)}): what differs may be what it is "
                "deploying; the next check reports"
            )
    issue = find_issue(github, env, bot_login)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    run_url = github.run_url()
    run = f"[drift run]({run_url})" if run_url else "the drift run"
    if outcome == "clean":
        if issue is None:
            return f"{env}: no drift, no open issue"
        github.call(
            "POST",
            f"/issues/{issue['number']}/comments",
            {"body": f"No drift in `{env}` at {now} ({run}): closing."},
        )
        github.call(
            "PATCH", f"/issues/{issue['number']}", {"state": "closed", "state_reason": "completed"}
        )
        return f"{env}: closed issue #{issue['number']}"
    title = f"Drift in {env}" if outcome == "drift" else f"Drift check of {env} failed"
    body = fitted(f"{marker(env)}\nLast checked {now} by {run}.\n\n{markdown}")
    if issue is None:
        created = github.call("POST", "/issues", {"title": title, "body": body})
        return f"{env}: opened issue #{created['number']}"
    github.call("PATCH", f"/issues/{issue['number']}", {"title": title, "body": body})
    return f"{env}: updated issue #{issue['number']}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env", required=True)
    parser.add_argument("--summary", required=True, type=Path, help="written by tfplan.py drift")
    parser.add_argument("--bot-login", default=BOT_LOGIN)
    args = parser.parse_args(argv)
    outcome, markdown = outcome_of(args.summary, args.env)
    github = GitHub.from_environment()
    print(report(github, args.env, outcome, markdown, bot_login=args.bot_login))
    return 0


if __name__ == "__main__":
    sys.exit(main())
