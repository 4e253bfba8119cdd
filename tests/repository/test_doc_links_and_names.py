"""The project's documents hold together: every relative link names a file that exists (and a
heading that exists, when it names one), and the local cloud has one name (issue 26: it was
"local cloud", "localcloud", "emulator" and "demo")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.repository.markdown import REPO, Link, anchors, relative_links, without_code_blocks

DOCUMENTS = (
    REPO / "README.md",
    REPO / "DEVELOPERS.md",
    REPO / "CONTRIBUTING.md",
    REPO / "CHANGELOG.md",
    REPO / "docs" / "api.md",
    REPO / "docs" / "client.md",
    REPO / "docs" / "decisions.md",
    REPO / "docs" / "performance.md",
)
# Other names the local cloud went by. `localcloud` stays right as the package's name, in code
# (`localcloud`, `localcloud.iam`) and in paths (tools/localcloud, build/localcloud).
OTHER_NAMES = re.compile(r"\bemulator|\bdemo cloud\b", re.I)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_BARE_PACKAGE = re.compile(r"(?<![\w/.\-])localcloud(?![\w/.\-])")


def _ids(link: Link) -> str:
    return f"{link.source.relative_to(REPO)}->{link.target}"


LINKS = [link for document in DOCUMENTS for link in relative_links(document)]


def prose(path: Path) -> str:
    """The text a reader reads as words: no code blocks, code spans or link targets."""
    text = without_code_blocks(path.read_text(encoding="utf-8"))
    return _LINK_TARGET.sub("]", _CODE_SPAN.sub("", text))


@pytest.mark.parametrize("link", LINKS, ids=_ids)
def test_every_relative_link_names_what_exists(link: Link) -> None:
    assert link.path.exists(), f"{link.source.name} links {link.target}, which does not exist"
    if link.anchor is not None and link.path.suffix == ".md":
        assert link.anchor in anchors(link.path), f"{link.path.name} has no heading #{link.anchor}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(REPO)))
def test_the_local_cloud_has_one_name(document: Path) -> None:
    text = prose(document)
    others = sorted({match.group(0) for match in OTHER_NAMES.finditer(text)})
    assert not others, f"{document.name} calls the local cloud {others}: say 'the local cloud'"
    bare = [line.strip() for line in text.splitlines() if _BARE_PACKAGE.search(line)]
    assert not bare, f"{document.name} names the package as prose; write `localcloud`: {bare}"


def test_the_name_check_finds_the_other_names() -> None:
    """The checks above must be able to fail."""
    assert OTHER_NAMES.search("a local AWS emulator (moto server)")
    assert _BARE_PACKAGE.search("what localcloud cannot do")
    assert not _BARE_PACKAGE.search("tools/localcloud/README.md and build/localcloud")
