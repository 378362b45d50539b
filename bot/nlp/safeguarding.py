"""Detect phrases suggesting a child at risk of significant harm or an adult at risk of
serious harm (phrase list: ``patterns/safeguarding.yml``). Pure Python, no spaCy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.nlp.patterns import SAFEGUARDING_FILE, expand_phrase, load_yaml

# Words (letters/digits, with inner apostrophes: "he's", "don't") and clause punctuation.
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[.,;:!?()\n]")
_BOUNDARY = "|"


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; clause punctuation becomes a boundary token ``|``."""
    return [
        _BOUNDARY if not token[0].isalnum() else token.lower().replace("’", "'")
        for token in _TOKEN.findall(text)
    ]


@dataclass(frozen=True)
class _Lexicon:
    phrases: dict[str, tuple[tuple[str, ...], ...]]  # first token -> phrases, longest first
    window: int
    negations: frozenset[str]
    exceptions: frozenset[str]
    breakers: frozenset[str]


def _words(items: list[str]) -> frozenset[str]:
    return frozenset(token for item in items for token in tokenize(str(item)))


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    data = load_yaml(SAFEGUARDING_FILE)
    by_first: dict[str, set[tuple[str, ...]]] = {}
    for phrases in data["signs"].values():
        for phrase in phrases:
            for variant in expand_phrase(str(phrase)):
                tokens = tuple(token for token in tokenize(variant) if token != _BOUNDARY)
                if tokens:
                    by_first.setdefault(tokens[0], set()).add(tokens)
    return _Lexicon(
        phrases={
            first: tuple(sorted(group, key=len, reverse=True)) for first, group in by_first.items()
        },
        window=int(data.get("negation_window", 3)),
        negations=_words(data.get("negation_cues", [])),
        exceptions=_words(data.get("negation_exceptions", [])),
        breakers=_words(data.get("negation_breakers", [])) | {_BOUNDARY},
    )


def _negated(tokens: list[str], start: int, lexicon: _Lexicon) -> bool:
    """A negation cue among the ``window`` tokens before ``start``, in the same clause."""
    for position in range(start - 1, max(start - lexicon.window, 0) - 1, -1):
        token = tokens[position]
        if token in lexicon.breakers:
            return False
        if token in lexicon.negations:
            following = tokens[position + 1]
            return following not in lexicon.exceptions
    return False


def safeguarding_signs(text: str) -> list[str]:
    """Safeguarding phrases found in ``text``: lower-cased, single-spaced, each once, in the
    order they first appear. Empty when there are none (or all are plainly negated)."""
    if not text:
        return []
    lexicon = _lexicon()
    tokens = tokenize(text)
    found: dict[str, None] = {}
    position = 0
    while position < len(tokens):
        for phrase in lexicon.phrases.get(tokens[position], ()):
            end = position + len(phrase)
            if tuple(tokens[position:end]) == phrase:
                if not _negated(tokens, position, lexicon):
                    found.setdefault(" ".join(phrase))
                position = end - 1
                break
        position += 1
    return list(found)
