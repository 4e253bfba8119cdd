#!/usr/bin/env python3
"""Read a saved plan: its summary for reviewers, the drift verdict, the checks before an apply.

``summary`` writes the markdown of the plan comment and of the job summary: which commit was
planned and when, counts, every changed resource, and the full plan as `terraform show` renders
it (sensitive values masked by Terraform); a missing plan JSON means the plan step failed and says
so. ``drift`` exits like ``terraform plan -detailed-exitcode`` (0: no changes, 2: changes), names
each resource that differs as GitHub annotations and writes the summary the drift issue carries.
``zip`` refuses a deployment package other than the one the plan was made with, and
``apply-failed`` turns Terraform's refusal of a stale plan into the instruction to re-run.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.ci.github_api import GitHub, append_step_summary

EXIT_NO_CHANGES = 0
EXIT_CHANGES = 2
# GitHub refuses comments above 65,536 characters ("Body is too long (maximum is 65536
# characters)", github.com/peter-evans/create-or-update-comment/pull/182): a long plan is cut in
# the comment and points to the job summary, which holds up to 1 MiB per step and is dropped whole
# above it ("$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k",
# docs.github.com/actions/using-workflows/workflow-commands-for-github-actions
# #adding-a-markdown-summary).
# Both limits are counted here in UTF-8 bytes, never fewer than characters, so neither is crossed
# by a plan full of non-ASCII values.
MAX_LISTED_CHANGES = 200
MAX_COMMENT_CHARS = 60_000
MAX_STEP_SUMMARY_CHARS = 1_000_000
ORDER = ("create", "update", "replace", "delete")
SYMBOL = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}


@dataclass(frozen=True)
class Change:
    """One resource the plan would change."""

    action: str
    address: str
    drifted: bool


def marker(env: str) -> str:
    """The hidden line that identifies an environment's comment, so it is updated, not repeated."""
    return f"<!-- randfile-plan:{env} -->"


def _action(actions: Sequence[str]) -> str | None:
    kinds = set(actions)
    if kinds <= {"no-op", "read"}:
        return None
    if kinds == {"create", "delete"}:
        return "replace"
    return actions[0]


def changes(plan: Mapping[str, Any]) -> list[Change]:
    """Resources the plan changes, in ORDER then by address, marking those changed outside it."""
    drifted = {
        entry["address"]
        for entry in plan.get("resource_drift", [])
        if _action(entry["change"]["actions"]) is not None
    }
    found = [
        Change(action, entry["address"], entry["address"] in drifted)
        for entry in plan.get("resource_changes", [])
        if (action := _action(entry["change"]["actions"])) is not None
    ]
    return sorted(found, key=lambda change: (ORDER.index(change.action), change.address))


def _code(text: str) -> str:
    """A table cell in code style: a `|` would end the cell, so it is escaped."""
    return "`" + text.replace("|", "\\|") + "`"


def _annotation(text: str) -> str:
    """Escape what GitHub's workflow commands treat specially in a message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


@dataclass(frozen=True)
class Origin:
    """What was planned and when: a reader must be able to tell a plan of an older commit."""

    commit: str
    made_at: datetime.datetime

    def line(self) -> str:
        when = self.made_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"Plan of commit `{self.commit[:12]}`, made {when}."


def _fenced(text: str) -> list[str]:
    """A code block no backtick run in ``text`` can close early (CommonMark: longer fence)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", text.rstrip("\n"), fence]


def render_summary(
    env: str,
    plan: Mapping[str, Any] | None,
    link: str | None,
    *,
    origin: Origin | None = None,
    plan_text: str | None = None,
    limit: int = MAX_STEP_SUMMARY_CHARS,
) -> str:
    """Markdown of the plan comment or job summary for one environment, at most ``limit`` bytes."""
    lines = [marker(env), f"### Terraform plan: `{env}`", ""]
    if origin:
        lines += [origin.line(), ""]
    if plan is None:
        lines.append(":x: **The plan failed**: no saved plan was produced. The run log says why.")
    else:
        found = changes(plan)
        counts = Counter(change.action for change in found)
        if not found:
            lines.append(":white_check_mark: **No changes.** The infrastructure matches the code.")
        else:
            tally = ", ".join(f"{counts[action]} to {action}" for action in ORDER)
            warn = ":warning: " if counts["delete"] or counts["replace"] else ""
            lines += [f"{warn}**{tally}.**", "", "| | action | resource |", "| --- | --- | --- |"]
            for change in found[:MAX_LISTED_CHANGES]:
                note = " (changed outside Terraform)" if change.drifted else ""
                symbol = _code(SYMBOL[change.action])
                lines.append(f"| {symbol} | {change.action} | {_code(change.address)}{note} |")
            if len(found) > MAX_LISTED_CHANGES:
                lines.append(f"\n…and {len(found) - MAX_LISTED_CHANGES} more.")
    footer = ["", f"Full plan: [workflow run]({link})"] if link else []
    if plan is not None and plan_text:
        head = "\n".join([*lines, "", "<details><summary>Full plan</summary>", ""])
        tail = "\n".join(["</details>", *footer]) + "\n"
        room = max(limit - len(head.encode()) - len(tail.encode()) - 300, 0)
        encoded = plan_text.encode()
        # A cut inside a multi-byte character drops that character's partial bytes.
        shown = plan_text if len(encoded) <= room else encoded[:room].decode(errors="ignore")
        body = _fenced(shown)
        if shown != plan_text:
            body.append(
                f"\n:scissors: Cut after {len(shown)} of {len(plan_text)} characters: the job "
                "summary of the plan job holds the whole plan."
            )
        return "\n".join([head, *body, "", tail])
    return "\n".join([*lines, *footer]) + "\n"


