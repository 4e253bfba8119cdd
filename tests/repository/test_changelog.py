"""CHANGELOG.md keeps the Keep a Changelog form (https://keepachangelog.com/en/1.1.0/):
Unreleased on top, then the releases newest first, each with the standard kinds of change as
bullets. No version was tagged before the first release, so an earlier entry names the landing's
issues where a version would stand (`## [issues 10-17] - 2026-11-28`). Every heading starts with
`## [`: scripts/ci/release_notes.py ends a release's notes at the next such heading."""

from __future__ import annotations

import re
from datetime import date

from tests.repository.markdown import REPO

CHANGELOG = REPO / "CHANGELOG.md"
KINDS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
# `[X.Y.Z] - YYYY-MM-DD`, or an untagged landing's `[issues N-M] - YYYY-MM-DD`.
_ENTRY = re.compile(r"^\[(\d+\.\d+\.\d+|issues \d+-\d+)\] - (\d{4}-\d{2}-\d{2})$")


def entries() -> list[tuple[str, str]]:
    """(heading, body) of each `## ` section, in order."""
    text = CHANGELOG.read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)\n", text, flags=re.M)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def entry_date(heading: str) -> date:
    match = _ENTRY.match(heading)
    assert match, f"'## {heading}': write '[X.Y.Z] - YYYY-MM-DD' (or '[issues N-M] - YYYY-MM-DD')"
    return date.fromisoformat(match.group(2))


def test_the_changelog_names_its_form() -> None:
    text = CHANGELOG.read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com/en/1.1.0/" in text


def test_unreleased_comes_first() -> None:
    headings = [heading for heading, _ in entries()]
    assert headings[0] == "[Unreleased]"
    assert headings.count("[Unreleased]") == 1


def test_past_entries_are_dated_newest_first() -> None:
    dates = [entry_date(heading) for heading, _ in entries()[1:]]
    assert dates, "the changelog holds no past entry"
    assert dates == sorted(dates, reverse=True), f"entries out of order: {dates}"


def test_each_entry_sorts_its_changes_by_kind_as_bullets() -> None:
    for heading, body in entries():
        kinds = re.findall(r"^### (.+)$", body, re.M)
        assert kinds, f"'## {heading}' lists no change"
        assert all(kind in KINDS for kind in kinds), f"'## {heading}': {kinds} (allowed: {KINDS})"
        assert len(kinds) == len(set(kinds)), f"'## {heading}' repeats a kind: {kinds}"
        for block in re.split(r"^### .+\n", body, flags=re.M)[1:]:
            lines = [line for line in block.splitlines() if line.strip()]
            assert lines, f"'## {heading}' has an empty kind"
            stray = [line for line in lines if not line.startswith(("- ", "  "))]
            assert not stray, f"'## {heading}': not a bullet: {stray}"
