"""README.md stays the door (issue 26): short, the two commands with the demo's printed lines as
tools/randfile_localcloud/__main__.py prints them, a map whose every place exists, links that
resolve. The detail lives behind the links (docs/api.md, DEVELOPERS.md, ...)."""

from __future__ import annotations

import ast
import re

import pytest

from tests.repository.markdown import REPO, Link, code_blocks, relative_links, section

README = REPO / "README.md"
DEMO = REPO / "tools" / "randfile_localcloud" / "__main__.py"
LINE_BUDGET = 120
# Every place a newcomer looks for first (issue 26's list); each infra/modules/<name> is added.
MAP_PLACES = (
    "src/randfile/handler.py",
    "src/randfile/files.py",
    "src/randfile/worker.py",
    "infra/modules/data-bucket/main.tf",
    ".github/workflows",
    "scripts/ci",
    "tools/localcloud",
    "tools/randfile_localcloud",
    "src/randfile_client",
)
# A progress line starts with the seconds since the demo started: "[  93.0s] ".
_ELAPSED = r"\[ *\d+\.\ds\] "


def readme() -> str:
    return README.read_text(encoding="utf-8")


def _demo_function() -> ast.FunctionDef:
    tree = ast.parse(DEMO.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "demo":
            return node
    raise AssertionError(f"{DEMO} has no demo()")


def _line_patterns(message: ast.expr) -> list[str]:
    """The printed lines of one message as regular expressions: its text literally, each
    `{...}` as any non-empty text; a newline in the text starts the next line."""
    parts = message.values if isinstance(message, ast.JoinedStr) else [message]
    lines = [""]
    for part in parts:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            first, *rest = part.value.split("\n")
            lines[-1] += re.escape(first)
            lines.extend(re.escape(piece) for piece in rest)
        else:
            lines[-1] += ".+"
    return lines


def demo_line_patterns() -> list[str]:
    """What a successful `make demo` prints on stdout, in order: its progress lines, then the
    summary (the failure branch prints through other calls and is not part of the quote)."""
    calls = sorted(
        (node.lineno, node.col_offset, node.func.id, node)
        for node in ast.walk(_demo_function())
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args
    )
    patterns: list[str] = []
    for _, _, name, call in calls:
        if name == "progress":
            patterns.extend(_ELAPSED + line for line in _line_patterns(call.args[0]))
        elif name == "print" and not call.keywords:
            patterns.extend(_line_patterns(call.args[0]))
    return patterns


def quoted_demo_output() -> list[str]:
    blocks = [
        block
        for block in code_blocks(section(readme(), "The two commands"), "text")
        if "randfile is running on the local cloud" in block
    ]
    assert len(blocks) == 1, "the README quotes the demo's output in one ```text block"
    return blocks[0].rstrip("\n").split("\n")


def test_the_readme_fits_its_line_budget() -> None:
    lines = readme().count("\n")
    assert lines <= LINE_BUDGET, f"README.md has {lines} lines; the door holds {LINE_BUDGET}"


def test_the_readme_gives_the_two_commands_first() -> None:
    commands = code_blocks(section(readme(), "The two commands"), "sh")
    assert commands, "the section 'The two commands' shows them in a ```sh block"
    run = [line.split("#")[0].strip() for line in commands[0].splitlines()]
    assert run == ["make demo", "make test"]
    headings = re.findall(r"^## (.+)$", readme(), re.M)
    assert headings[0] == "The two commands", f"the first section is {headings[0]!r}"


def test_the_quoted_demo_output_is_what_the_demo_prints() -> None:
    patterns = demo_line_patterns()
    quoted = quoted_demo_output()
    assert len(quoted) == len(patterns), (
        f"the README quotes {len(quoted)} lines, the demo prints {len(patterns)}"
    )
    for line, pattern in zip(quoted, patterns, strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} is not printed by the demo ({pattern!r})"


def test_the_demo_line_patterns_catch_a_changed_line() -> None:
    """The comparison above must fail when a printed word changes (it would otherwise prove
    nothing): the first progress line, reworded, no longer matches."""
    pattern = demo_line_patterns()[0]
    assert re.fullmatch(pattern, "[   0.0s] starting the local cloud (moto server) ...")
    assert not re.fullmatch(pattern, "[   0.0s] starting the emulator (moto server) ...")


def test_the_map_shows_every_place_a_newcomer_looks_for() -> None:
    targets = {link.path for link in relative_links(README, section(readme(), "Where things are"))}
    modules = sorted(
        path.relative_to(REPO).as_posix()
        for path in (REPO / "infra" / "modules").iterdir()
        if path.is_dir()
    )
    wanted = [*MAP_PLACES, *modules]
    missing = [
        place
        for place in wanted
        if not any(target == REPO / place or (REPO / place) in target.parents for target in targets)
    ]
    assert not missing, f"the README's map does not link {missing}"


@pytest.mark.parametrize("link", relative_links(README), ids=lambda link: link.target)
def test_every_relative_link_of_the_readme_resolves(link: Link) -> None:
    assert link.path.exists(), f"README.md links {link.target}, which does not exist"


def test_the_readme_links_resolve_within_the_repository() -> None:
    outside = [link.target for link in relative_links(README) if REPO not in link.path.parents]
    assert not outside, f"README.md links outside the repository: {outside}"
