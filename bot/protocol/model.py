"""The decision flow's vocabulary and its loader (data in ``hmg2008.yml``).

Everything the rest of the code knows about the questions comes from here: their ids, kinds,
answers, branches, wording, guidance and the phrases that answer them. No other module names a
question.
"""

from __future__ import annotations

from collections.abc import Iterator
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


class AnsweredBy(str, Enum):
    """How an answer was reached (the decision record's ``answered_by``, by step key)."""

    BUTTON = "button"  # an answer button
    WORD = "word"  # a typed answer word
    READ_BACK = "read_back"  # an answer read back and confirmed
    FOLLOW_UP = "follow_up"  # the guidance's own follow-up question answered
    HELPDESK = "helpdesk"  # the helpdesk adviser's suggested answer, on a continued check


class Kind(str, Enum):
    """What the form does with an answer to a step (see hmg2008.yml's header)."""

    CHOICE = "choice"
    CHECKLIST = "checklist"
    FREE_TEXT = "free_text"
    JUSTIFICATION = "justification"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class GuidanceText:
    """A sentence or two presented as the guidance: ``text`` as said, ``source`` the passage of
    the guidance it quotes or paraphrases, ``section`` where in the guidance that passage is."""

    text: str
    section: str
    source: str = ""

    @property
    def quoted(self) -> str:
        return self.source or self.text


@dataclass(frozen=True)
class FollowUp:
    """The guidance's own follow-up to a question, asked instead of guessing when the reason
    given with an answer touches a qualifier the guidance makes ("lawfully in the public domain",
    "when considered with other information", "unjustified delay" …).

    ``when``: the reason touches it (asked when the answer cannot be taken as it stands);
    ``always``: the reason raises the qualifier outright (asked even after a plain answer word);
    ``means``: the follow-up's answer → the question's answer; ``labels``: its buttons.
    """

    id: str
    label: str
    ask: str
    guidance: tuple[GuidanceText, ...]
    when: tuple[str, ...]
    always: tuple[str, ...] = ()
    means: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    label: str
    ask: str
    guidance: tuple[GuidanceText, ...]
    hint: str = ""
    choices: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def remedy(self) -> str:
        return " ".join(g.text for g in self.guidance)

    @property
    def answers(self) -> tuple[str, ...]:
        """The values this point takes: its choices (plus "not sure"), or yes / no / not sure."""
        if self.choices:
            return (*self.choices, Answer.NOT_SURE.value)
        return (Answer.YES.value, Answer.NO.value, Answer.NOT_SURE.value)

    @property
    def toward_sharing(self) -> tuple[str, ...]:
        """The answers that confirm this point (the check moves on toward sharing)."""
        return tuple(self.choices) if self.choices else (Answer.YES.value,)


@dataclass(frozen=True)
class Justification:
    when: Answer
    slot: str
    label: str
    ask: str


