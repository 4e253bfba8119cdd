"""scripts/ci/release_order.py against a stand-in GitHub API on 127.0.0.1."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.functional.ci_scripts.script_runner import GITHUB_TOKEN, github_api, run_script
from tests.http_stand_in import Recorder

HEAD = "c" * 40
OLDER = "b" * 40
UNRELATED = "e" * 40


def branches(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    """main's head is HEAD, OLDER is in its history, UNRELATED is not."""
    if headers.get("authorization") != f"Bearer {GITHUB_TOKEN}":
        return 401, {"message": "Bad credentials"}
    if method == "GET" and path == "/repos/acme/randfile/branches/main":
        return 200, {"name": "main", "commit": {"sha": HEAD}}
    compare = {f"main...{HEAD}": "identical", f"main...{OLDER}": "behind"}
    found = compare.get(path.removeprefix("/repos/acme/randfile/compare/"))
    if method == "GET" and found:
        return 200, {"status": found}
    if method == "GET" and path == f"/repos/acme/randfile/compare/main...{UNRELATED}":
        return 200, {"status": "diverged"}
    return 404, {"message": "Not Found"}


def order(url: str, commit: str, event: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return run_script(
        "release_order.py",
        "--env=prod",
        f"--commit={commit}",
        **github_api(url),
        GITHUB_EVENT_NAME=event,
        **extra,
    )


@pytest.mark.parametrize("server", [branches], indirect=True)
def test_main_s_head_is_deployed(server: tuple[str, Recorder]) -> None:
    result = order(server[0], HEAD, "push")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{HEAD[:12]} is main's head: deploying it to prod" in result.stdout


@pytest.mark.parametrize("server", [branches], indirect=True)
def test_a_superseded_run_stops_saying_so_instead_of_reverting(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    result = order(server[0], OLDER, "push", GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 1
    assert result.stdout.startswith(
        f"::error title=Superseded (prod)::{OLDER[:12]} is no longer main's head "
        f"({HEAD[:12]} is): the run of {HEAD[:12]} deploys prod"
    )
    assert "### `prod` not deployed" in summary.read_text()


@pytest.mark.parametrize("server", [branches], indirect=True)
def test_a_manual_dispatch_rolls_back_to_a_commit_of_main_only(
    server: tuple[str, Recorder],
) -> None:
    rollback = order(server[0], OLDER, "workflow_dispatch")
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    assert f"::notice title=Deploying {OLDER[:12]} to prod by hand::" in rollback.stdout
    for commit in (UNRELATED, "d" * 40):
        refused = order(server[0], commit, "workflow_dispatch")
        assert refused.returncode == 1
        assert refused.stdout.startswith("::error title=Not a commit of main (prod)::")


def test_the_commit_must_be_a_full_id() -> None:
    result = order("http://127.0.0.1:9", "HEAD; true", "push")
    assert result.returncode != 0
    assert "--commit must be a full commit id" in result.stderr