def render_drift(env: str, found: Sequence[Change]) -> tuple[list[str], str]:
    """GitHub annotation lines and job-summary markdown for a drift check."""
    if not found:
        return [f"::notice title=No drift in {env}::{env} matches its configuration"], (
            f"### Drift check: `{env}`\n\n:white_check_mark: No drift.\n"
        )
    annotations = [
        f"::error title=Drift in {env}::{_annotation(change.address)} would be {change.action}d"
        + (" (changed outside Terraform)" if change.drifted else " (configuration not applied)")
        for change in found
    ]
    rows = [
        f"| {change.action} | {_code(change.address)} | {'yes' if change.drifted else 'no'} |"
        for change in found
    ]
    summary = "\n".join(
        [
            f"### Drift check: `{env}`",
            "",
            f":x: **{len(found)} resource(s) differ from the configuration.**",
            "",
            "| action | resource | changed outside Terraform |",
            "| --- | --- | --- |",
            *rows,
            "",
        ]
    )
    return annotations, summary


def _load(path: Path) -> dict[str, Any] | None:
    if not path.is_file() or path.stat().st_size == 0:
        return None
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def drift_outcome_line(env: str, outcome: str) -> str:
    """First line of the drift summary: what drift_issue.py reads to open, update or close."""
    return f"<!-- randfile-drift:{env} {outcome} -->"


def zip_problems(plan: Mapping[str, Any], stack_dir: Path) -> list[str]:
    """Functions whose package on disk is not the one the plan recorded (filebase64sha256).

    Terraform notices a changed package only when it reaches the function, after it may have
    applied other changes ("Provider produced inconsistent final plan"); this check runs first.
    """
    problems = []
    for entry in plan.get("resource_changes", []):
        after = entry["change"].get("after") or {}
        if entry.get("type") != "aws_lambda_function" or not after.get("filename"):
            continue
        package = stack_dir / after["filename"]
        if not package.is_file():
            problems.append(f"{entry['address']}: {package} is missing")
            continue
        digest = base64.b64encode(hashlib.sha256(package.read_bytes()).digest()).decode()
        if digest != after.get("source_code_hash"):
            problems.append(
                f"{entry['address']}: {package} has sha256 {digest}, the plan was made with "
                f"{after.get('source_code_hash')}"
            )
    return problems


STALE = "Saved plan is stale"
LOCKED = "Error acquiring the state lock"


def apply_failure(env: str, log: str) -> str | None:
    """The instruction for a reader when Terraform refused to apply, or None if not recognised."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log)
    if STALE in plain:
        return (
            f"::error title=Saved plan is stale ({env})::The state of {env} changed after this "
            "plan was made (another apply ran), so Terraform refused it and changed nothing. "
            "Re-run the whole workflow run (Re-run all jobs): its plan job plans again and the "
            "new plan is reviewed and applied."
        )
    if LOCKED in plain:
        return (
            f"::error title=State of {env} is locked::Another operation holds the state lock; "
            "the lock report below names it and the command that releases it."
        )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["summary", "drift", "zip", "apply-failed"])
    parser.add_argument("--env", required=True, help="environment name, as in infra/stack/envs/")
    parser.add_argument("--plan-json", type=Path, help="output of `terraform show -json <plan>`")
    parser.add_argument("--plan-text", type=Path, help="summary: output of `terraform show <plan>`")
    parser.add_argument("--commit", help="summary: the commit that was planned")
    parser.add_argument("--output", type=Path, help="summary, drift: write the markdown here")
    parser.add_argument("--stack-dir", type=Path, help="zip: the directory Terraform ran in")
    parser.add_argument("--log", type=Path, help="apply-failed: Terraform's output")
    args = parser.parse_args(argv)

    if args.command == "apply-failed":
        message = apply_failure(args.env, args.log.read_text(encoding="utf-8", errors="replace"))
        if message:
            print(message)
        return 1
    plan = _load(args.plan_json)

    if args.command == "zip":
        if plan is None:
            raise SystemExit(f"no plan JSON at {args.plan_json}")
        problems = zip_problems(plan, args.stack_dir)
        for problem in problems:
            print(f"::error title=Not the planned package ({args.env})::{_annotation(problem)}")
        return 1 if problems else 0

    if args.command == "summary":
        origin = Origin(args.commit, datetime.datetime.now(datetime.UTC)) if args.commit else None
        readable = args.plan_text is not None and args.plan_text.is_file()
        text = args.plan_text.read_text(encoding="utf-8") if readable else None
        link = GitHub.run_url()
        full = render_summary(args.env, plan, link, origin=origin, plan_text=text)
        if args.output:
            comment = render_summary(
                args.env, plan, link, origin=origin, plan_text=text, limit=MAX_COMMENT_CHARS
            )
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(comment, encoding="utf-8")
        else:
            sys.stdout.write(full)
        append_step_summary(full)
        return 0

    if plan is None:
        print(f"::error title=Drift check failed in {args.env}::no plan JSON at {args.plan_json}")
        annotations: list[str] = []
        markdown = ""
        outcome, code = "failed", 1
    else:
        found = changes(plan)
        annotations, markdown = render_drift(args.env, found)
        outcome, code = ("drift", EXIT_CHANGES) if found else ("clean", EXIT_NO_CHANGES)
    print("\n".join(annotations))
    append_step_summary(markdown)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(
            f"{drift_outcome_line(args.env, outcome)}\n{markdown}", encoding="utf-8"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
