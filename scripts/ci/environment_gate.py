#!/usr/bin/env python3
"""Refuse to deploy to a GitHub environment whose protection rules do not exist.

The apply roles trust any job of the environment, so the environment's settings are the gate:
an environment created without rules, a plan that offers no required reviewers for the
repository, or administrators allowed to bypass them would let a deploy through unreviewed.
This reads the environment through the REST API ("Get an environment",
https://docs.github.com/en/rest/deployments/environments#get-an-environment; GITHUB_TOKEN needs
`actions: read`) and exits non-zero, saying what is missing, unless

- a deployment-branch policy is set (custom policies: only the release branch), and, with
  `--require-reviewers`,
- a `required_reviewers` rule names at least one reviewer, and administrators cannot bypass it
  (`can_admins_bypass` false).

On GitHub Free, Pro and Team, required reviewers exist only for public repositories
(https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/
managing-environments-for-deployment): a private repository on those plans has no rule to find,
and this refuses it.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from scripts.ci.github_api import GitHub, append_step_summary

PLANS_NOTE = (
    "On GitHub Free, Pro and Team, required reviewers exist only for public repositories; a "
    "private repository needs GitHub Enterprise (docs/deploying.md, section 3)."
)


def problems(
    environment: dict[str, Any],
    *,
    require_reviewers: bool,
    branch: str,
    branch_policies: Sequence[dict[str, Any]] | None,
) -> list[str]:
    """What the environment lacks; empty when its gate is complete."""
    found: list[str] = []
    policy = environment.get("deployment_branch_policy")
    if not policy:
        found.append(
            "no deployment-branch policy: any branch's workflow may deploy to it "
            f"(Settings → Environments → Deployment branches: `{branch}` only)"
        )
    elif policy.get("custom_branch_policies"):
        others = sorted(
            str(entry.get("name"))
            for entry in branch_policies or []
            if entry.get("name") != branch or entry.get("type", "branch") != "branch"
        )
        if others:
            found.append(
                f"its deployment-branch policy admits more than `{branch}`: {', '.join(others)}"
            )
    if require_reviewers:
        rules = environment.get("protection_rules") or []
        reviewers = [
            reviewer
            for rule in rules
            if rule.get("type") == "required_reviewers"
            for reviewer in rule.get("reviewers") or []
        ]
        if not reviewers:
            found.append(
                f"no required reviewers: a deploy would not wait for approval. {PLANS_NOTE}"
            )
        if environment.get("can_admins_bypass", True):
            found.append(
                'administrators may bypass its protection rules (untick "Allow administrators '
                'to bypass configured protection rules")'
            )
    return found


def read_environment(github: GitHub, name: str) -> dict[str, Any]:
    try:
        environment: dict[str, Any] = github.call("GET", f"/environments/{quote(name, safe='')}")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise SystemExit(
                f"::error title=No gate for {name}::the GitHub environment {name} does not exist "
                "(or this token cannot see it): create it with its protection rules first "
                "(docs/deploying.md, section 3)"
            ) from error
        raise SystemExit(
            f"::error title=No gate for {name}::reading the environment {name} failed with HTTP "
            f"{error.code}: the job's token needs `actions: read`"
        ) from error
    return environment


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--environment", required=True, help="the GitHub environment's name")
    parser.add_argument("--branch", default="main", help="the only branch that may deploy")
    parser.add_argument(
        "--require-reviewers",
        choices=["true", "false"],
        default="true",
        help="whether the environment must have required reviewers that admins cannot bypass",
    )
    args = parser.parse_args(argv)
    github = GitHub.from_environment()
    environment = read_environment(github, args.environment)
    policy = environment.get("deployment_branch_policy") or {}
    branch_policies = None
    if policy.get("custom_branch_policies"):
        listing = github.call(
            "GET",
            f"/environments/{quote(args.environment, safe='')}/deployment-branch-policies"
            "?per_page=100",
        )
        branch_policies = listing.get("branch_policies", [])
    found = problems(
        environment,
        require_reviewers=args.require_reviewers == "true",
        branch=args.branch,
        branch_policies=branch_policies,
    )
    if found:
        for problem in found:
            print(f"::error title=No gate for {args.environment}::{problem}")
        append_step_summary(
            f"### Deploy to `{args.environment}` refused\n\n"
            + "".join(f"- {problem}\n" for problem in found)
        )
        return 1
    print(f"the environment {args.environment} has its gate: {', '.join(describe(environment))}")
    return 0


def describe(environment: dict[str, Any]) -> list[str]:
    rules = [str(rule.get("type")) for rule in environment.get("protection_rules") or []]
    return [*rules, f"can_admins_bypass={environment.get('can_admins_bypass')}"]


if __name__ == "__main__":
    sys.exit(main())
