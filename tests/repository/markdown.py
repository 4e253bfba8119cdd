"""What the documentation tests read in a Markdown file: sections, links, code blocks, anchors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```$", re.M | re.S)
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6} (.+)$", re.M)
_EXTERNAL = ("http://", "https://", "mailto:")


@dataclass(frozen=True)
class Link:
    source: Path
    target: str

    @property
    def path(self) -> Path:
        """The file or folder the link names, relative to the document that holds it."""
        relative = self.target.split("#", 1)[0]
        return (self.source.parent / relative).resolve() if relative else self.source

    @property
    def anchor(self) -> str | None:
        return self.target.split("#", 1)[1] if "#" in self.target else None


def without_code_blocks(text: str) -> str:
    return _FENCE.sub("", text)


def code_blocks(text: str, language: str) -> list[str]:
    return [
        match.group(1)
        for match in _FENCE.finditer(text)
        if match.group(0).startswith(f"```{language}\n")
    ]


def section(text: str, heading: str) -> str:
    """The body of the second-level section `## heading`, up to the next one."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no section '## {heading}'"
    return match.group(1)


def relative_links(path: Path, text: str | None = None) -> list[Link]:
    """The links of `path` (or of `text`, a part of it) to files of the repository."""
    body = without_code_blocks(path.read_text(encoding="utf-8") if text is None else text)
    return [
        Link(path, target)
        for target in _LINK.findall(body)
        if not target.startswith(_EXTERNAL) and not target.startswith("#")
    ]


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the file's headings: lower case, punctuation dropped, spaces
    turned into hyphens (a repeated heading's "-1" suffixes are not needed here)."""
    text = without_code_blocks(path.read_text(encoding="utf-8"))
    return {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        for heading in _HEADING.findall(text)
    }
