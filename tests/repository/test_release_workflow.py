"""The release workflow: a tag is checked, tested and built once, attested, released, and reaches
PyPI only through trusted publishing once it is switched on.

The make targets it calls are rehearsed in tests/functional/ci_scripts/test_release_rehearsal.py.
"""

from __future__ import annotations

import subprocess
from typing import Any

from tests.repository.test_workflows import REPO, load, runs, triggers

RELEASE = REPO / ".github" / "workflows" / "release.yml"


def jobs() -> dict[str, Any]:
    found: dict[str, Any] = load(RELEASE)["jobs"]
    return found


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if str(step.get("uses", "")).startswith(action + "@")]


def makefile_variable(name: str) -> str:
    """A variable's value as make expands it in the repository."""
    rule = f"print-variable: ; @echo $({name})"
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "--eval", rule, "print-variable"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_only_a_version_tag_starts_a_release() -> None:
    workflow = load(RELEASE)
    assert triggers(workflow) == {"push": {"tags": ["v*.*.*"]}}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert set(jobs()) == {"build", "release", "pypi"}


def test_the_tag_is_checked_before_the_tests_and_the_build() -> None:
    build = jobs()["build"]
    assert build["permissions"] == {"contents": "read"}
    assert build["env"]["TAG"] == "${{ github.ref_name }}"
    assert runs(build) == ['make release-notes TAG="$TAG"', "make test", "make release-dist"]
    [upload] = steps_using(build, "actions/upload-artifact")
    assert upload["with"]["path"] == makefile_variable("RELEASE_DIR")


def test_the_release_job_attests_what_it_attaches_and_builds_nothing() -> None:
    release = jobs()["release"]
    assert release["needs"] == "build"
    assert release["permissions"] == {
        "contents": "write",
        "id-token": "write",
        "attestations": "write",
    }
    [download] = steps_using(release, "actions/download-artifact")
    assert download["with"]["path"] == makefile_variable("RELEASE_DIR")
    [attest] = steps_using(release, "actions/attest-build-provenance")
    assert attest["with"] == {
        "subject-checksums": f"{makefile_variable('RELEASE_ASSETS')}/SHA256SUMS"
    }
    assert runs(release) == ['make release-github TAG="$TAG"']
    steps = release["steps"]
    assert steps.index(attest) < next(i for i, s in enumerate(steps) if "run" in s)
    [publish] = [step for step in steps if "run" in step]
    assert publish["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}


def test_pypi_gets_the_built_files_through_trusted_publishing_once_switched_on() -> None:
    pypi = jobs()["pypi"]
    assert pypi["needs"] == "release"
    assert pypi["if"] == "vars.PYPI_PUBLISH_ENABLED == 'true'"
    # The trusted publisher on PyPI names the workflow file and this environment.
    assert pypi["environment"]["name"] == "pypi"
    assert pypi["permissions"] == {"id-token": "write"}
    # No checkout, no build, no command: the job holds the upload token and runs nothing else.
    assert runs(pypi) == []
    assert not steps_using(pypi, "actions/checkout")
    [publish] = steps_using(pypi, "pypa/gh-action-pypi-publish")
    # No password or token input: the action exchanges the job's OIDC token.
    assert publish["with"] == {"packages-dir": makefile_variable("RELEASE_PYTHON")}
    assert "secrets." not in RELEASE.read_text(encoding="utf-8")
