#!/usr/bin/env python3
"""How well redaction finds street addresses: recall, and ordinary words kept, per set.

``python scripts/addresses_eval.py [--set FILE ...] [--show] [--min-recall R] [--max-false F]``

Each set (``tests/redaction/addresses_*.yml``) lists sentences, each with every street address in
it (``addresses``: exact substrings of the text) and look-alikes that must stay as they are
(``keep``: "the Canal Street children's centre", "Leeds", "section 47"), annotated by someone who
had not seen the detector. The whole redaction (``bot.nlp.redaction.redact``: numbers,
addresses, names) runs on each sentence; the redacted text is aligned with the original to see
which characters became a placeholder:

- an address is **redacted** when none of its identifying words is left outside a placeholder
  (``[ADDRESS]``, or any other: a postcode left as ``[POSTCODE]`` is not a leak). Its
  identifying words are every word (run of letters and digits) from its start up to and
  including its last street type ("Road", "Close": bot/nlp/patterns/addresses.yml) — the flat,
  the house number or name and the street — and every word with a digit in it (a postcode).
  The town after the street may be left ("[ADDRESS], Leeds"): a town alone is kept anyway.
  An address with no street type in it ("Rose Cottage, Bramley") must lose every word;
- it is redacted **whole** when no letter or digit of it is left (the town too);
- a **keep** is kept when it is still in the redacted text, verbatim;
- a **false positive** is an ``[ADDRESS]`` that covers no annotated address.

Prints a Markdown table per set (``--show`` also lists every miss, lost keep and false positive);
exits 1 when a set's recall is under ``--min-recall``, or it lost more keeps plus false
positives (counted together) than ``--max-false``.
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

from names_eval import gold_spans, placeholder_regions  # noqa: E402 - the same alignment

from bot.nlp.redaction import ADDRESS, _address_rules, redact  # noqa: E402

WORD = re.compile(r"[^\W_]+")

SETS = tuple(sorted((PROJECT / "tests" / "redaction").glob("addresses_*.yml")))


@dataclass
class Result:
    name: str
    sentences: int = 0
    addresses: int = 0
    redacted: int = 0
    whole: int = 0
    keeps: int = 0
    kept: int = 0
    false_positives: int = 0
    misses: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.redacted / self.addresses if self.addresses else 1.0

    @property
    def false_count(self) -> int:
        """Keeps lost and [ADDRESS] over no address, counted together (``--max-false``)."""
        return self.keeps - self.kept + self.false_positives


def identifying_words(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """The words of the address at ``span`` that must not be left (see the module's doc)."""
    rules = _address_rules()
    types = rules.types | rules.types_capitalised
    words = [(m.start(), m.end()) for m in WORD.finditer(text, span[0], span[1])]
    last_type = max(
        (n for n, (a, b) in enumerate(words) if text[a:b].lower() in types), default=None
    )
    if last_type is None:
        return words
    return [
        (a, b)
        for n, (a, b) in enumerate(words)
        if n <= last_type or any(char.isdigit() for char in text[a:b])
    ]


def covered(words: list[tuple[int, int]], regions: list[tuple[int, int, str]]) -> bool:
    return all(
        all(any(a <= i < b for a, b, _ in regions) for i in range(start, end))
        for start, end in words
    )


def evaluate(path: Path) -> Result:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = Result(path.stem)
    for item in data["sentences"]:
        text = item["text"]
        addresses, keeps = item.get("addresses") or [], item.get("keep") or []
        redacted = redact(text)
        regions = placeholder_regions(text, redacted)
        gold = gold_spans(text, addresses)
        result.sentences += 1
        result.addresses += len(gold)
        for span, address in zip(gold, addresses, strict=True):
            if covered(identifying_words(text, span), regions):
                result.redacted += 1
            else:
                result.misses.append(f"{address!r} in {text!r} → {redacted!r}")
            result.whole += covered(
                [(m.start(), m.end()) for m in WORD.finditer(address)],
                [(a - span[0], b - span[0], p) for a, b, p in regions],
            )
        result.keeps += len(keeps)
        for keep in keeps:
            if keep in redacted:
                result.kept += 1
            else:
                result.lost.append(f"{keep!r} in {text!r} → {redacted!r}")
        for a, b, placeholder in regions:
            if placeholder == ADDRESS and not any(
                a < g_end and g_start < b for g_start, g_end in gold
            ):
                result.false_positives += 1
                result.false.append(f"{text[a:b]!r} in {text!r} → {redacted!r}")
    return result


def table(results: Sequence[Result]) -> str:
    lines = [
        "| set | sentences | addresses | redacted (recall) | redacted whole | keeps kept |"
        " [ADDRESS] over no address |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| `{r.name}` | {r.sentences} | {r.addresses} | {r.redacted} ({r.recall:.1%}) | "
            f"{r.whole} | {r.kept} of {r.keeps} | {r.false_positives} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, action="append", dest="sets")
    parser.add_argument("--show", action="store_true", help="list every miss, lost keep, false")
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
            for line in r.lost:
                print(f"  lost ({r.name}): {line}")
            for line in r.false:
                print(f"  false ({r.name}): {line}")
        if r.recall < args.min_recall:
            print(f"{r.name}: recall {r.recall:.1%} < {args.min_recall:.1%}")
            failed = True
        if args.max_false is not None and r.false_count > args.max_false:
            print(f"{r.name}: {r.false_count} keeps lost or false positives > {args.max_false}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
