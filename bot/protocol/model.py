"""The decision flow's vocabulary and its loader (data in ``hmg2008.yml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROTOCOL_FILE = Path(__file__).with_name("hmg2008.yml")
OUTCOME_PREFIX = "outcome:"


class Answer(str, Enum):
    YES = "yes"
    NO = "no"
    NOT_SURE = "not_sure"
    NOT_ASKED = "not_asked"


class Outcome(str, Enum):
    SHARE = "share"
    DO_NOT_SHARE = "do_not_share"
    SEEK_ADVICE = "seek_advice"
    SEEK_CONSENT = "seek_consent"


class InformPerson(str, Enum):
    """Answers to the last item of question 6's checklist."""

    YES = "yes"
    ALREADY_AWARE = "already_aware"
    NO_UNSAFE = "no_unsafe"


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    ask: str
    remedy: str
    choices: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Justification:
    when: Answer
    slot: str
    ask: str


@dataclass(frozen=True)
class Question:
    id: str
    number: str
    text: str
    golden_rule: int
    paragraphs: str
    prompts: tuple[str, ...] = ()
    considerations: tuple[str, ...] = ()
    answers: tuple[Answer, ...] = (Answer.YES, Answer.NO, Answer.NOT_SURE)
    next: dict[Answer, str] = field(default_factory=dict)
    justification: Justification | None = None
    checklist: tuple[ChecklistItem, ...] = ()


@dataclass(frozen=True)
class ContextQuestion:
    id: str
    ask: str


@dataclass(frozen=True)
class RecordStep:
    id: str
    number: str
    text: str
    golden_rule: int
    paragraphs: str
    considerations: tuple[str, ...]
    reasons_ask: str
    confirm_ask: str


@dataclass(frozen=True)
class OutcomeText:
    title: str
    text: str
    golden_rules: tuple[int, ...]


@dataclass(frozen=True)
class Protocol:
    id: str
    title: str
    guidance: str
    golden_rules: dict[int, str]
    context: tuple[ContextQuestion, ...]
    first: str
    questions: dict[str, Question]
    record: RecordStep
    outcomes: dict[Outcome, OutcomeText]
    safeguarding: str

    def question(self, question_id: str) -> Question:
        return self.questions[question_id]

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(self.questions)


def _text(value: Any) -> str:
    return " ".join(str(value).split())


def _question(raw: dict[str, Any]) -> Question:
    justification = raw.get("justification")
    return Question(
        id=raw["id"],
        number=str(raw["number"]),
        text=_text(raw["text"]),
        golden_rule=int(raw["golden_rule"]),
        paragraphs=str(raw["paragraphs"]),
        prompts=tuple(_text(p) for p in raw.get("prompts") or ()),
        considerations=tuple(_text(c) for c in raw.get("considerations") or ()),
        answers=tuple(Answer(a) for a in raw.get("answers", ["yes", "no", "not_sure"])),
        next={Answer(k): str(v) for k, v in raw["next"].items()},
        justification=(
            Justification(
                when=Answer(justification["when"]),
                slot=justification["slot"],
                ask=_text(justification["ask"]),
            )
            if justification
            else None
        ),
        checklist=tuple(
            ChecklistItem(
                id=item["id"],
                ask=_text(item["ask"]),
                remedy=_text(item["remedy"]),
                choices={str(k): _text(v) for k, v in (item.get("choices") or {}).items()},
            )
            for item in raw.get("checklist") or ()
        ),
    )


def parse_protocol(raw: dict[str, Any]) -> Protocol:
    """Build a :class:`Protocol` from its YAML form, checking that every branch resolves."""
    # YAML 1.1 reads the keys yes/no as booleans: normalise them back to answer names.
    for q in raw["questions"]:
        q["next"] = {_yaml_key(k): v for k, v in q["next"].items()}
        if "answers" in q:
            q["answers"] = [_yaml_key(a) for a in q["answers"]]
        if q.get("justification"):
            q["justification"]["when"] = _yaml_key(q["justification"]["when"])
        for item in q.get("checklist") or ():
            if item.get("choices"):
                item["choices"] = {_yaml_key(k): v for k, v in item["choices"].items()}
    questions = {q["id"]: _question(q) for q in raw["questions"]}
    rec = raw["record"]
    protocol = Protocol(
        id=raw["id"],
        title=_text(raw["title"]),
        guidance=_text(raw["guidance"]),
        golden_rules={int(k): _text(v) for k, v in raw["golden_rules"].items()},
        context=tuple(ContextQuestion(c["id"], _text(c["ask"])) for c in raw["context"]),
        first=raw["first"],
        questions=questions,
        record=RecordStep(
            id=rec["id"],
            number=str(rec["number"]),
            text=_text(rec["text"]),
            golden_rule=int(rec["golden_rule"]),
            paragraphs=str(rec["paragraphs"]),
            considerations=tuple(_text(c) for c in rec.get("considerations") or ()),
            reasons_ask=_text(rec["reasons_ask"]),
            confirm_ask=_text(rec["confirm_ask"]),
        ),
        outcomes={
            Outcome(k): OutcomeText(
                title=_text(v["title"]),
                text=_text(v["text"]),
                golden_rules=tuple(int(r) for r in v["golden_rules"]),
            )
            for k, v in raw["outcomes"].items()
        },
        safeguarding=_text(raw["safeguarding"]),
    )
    _check(protocol)
    return protocol


def _yaml_key(key: Any) -> str:
    if key is True:
        return "yes"
    if key is False:
        return "no"
    return str(key)


def _check(protocol: Protocol) -> None:
    if protocol.first not in protocol.questions:
        raise ValueError(f"first question {protocol.first!r} is not defined")
    for q in protocol.questions.values():
        if q.golden_rule not in protocol.golden_rules:
            raise ValueError(f"{q.id}: unknown golden rule {q.golden_rule}")
        for answer in q.answers:
            if answer not in q.next:
                raise ValueError(f"{q.id}: no branch for answer {answer.value!r}")
        for answer, target in q.next.items():
            if target.startswith(OUTCOME_PREFIX):
                Outcome(target[len(OUTCOME_PREFIX) :])
            elif target not in protocol.questions:
                raise ValueError(f"{q.id}: answer {answer.value!r} leads to unknown {target!r}")


@cache
def load_protocol(path: str | None = None) -> Protocol:
    """The protocol in ``path`` (default: the HM Government 2008 flow shipped with the package)."""
    with open(path or PROTOCOL_FILE, encoding="utf-8") as handle:
        return parse_protocol(yaml.safe_load(handle))
