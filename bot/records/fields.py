"""The decision record's fields, declared once.

The ORM table (``models.py``), the draft the actions hand over and the stored record
(``repository.py``), the JSON and CSV export (``export.py``, in this order: the contract of
../shared/DESIGN.md), ``infoshare records show`` (``cli.py``) and the printable page
(``printable.py``) are all derived from :data:`FIELDS`. Adding a field is one entry here plus an
Alembic migration (``tests/integration/test_records.py`` checks that the migrations build exactly
this table).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.protocol.model import AnsweredBy


class FieldKind(str, Enum):
    IDENTIFIER = "identifier"  # a short required string (ids, channel, protocol)
    WHEN = "when"  # a UTC timestamp
    OUTCOME = "outcome"  # one of the outcomes
    KEYS = "keys"  # a list of question ids
    ANSWERS = "answers"  # question id -> answer value
    CHECKS = "checks"  # checklist point -> true / choice (or null)
    NOTES = "notes"  # step key -> free text (or null)
    TEXT = "text"  # free text (already redacted by the caller)
    KEY = "key"  # one question id (or null)
    FLAG = "flag"  # true / false
    RULES = "rules"  # golden rule numbers
    ADVICE = "advice"  # the helpdesk's advice a continued check was given (or null)
    ANSWERED_BY = "answered_by"  # step key -> how the answer was reached (or null)


class Section(str, Enum):
    """Where a field is shown on the printable page and in ``records show``."""

    DECISION = "Decision"
    CONTEXT = "What, with whom and why"
    QUESTIONS = "Questions answered"
    REASONS = "Reasons and flags"
    TRACE = "Where it came from"


@dataclass(frozen=True)
class RecordField:
    name: str
    label: str
    kind: FieldKind
    section: Section
    max_length: int | None = None
    required: bool = False  # a draft must give it
    stored: bool = True  # False: set by the repository (reference)
    index: bool = False
    nullable: bool = True  # in the table (a draft may still leave it to a default)


FIELDS: tuple[RecordField, ...] = (
    RecordField("reference", "Reference", FieldKind.IDENTIFIER, Section.DECISION, 32, stored=False),
    RecordField(
        "conversation_id", "Conversation", FieldKind.IDENTIFIER, Section.TRACE, 512, required=True
    ),
    RecordField("check_id", "Check", FieldKind.IDENTIFIER, Section.TRACE, 128, required=True),
    RecordField("channel", "Asked through", FieldKind.IDENTIFIER, Section.DECISION, 64),
    RecordField("created_at", "Check started", FieldKind.WHEN, Section.DECISION),
    RecordField("completed_at", "Check completed", FieldKind.WHEN, Section.DECISION, index=True),
    RecordField(
        "protocol", "Guidance followed", FieldKind.IDENTIFIER, Section.DECISION, 32, nullable=False
    ),
    RecordField(
        "outcome", "Outcome", FieldKind.OUTCOME, Section.DECISION, 32, required=True, index=True
    ),
    RecordField("path", "Path", FieldKind.KEYS, Section.QUESTIONS),
    RecordField("answers", "Answers", FieldKind.ANSWERS, Section.QUESTIONS),
    RecordField("information", "What", FieldKind.TEXT, Section.CONTEXT),
    RecordField("recipient", "With whom", FieldKind.TEXT, Section.CONTEXT),
    RecordField("purpose_text", "Why", FieldKind.TEXT, Section.CONTEXT),
    RecordField(
        "public_interest_reason", "Public interest reason", FieldKind.TEXT, Section.QUESTIONS
    ),
    RecordField("checks", "Checks", FieldKind.CHECKS, Section.QUESTIONS),
    RecordField("advice_needed_at", "Advice needed at", FieldKind.KEY, Section.REASONS, 64),
    RecordField("safeguarding_concern", "Safeguarding concern", FieldKind.FLAG, Section.REASONS),
    RecordField("reasons", "Reasons", FieldKind.TEXT, Section.REASONS),
    RecordField("golden_rules", "Golden rules", FieldKind.RULES, Section.REASONS),
    RecordField("notes", "Reasons with answers", FieldKind.NOTES, Section.QUESTIONS),
    # A check continued after the helpdesk's advice: the seek_advice record it continues, and the
    # advice (adviser, advice, suggested answer, citation, asked at, answered at).
    RecordField("continues", "Continues", FieldKind.IDENTIFIER, Section.DECISION, 32, index=True),
    RecordField("advice", "Helpdesk advice", FieldKind.ADVICE, Section.REASONS),
    # A check run on the helpdesk page by a staff member for someone on the phone.
    RecordField("made_by", "Made by (helpdesk)", FieldKind.IDENTIFIER, Section.DECISION, 64),
    RecordField("on_behalf_of_caller", "For a caller", FieldKind.FLAG, Section.DECISION),
    # How each answer was reached, by the notes' step keys (question ids, "appropriate.<point>"):
    # one of ANSWERED_BY_WORDS. Null on records saved before it was kept.
    RecordField(
        "answered_by", "How each answer was given", FieldKind.ANSWERED_BY, Section.QUESTIONS
    ),
)

# The parts of the ``advice`` field, in the order they are shown, with their labels.
ADVICE_PARTS: tuple[tuple[str, str], ...] = (
    ("adviser", "Adviser"),
    ("advice", "Advice"),
    ("suggested_answer", "Suggested answer"),
    ("citation", "Guidance paragraphs"),
    ("asked_at", "Asked"),
    ("answered_at", "Answered"),
)

# How an answer was reached (the ``answered_by`` field), as a person reads it beside the answer.
ANSWERED_BY_WORDS: dict[str, str] = {
    AnsweredBy.BUTTON.value: "button",
    AnsweredBy.WORD.value: "typed answer word",
    AnsweredBy.READ_BACK.value: "read back and confirmed",
    AnsweredBy.FOLLOW_UP.value: "follow-up question",
    AnsweredBy.HELPDESK.value: "helpdesk's suggested answer",
}
NOT_RECORDED = "not recorded"  # a record saved before ``answered_by`` was kept, or a step without


def how_answered(answered_by: Mapping[str, Any] | None, key: str) -> str:
    """How the answer at step ``key`` was given, in words ("not recorded" when unknown)."""
    how = (answered_by or {}).get(key)
    return ANSWERED_BY_WORDS.get(str(how), NOT_RECORDED) if how else NOT_RECORDED


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
BY_NAME = {f.name: f for f in FIELDS}
