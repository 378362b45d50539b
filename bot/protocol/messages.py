"""What the assistant says, built from the protocol data (pure: no Rasa, no I/O).

Actions turn a :class:`Reply` into ``dispatcher.utter_message(text=..., buttons=...)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.protocol.engine import (
    CHECKLIST_QUESTION,
    CHECKS_SLOT,
    REASONS_SLOT,
    RECORD_SLOT,
    Walk,
    checklist,
    next_checklist_item,
    walk,
)
from bot.protocol.model import Answer, InformPerson, Outcome, Protocol, load_protocol

ANSWER_BUTTONS: dict[Answer, tuple[str, str]] = {
    Answer.YES: ("Yes", "/affirm"),
    Answer.NO: ("No", "/deny"),
    Answer.NOT_ASKED: ("Not asked yet", "/not_asked"),
    Answer.NOT_SURE: ("Not sure", "/not_sure"),
}
ANSWER_WORDS = {
    "yes": "Yes",
    "no": "No",
    "not_sure": "Not sure",
    "not_asked": "Not asked yet",
}
INFORM_CHOICE_PAYLOADS = {
    InformPerson.YES.value: "/affirm",
    InformPerson.ALREADY_AWARE.value: '/affirm{"inform_choice": "already_aware"}',
    InformPerson.NO_UNSAFE.value: '/deny{"inform_choice": "no_unsafe"}',
}
CONTEXT_LABELS = {"information": "What", "recipient": "With whom", "purpose_text": "Why"}
HINT = 'You can say "why?" for the guidance, "go back", or "start again" at any point.'


@dataclass(frozen=True)
class Card:
    """A structured view of a message, for channels that show cards (Microsoft Teams).

    ``facts`` are (label, value) pairs; the reply's text stays the whole message for every other
    channel, so a card never says anything the text does not.
    """

    title: str
    facts: tuple[tuple[str, str], ...] = ()
    note: str = ""
    link: tuple[str, str] | None = None  # (title, https URL): a button that opens a page


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    card: Card | None = None


@dataclass(frozen=True)
class Contact:
    role: str
    how: str = ""


def _button(title: str, payload: str) -> dict[str, str]:
    return {"title": title, "payload": payload}


def answer_buttons(answers: Sequence[Answer]) -> list[dict[str, str]]:
    return [_button(*ANSWER_BUTTONS[a]) for a in answers]


def change_payload(slot: str) -> str:
    return "/change_answer" + json.dumps({"question": slot})


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def question_title(slot: str, protocol: Protocol | None = None) -> str:
    protocol = protocol or load_protocol()
    if slot in protocol.questions:
        q = protocol.question(slot)
        return f"Q{q.number} {q.text}"
    if slot == RECORD_SLOT or slot == REASONS_SLOT:
        return f"Q{protocol.record.number} {protocol.record.text}"
    return CONTEXT_LABELS.get(slot, slot)


def ask(slot: str, slots: Mapping[str, Any], protocol: Protocol | None = None) -> Reply:
    """The prompt for ``slot``: a context question, one of the seven, or question 7's steps."""
    protocol = protocol or load_protocol()
    for context in protocol.context:
        if slot == context.id:
            return Reply(context.ask)
    for question in protocol.questions.values():
        if question.justification and question.justification.slot == slot:
            return Reply(question.justification.ask)
    if slot == CHECKLIST_QUESTION:
        return _ask_checklist(slots, protocol)
    if slot in protocol.questions:
        q = protocol.question(slot)
        text = f"Question {q.number}: {q.text}"
        if q.prompts:
            text += "\n" + _bullets(q.prompts)
        return Reply(text, answer_buttons(q.answers))
    if slot == REASONS_SLOT:
        result = walk(slots, protocol)
        return Reply(
            "\n\n".join(
                [
                    outcome_text(result, protocol),
                    summary(slots, protocol),
                    protocol.record.reasons_ask,
                ]
            )
        )
    if slot == RECORD_SLOT:
        return Reply(
            summary(slots, protocol) + "\n\n" + protocol.record.confirm_ask,
            [_button("Yes, save it", "/affirm"), _button("Change an answer", "/change_answer")],
            Card(SUMMARY_TITLE, summary_facts(slots, protocol), protocol.record.confirm_ask),
        )
    raise KeyError(f"no prompt for slot {slot!r}")


def _ask_checklist(slots: Mapping[str, Any], protocol: Protocol) -> Reply:
    q = protocol.question(CHECKLIST_QUESTION)
    item = next_checklist_item(slots.get(CHECKS_SLOT), protocol)
    items = checklist(protocol)
    if item is None:  # every point confirmed: the form will not ask again
        item = items[-1]
    position = [i.id for i in items].index(item.id) + 1
    text = f"Question {q.number}: {q.text} — point {position} of {len(items)}:\n{item.ask}"
    if item.choices:
        buttons = [
            _button(title, INFORM_CHOICE_PAYLOADS[key]) for key, title in item.choices.items()
        ]
        buttons.append(_button(*ANSWER_BUTTONS[Answer.NOT_SURE]))
    else:
        buttons = answer_buttons(q.answers)
    return Reply(text, buttons)


