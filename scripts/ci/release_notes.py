#!/usr/bin/env python3
"""Refuse a release tag that does not name the version being released; write its release notes.

A tag `vX.Y.Z` is released only when pyproject.toml's `version` is `X.Y.Z` (what the wheel and
sdist will be called, and what PyPI would publish) and CHANGELOG.md has a non-empty section
`## [X.Y.Z]` (Keep a Changelog, https://keepachangelog.com/en/1.1.0/): a tag pushed before the
version bump or the changelog entry stops here, before anything is built. The section's text,
without its heading, becomes the GitHub release's notes.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

# The tags the release workflow runs on (`v*.*.*`), narrowed to plain numbers: no pre-release
# suffix, which pyproject's version and the changelog's headings would spell differently.
TAG = re.compile(r"v(?P<version>\d+\.\d+\.\d+)")
SECTION_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\]", re.MULTILINE)


class RefusedError(Exception):
    """The tag cannot be released as it stands; the message says what to fix."""


def project_version(pyproject: Path) -> str:
    version: str = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    return version


def changelog_section(changelog: str, version: str) -> str | None:
    """The text under `## [version]` up to the next `## [` heading, or None without one."""
    headings = list(SECTION_HEADING.finditer(changelog))
    for index, heading in enumerate(headings):
        if heading.group("version") == version:
            line_end = changelog.find("\n", heading.end())
            start = len(changelog) if line_end < 0 else line_end + 1
            end = headings[index + 1].start() if index + 1 < len(headings) else len(changelog)
            # Link references ([0.1.0]: https://...) close the file, not the last section.
            body = re.split(r"^\[[^\]]+\]: ", changelog[start:end], maxsplit=1, flags=re.MULTILINE)
            return body[0].strip()
    return None


def release_notes(tag: str, pyproject: Path, changelog: Path) -> str:
    match = TAG.fullmatch(tag)
    if not match:
        raise RefusedError(f"{tag!r} is not a release tag: tag releases vX.Y.Z (e.g. v1.2.0)")
    version = match.group("version")
    declared = project_version(pyproject)
    if declared != version:
        raise RefusedError(
            f"tag {tag} but {pyproject.name} says version {declared!r}: set version = "
            f'"{version}" there, commit, and tag that commit'
        )
    section = changelog_section(changelog.read_text(encoding="utf-8"), version)
    if not section:
        raise RefusedError(
            f"{changelog.name} has no section '## [{version}]' with text: move what "
            f"'## [Unreleased]' lists under '## [{version}] - <date>' before tagging"
        )
    return section + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tag", required=True, help="the pushed tag, vX.Y.Z")
    parser.add_argument("--pyproject", type=Path, default=Path("pyproject.toml"))
    parser.add_argument("--changelog", type=Path, default=Path("CHANGELOG.md"))
    parser.add_argument("--output", type=Path, required=True, help="where the notes go")
    args = parser.parse_args(argv)
    try:
        notes = release_notes(args.tag, args.pyproject, args.changelog)
    except RefusedError as refusal:
        print(f"::error title=Not releasing {args.tag}::{refusal}", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(notes, encoding="utf-8")
    print(f"releasing {args.tag}: notes from CHANGELOG.md in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
