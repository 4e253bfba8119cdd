"""A rehearsal of the release workflow: its make targets, in its order, on a copy of the repository.

The copy is released as a maintainer would release it (CHANGELOG.md's Unreleased items moved under
the version pyproject.toml names); `make release-notes` checks the tag, `make release-dist` builds
what the release carries, `make release-github` creates the release on a stand-in for GitHub's
REST API that keeps releases and their uploaded files as GitHub does. The attestation and the
PyPI upload are actions (.github/workflows/release.yml), not rehearsed here;
tests/repository/test_release_workflow.py holds their inputs to these targets' paths.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from scripts.ci.release_notes import changelog_section
from tests.git_files import repository_files
from tests.http_stand_in import Recorder, serve

REPO = Path(__file__).resolve().parents[3]
VENV = REPO / ".venv"
FUNCTION_DEPS = REPO / "build" / "function-deps"
UV = REPO / "build" / "uv" / "bin" / "uv"
# What a release job's checkout needs: the build, the client's packaging and the changelog.
CHECKOUT = ("Makefile", "pyproject.toml", "README.md", "CHANGELOG.md", "src", "scripts")
VERSION: str = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
TAG = f"v{VERSION}"
REPOSITORY = "acme/randfile"
TOKEN = "rehearsal-token"
# Releasing moves what Unreleased lists under the version: those lines are the release's notes.
RELEASE_SECTION = (
    changelog_section((REPO / "CHANGELOG.md").read_text(encoding="utf-8"), "Unreleased") or ""
) + "\n"


@dataclass
class Checkout:
    path: Path

    def make(
        self, target: str, github_api_url: str | None = None, **variables: str
    ) -> subprocess.CompletedProcess[str]:
        """The step as the job runs it; with a GitHub API, the variables every job has."""
        # The shared virtualenv, uv and the zip's libraries stand for what the job's setup installs.
        command = [
            "make",
            f"--directory={self.path}",
            f"--old-file={VENV}/.installed",
            f"--old-file={VENV}/.installed-demo",
            f"--old-file={FUNCTION_DEPS}/.installed",
            f"VENV={VENV}",
            f"FUNCTION_DEPS={FUNCTION_DEPS}",
            f"UV={UV}",
            target,
            *(f"{name}={value}" for name, value in variables.items()),
        ]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
        if github_api_url:
            environment.update(
                GITHUB_API_URL=github_api_url,
                GITHUB_REPOSITORY=REPOSITORY,
                GITHUB_TOKEN=TOKEN,
            )
        return subprocess.run(command, capture_output=True, text=True, check=False, env=environment)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Checkout:
    """A copy of the repository's files (as actions/checkout gives them: what git has, nothing
    built) whose changelog has the section of pyproject's version."""
    if not UV.exists():
        pytest.fail(f"{UV} is missing: run make venv")
    path = tmp_path_factory.mktemp("release") / "randfile"
    for name in repository_files(*CHECKOUT):
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, path / name)
    changelog = path / "CHANGELOG.md"
    text = changelog.read_text()
    assert "## [Unreleased]\n" in text
    changelog.write_text(
        text.replace(
            "## [Unreleased]\n",
            f"## [Unreleased]\n\n## [{VERSION}] - 2026-12-06\n",
            1,
        )
    )
    return Checkout(path)


# --- make release-notes ----------------------------------------------------------------------


def test_the_notes_are_the_changelog_section_of_the_tag(checkout: Checkout) -> None:
    result = checkout.make("release-notes", TAG=TAG)
    assert result.returncode == 0, result.stdout + result.stderr
    notes = (checkout.path / "build" / "release" / "notes.md").read_text()
    # The section's text alone: not its heading, not the next section.
    assert notes == RELEASE_SECTION
    assert notes.strip()
    assert "## [" not in notes


@pytest.mark.parametrize(
    ("tag", "says"),
    [
        ("v99.0.0", f"pyproject.toml says version '{VERSION}'"),
        (f"{VERSION}", "is not a release tag"),
        (f"{TAG}-rc1", "is not a release tag"),
        ("", "is not a release tag"),
    ],
)
def test_a_tag_that_does_not_name_the_version_is_refused(
    checkout: Checkout, tag: str, says: str
) -> None:
    result = checkout.make("release-notes", TAG=tag)
    assert result.returncode != 0
    assert says in result.stderr
    assert "::error title=Not releasing" in result.stderr


