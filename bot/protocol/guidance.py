"""The guidance itself (``guidance.txt``), and checks that the assistant says only what it says.

``guidance.txt`` is the local procedure that reproduces the HM Government "Information Sharing:
Pocket Guide" (2008), as given to the project (``shared/seed``). Everything the assistant presents
as the guidance is a :class:`~bot.protocol.model.GuidanceText`: a passage of this file, quoted or
faithfully paraphrased, from a named section. :func:`problems` says what is wrong with one.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from bot.protocol.model import GuidanceText

GUIDANCE_FILE = Path(__file__).with_name("guidance.txt")
# A paraphrase keeps at least this share of its content words from the passage it rephrases.
MIN_PARAPHRASE_OVERLAP = 0.8

_HEADINGS = {
    "1. Introduction": "introduction",
    "2. Myth Buster on Data Protection": "myth_buster",
    "3. Seven Golden Rules for Information Sharing": "golden_rules",
    "4. Flowchart of Key Questions for Information Sharing": "flowchart",
    "5. Questions (Golden Rules)": "questions",
}
_QUESTION_HEADING = re.compile(r"^Question (\d)$")
_PARAGRAPHS = re.compile(r"paragraphs (\d+\.\d+) (\d+\.\d+)")
_STOPWORDS = frozenset(
    """a an the and or of to in on for with by at as is are be been being it its this that these
    those their there they them you your yours we our i he she his her not no if so do does did
    can could may might will would should shall must have has had from into about than then
    which who whom what when where why how also any all each such e g i e""".split()
)


def words(text: str) -> list[str]:
    """Lower-case words, with quotes, dashes, bullets and punctuation ignored."""
    text = text.lower().translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'}))
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?(?:\.[0-9]+)?", text)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    return [_stem(w) for w in words(text) if w not in _STOPWORDS]


@cache
def sections() -> dict[str, str]:
    """Each section of the guidance as one line of its words (``question_1``, ``introduction``)."""
    current = "preamble"
    lines: dict[str, list[str]] = {current: []}
    for line in GUIDANCE_FILE.read_text(encoding="utf-8").splitlines():
        heading = line.strip()
        if line == heading and heading in _HEADINGS:
            current = _HEADINGS[heading]
        elif line == heading and (match := _QUESTION_HEADING.match(heading)):
            current = f"question_{match.group(1)}"
        elif heading == "End":
            current = "end"
        lines.setdefault(current, []).append(line)
    return {name: " ".join(words(" ".join(text))) for name, text in lines.items()}


def section_text(name: str) -> str:
    return sections().get(name, "")


def contains(passage: str, section: str | None = None) -> bool:
    """``passage`` appears in the guidance (in ``section`` when given), word for word."""
    wanted = " ".join(words(passage))
    if not wanted:
        return False
    haystacks = [section_text(section)] if section else list(sections().values())
    return any(f" {wanted} " in f" {text} " for text in haystacks)


def overlap(text: str, source: str) -> float:
    """The share of ``text``'s content words that are also in ``source``."""
    said = content_words(text)
    if not said:
        return 1.0
    available = set(content_words(source))
    return sum(1 for word in said if word in available) / len(said)


def paragraphs(section: str) -> str | None:
    """The paragraphs of "Information Sharing: Guidance for practitioners and managers" that a
    section points to ("3.3 - 3.9")."""
    match = _PARAGRAPHS.search(section_text(section))
    return f"{match.group(1)} - {match.group(2)}" if match else None


def problems(item: GuidanceText) -> list[str]:
    """What is wrong with a text presented as the guidance (empty when nothing is)."""
    found = []
    if item.section not in sections():
        return [f"unknown section {item.section!r}"]
    if not contains(item.quoted, item.section):
        where = "elsewhere in the guidance" if contains(item.quoted) else "not in the guidance"
        found.append(f"not found in {item.section} ({where}): {item.quoted[:80]!r}")
    if item.source:
        share = overlap(item.text, item.source)
        if share < MIN_PARAPHRASE_OVERLAP:
            found.append(
                f"paraphrase keeps {share:.0%} of its words from its source "
                f"(at least {MIN_PARAPHRASE_OVERLAP:.0%}): {item.text[:80]!r}"
            )
    return found
