"""scripts/ci/fork_notice.py: why a fork's pull request gets no plan."""

from __future__ import annotations

from pathlib import Path

from tests.functional.ci_scripts.script_runner import run_script


def test_fork_pull_requests_are_told_why_there_is_no_plan(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    result = run_script("fork_notice.py", GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 0
    assert result.stdout.startswith("::notice title=No plan for fork pull requests::")
    assert "no AWS credentials" in summary.read_text()
