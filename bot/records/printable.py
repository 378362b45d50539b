"""A decision record as it is printed (pure: no I/O, no HTML).

:func:`printed` gives the record's own fields, section by section as declared in
``bot/records/fields.py``, with the protocol's wording of the questions it answered; nothing else.
The free text on it is what the record holds (already redacted when saved). The page itself is
``bot/web/templates/record.html`` (``bot.web.chat.render_record``), which escapes every value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.protocol import load_protocol
from bot.protocol.engine import checklist, step_key
from bot.protocol.messages import ANSWER_WORDS, RECORD_ELSEWHERE, question_title
from bot.protocol.model import Outcome, Protocol
from bot.records.fields import (
    ADVICE_PARTS,
    FIELDS,
    NOT_RECORDED,
    FieldKind,
    RecordField,
    Section,
    how_answered,
)

CHANNEL_NAMES = {
    "socketio": "Web chat",
    "botframework": "Microsoft Teams",
    "rest": "REST (helpdesk integration)",
    "cmdline": "Terminal (make shell)",
}
# Sections a printed record shows (the trace — conversation and check ids — stays off paper).
PRINTED = (Section.DECISION, Section.CONTEXT, Section.QUESTIONS, Section.REASONS)


@dataclass(frozen=True)
class Row:
    """One line of a section: a label and its value (None: nothing, shown as "—"), or, with
    ``heading``, a heading over the lines that follow ("Helpdesk advice")."""

    label: str
    value: str | None = None
    heading: bool = False


@dataclass(frozen=True)
class PrintedSection:
    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class PrintedRecord:
    reference: str
    outcome: str  # the outcome's name (share, do_not_share, …)
    outcome_title: str
    sections: tuple[PrintedSection, ...]
    golden_rules: tuple[tuple[int, str], ...]  # (number, text) of each rule that applies
    note: str


def _when(value: datetime | None) -> str:
    return value.strftime("%d %B %Y, %H:%M UTC") if value else "—"


def _row(label: str, value: str | None) -> Row:
    return Row(label, value or None)


def _outcome_title(outcome: str, protocol: Protocol) -> str:
    try:
        return protocol.outcomes[Outcome(outcome)].title
    except (ValueError, KeyError):
        return outcome


def _with_how(shown: str, record: Any, key: str) -> str:
    """An answer with how it was given beside it ("Yes — typed answer word"); as it is on a
    record saved before that was kept (one "not recorded" row says so for the whole record)."""
    if record.answered_by is None:
        return shown
    return f"{shown} — {how_answered(record.answered_by, key)}"


def _answers(record: Any, protocol: Protocol) -> list[Row]:
    """Each question on the path with its answer (and how it was given), the reason given with
    it, its justification."""
    rows = []
    notes = record.notes or {}
    for question_id in record.path:
        answer = record.answers.get(question_id)
        shown = ANSWER_WORDS.get(answer, answer)
        if answer is None and question_id == protocol.record.id:
            shown = ANSWER_WORDS["yes"]  # the record exists because question 7 was "save it"
        elif shown:
            shown = _with_how(shown, record, question_id)
        rows.append(_row(question_title(question_id, protocol), shown))
        if notes.get(question_id):
            rows.append(_row("Reason given", notes[question_id]))
        question = protocol.questions.get(question_id)
        justification = question.justification if question else None
        if justification and getattr(record, justification.slot, None):
            rows.append(_row(justification.label, getattr(record, justification.slot)))
    return rows


def _checks(record: Any, protocol: Protocol) -> list[Row]:
    if not record.checks:
        return []
    rows = []
    notes = record.notes or {}
    question = protocol.checklist_question
    for item in checklist(protocol):
        value = record.checks.get(item.id)
        if item.choices:
            shown = item.choices.get(str(value), str(value)) if value else "Not answered"
        else:
            shown = {True: "Confirmed", False: "Not confirmed"}.get(value, "Not answered")
        if value is not None:
            shown = _with_how(shown, record, step_key(question.id, item))
        rows.append(_row(item.ask, shown))
        note = notes.get(step_key(question.id, item))
        if note:
            rows.append(_row("Reason given", note))
    return rows


def _advice(record: Any, protocol: Protocol) -> list[Row]:
    """The helpdesk's advice a continued check was given, under its own heading."""
    advice = record.advice
    if not advice:
        return []
    rows = [Row("Helpdesk advice", heading=True)]
    for part, label in ADVICE_PARTS:
        value = advice.get(part)
        if part == "suggested_answer" and value:
            value = ANSWER_WORDS.get(value, value)
        elif part.endswith("_at") and value:
            value = _when(datetime.fromisoformat(value))
        rows.append(_row(label, value))
    return rows


def _value(field: RecordField, record: Any, protocol: Protocol) -> str | None:
    value = getattr(record, field.name)
    if field.kind is FieldKind.WHEN:
        return _when(value)
    if field.kind is FieldKind.OUTCOME:
        return _outcome_title(value, protocol)
    if field.name == "protocol":
        return protocol.title if value == protocol.id else value
    if field.name == "channel":
        return CHANNEL_NAMES.get(value or "", value)
    if field.kind is FieldKind.KEY:
        return question_title(value, protocol) if value else None
    if field.kind is FieldKind.FLAG and field.name == "safeguarding_concern":
        return (
            "Yes — follow your local safeguarding procedures"
            if value
            else "No signs noted in the conversation"
        )
    if field.kind is FieldKind.FLAG:
        return "Yes" if value else "No"
    return value


def _section(section: Section, record: Any, protocol: Protocol) -> PrintedSection:
    rows: list[Row] = []
    for field in (f for f in FIELDS if f.section is section):
        if field.kind is FieldKind.ANSWERS:
            rows += _answers(record, protocol)
        elif field.kind is FieldKind.CHECKS:
            checks = _checks(record, protocol)
            if checks:
                title = f"{field.label} — question {question_number(protocol)}"
                rows.append(Row(title, heading=True))
                rows += checks
        elif field.kind is FieldKind.ADVICE:
            rows += _advice(record, protocol)
        elif field.kind is FieldKind.ANSWERED_BY:
            if record.answered_by is None:  # saved before it was kept
                rows.append(_row(field.label, NOT_RECORDED))
        elif field.kind in (FieldKind.KEYS, FieldKind.NOTES, FieldKind.RULES):
            continue  # shown with the answers, or as the list of rules below
        elif field.kind is FieldKind.TEXT and any(
            q.justification and q.justification.slot == field.name
            for q in protocol.questions.values()
        ):
            continue  # shown under its question
        elif field.kind in (FieldKind.KEY, FieldKind.IDENTIFIER) and not getattr(
            record, field.name
        ):
            continue  # an optional id left empty (no advice needed, not a continued check)
        elif field.name == "on_behalf_of_caller" and not record.on_behalf_of_caller:
            continue
        else:
            rows.append(_row(field.label, _value(field, record, protocol)))
    return PrintedSection(section.value, tuple(rows))


def question_number(protocol: Protocol) -> str:
    return protocol.checklist_question.number


def printed(record: Any, protocol: Protocol | None = None) -> PrintedRecord:
    """What the printable summary of ``record`` shows."""
    protocol = protocol or load_protocol()
    return PrintedRecord(
        reference=record.reference,
        outcome=record.outcome,
        outcome_title=_outcome_title(record.outcome, protocol),
        sections=tuple(_section(section, record, protocol) for section in PRINTED),
        golden_rules=tuple(
            (number, protocol.golden_rules[number])
            for number in record.golden_rules
            if number in protocol.golden_rules
        ),
        note=RECORD_ELSEWHERE,
    )
