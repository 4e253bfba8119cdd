#!/usr/bin/env python3
"""Read `terraform show -json` of a saved plan: the pull-request summary and the drift verdict.

``summary`` writes the markdown of the plan comment (counts and every changed resource address);
a missing plan JSON means the plan step failed and says so. ``drift`` exits like
``terraform plan -detailed-exitcode`` (0: no changes, 2: changes) and names each resource that
differs, as GitHub annotations and in the job summary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXIT_NO_CHANGES = 0
EXIT_CHANGES = 2
# GitHub refuses comments above 65536 characters; long plans are cut and point to the run.
MAX_LISTED_CHANGES = 200
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


def run_url() -> str | None:
    """Link to this workflow run, from the variables every GitHub Actions job has."""
    names = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    parts = [os.environ.get(name) for name in names]
    if not all(parts):
        return None
    server, repository, run_id = parts
    return f"{server}/{repository}/actions/runs/{run_id}"


def render_summary(env: str, plan: Mapping[str, Any] | None, link: str | None) -> str:
    """Markdown of the plan comment for one environment."""
    lines = [marker(env), f"### Terraform plan: `{env}`", ""]
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
    if link:
        lines += ["", f"Full plan: [workflow run]({link})"]
    return "\n".join(lines) + "\n"


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


def _append_step_summary(markdown: str) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with Path(target).open("a", encoding="utf-8") as summary:
            summary.write(markdown)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["summary", "drift"])
    parser.add_argument("--env", required=True, help="environment name, as in infra/stack/envs/")
    parser.add_argument(
        "--plan-json", required=True, type=Path, help="output of `terraform show -json <plan>`"
    )
    parser.add_argument("--output", type=Path, help="summary: write the markdown here")
    args = parser.parse_args(argv)
    plan = _load(args.plan_json)

    if args.command == "summary":
        markdown = render_summary(args.env, plan, run_url())
        if args.output:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(markdown, encoding="utf-8")
        else:
            sys.stdout.write(markdown)
        _append_step_summary(markdown)
        return 0

    if plan is None:
        print(f"::error title=Drift check failed in {args.env}::no plan JSON at {args.plan_json}")
        return 1
    found = changes(plan)
    annotations, markdown = render_drift(args.env, found)
    print("\n".join(annotations))
    _append_step_summary(markdown)
    return EXIT_CHANGES if found else EXIT_NO_CHANGES


if __name__ == "__main__":
    sys.exit(main())
