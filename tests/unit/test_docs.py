"""The documentation holds together: README is the front door, docs/ the house.

Every relative Markdown link in README.md and docs/*.md reaches a file that exists and, with a
``#anchor``, a heading of that file (GitHub's slugs); every mention of README in the code names a
heading that README has; every docs page the repository names exists, with the heading or the
section (``docs/design.md §5``) it names; README stays short. The checkers are tried on broken
copies too, so that each of them can fail.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
README_LINES_AT_MOST = 250

# Where the code and configuration live (a mention of README or of a docs page is checked there).
CODE_ROOTS = "bot actions scripts tests teams web config deploy domain data".split()
CODE_FILES = (
    "Makefile",
    "pyproject.toml",
    "config.yml",
    "credentials.yml",
    "endpoints.yml",
    ".ci/run",
)
TEXT_SUFFIXES = {".py", ".yml", ".yaml", ".toml", ".md", ".txt", ".json", ".js", ".html", ".sh"}
SKIPPED_PARTS = {"node_modules", "__pycache__", ".pytest_cache"}

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# A line break inside a comment or docstring, with the comment marker of the next line.
_CONTINUATION = re.compile(r"\s*\n\s*(?:#|\*|//)?\s*")
# README, then what it names: a quoted heading, a heading after a colon, or an anchor.
_README_QUOTED = re.compile(r"\bREADME(?:'s|:)?\s+\"([^\"]{1,100})\"")
_README_COLON = re.compile(r"\bREADME:\s*([^\s\"][^).;,\n]*)")
_README_ANCHOR = re.compile(r"\bREADME\.md#([\w-]+)")
_README_FILE = re.compile(r"(?<![\w./-])((?:[\w-][\w.-]*/)*)README\.md\b")
# A docs page, then what it names: a quoted heading, an anchor, or a numbered section of design.md.
_DOCS_PAGE = re.compile(r"\bdocs/([\w.-]+\.md)")
_DOCS_QUOTED = re.compile(r"\bdocs/([\w.-]+\.md)(?::|,)?\s+\"([^\"]{1,100})\"")
_DOCS_ANCHOR = re.compile(r"\bdocs/([\w.-]+\.md)#([\w-]+)")
_DOCS_SECTION = re.compile(r"\bdocs/([\w.-]+\.md)\s*§\s*(\d+)")


# --- Markdown -------------------------------------------------------------------------------------
def outside_code_blocks(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of every line outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def heading_texts(path: Path) -> list[str]:
    """Every heading of a Markdown file, its inline code and links reduced to their words."""
    texts = []
    for _, line in outside_code_blocks(path.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if match:
            text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", match.group(2))
            texts.append(text.replace("`", ""))
    return texts


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor GitHub makes for the file's headings (repeats get -1, -2, …)."""
    seen: dict[str, int] = {}
    result = set()
    for text in heading_texts(path):
        base = slug(text)
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def relative_links(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, target) of every link that is not to another site, outside code."""
    for number, line in outside_code_blocks(path.read_text(encoding="utf-8")):
        for match in _LINK.finditer(_INLINE_CODE.sub("", line)):
            target = match.group(1)
            if not _SCHEME.match(target):
                yield number, target


def broken_links(path: Path) -> list[str]:
    """The links of one Markdown file that reach no file, or no heading of it."""
    problems = []
    for number, target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.name}:{number}: {target}"
        if not linked.exists():
            problems.append(f"{where}: no file {linked}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            problems.append(f"{where}: no heading #{anchor} in {linked.name}")
    return problems


def markdown_pages(root: Path = PROJECT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


# --- mentions in the code -------------------------------------------------------------------------
def code_files(root: Path = PROJECT) -> Iterator[Path]:
    """The code and configuration files (this test's own examples aside)."""
    for name in CODE_ROOTS:
        for folder, subfolders, files in os.walk(root / name):
            subfolders[:] = sorted(d for d in subfolders if d not in SKIPPED_PARTS)
            for file in sorted(files):
                path = Path(folder) / file
                if path.suffix in TEXT_SUFFIXES and path.resolve() != Path(__file__).resolve():
                    yield path
    for name in CODE_FILES:
        if (root / name).is_file():
            yield root / name


def _names_a_heading(name: str, headings: Iterable[str]) -> bool:
    """A heading's text is the name, or begins with it (case aside)."""
    name = _CONTINUATION.sub(" ", name).strip().lower()
    return any(text.strip().lower().startswith(name) for text in headings)


def dangling_mentions(path: Path, root: Path = PROJECT) -> list[str]:
    """What one file says about README or a docs page that is not there."""
    text = path.read_text(encoding="utf-8", errors="replace")
    readme = root / "README.md"
    problems = []

    def problem(match: re.Match[str], what: str) -> None:
        line = text.count("\n", 0, match.start()) + 1
        problems.append(f"{path.relative_to(root)}:{line}: {what}")

    for match in _README_FILE.finditer(text):
        if not (root / match.group(1) / "README.md").is_file():
            problem(match, f"no file {match.group(0)}")
    for pattern in (_README_QUOTED, _README_COLON):
        for match in pattern.finditer(text):
            if not _names_a_heading(match.group(1), heading_texts(readme)):
                problem(match, f"README has no heading {match.group(1)!r}")
    for match in _README_ANCHOR.finditer(text):
        if match.group(1) not in anchors(readme):
            problem(match, f"README has no heading #{match.group(1)}")
    for match in _DOCS_PAGE.finditer(text):
        if not (root / "docs" / match.group(1)).is_file():
            problem(match, f"no page docs/{match.group(1)}")
    for match in _DOCS_QUOTED.finditer(text):
        page = root / "docs" / match.group(1)
        if page.is_file() and not _names_a_heading(match.group(2), heading_texts(page)):
            problem(match, f"docs/{match.group(1)} has no heading {match.group(2)!r}")
    for match in _DOCS_ANCHOR.finditer(text):
        page = root / "docs" / match.group(1)
        if page.is_file() and match.group(2) not in anchors(page):
            problem(match, f"docs/{match.group(1)} has no heading #{match.group(2)}")
    for match in _DOCS_SECTION.finditer(text):
        page = root / "docs" / match.group(1)
        if page.is_file() and not _names_a_heading(f"{match.group(2)}. ", heading_texts(page)):
            problem(match, f"docs/{match.group(1)} has no section §{match.group(2)}")
    return problems


# --- the repository -------------------------------------------------------------------------------
@pytest.mark.parametrize("page", markdown_pages(), ids=lambda p: p.name)
def test_every_relative_link_reaches_a_file_and_heading(page: Path) -> None:
    assert broken_links(page) == []


def test_the_docs_index_lists_every_page() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    linked = {target.partition("#")[0] for _, target in relative_links(PROJECT / "README.md")}
    assert "docs/" in readme
    assert {f"docs/{page.name}" for page in markdown_pages()[1:]} <= linked


def test_every_mention_of_readme_or_a_docs_page_in_the_code_exists() -> None:
    problems = [problem for path in code_files() for problem in dangling_mentions(path)]
    assert problems == []


def test_every_docs_page_mentioned_in_the_docs_exists() -> None:
    problems = [problem for page in markdown_pages() for problem in dangling_mentions(page)]
    assert problems == []


def test_readme_is_a_front_door() -> None:
    lines = (PROJECT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_LINES_AT_MOST


# --- the checkers fail on broken copies -----------------------------------------------------------
def test_slugs_are_githubs() -> None:
    assert slug("What, with whom and why in openings (measured)") == (
        "what-with-whom-and-why-in-openings-measured"
    )
    assert slug("6. Contracts other tools rely on (keep or extend, never rename)") == (
        "6-contracts-other-tools-rely-on-keep-or-extend-never-rename"
    )
    assert slug("Read outside bot/settings.py") == "read-outside-botsettingspy"
    assert slug("Set-up, step by step") == "set-up-step-by-step"


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        "# Project\n\n## Quick start\n\nSee [the guide](docs/guide.md#set-up-step-by-step).\n",
        encoding="utf-8",
    )
    (tmp_path / "docs" / "guide.md").write_text(
        "# Guide\n\n## Set-up, step by step\n\n```\n## not a heading\n[x](missing.md)\n```\n"
        "Back to [README](../README.md#quick-start); `[code](not-a-link.md)`.\n",
        encoding="utf-8",
    )
    return tmp_path


def test_the_link_checker_finds_a_missing_file_and_a_missing_heading(repo: Path) -> None:
    guide = repo / "docs" / "guide.md"
    assert broken_links(repo / "README.md") == [] and broken_links(guide) == []
    readme = repo / "README.md"
    readme.write_text(readme.read_text().replace("#set-up-step-by-step", "#set-up"))
    assert [p.split(": ")[-1] for p in broken_links(readme)] == ["no heading #set-up in guide.md"]
    guide.write_text(guide.read_text().replace("../README.md", "../READ_ME.md"))
    assert "no file" in broken_links(guide)[0]
    assert "not-a-heading" not in anchors(guide)


def test_the_mention_checker_finds_dangling_references(repo: Path) -> None:
    code = repo / "bot.py"
    code.write_text(
        '# Fine: README: "Quick start", README.md#quick-start, docs/guide.md: "Set-up, step\n'
        '# by step", docs/guide.md#set-up-step-by-step.\n',
        encoding="utf-8",
    )
    assert dangling_mentions(code, repo) == []
    code.write_text(
        '# README: "Web chat"\n# README: Performance\n# docs/web.md\n'
        '# docs/guide.md: "Troubleshooting"\n# docs/guide.md §4\n# data/README.md\n',
        encoding="utf-8",
    )
    assert [p.split(":")[1] for p in dangling_mentions(code, repo)] == [
        "6",
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
