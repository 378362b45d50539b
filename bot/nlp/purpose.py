"""Find the purpose ("why") of sharing in a message (markers: ``patterns/purpose.yml``)."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.nlp.patterns import PURPOSE_FILE, load_yaml

MAX_PURPOSE_CHARS = 300

# Sentence ends: ! ? or newlines anywhere; "." unless it ends a title ("Dr. Patel").
_SENTENCE_END = re.compile(
    r"(?<=[!?])\s+|(?<!\bDr)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bSt)(?<=\.)\s+|\s*\n\s*"
)
# A question tacked on after the reason: "..., can I share it?"
_QUESTION_TAIL = re.compile(
    r"\s*[,;:–—-]+\s*(?:so\s+|and\s+|but\s+)?"
    r"(?:can|could|should|may|shall|would|do|does|am|is\s+it|is\s+that|are\s+we|what|how)\b.*$",
    re.IGNORECASE | re.DOTALL,
)
_TRAILING = re.compile(r"[\s.,;:!?…\-–—]+$")


@lru_cache(maxsize=1)
def _markers() -> tuple[re.Pattern[str], ...]:
    data = load_yaml(PURPOSE_FILE)
    return tuple(re.compile(str(marker["regex"]), re.IGNORECASE) for marker in data["markers"])


def _tidy(purpose: str) -> str | None:
    purpose = _QUESTION_TAIL.sub("", purpose)
    purpose = _TRAILING.sub("", " ".join(purpose.split()))
    if len(purpose) > MAX_PURPOSE_CHARS:
        purpose = purpose[:MAX_PURPOSE_CHARS].rsplit(" ", 1)[0] + "…"
    return purpose if len(purpose) >= 3 else None


def _sentences(text: str) -> list[tuple[int, str]]:
    """Sentences of ``text`` with their start offsets."""
    sentences, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        sentences.append((start, text[start : end.start()]))
        start = end.end()
    sentences.append((start, text[start:]))
    return sentences


def find_purpose(text: str) -> tuple[int, str, int] | None:
    """Offset in ``text`` where the purpose starts, the tidied purpose, and the offset of its
    marker ("because", "so that"): where the rest of the message ends; or None."""
    if not text:
        return None
    for offset, sentence in _sentences(text):
        matches = [match for marker in _markers() if (match := marker.search(sentence))]
        for match in sorted(matches, key=lambda match: match.start()):
            purpose = _tidy(match.group("purpose"))
            if purpose:
                return offset + match.start("purpose"), purpose, offset + match.start()
    return None


def extract_purpose(text: str) -> str | None:
    """The purpose stated in ``text`` after a clear marker ("because ...", "so that ...",
    "to protect ...", ...), or None when there is no clear marker."""
    found = find_purpose(text)
    return found[1] if found else None
