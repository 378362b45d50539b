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