def explain(slot: str | None, protocol: Protocol | None = None) -> Reply:
    """The golden rule, things to consider and guidance paragraphs behind a question."""
    protocol = protocol or load_protocol()
    if slot in protocol.questions:
        q = protocol.question(slot)
        number, rule, considerations, paragraphs = (
            q.number,
            q.golden_rule,
            list(q.prompts) + list(q.considerations),
            q.paragraphs,
        )
    elif slot in (REASONS_SLOT, RECORD_SLOT):
        r = protocol.record
        number, rule, considerations, paragraphs = (
            r.number,
            r.golden_rule,
            list(r.considerations),
            r.paragraphs,
        )
    else:
        return Reply(
            "I ask what you want to share, with whom and why so that the decision record shows "
            "them (Golden Rule 7: keep a record of your decision and the reasons for it). Describe "
            "things in general terms — there is no need to name the person.\n\n"
            f"Golden Rule 1: {protocol.golden_rules[1]}"
        )
    parts = [f"Why question {number} matters — Golden Rule {rule}: {protocol.golden_rules[rule]}"]
    if considerations:
        parts.append("Things to consider:\n" + _bullets(considerations))
    parts.append(f"For more detail see {protocol.guidance}, paragraphs {paragraphs}.")
    return Reply("\n\n".join(parts))


def outcome_text(result: Walk, protocol: Protocol | None = None) -> str:
    protocol = protocol or load_protocol()
    assert result.outcome is not None
    outcome = protocol.outcomes[result.outcome]
    return f"Decision: {outcome.title}.\n{outcome.text}"


def seek_advice(
    result: Walk, contacts: Sequence[Contact], protocol: Protocol | None = None
) -> Reply:
    protocol = protocol or load_protocol()
    where = question_title(result.advice_needed_at, protocol) if result.advice_needed_at else ""
    lines = [outcome_text(result, protocol)]
    if where:
        lines.append(f"You were not sure at {where}")
    lines.append(
        "Whom to ask:\n" + _bullets([f"{c.role} — {c.how}" if c.how else c.role for c in contacts])
    )
    lines.append(f"Golden Rule 3: {protocol.golden_rules[3]}")
    return Reply("\n\n".join(lines))


SUMMARY_TITLE = "Summary of your check"


def summary_facts(
    slots: Mapping[str, Any], protocol: Protocol | None = None
) -> tuple[tuple[str, str], ...]:
    """The practitioner's answers so far as (label, value) pairs, in the order they were asked."""
    protocol = protocol or load_protocol()
    facts: list[tuple[str, str]] = []
    for context in protocol.context:
        value = slots.get(context.id)
        if value:
            facts.append((CONTEXT_LABELS[context.id], str(value)))
    for question_id in walk(slots, protocol).path:
        q = protocol.question(question_id)
        answer = ANSWER_WORDS.get(str(slots.get(question_id)), str(slots.get(question_id)))
        facts.append((f"Q{q.number} {q.text}", answer))
        if q.justification and slots.get(q.justification.slot):
            facts.append(("Public interest", str(slots[q.justification.slot])))
    checks = slots.get(CHECKS_SLOT) or {}
    if checks:
        inform = checks.get("inform_person")
        confirmed = [item.id for item in checklist(protocol) if checks.get(item.id) is True]
        facts.append(
            ("Sharing checks confirmed", f"{len(confirmed)} of {len(checklist(protocol)) - 1}")
        )
        if inform:
            choices = protocol.question(CHECKLIST_QUESTION).checklist[-1].choices
            facts.append(("Telling the person", choices.get(inform, inform)))
    return tuple(facts)


def summary(slots: Mapping[str, Any], protocol: Protocol | None = None) -> str:
    """The practitioner's answers so far, as shown at question 7."""
    lines = [f"{SUMMARY_TITLE}:"]
    for label, value in summary_facts(slots, protocol):
        if label == "Public interest":
            lines.append(f"    {label}: {value}")
        elif label.startswith("Q") and label[1:2].isdigit():
            lines.append(f"• {label} — {value}")
        else:
            lines.append(f"• {label}: {value}")
    return "\n".join(lines)


def change_buttons(
    slots: Mapping[str, Any], protocol: Protocol | None = None
) -> list[dict[str, str]]:
    """One button per answer given so far, to change it from the summary."""
    protocol = protocol or load_protocol()
    buttons = [
        _button(f"Change: {CONTEXT_LABELS[c.id]}", change_payload(c.id))
        for c in protocol.context
        if slots.get(c.id)
    ]
    for question_id in walk(slots, protocol).path:
        buttons.append(
            _button(
                f"Change: Q{protocol.question(question_id).number}", change_payload(question_id)
            )
        )
    return buttons


RECORD_ELSEWHERE = (
    "Please also record the decision, your reasons, what you shared (if anything), with whom "
    "and why in your agency's own case recording system, following local procedures."
)


def saved(reference: str, outcome: Outcome, protocol: Protocol | None = None) -> Reply:
    protocol = protocol or load_protocol()
    title = protocol.outcomes[outcome].title
    return Reply(
        f"Saved. Your decision reference is {reference} (outcome: {title}). "
        f"{RECORD_ELSEWHERE} "
        'Say "start again" to check another case.',
        card=Card(
            f"Decision record {reference}",
            (("Reference", reference), ("Outcome", title)),
            f'{RECORD_ELSEWHERE} Say "start again" to check another case.',
        ),
    )
