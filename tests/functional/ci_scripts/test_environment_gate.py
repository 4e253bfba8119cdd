"""scripts/ci/environment_gate.py against a stand-in GitHub API on 127.0.0.1."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from scripts.ci import environment_gate
from tests.functional.ci_scripts.script_runner import GITHUB_TOKEN, github_api, run_script
from tests.http_stand_in import Recorder

GATED = {
    "name": "prod",
    "can_admins_bypass": False,
    "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True},
    "protection_rules": [
        {"type": "wait_timer", "wait_timer": 0},
        {
            "type": "required_reviewers",
            "prevent_self_review": True,
            "reviewers": [{"type": "Team", "reviewer": {"slug": "release"}}],
        },
        {"type": "branch_policy"},
    ],
}


class FakeEnvironments:
    """GitHub's "Get an environment" and its deployment-branch policies, for acme/randfile."""

    def __init__(self, environment: dict[str, Any] | None, branches: list[str]) -> None:
        self.environment = environment
        self.branches = branches

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        del body  # only GET requests
        if headers.get("authorization") != f"Bearer {GITHUB_TOKEN}":
            return 401, {"message": "Bad credentials"}
        if (
            method == "GET"
            and self.environment
            and path == "/repos/acme/randfile/environments/prod"
        ):
            return 200, self.environment
        policies = "/repos/acme/randfile/environments/prod/deployment-branch-policies?per_page=100"
        if method == "GET" and self.environment and path == policies:
            listing = [{"name": name, "type": "branch"} for name in self.branches]
            return 200, {"total_count": len(listing), "branch_policies": listing}
        return 404, {"message": "Not Found"}


def gate(url: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return run_script("environment_gate.py", "--environment=prod", **github_api(url), **extra)


@pytest.mark.parametrize("server", [FakeEnvironments(GATED, ["main"])], indirect=True)
def test_an_environment_with_reviewers_a_branch_policy_and_no_bypass_passes_the_gate(
    server: tuple[str, Recorder],
) -> None:
    url, recorder = server
    result = gate(url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the environment prod has its gate: wait_timer, required_reviewers" in result.stdout
    assert [path for _, path, *_ in recorder.requests] == [
        "/repos/acme/randfile/environments/prod",
        "/repos/acme/randfile/environments/prod/deployment-branch-policies?per_page=100",
    ]


UNGATED = {
    "name": "prod",
    "can_admins_bypass": True,
    "deployment_branch_policy": None,
    "protection_rules": [{"type": "wait_timer", "wait_timer": 5}],
}


@pytest.mark.parametrize("server", [FakeEnvironments(UNGATED, [])], indirect=True)
def test_an_environment_without_its_rules_stops_the_deploy_saying_what_is_missing(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, _ = server
    summary = tmp_path / "summary.md"
    result = gate(url, GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 3, result.stdout
    assert all(line.startswith("::error title=No gate for prod::") for line in errors)
    assert "no deployment-branch policy" in errors[0]
    assert "no required reviewers" in errors[1]
    assert "required reviewers exist only for public repositories" in errors[1]
    assert "administrators may bypass" in errors[2]
    assert "### Deploy to `prod` refused" in summary.read_text()


@pytest.mark.parametrize("server", [FakeEnvironments(GATED, ["main", "release/*"])], indirect=True)
def test_a_branch_policy_that_admits_other_branches_is_refused(
    server: tuple[str, Recorder],
) -> None:
    result = gate(server[0])
    assert result.returncode == 1
    assert "admits more than `main`: release/*" in result.stdout


def test_reviewers_are_required_only_where_asked() -> None:
    dev = {**UNGATED, "deployment_branch_policy": {"protected_branches": True}}
    assert (
        environment_gate.problems(dev, require_reviewers=False, branch="main", branch_policies=None)
        == []
    )
    assert (
        len(
            environment_gate.problems(
                dev, require_reviewers=True, branch="main", branch_policies=None
            )
        )
        == 2
    )


@pytest.mark.parametrize("server", [FakeEnvironments(None, [])], indirect=True)
def test_a_missing_environment_stops_the_deploy(server: tuple[str, Recorder]) -> None:
    result = gate(server[0])
    assert result.returncode != 0
    assert "::error title=No gate for prod::the GitHub environment prod does not exist" in (
        result.stdout + result.stderr
    )
