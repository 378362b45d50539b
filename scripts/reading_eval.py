#!/usr/bin/env python3
"""How typed answers are read, measured on the running assistant (held-out set, never trained on).

For every answer in ``tests/reading/heldout_answers*.yml`` this puts a new conversation on the
real servers at the question the answer is for, types the answer (REST channel), and reads the
tracker to see what happened. The opening is typed once (per opening); each answer's conversation
starts from a copy of its events with the earlier answers set, in one request to Rasa's tracker
API (the route and the order from the protocol's engine, as the form's). What is measured is
the answer's turn:

- right first time: the answer taken as meant (for a hedge: read back as what it leans to; for an
  answer a careful colleague could not take as it stands, ``expect: ask``: read back or followed
  up);
- read back: a firm answer read back for confirmation (not wrong, but a step more);
- follow-up: the guidance's own follow-up question asked (not wrong, a step more);
- not taken: neither taken nor read back (then the same message is sent again: a reply that
  repeats the first one word for word is a loop);
- wrong: another answer taken, not a costly one; a hedge taken without a read-back;
- costly: an answer that moves the check toward sharing (the protocol's ``toward_sharing``) taken
  when the practitioner meant another, or meant nothing that could be taken without asking.

The red-team sets (``tests/reading/redteam_answers*.yml``, written to break the reader) are run
with ``--redteam``; an item may give its own ``opening`` (the recipient matters to its answer).

Writes ``results/reading/summary.md`` and ``summary.json`` and prints the table. With the
``--max-*`` options it exits 1 when a count is over its limit (``make test-reading``).

    python scripts/reading_eval.py                       # starts throw-away servers
    python scripts/reading_eval.py --base http://127.0.0.1:5005 --token TOKEN
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import sys
import time
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from with_servers import server_options, throwaway  # noqa: E402 - scripts/, beside this one

from bot.protocol import Kind, load_protocol, required_slots  # noqa: E402 - the project, on the path
from bot.protocol.engine import answer_checklist_item, checklist  # noqa: E402

HELDOUT = sorted((PROJECT / "tests" / "reading").glob("heldout_answers*.yml"))
REDTEAM = sorted((PROJECT / "tests" / "reading").glob("redteam_answers*.yml"))
RESULTS = PROJECT / "results" / "reading"
OPENING = "Can I tell the GP about her mental health because I am worried about her?"
REASONS = "Recording the reasons for this test conversation."
CATEGORIES = ("right", "read_back", "follow_up", "not_taken", "wrong", "costly")
# Answers to the context questions an item's own opening leaves open (before question 1).
CONTEXT_FILLERS = {
    "information": "the details of the concern",
    "recipient": "the team who asked",
    "purpose_text": "to keep her safe",
}
ASK = "ask"  # a red-team answer no careful colleague would take without asking
# Which answers move the check toward sharing, where the protocol does not say (the reader
# before `toward_sharing`, measured as a baseline on the same answers).
TOWARD = {
    "purpose": {"yes"},
    "identifiable": {"no"},
    "confidential": {"no"},
    "consent": {"yes"},
    "consent_unsafe": {"yes"},
    "public_interest": {"yes"},
    "record": {"yes"},
}
POINT_TOWARD = {"yes", "already_aware", "no_unsafe", "no_inappropriate"}


@dataclass
class Outcome:
    set: str
    question: str
    point: str | None
    text: str
    expect: str
    hedge: bool
    opening: str = OPENING
    category: str = ""
    taken: str | None = None
    read_back: str | None = None
    follow_up: str | None = None
    loop: bool = False
    reply: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def by_question(self) -> dict[str, collections.Counter]:
        table: dict[str, collections.Counter] = {}
        for outcome in self.outcomes:
            key = outcome.question + (f".{outcome.point}" if outcome.point else "")
            table.setdefault(key, collections.Counter())[outcome.category] += 1
            table[key]["loops"] += outcome.loop
        return table

    def by_set(self) -> dict[str, collections.Counter]:
        table: dict[str, collections.Counter] = {}
        for outcome in self.outcomes:
            table.setdefault(outcome.set, collections.Counter())[outcome.category] += 1
            table[outcome.set]["loops"] += outcome.loop
        return table

    def totals(self) -> collections.Counter:
        total: collections.Counter = collections.Counter()
        for counts in self.by_question().values():
            total.update(counts)
        return total


class Conversation:
    def __init__(self, base: str, token: str) -> None:
        self.base = base.rstrip("/")
        self.token = token
        self.sender = f"reading-{uuid.uuid4().hex[:10]}"

    def say(self, message: str) -> str:
        body = json.dumps({"sender": self.sender, "message": message}).encode()
        request = urllib.request.Request(
            f"{self.base}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
            return "\n".join(m.get("text") or "" for m in json.load(response))

    def start_from(self, events: list[dict], slots: dict[str, Any]) -> None:
        """This conversation becomes ``events`` (another conversation's, after its opening) with
        ``slots`` set after them, in one request to Rasa's tracker API."""
        events = [*events, *({"event": "slot", "name": k, "value": v} for k, v in slots.items())]
        request = urllib.request.Request(
            f"{self.base}/conversations/{self.sender}/tracker/events?token={self.token}",
            data=json.dumps(events).encode(),
            headers={"Content-Type": "application/json"},
            method="PUT",
        )
        with urllib.request.urlopen(request, timeout=60):  # noqa: S310 - loopback
            pass

    def tracker(self) -> dict[str, Any]:
        url = f"{self.base}/conversations/{self.sender}/tracker?token={self.token}"
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - loopback
            return json.load(response)

    def slots(self) -> dict[str, Any]:
        return self.tracker()["slots"]


def route_answers(question: str) -> dict[str, str]:
    """The answers from question 1 to ``question`` (the shortest route in the protocol)."""
    protocol = load_protocol()
    if question == protocol.record.id:
        # any decision that asks question 7: "no" at question 1 (then the reasons)
        q1 = protocol.question(protocol.first)
        no = next(a for a, target in q1.next.items() if target.startswith("outcome:do_not"))
        return {protocol.first: no.value}
    queue: list[tuple[str, dict[str, str]]] = [(protocol.first, {})]
    seen = set()
    while queue:
        current, answers = queue.pop(0)
        if current == question:
            return answers
        if current in seen:
            continue
        seen.add(current)
        for answer, target in protocol.question(current).next.items():
            if not target.startswith("outcome:") and target != current:
                queue.append((target, {**answers, current: answer.value}))
    raise ValueError(f"no route to {question!r}")


def route_slots(slots: dict[str, Any], question: str, point: str | None) -> dict[str, Any]:
    """The slots that put the check at ``question`` (and checklist ``point``): the answers on
    the route, the reasons where a decision asks for them, "yes" to every point before
    ``point`` — set in one request instead of a button press per step (the engine decides the
    order, as the form does)."""
    protocol = load_protocol()
    answers = route_answers(question)
    reasons = {slot.name for slot in protocol.form_slots() if slot.kind is Kind.JUSTIFICATION}
    slots = dict(slots)
    updates: dict[str, Any] = {}
    while True:
        following = next((s for s in required_slots(slots) if slots.get(s) is None), None)
        if following == question:
            break
        if following in answers:
            updates[following] = answers[following]
        elif following in reasons:
            updates[following] = REASONS
        else:
            raise ValueError(f"no answer for {following!r} on the way to {question!r}")
        slots.update(updates)
    if point:
        checks: dict[str, Any] = {}
        for item in checklist():
            if item.id == point:
                break
            checks = answer_checklist_item(checks, item, "yes").checks
        updates[protocol.checklist_question.checks_slot] = checks
    updates["requested_slot"] = question
    return updates


def taken_value(slots: dict[str, Any], question: str, point: str | None, reply: str) -> str | None:
    protocol = load_protocol()
    if question == protocol.record.id:
        if "Your decision reference is" in reply:
            return "yes"
        if "Which answer would you like to change?" in reply:
            return "no"
        return None
    if point:
        checklist = protocol.checklist_question
        checks = slots.get(checklist.checks_slot) or {}
        if point in checks:
            value = checks[point]
            return "yes" if value is True else str(value)
        if slots.get(question) == "not_sure":
            return "not_sure"
        if "Before you share, the guidance says" in reply:
            return "no"
        return None
    return slots.get(question)


def toward_sharing(question: str, point: str | None) -> set[str]:
    """The answers to this step that move the check toward sharing (from the protocol)."""
    protocol = load_protocol()
    step = protocol.questions.get(question)
    if point:
        item = next((i for i in step.checklist if i.id == point), None) if step else None
        toward = getattr(item, "toward_sharing", None)
        return set(toward) if toward else set(POINT_TOWARD)
    toward = getattr(step, "toward_sharing", None)
    return set(toward) if toward else set(TOWARD.get(question, ()))


def classify(outcome: Outcome) -> str:
    expect, taken, read_back = outcome.expect, outcome.taken, outcome.read_back
    toward = toward_sharing(outcome.question, outcome.point)
    if taken is not None:
        if taken == expect:
            return "wrong" if outcome.hedge else "right"
        if taken in toward and expect not in toward:
            return "costly"
        return "wrong"
    if expect == ASK and (read_back is not None or outcome.follow_up):
        return "right"
    if outcome.follow_up:
        return "follow_up"
    if read_back is not None:
        return "right" if outcome.hedge and read_back == expect else "read_back"
    return "not_taken"


_OPENED: dict[tuple[str, str], tuple[str, list[dict], dict[str, Any]]] = {}


def opened(base: str, token: str, opening: str) -> tuple[str, list[dict], dict[str, Any]]:
    """The opening used, and the conversation's events and slots after it (and after the context
    questions it left open): typed once per opening, then each item's conversation starts from a
    copy of these events instead of typing the opening again."""
    key = (base, opening)
    if key not in _OPENED:
        chat = Conversation(base, token)
        chat.say(opening)
        for _ in CONTEXT_FILLERS:  # what the opening did not say is asked before question 1
            missing = chat.slots().get("requested_slot")
            if missing not in CONTEXT_FILLERS:
                break
            chat.say(CONTEXT_FILLERS[missing])
        tracker = chat.tracker()
        if opening != OPENING and tracker["slots"].get("requested_slot") is None:
            # the item's opening did not start a check (measured with the openings): the default
            _OPENED[key] = opened(base, token, OPENING)
        else:
            _OPENED[key] = (opening, _replayable(tracker["events"]), tracker["slots"])
    return _OPENED[key]


def _replayable(events: list[dict]) -> list[dict]:
    """The events as Rasa's tracker API takes them back: its events schema refuses the ``None``
    it writes itself for a spaCy entity's confidence (fields with no value are left out)."""
    for event in events:
        for entity in (event.get("parse_data") or {}).get("entities") or []:
            for name in [name for name, value in entity.items() if value is None]:
                del entity[name]
    return events


def run_one(base: str, token: str, item: dict[str, Any]) -> Outcome:
    outcome = Outcome(
        item.get("set", ""),
        item["question"],
        item.get("point"),
        item["text"],
        str(item["expect"]),
        bool(item.get("hedge")),
        str(item.get("opening") or OPENING),
    )
    outcome.opening, events, slots = opened(base, token, outcome.opening)
    chat = Conversation(base, token)
    chat.start_from(events, route_slots(slots, outcome.question, outcome.point))
    outcome.reply = chat.say(outcome.text)
    slots = chat.slots()
    outcome.taken = taken_value(slots, outcome.question, outcome.point, outcome.reply)
    pending = slots.get("pending_answer") or {}
    if outcome.taken is None and pending.get("follow_up"):
        outcome.follow_up = str(pending["follow_up"])
    elif outcome.taken is None and pending.get("answer"):
        outcome.read_back = str(pending["answer"])
    outcome.category = classify(outcome)
    if outcome.category == "not_taken":
        again = chat.say(outcome.text)
        outcome.loop = again.strip() == outcome.reply.strip()
    return outcome


def evaluate(base: str, token: str, items: Sequence[dict[str, Any]], workers: int = 4) -> Report:
    report = Report()
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        report.outcomes = list(pool.map(lambda item: run_one(base, token, item), items))
    report.seconds = time.monotonic() - started
    return report


def markdown(report: Report) -> str:
    lines = [
        "| question | answers | right first time | read back | follow-up | not taken | wrong "
        "| costly | loops |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def row(name: str, counts: collections.Counter) -> str:
        n = sum(counts[c] for c in CATEGORIES)
        right = counts["right"]
        return (
            f"| {name} | {n} | {right} ({right / n:.0%}) | {counts['read_back']} | "
            f"{counts['follow_up']} | {counts['not_taken']} | {counts['wrong']} | "
            f"{counts['costly']} | {counts['loops']} |"
        )

    for name, counts in report.by_question().items():
        lines.append(row(f"`{name}`", counts))
    lines.append(row("**all**", report.totals()))
    sets = report.by_set()
    if len(sets) > 1:
        lines += [
            "",
            "| set | answers | right first time | read back | follow-up | not taken "
            "| wrong | costly | loops |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, counts in sets.items():
            lines.append(row(f"`{name}`", counts))
    misses = [o for o in report.outcomes if o.category != "right"]
    if misses:
        lines += ["", "Not right first time:", ""]
        for o in misses:
            where = o.question + (f".{o.point}" if o.point else "")
            got = o.taken or (
                f"read back as {o.read_back}"
                if o.read_back
                else f"follow-up {o.follow_up}"
                if o.follow_up
                else "nothing"
            )
            lines.append(
                f"- {o.category}: `{where}` {o.text!r} — expected {o.expect}, got {got} ({o.set})"
            )
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    server_options(parser)
    parser.add_argument(
        "--heldout",
        type=Path,
        action="append",
        help="a held-out set (repeat for several; default: every heldout_answers*.yml)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--limit", type=int, default=0, help="only the first N answers")
    parser.add_argument("--max-costly", type=int, default=None)
    parser.add_argument("--max-wrong", type=int, default=None)
    parser.add_argument("--max-loops", type=int, default=None)
    parser.add_argument("--min-right", type=float, default=None, help="share right first time")
    parser.add_argument(
        "--min-asked",
        type=float,
        default=None,
        help="share right first time, read back or followed up (the red-team goal)",
    )
    parser.add_argument(
        "--redteam", action="store_true", help="the red-team sets instead of the held-out ones"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    items = []
    for path in args.heldout or (REDTEAM if args.redteam else HELDOUT):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]:
            items.append({**item, "set": path.stem})
    if args.limit:
        items = items[: args.limit]
    if args.base:
        report = evaluate(args.base, args.token, items, args.workers)
    else:
        with throwaway() as (url, token):
            report = evaluate(url, token, items, args.workers)
    text = markdown(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.md").write_text(text, encoding="utf-8")
    (args.out / "summary.json").write_text(
        json.dumps(
            {
                "seconds": round(report.seconds, 1),
                "totals": dict(report.totals()),
                "by_question": {k: dict(v) for k, v in report.by_question().items()},
                "by_set": {k: dict(v) for k, v in report.by_set().items()},
                "outcomes": [asdict(o) for o in report.outcomes],
            },
            indent=2,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    print(text)
    totals = report.totals()
    n = sum(totals[c] for c in CATEGORIES)
    asked = totals["right"] + totals["read_back"] + totals["follow_up"]
    print(
        f"{n} answers in {report.seconds:.0f} s; right first time {totals['right'] / n:.1%}; "
        f"right, read back or followed up {asked / n:.1%}"
    )
    failures = []
    for name, limit in (
        ("costly", args.max_costly),
        ("wrong", args.max_wrong),
        ("loops", args.max_loops),
    ):
        if limit is not None and totals[name] > limit:
            failures.append(f"{totals[name]} {name} (at most {limit})")
    if args.min_right is not None and totals["right"] / n < args.min_right:
        failures.append(
            f"right first time {totals['right'] / n:.1%} (at least {args.min_right:.0%})"
        )
    if args.min_asked is not None and asked / n < args.min_asked:
        failures.append(
            f"right, read back or followed up {asked / n:.1%} (at least {args.min_asked:.0%})"
        )
    if failures:
        print("FAILED: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