def test_a_version_without_a_changelog_section_is_refused(tmp_path: Path) -> None:
    # The repository's own changelog: nothing is released until its items move under a version.
    result = subprocess.run(
        [
            "python3",
            "-m",
            "scripts.ci.release_notes",
            f"--tag={TAG}",
            f"--changelog={REPO / 'CHANGELOG.md'}",
            f"--output={tmp_path / 'notes.md'}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert f"no section '## [{VERSION}]'" in result.stderr
    assert not (tmp_path / "notes.md").exists()


# --- make release-dist -----------------------------------------------------------------------


def release_files(checkout: Checkout) -> dict[str, bytes]:
    assets = checkout.path / "build" / "release" / "assets"
    return {path.name: path.read_bytes() for path in sorted(assets.iterdir())}


@pytest.fixture(scope="module")
def built(checkout: Checkout) -> dict[str, bytes]:
    result = checkout.make("release-dist")
    assert result.returncode == 0, result.stdout + result.stderr
    return release_files(checkout)


def test_the_release_carries_the_wheel_sdist_zip_and_their_checksums(
    checkout: Checkout, built: dict[str, bytes]
) -> None:
    wheel, sdist, zip_name = (
        f"randfile-{VERSION}-py3-none-any.whl",
        f"randfile-{VERSION}.tar.gz",
        f"randfile-lambda-{VERSION}.zip",
    )
    assert set(built) == {wheel, sdist, zip_name, "SHA256SUMS"}
    # The zip is the one `make build` made for the stack, byte for byte.
    assert built[zip_name] == (checkout.path / "dist" / "randfile.zip").read_bytes()
    # SHA256SUMS is what `sha256sum -c` (and the attestation step) reads.
    check = subprocess.run(
        ["sha256sum", "--check", "--strict", "SHA256SUMS"],
        cwd=checkout.path / "build" / "release" / "assets",
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert sorted(line.split()[1] for line in built["SHA256SUMS"].decode().splitlines()) == sorted(
        {wheel, sdist, zip_name}
    )
    # PyPI gets the wheel and the sdist, nothing else.
    python = checkout.path / "build" / "release" / "python"
    assert sorted(path.name for path in python.iterdir()) == sorted([wheel, sdist])


def test_the_wheel_installs_the_randfile_command(built: dict[str, bytes], tmp_path: Path) -> None:
    wheel = tmp_path / f"randfile-{VERSION}-py3-none-any.whl"
    wheel.write_bytes(built[wheel.name])
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"randfile-{VERSION}.dist-info/METADATA").decode()
        entry_points = archive.read(f"randfile-{VERSION}.dist-info/entry_points.txt").decode()
    assert "randfile_client/cli.py" in names
    assert f"\nVersion: {VERSION}\n" in metadata
    assert re.search(r"^randfile = randfile_client\.cli:main$", entry_points, re.MULTILINE)
    # Its requirements are pyproject's, so `pip install` brings what the CLI imports.
    assert "Requires-Dist: httpx>=0.27" in metadata


def test_building_the_tag_again_gives_the_same_wheel_and_zip(
    checkout: Checkout, built: dict[str, bytes]
) -> None:
    result = checkout.make("release-dist")
    assert result.returncode == 0, result.stdout + result.stderr
    again = release_files(checkout)
    for name in (f"randfile-{VERSION}-py3-none-any.whl", f"randfile-lambda-{VERSION}.zip"):
        assert hashlib.sha256(again[name]).digest() == hashlib.sha256(built[name]).digest(), name


# --- make release-github ---------------------------------------------------------------------


@dataclass
class StandInReleases:
    """GitHub's releases of one repository: drafts listed to the token, uploads kept per release."""

    base_url: str = ""
    releases: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[int, dict[str, bytes]] = field(default_factory=dict)

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        assert headers["authorization"] == f"Bearer {TOKEN}"
        url = urlsplit(path)
        releases = f"/repos/{REPOSITORY}/releases"
        if url.path == releases:
            return (200, self.releases) if method == "GET" else self._create(json.loads(body))
        if match := re.fullmatch(rf"{releases}/(\d+)", url.path):
            return self._change(method, int(match.group(1)), body)
        if (match := re.fullmatch(r"/uploads/(\d+)/assets", url.path)) and method == "POST":
            assert headers["content-type"] == "application/octet-stream"
            return self._upload(int(match.group(1)), parse_qs(url.query)["name"][0], body)
        return 404, {"message": "Not Found"}

    def _release(self, release_id: int) -> dict[str, Any]:
        [release] = [r for r in self.releases if r["id"] == release_id]
        return release

    def _create(self, request: dict[str, Any]) -> tuple[int, Any]:
        release_id = max(self.uploads, default=0) + 1
        release = {
            "id": release_id,
            "tag_name": request["tag_name"],
            "name": request["name"],
            "body": request["body"],
            "draft": request["draft"],
            "html_url": f"https://github.com/{REPOSITORY}/releases/tag/{request['tag_name']}",
            "upload_url": f"{self.base_url}/uploads/{release_id}/assets{{?name,label}}",
        }
        self.releases.append(release)
        self.uploads[release_id] = {}
        return 201, release

    def _change(self, method: str, release_id: int, body: bytes) -> tuple[int, Any]:
        release = self._release(release_id)
        if method == "DELETE":
            self.releases.remove(release)
            return 204, None
        assert method == "PATCH"
        release.update(json.loads(body))
        return 200, release

    def _upload(self, release_id: int, name: str, content: bytes) -> tuple[int, Any]:
        # An immutable release takes no file once published.
        if not self._release(release_id)["draft"]:
            return 422, {"message": "Cannot upload assets to an immutable release"}
        self.uploads[release_id][name] = content
        return 201, {"name": name}


@pytest.fixture
def github() -> Iterator[tuple[str, Recorder, StandInReleases]]:
    releases = StandInReleases()
    with serve(releases) as (url, recorder):
        releases.base_url = url
        yield url, recorder, releases


def release_on(checkout: Checkout, github: tuple[str, Recorder, StandInReleases]) -> dict[str, Any]:
    """The release job's step after the build job's: the one published release, every file on it."""
    url, _, stand_in = github
    assert checkout.make("release-notes", TAG=TAG).returncode == 0
    result = checkout.make("release-github", url, TAG=TAG)
    assert result.returncode == 0, result.stdout + result.stderr
    [release] = stand_in.releases
    assert release["draft"] is False
    assert stand_in.uploads[release["id"]] == release_files(checkout)
    return release


def test_the_release_is_published_only_with_every_file_attached(
    checkout: Checkout,
    built: dict[str, bytes],
    github: tuple[str, Recorder, StandInReleases],
) -> None:
    url, recorder, _ = github
    release = release_on(checkout, github)
    assert release["tag_name"] == TAG
    assert release["body"] == RELEASE_SECTION
    # Created as a draft, every file attached, then published: the last call.
    calls = [(method, urlsplit(path).path) for method, path, _, _ in recorder.requests]
    assert calls[1] == ("POST", f"/repos/{REPOSITORY}/releases")
    assert calls[-1] == ("PATCH", f"/repos/{REPOSITORY}/releases/{release['id']}")
    assert len([call for call in calls if call[1].startswith("/uploads/")]) == len(built)

    # A published release is never rewritten: a second run fails and creates nothing.
    before = len(recorder.requests)
    result = checkout.make("release-github", url, TAG=TAG)
    assert result.returncode != 0
    assert f"{TAG} is already released" in result.stderr
    assert [method for method, _, _, _ in recorder.requests[before:]] == ["GET"]


@pytest.mark.usefixtures("built")
def test_a_draft_an_earlier_attempt_left_is_replaced(
    checkout: Checkout, github: tuple[str, Recorder, StandInReleases]
) -> None:
    url, _, stand_in = github
    stand_in.releases.append(
        {"id": 99, "tag_name": TAG, "draft": True, "upload_url": f"{url}/uploads/99/assets"}
    )
    stand_in.uploads[99] = {"SHA256SUMS": b"half of an earlier upload"}
    release = release_on(checkout, github)
    assert release["id"] != 99
