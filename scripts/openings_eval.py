#!/usr/bin/env python3
"""What, with whom and why, taken from openings: measured on a held-out set never used to build
the extractor (``tests/reading/heldout_openings*.yml``, each written from an annotation guide by
someone who had not seen the extractor).

For each field (information, recipient, purpose):
- found: the opening says it (the annotation is not null) and the extractor found something;
- right: what it found is the annotated span (case, surrounding punctuation and a leading
  determiner — "the", "a", "her" … — aside);
- extra: the opening does not say it and the extractor found something anyway.

    python scripts/openings_eval.py [--max-wrong N]

Writes ``results/reading/openings.md`` and prints it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

HELDOUT = sorted((PROJECT / "tests" / "reading").glob("heldout_openings*.yml"))
RESULTS = PROJECT / "results" / "reading"
FIELDS = ("information", "recipient", "purpose")
_LEADING = re.compile(r"^(the|a|an|some|my|our|your|his|her|their|its|this|that|these|those)\s+")


def normalise(span: str | None) -> str:
    value = " ".join(str(span or "").lower().replace("’", "'").split()).strip(" .,;:!?\"'")
    return _LEADING.sub("", value)


def evaluate(openings: list[dict]) -> tuple[dict[str, dict[str, int]], list[str]]:
    from bot.nlp import extract_context

    counts = {f: {"said": 0, "found": 0, "right": 0, "not_said": 0, "extra": 0} for f in FIELDS}
    misses: list[str] = []
    for opening in openings:
        got = extract_context(opening["text"])
        for name in FIELDS:
            gold, found = opening.get(name), getattr(got, name)
            row = counts[name]
            if gold:
                row["said"] += 1
                row["found"] += bool(found)
                right = bool(found) and normalise(found) == normalise(gold)
                row["right"] += right
                if not right:
                    misses.append(
                        f"- {name}: {opening['text']!r} — expected {gold!r}, got {found!r}"
                    )
            else:
                row["not_said"] += 1
                row["extra"] += bool(found)
                if found:
                    misses.append(f"- {name}: {opening['text']!r} — not said, got {found!r}")
    return counts, misses


def markdown(counts: dict[str, dict[str, int]], total: int, misses: list[str]) -> str:
    lines = [
        f"{total} held-out openings.",
        "",
        "| field | said | found | right | not said | found anyway |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in counts.items():
        said = row["said"] or 1
        lines.append(
            f"| {name} | {row['said']} | {row['found']} ({row['found'] / said:.0%}) | "
            f"{row['right']} ({row['right'] / said:.0%}) | {row['not_said']} | {row['extra']} |"
        )
    if misses:
        lines += ["", "Not right:", "", *misses]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--heldout",
        type=Path,
        action="append",
        help="a held-out set (repeat for several; default: every heldout_openings*.yml)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--min-right", type=float, default=None, help="fail when a field's share right is lower"
    )
    args = parser.parse_args(argv)
    texts = []
    low: list[str] = []
    for path in args.heldout or HELDOUT:
        openings = yaml.safe_load(path.read_text(encoding="utf-8"))["openings"]
        counts, misses = evaluate(openings)
        texts.append(f"### {path.name}\n\n" + markdown(counts, len(openings), misses))
        if args.min_right is not None:
            low += [
                f"{path.stem} {name}"
                for name, row in counts.items()
                if row["said"] and row["right"] / row["said"] < args.min_right
            ]
    text = "\n".join(texts)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "openings.md").write_text(text, encoding="utf-8")
    print(text)
    if low:
        print(f"FAILED: right below {args.min_right:.0%} for {', '.join(low)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