@dataclass(frozen=True)
class Question:
    id: str
    number: str
    kind: Kind
    text: str
    golden_rule: int
    paragraphs: str
    prompts: tuple[GuidanceText, ...] = ()
    more: tuple[GuidanceText, ...] = ()
    considerations: tuple[GuidanceText, ...] = ()
    hint: str = ""
    answers: tuple[Answer, ...] = (Answer.YES, Answer.NO, Answer.NOT_SURE)
    next: dict[Answer, str] = field(default_factory=dict)
    justification: Justification | None = None
    checklist: tuple[ChecklistItem, ...] = ()
    checks_slot: str | None = None
    terms: tuple[str, ...] = ()
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The guidance's own wording of the question, where the assistant words it differently.
    text_source: GuidanceText | None = None
    # What each answer means here, in the assistant's words (for "what can I answer?").
    meanings: dict[str, str] = field(default_factory=dict)
    # The answers that move the check toward sharing (the safety rule for reading of DESIGN.md,
    # ../shared/DESIGN.md; as built: docs/design.md §4): taken only from the practitioner's own
    # answer word or button, never from a cue alone.
    toward_sharing: tuple[str, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    # Evidence in a reason ("on facebook", "has capacity"), unlike `phrases`, which say the answer
    # in words of their own ("she agreed"): a cue alone never moves the check toward sharing.
    cues: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def section(self) -> str:
        """The section of the guidance this question is in (``question_1`` ... ``question_7``)."""
        return f"question_{self.number.rstrip('abcdefgh')}"

    @property
    def text_as_guidance(self) -> GuidanceText:
        if self.text_source:
            return GuidanceText(self.text, self.text_source.section, self.text_source.text)
        return GuidanceText(self.text, self.section)

    @property
    def is_checklist(self) -> bool:
        return self.kind is Kind.CHECKLIST

    def follow_up(self, follow_up_id: str | None) -> FollowUp | None:
        """One of this question's follow-ups, by id."""
        return next((f for f in self.follow_ups if f.id == follow_up_id), None)


@dataclass(frozen=True)
class ContextQuestion:
    id: str
    label: str
    ask: str
    kind: Kind = Kind.FREE_TEXT


@dataclass(frozen=True)
class RecordStep:
    id: str
    number: str
    text: str
    reasons_slot: str
    golden_rule: int
    paragraphs: str
    considerations: tuple[GuidanceText, ...]
    reasons_ask: str
    confirm_ask: str
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def section(self) -> str:
        return f"question_{self.number}"


@dataclass(frozen=True)
class OutcomeText:
    title: str
    text: str
    guidance: tuple[GuidanceText, ...] = ()
    golden_rules: tuple[int, ...] = ()


@dataclass(frozen=True)
class FormSlot:
    """One slot the form can ask for, with its kind: what the domain and the validation need."""

    name: str
    kind: Kind
    answers: tuple[str, ...] = ()


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

    @property
    def checklist_question(self) -> Question:
        """The question asked as a checklist (question 6)."""
        return next(q for q in self.questions.values() if q.is_checklist)

    @property
    def justification_slots(self) -> dict[str, Question]:
        """Free-text slots that justify an answer, with the question they belong to."""
        return {q.justification.slot: q for q in self.questions.values() if q.justification}

    def form_slots(self) -> Iterator[FormSlot]:
        """Every slot the form can ask, in the order it asks them."""
        for context in self.context:
            yield FormSlot(context.id, context.kind)
        for question in self.questions.values():
            yield FormSlot(question.id, question.kind, tuple(a.value for a in question.answers))
            if question.justification:
                yield FormSlot(question.justification.slot, Kind.JUSTIFICATION)
        yield FormSlot(self.record.reasons_slot, Kind.JUSTIFICATION)
        yield FormSlot(self.record.id, Kind.CONFIRM, (Answer.YES.value, Answer.NO.value))

    def form_slot(self, name: str) -> FormSlot | None:
        return next((slot for slot in self.form_slots() if slot.name == name), None)

    def owner(self, slot: str) -> Question | None:
        """The question a slot belongs to (itself, or the question it justifies)."""
        if slot in self.questions:
            return self.questions[slot]
        return self.justification_slots.get(slot)

    def golden_rules_for(self, path: list[str] | tuple[str, ...], outcome: Outcome) -> list[int]:
        """The golden rules of the questions on a record's path (and of its outcome)."""
        rules = {self.questions[q].golden_rule for q in path if q in self.questions}
        if self.record.id in path:
            rules.add(self.record.golden_rule)
        rules.update(self.outcomes[outcome].golden_rules)
        return sorted(rules)

    def guidance_texts(self) -> Iterator[tuple[str, GuidanceText]]:
        """Every text presented as the guidance, with where it is used (for the checks)."""
        for number, rule in self.golden_rules.items():
            yield f"golden rule {number}", GuidanceText(rule, "golden_rules")
        for q in self.questions.values():
            yield f"{q.id} text", q.text_as_guidance
            for name in ("prompts", "more", "considerations"):
                for text in getattr(q, name):
                    yield f"{q.id} {name}", text
            for item in q.checklist:
                for text in item.guidance:
                    yield f"{q.id} {item.id}", text
            for follow_up in q.follow_ups:
                for text in follow_up.guidance:
                    yield f"{q.id} follow-up {follow_up.id}", text
        for text in self.record.considerations:
            yield "record considerations", text
        for outcome, data in self.outcomes.items():
            for text in data.guidance:
                yield f"outcome {outcome.value}", text


def _text(value: Any) -> str:
    return " ".join(str(value).split())


def guidance_items(raw: Any, section: str) -> tuple[GuidanceText, ...]:
    items = []
    for item in raw or ():
        if isinstance(item, dict):
            items.append(
                GuidanceText(
                    _text(item["text"]),
                    str(item.get("section") or section),
                    _text(item.get("source") or ""),
                )
            )
        else:
            items.append(GuidanceText(_text(item), section))
    return tuple(items)


def _phrases(raw: Any) -> dict[str, tuple[str, ...]]:
    return {_yaml_key(k): tuple(str(p) for p in v) for k, v in (raw or {}).items()}


def _follow_up(raw: dict[str, Any], section: str) -> FollowUp:
    return FollowUp(
        id=str(raw["id"]),
        label=_text(raw["label"]),
        ask=_text(raw["ask"]),
        guidance=guidance_items(raw.get("guidance"), section),
        when=tuple(str(p) for p in raw.get("when") or ()),
        always=tuple(str(p) for p in raw.get("always") or ()),
        means={_yaml_key(k): _yaml_key(v) for k, v in (raw.get("means") or {}).items()},
        labels={_yaml_key(k): _text(v) for k, v in (raw.get("labels") or {}).items()},
        phrases=_phrases(raw.get("phrases")),
    )


def _question(raw: dict[str, Any]) -> Question:
    justification = raw.get("justification")
    number = str(raw["number"])
    section = f"question_{number.rstrip('abcdefgh')}"
    return Question(
        id=raw["id"],
        number=number,
        kind=Kind(raw.get("kind", "choice")),
        text=_text(raw["text"]),
        golden_rule=int(raw["golden_rule"]),
        paragraphs=str(raw["paragraphs"]),
        prompts=guidance_items(raw.get("prompts"), section),
        more=guidance_items(raw.get("more"), section),
        considerations=guidance_items(raw.get("considerations"), section),
        hint=_text(raw.get("hint") or ""),
        answers=tuple(Answer(a) for a in raw.get("answers", ["yes", "no", "not_sure"])),
        next={Answer(k): str(v) for k, v in raw["next"].items()},
        justification=(
            Justification(
                when=Answer(justification["when"]),
                slot=justification["slot"],
                label=_text(justification["label"]),
                ask=_text(justification["ask"]),
            )
            if justification
            else None
        ),
        checklist=tuple(
            ChecklistItem(
                id=item["id"],
                label=_text(item["label"]),
                ask=_text(item["ask"]),
                guidance=guidance_items(item.get("guidance"), section),
                hint=_text(item.get("hint") or ""),
                choices={str(k): _text(v) for k, v in (item.get("choices") or {}).items()},
                phrases=_phrases(item.get("phrases")),
            )
            for item in raw.get("checklist") or ()
        ),
        checks_slot=raw.get("checks_slot"),
        terms=tuple(str(t) for t in raw.get("terms") or ()),
        phrases=_phrases(raw.get("phrases")),
        meanings={_yaml_key(k): _text(v) for k, v in (raw.get("meanings") or {}).items()},
        text_source=(
            GuidanceText(_text(raw["source"]["text"]), str(raw["source"].get("section") or section))
            if raw.get("source")
            else None
        ),
        toward_sharing=tuple(_yaml_key(a) for a in raw.get("toward_sharing") or ()),
        follow_ups=tuple(_follow_up(f, section) for f in raw.get("follow_ups") or ()),
        cues=_phrases(raw.get("cues")),
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
    record_section = f"question_{rec['number']}"
    protocol = Protocol(
        id=raw["id"],
        title=_text(raw["title"]),
        guidance=_text(raw["guidance"]),
        golden_rules={int(k): _text(v) for k, v in raw["golden_rules"].items()},
        context=tuple(
            ContextQuestion(c["id"], _text(c["label"]), _text(c["ask"]), Kind(c["kind"]))
            for c in raw["context"]
        ),
        first=raw["first"],
        questions=questions,
        record=RecordStep(
            id=rec["id"],
            number=str(rec["number"]),
            text=_text(rec["text"]),
            reasons_slot=rec["reasons_slot"],
            golden_rule=int(rec["golden_rule"]),
            paragraphs=str(rec["paragraphs"]),
            considerations=guidance_items(rec.get("considerations"), record_section),
            reasons_ask=_text(rec["reasons_ask"]),
            confirm_ask=_text(rec["confirm_ask"]),
            phrases=_phrases(rec.get("phrases")),
        ),
        outcomes={
            Outcome(k): OutcomeText(
                title=_text(v["title"]),
                text=_text(v["text"]),
                guidance=guidance_items(v.get("guidance"), ""),
                golden_rules=tuple(int(r) for r in v.get("golden_rules") or ()),
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
    checklists = [q for q in protocol.questions.values() if q.is_checklist]
    if len(checklists) > 1:
        raise ValueError("only one question can be a checklist")
    for q in protocol.questions.values():
        if q.golden_rule not in protocol.golden_rules:
            raise ValueError(f"{q.id}: unknown golden rule {q.golden_rule}")
        if q.is_checklist and (not q.checklist or not q.checks_slot):
            raise ValueError(f"{q.id}: a checklist needs `checklist` points and a `checks_slot`")
        for answer in q.answers:
            if answer not in q.next:
                raise ValueError(f"{q.id}: no branch for answer {answer.value!r}")
        for answer, target in q.next.items():
            if target.startswith(OUTCOME_PREFIX):
                Outcome(target[len(OUTCOME_PREFIX) :])
            elif target not in protocol.questions:
                raise ValueError(f"{q.id}: answer {answer.value!r} leads to unknown {target!r}")
        for value in [*q.phrases, *q.cues]:
            if value not in {a.value for a in q.answers}:
                raise ValueError(f"{q.id}: phrases for {value!r}, which is not one of its answers")
        answers = {a.value for a in q.answers}
        if q.kind is Kind.CHOICE and not q.toward_sharing:
            raise ValueError(f"{q.id}: say which answers move the check toward sharing")
        if not set(q.toward_sharing) <= answers:
            raise ValueError(f"{q.id}: toward_sharing names answers it does not take")
        for follow_up in q.follow_ups:
            where = f"{q.id} follow-up {follow_up.id}"
            if not follow_up.means or not set(follow_up.means.values()) <= answers:
                raise ValueError(f"{where}: `means` must map its answers to {sorted(answers)}")
            if set(follow_up.labels) != set(follow_up.means):
                raise ValueError(f"{where}: one label for each answer in `means`")
            if not follow_up.when or not follow_up.guidance:
                raise ValueError(f"{where}: needs `when` patterns and the guidance it asks about")
            for value in follow_up.phrases:
                if value not in follow_up.means:
                    raise ValueError(f"{where}: phrases for unknown answer {value!r}")
        for item in q.checklist:
            for value in item.phrases:
                if value not in item.answers:
                    raise ValueError(f"{q.id}.{item.id}: phrases for unknown answer {value!r}")
    names = [slot.name for slot in protocol.form_slots()]
    if len(names) != len(set(names)):
        raise ValueError(f"two form slots share a name: {names}")
    missing = set(Outcome) - set(protocol.outcomes)
    if missing:
        raise ValueError(f"no text for outcomes {sorted(o.value for o in missing)}")


@cache
def load_protocol(path: str | None = None) -> Protocol:
    """The protocol in ``path`` (default: the HM Government 2008 flow shipped with the package)."""
    with open(path or PROTOCOL_FILE, encoding="utf-8") as handle:
        return parse_protocol(yaml.safe_load(handle))
