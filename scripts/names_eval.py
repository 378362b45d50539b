#!/usr/bin/env python3
"""How well redaction finds people's names: recall and false positives on held-out sentences.

``python scripts/names_eval.py [--set FILE ...] [--show] [--min-recall R] [--max-false F]``

Each set (``tests/redaction/names_*.yml``) lists sentences with every person's name in them, as
annotated by someone who had not seen the detector. The whole redaction (``bot.nlp.redaction.
redact``: name lists, titles, cues, numbers) runs on each sentence; the redacted text is aligned
with the original to see which characters became ``[NAME]``:

- a name is **redacted** when none of its letters is left ("Jane [NAME]" leaks "Jane": missed);
- a **false positive** is a ``[NAME]`` that covers no annotated name ("the [NAME] meeting").

Prints a Markdown table per set (and ``--show`` lists every miss and false positive); exits 1 when
a set's recall is under ``--min-recall`` or it has more false positives than ``--max-false``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from bot.nlp.redaction import NAME, PLACEHOLDERS, redact  # noqa: E402

PLACEHOLDER_PATTERN = "|".join(re.escape(p) for p in PLACEHOLDERS)

SETS = tuple(sorted((PROJECT / "tests" / "redaction").glob("names_*.yml")))


@dataclass
class Result:
    name: str
    sentences: int = 0
    names: int = 0
    redacted: int = 0
    false_positives: int = 0
    clean_sentences: int = 0  # sentences with no name
    clean_untouched: int = 0  # ... left without any [NAME]
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.redacted / self.names if self.names else 1.0


def placeholder_regions(original: str, redacted: str) -> list[tuple[int, int, str]]:
    """(start, end, placeholder) for each range of ``original`` a placeholder replaced.

    Redaction only replaces pieces of the text with placeholders, so the text between the
    placeholders is found, in order, in the original: what lies between is what was replaced.
    (scripts/addresses_eval.py aligns the same way.)
    """
    pieces = re.split(f"({PLACEHOLDER_PATTERN})", redacted)
    pattern = "".join(
        f"(?P<p{n}>.*?)" if n % 2 else re.escape(piece) for n, piece in enumerate(pieces)
    )
    match = re.fullmatch(pattern, original, re.DOTALL)
    if match is None:
        raise ValueError(f"cannot align {redacted!r} with {original!r}")
    return [(*match.span(f"p{n}"), piece) for n, piece in enumerate(pieces) if n % 2]


def name_regions(original: str, redacted: str) -> list[tuple[int, int]]:
    """The ranges of ``original`` that became ``[NAME]`` in ``redacted``."""
    return [(a, b) for a, b, p in placeholder_regions(original, redacted) if p == NAME]


def gold_spans(text: str, parts: Sequence[str]) -> list[tuple[int, int]]:
    """Where each annotated part (a name, an address) is in ``text``, in order."""
    spans, position = [], 0
    for part in parts:
        start = text.find(part, position)
        if start < 0:
            start = text.find(part)
        if start < 0:
            raise ValueError(f"{part!r} is not in {text!r}")
        spans.append((start, start + len(part)))
        position = start + len(part)
    return spans


def covered(span: tuple[int, int], regions: list[tuple[int, int]], text: str) -> bool:
    letters = [i for i in range(*span) if text[i].isalpha()]
    return all(any(a <= i < b for a, b in regions) for i in letters)


def evaluate(path: Path) -> Result:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = Result(path.stem)
    for item in data["sentences"]:
        text, names = item["text"], item.get("names") or []
        redacted = redact(text)
        regions = name_regions(text, redacted)
        gold = gold_spans(text, names)
        result.sentences += 1
        result.names += len(gold)
        for (start, end), name in zip(gold, names, strict=True):
            if covered((start, end), regions, text):
                result.redacted += 1
            else:
                result.misses.append(f"{name!r} in {text!r} → {redacted!r}")
        for a, b in regions:
            if not any(a < g_end and g_start < b for g_start, g_end in gold):
                result.false_positives += 1
                result.false.append(f"{text[a:b]!r} in {text!r} → {redacted!r}")
        if not names:
            result.clean_sentences += 1
            result.clean_untouched += NAME not in redacted
    return result


def table(results: Sequence[Result]) -> str:
    lines = [
        "| set | sentences | names | redacted (recall) | false positives | sentences without a"
        " name left untouched |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| `{r.name}` | {r.sentences} | {r.names} | {r.redacted} ({r.recall:.1%}) | "
            f"{r.false_positives} | {r.clean_untouched} of {r.clean_sentences} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, action="append", dest="sets")
    parser.add_argument("--show", action="store_true", help="list every miss and false positive")
    parser.add_argument("--min-recall", type=float, default=0.0)
    parser.add_argument("--max-false", type=int, default=None)
    args = parser.parse_args(argv)
    results = [evaluate(path) for path in (args.sets or SETS)]
    print(table(results))
    failed = False
    for r in results:
        if args.show:
            for line in r.misses:
                print(f"  missed ({r.name}): {line}")
            for line in r.false:
                print(f"  false ({r.name}): {line}")
        if r.recall < args.min_recall:
            print(f"{r.name}: recall {r.recall:.1%} < {args.min_recall:.1%}")
            failed = True
        if args.max_false is not None and r.false_positives > args.max_false:
            print(f"{r.name}: {r.false_positives} false positives > {args.max_false}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
