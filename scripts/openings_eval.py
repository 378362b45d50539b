#!/usr/bin/env python3
"""What, with whom and why, taken from openings: measured on a held-out set never used to build
the extractor (``tests/reading/heldout_openings*.yml``, each written from an annotation guide by
someone who had not seen the extractor).

For each field (information, recipient, purpose):
- found: the opening says it (the annotation is not null) and the extractor found something;
- right: what it found is the annotated span (case, surrounding punctuation and a leading
  determiner — "the", "a", "her" … — aside);
- extra: the opening does not say it and the extractor found something anyway.

And whether each opening starts what it should, typed to the real servers through the REST
channel (a new conversation each; the tracker says whether the form or practice mode began):
every opening that asks to share starts a check (items with a sharing construction, or
``starts: check`` in the red-team sets), practice mode never starts from one, and an explicit
ask to practise (``starts: practice``) starts it. The red-team sets
(``tests/reading/redteam_openings*.yml``, written to break this) are included.

    python scripts/openings_eval.py [--strict-starts] [--base URL --token T | --no-servers]

    python scripts/openings_eval.py [--max-wrong N]

Writes ``results/reading/openings.md`` and prints it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.util
import json
import re
import sys
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from with_servers import server_options, throwaway  # noqa: E402 - scripts/, beside this one

HELDOUT = sorted((PROJECT / "tests" / "reading").glob("heldout_openings*.yml")) + sorted(
    (PROJECT / "tests" / "reading").glob("redteam_openings*.yml")
)
RESULTS = PROJECT / "results" / "reading"
FIELDS = ("information", "recipient", "purpose")
FORM = "information_sharing_form"
_LEADING = re.compile(r"^(the|a|an|some|my|our|your|his|her|their|its|this|that|these|those)\s+")


def normalise(span: str | None) -> str:
    value = " ".join(str(span or "").lower().replace("’", "'").split()).strip(" .,;:!?\"'")
    return _LEADING.sub("", value)


def starts(opening: dict) -> str | None:
    """What an opening should start: "check", "practice", or None (not measured: a message with
    no sharing construction in the held-out sets)."""
    if opening.get("starts"):
        return str(opening["starts"])
    return None if opening.get("phrasing") == "none" else "check"


def served(base: str, token: str) -> Callable[[str], str]:
    """What an opening starts on the running servers: "check", "practice" or "other"."""
    reading_eval = _reading_eval()

    def start(text: str) -> str:
        chat = reading_eval.Conversation(base, token)
        chat.say(text)
        url = f"{chat.base}/conversations/{chat.sender}/tracker?token={token}"
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - loopback
            tracker = json.load(response)
        events = tracker["events"]
        last_user = max(i for i, e in enumerate(events) if e["event"] == "user")
        actions = {e.get("name") for e in events[last_user:] if e["event"] == "action"}
        if "action_start_training" in actions:
            return "practice"
        if (tracker.get("active_loop") or {}).get("name") == FORM:
            return "check"
        return "other"

    return start


def _reading_eval() -> Any:
    spec = importlib.util.spec_from_file_location(
        "reading_eval", PROJECT / "scripts/reading_eval.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def started(
    openings: list[dict], classify: Callable[[str], str] | None = None
) -> tuple[dict[str, int], list[str]]:
    """How many openings start what they should (on the servers, or by the pure decision)."""
    if classify is None:
        from bot.protocol.opening import classify_opening

        def classify(text: str) -> str:
            return classify_opening(text).value

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        got_all = list(pool.map(classify, [o["text"] for o in openings]))
    counts = {"checks": 0, "check_started": 0, "practice_from_check": 0}
    counts.update({"practice_asked": 0, "practice_started": 0})
    misses: list[str] = []
    for opening, got in zip(openings, got_all, strict=True):
        want = starts(opening)
        if want == "check":
            counts["checks"] += 1
            counts["check_started"] += got == "check"
            counts["practice_from_check"] += got == "practice"
        elif want == "practice":
            counts["practice_asked"] += 1
            counts["practice_started"] += got == "practice"
        if want and got != want:
            misses.append(f"- starts {got}, not {want}: {opening['text']!r}")
    return counts, misses


def evaluate(openings: list[dict]) -> tuple[dict[str, dict[str, int]], list[str]]:
    from bot.nlp import extract_context

    counts = {f: {"said": 0, "found": 0, "right": 0, "not_said": 0, "extra": 0} for f in FIELDS}
    misses: list[str] = []
    for opening in openings:
        if starts(opening) == "practice":
            continue
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


def markdown(
    counts: dict[str, dict[str, int]],
    total: int,
    misses: list[str],
    begun: dict[str, int] | None = None,
) -> str:
    lines = [f"{total} openings."]
    if begun:
        lines.append(
            f"A check starts for {begun['check_started']} of {begun['checks']} that ask to share; "
            f"practice mode from {begun['practice_from_check']} of them; "
            f"{begun['practice_started']} of {begun['practice_asked']} asks to practise start it."
        )
    lines += [
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
    server_options(parser)
    parser.add_argument(
        "--no-servers",
        action="store_true",
        help="what openings start by the pure decision only (classify_opening), no servers",
    )
    parser.add_argument(
        "--strict-starts",
        action="store_true",
        help="fail unless every sharing opening starts a check and every ask to practise practice",
    )
    args = parser.parse_args(argv)
    if args.no_servers:
        return report(args, None)
    if args.base:
        return report(args, served(args.base, args.token))
    with throwaway(5505, 5555) as (url, token):
        return report(args, served(url, token))


def report(args: argparse.Namespace, classify: Callable[[str], str] | None) -> int:
    texts = []
    low: list[str] = []
    for path in args.heldout or HELDOUT:
        openings = yaml.safe_load(path.read_text(encoding="utf-8"))["openings"]
        counts, misses = evaluate(openings)
        begun, wrong_start = started(openings, classify)
        texts.append(
            f"### {path.name}\n\n" + markdown(counts, len(openings), wrong_start + misses, begun)
        )
        if args.strict_starts and wrong_start:
            low.append(f"{path.stem}: {len(wrong_start)} openings start the wrong thing")
        if args.min_right is not None:
            low += [
                f"{path.stem} {name} right below {args.min_right:.0%}"
                for name, row in counts.items()
                if row["said"] and row["right"] / row["said"] < args.min_right
            ]
    text = "\n".join(texts)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "openings.md").write_text(text, encoding="utf-8")
    print(text)
    if low:
        print(f"FAILED: {', '.join(low)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
