"""Clean-up of free text before it is kept in a slot or a record."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_FREE_TEXT = 1000
_TAG = re.compile(r"<[^<>]{0,200}>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CleanText:
    text: str
    truncated: bool = False
    markup_removed: bool = False


def clean_free_text(text: str | None, limit: int = MAX_FREE_TEXT) -> CleanText:
    """Strip markup tags and control characters, fold white space, cap the length."""
    raw = text or ""
    without_tags = _TAG.sub(" ", raw)
    printable = "".join(
        ch for ch in without_tags if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
    )
    folded = _SPACE.sub(" ", printable).strip()
    truncated = len(folded) > limit
    if truncated:
        folded = folded[: limit - 1].rstrip() + "…"
    return CleanText(folded, truncated=truncated, markup_removed=without_tags != raw)


_BARE_ANSWER = re.compile(
    r"(yes|yeah|yep|y|no|nope|n|ok|okay|sure|not sure|dunno|idk|maybe|because)[.!?]*", re.I
)
REDACTED_NOTE = (
    "I have replaced personal identifiers with placeholders — the record does not need them."
)


@dataclass(frozen=True)
class FreeTextAnswer:
    """A typed answer to a free-text question: the value to keep (or None) and what to say."""

    value: str | None
    notes: tuple[str, ...] = ()


def free_text_answer(text: str | None, explanation: bool = False) -> FreeTextAnswer:
    """Clean and redact a free-text answer; ``explanation`` also refuses a bare "yes"."""
    from bot import nlp

    cleaned = clean_free_text(text)
    if not cleaned.text or cleaned.text.startswith("/"):
        return FreeTextAnswer(None, ("I need a few words in answer to that, please.",))
    if explanation and _BARE_ANSWER.fullmatch(cleaned.text):
        return FreeTextAnswer(None, ("Please say why, in a sentence or two.",))
    redacted = nlp.redact(cleaned.text)
    notes = []
    if redacted != cleaned.text:
        notes.append(REDACTED_NOTE)
    if cleaned.truncated:
        notes.append(f"That was long, so I have kept the first {MAX_FREE_TEXT:,} characters.")
    return FreeTextAnswer(redacted, tuple(notes))


_COMMAND_START = re.compile(
    r"(why|what|how|explain|help|go back|back|undo|change|edit|start|stop|cancel|can you|"
    r"could you|please explain|i don'?t (understand|get)|not sure what|sorry|eh|huh)\b",
    re.IGNORECASE,
)


def looks_like_a_statement(text: str, min_words: int = 4) -> bool:
    """A sentence that is neither a question nor a command: at a free-text prompt, an answer.

    The intent model can read "Housing need it to plan support" as "explain"; at a free-text
    question such a sentence is taken as the answer, while "why?", "what does that mean" or
    "go back" stay commands.
    """
    stripped = text.strip()
    return (
        not stripped.startswith("/")
        and not stripped.endswith("?")
        and not _COMMAND_START.match(stripped)
        and len(stripped.split()) >= min_words
    )
