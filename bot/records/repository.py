"""Saving and reading decision records.

The repository stores what it is given: the caller (the action) redacts personal data from free
text before calling :meth:`RecordRepository.save`. The repository only makes text safe to store
and show (control characters removed, length capped); SQL is always parameterised.
"""

from __future__ import annotations

import builtins
import math
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, make_dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.future import Engine
from sqlalchemy.orm import sessionmaker

from bot.records.fields import ANSWERED_BY_WORDS, FIELD_NAMES, FIELDS, FieldKind, RecordField
from bot.records.models import DecisionRecordRow, as_utc

OUTCOMES: tuple[str, ...] = ("share", "do_not_share", "seek_advice", "seek_consent")
DEFAULT_PROTOCOL = "hmg-2008"
REFERENCE_PREFIX = "ISD-"
MAX_TEXT_LENGTH = 2000
MAX_ID_LENGTH = {f.name: f.max_length or 64 for f in FIELDS if f.kind is FieldKind.IDENTIFIER}
MAX_KEY_LENGTH = 64  # question ids, check names
ELLIPSIS = "…"

# Control characters except tab and newline, and the bidirectional overrides that can make text
# display differently from what it says ("Trojan Source").
_UNSAFE_CHARS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_REFERENCE = re.compile(rf"^\s*(?:{REFERENCE_PREFIX[:-1]}\s*-?\s*)?0*(\d{{1,12}})\s*$", re.I)


_TYPES = {
    FieldKind.IDENTIFIER: "str | None",
    FieldKind.WHEN: "datetime | None",
    FieldKind.OUTCOME: "str",
    FieldKind.KEYS: "list[str]",
    FieldKind.ANSWERS: "dict[str, str]",
    FieldKind.CHECKS: "dict[str, Any] | None",
    FieldKind.NOTES: "dict[str, str] | None",
    FieldKind.TEXT: "str | None",
    FieldKind.KEY: "str | None",
    FieldKind.FLAG: "bool",
    FieldKind.RULES: "list[int]",
    FieldKind.ADVICE: "dict[str, Any] | None",
    FieldKind.ANSWERED_BY: "dict[str, str] | None",
}
_DRAFT_DEFAULTS: dict[str, Any] = {"protocol": DEFAULT_PROTOCOL}


def _draft_field(f: RecordField) -> tuple[str, str] | tuple[str, str, Any]:
    if f.required:
        return (f.name, "str")
    if f.name in _DRAFT_DEFAULTS:
        return (f.name, _TYPES[f.kind], field(default=_DRAFT_DEFAULTS[f.name]))
    if f.kind in (FieldKind.KEYS, FieldKind.RULES):
        return (f.name, _TYPES[f.kind], field(default_factory=list))
    if f.kind is FieldKind.ANSWERS:
        return (f.name, _TYPES[f.kind], field(default_factory=dict))
    if f.kind is FieldKind.FLAG:
        return (f.name, _TYPES[f.kind], field(default=False))
    return (f.name, _TYPES[f.kind], field(default=None))


# A record as the caller hands it over; the repository adds reference and timestamps.
#
# ``(conversation_id, check_id)`` is the idempotency key: saving a draft with the same pair again
# returns the record saved first. ``created_at`` is when the check started (default:
# ``completed_at``), ``completed_at`` when it ended (default: now, UTC). Enum members are accepted
# wherever strings are and stored as their values. Built from the declared fields.
RecordDraft: Any = make_dataclass(
    "RecordDraft",
    [_draft_field(f) for f in FIELDS if f.stored and f.required]
    + [_draft_field(f) for f in FIELDS if f.stored and not f.required],
)
RecordDraft.__module__ = __name__


def _to_dict(self: Any) -> dict[str, Any]:
    data = {name: getattr(self, name) for name in FIELD_NAMES}
    for f in FIELDS:
        if f.kind is FieldKind.WHEN:
            data[f.name] = _iso(data[f.name])
    return data


ERASURE = ("erased_at", "erased_by", "erased_why")


def erased_text(erased_at: datetime, erased_by: str | None, erased_why: str | None) -> str:
    """What an erased record says in place of its reasons (every surface shows them)."""
    when = as_utc(erased_at).strftime("%Y-%m-%d %H:%M UTC")
    return f"ERASED on {when} by {erased_by or 'unknown'}: {erased_why or '-'}"


def _from_row(cls: Any, row: Any) -> Any:
    values = {name: getattr(row, name) for name in FIELD_NAMES + ERASURE}
    if row.erased_at is not None:
        # A tombstone: its reasons say that it was erased, when, by whom and why, so that the
        # API, the exports, the CLI and the pages show it as erased with the fields they have.
        values["reasons"] = erased_text(row.erased_at, row.erased_by, row.erased_why)
    return cls(**values)


# A stored record. ``to_dict()`` is the export format of DESIGN.md (../shared/DESIGN.md; as built:
# docs/design.md §5) plus ``check_id``, its keys in the declared order. Built from the declared
# fields.
DecisionRecord: Any = make_dataclass(
    "DecisionRecord",
    [
        (f.name, _TYPES[f.kind].replace(" | None", "") if not f.stored else _TYPES[f.kind])
        for f in FIELDS
    ]
    + [
        ("erased_at", "datetime | None", field(default=None)),
        ("erased_by", "str | None", field(default=None)),
        ("erased_why", "str | None", field(default=None)),
    ],
    frozen=True,
    namespace={"to_dict": _to_dict, "from_row": classmethod(_from_row)},
)
DecisionRecord.__module__ = __name__

RECORD_FIELDS: tuple[str, ...] = FIELD_NAMES

# What an erased record's content becomes, by the kind of field (the rest is kept: reference,
# dates, outcome, protocol, channel, flags, the question advice was needed at, what it continues).
_ERASED_EMPTY: dict[FieldKind, Any] = {
    FieldKind.TEXT: lambda: None,
    FieldKind.KEYS: list,
    FieldKind.ANSWERS: dict,
    FieldKind.RULES: list,
    FieldKind.CHECKS: lambda: None,
    FieldKind.NOTES: lambda: None,
    FieldKind.ADVICE: lambda: None,
    FieldKind.ANSWERED_BY: lambda: None,
}


def normalise_reference(reference: str) -> str | None:
    """``"isd-123"``, ``"ISD-000123"``, ``"123"`` → ``"ISD-000123"``; anything else → None."""
    match = _REFERENCE.match(reference or "")
    return format_reference(int(match.group(1))) if match else None


def format_reference(number: int) -> str:
    return f"{REFERENCE_PREFIX}{number:06d}"


def clean_text(value: Any, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    """Safe-to-store free text: no control characters (tab/newline kept), no lone surrogates,
    at most ``max_length`` characters (cut with an ellipsis), blank → None."""
    if value is None:
        return None
    text = _plain(value)
    if not isinstance(text, str):
        text = str(text)
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates → "?"
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _UNSAFE_CHARS.sub("", text).strip()
    if not text:
        return None
    if len(text) > max_length:
        text = text[: max_length - len(ELLIPSIS)].rstrip() + ELLIPSIS
    return text


@dataclass(frozen=True)
class RecordFilter:
    """Which records a search returns (every field optional; values are data, never SQL).

    ``since`` / ``until`` bound ``completed_at`` (``until`` exclusive)."""

    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    safeguarding: bool | None = None
    protocol: str | None = None
    channel: str | None = None

    def conditions(self) -> builtins.list[Any]:
        row = DecisionRecordRow
        found: builtins.list[Any] = []
        if self.outcome is not None:
            found.append(row.outcome == _plain(self.outcome))
        if self.since is not None:
            found.append(row.completed_at >= as_utc(self.since))
        if self.until is not None:
            found.append(row.completed_at < as_utc(self.until))
        if self.safeguarding is not None:
            found.append(row.safeguarding_concern.is_(bool(self.safeguarding)))
        if self.protocol is not None:
            found.append(row.protocol == self.protocol)
        if self.channel is not None:
            found.append(row.channel == self.channel)
        return found


class RecordRepository:
    """Decision records in the database behind ``engine`` (schema made by :func:`upgrade`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, future=True, expire_on_commit=False)

    def save(self, draft: RecordDraft) -> DecisionRecord:
        """Store ``draft`` once: a repeated (conversation_id, check_id) returns the first record."""
        row = _row_from_draft(draft)
        existing = self.for_check(row.conversation_id, row.check_id)
        if existing is not None:
            return existing
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()  # INSERT: assigns row.id (or fails on the idempotency key)
                row.reference = format_reference(row.id)
                session.flush()  # UPDATE, in the same transaction: never seen without reference
                return DecisionRecord.from_row(row)
        except IntegrityError:
            # Another writer saved the same check between our read and our insert.
            existing = self.for_check(row.conversation_id, row.check_id)
            if existing is None:
                raise
            return existing

    def get(self, reference: str) -> DecisionRecord | None:
        """The record with this reference (case-insensitive, leading zeros optional)."""
        canonical = normalise_reference(reference)
        if canonical is None:
            return None
        return self._one(select(DecisionRecordRow).where(DecisionRecordRow.reference == canonical))

    def for_check(self, conversation_id: str, check_id: str) -> DecisionRecord | None:
        """The record saved for this check of this conversation, if any."""
        try:
            key = (
                _identifier(conversation_id, "conversation_id"),
                _identifier(check_id, "check_id"),
            )
        except ValueError:
            return None
        return self._one(
            select(DecisionRecordRow).where(
                DecisionRecordRow.conversation_id == key[0],
                DecisionRecordRow.check_id == key[1],
            )
        )

    def list(
        self,
        outcome: str | None = None,
        limit: int | None = None,
        since: datetime | None = None,
    ) -> builtins.list[DecisionRecord]:
        """Records, newest (by ``completed_at``) first, optionally filtered."""
        query = select(DecisionRecordRow)
        if outcome is not None:
            query = query.where(DecisionRecordRow.outcome == _plain(outcome))
        if since is not None:
            query = query.where(DecisionRecordRow.completed_at >= as_utc(since))
        query = query.order_by(DecisionRecordRow.completed_at.desc(), DecisionRecordRow.id.desc())
        if limit is not None:
            query = query.limit(max(limit, 0))
        with self._sessions.begin() as session:
            return [DecisionRecord.from_row(row) for row in session.scalars(query)]

    def search(
        self, filters: RecordFilter | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[builtins.list[DecisionRecord], int]:
        """One page of the records that match ``filters``, newest first, and how many match."""
        conditions = (filters or RecordFilter()).conditions()
        query = (
            select(DecisionRecordRow)
            .where(*conditions)
            .order_by(DecisionRecordRow.completed_at.desc(), DecisionRecordRow.id.desc())
            .limit(max(limit, 0))
            .offset(max(offset, 0))
        )
        total = select(func.count()).select_from(DecisionRecordRow).where(*conditions)
        with self._sessions.begin() as session:
            return (
                [DecisionRecord.from_row(row) for row in session.scalars(query)],
                session.scalar(total),
            )

    def erase(
        self, reference: str, by: str, why: str, now: datetime | None = None
    ) -> DecisionRecord | None:
        """Remove record ``reference``'s content, keeping a tombstone: the reference, the
        outcome, its dates, protocol, channel and flags, and that it was erased, when, by whom
        and why. The free text, the answers, notes, advice and who made it go; the conversation
        and check ids are replaced (they lead to the conversation). None for an unknown
        reference; an erased record is returned as it is."""
        why_text = clean_text(why)
        if why_text is None:
            raise ValueError("an erasure needs a reason")
        canonical = normalise_reference(reference)
        if canonical is None:
            return None
        with self._sessions.begin() as session:
            row = session.scalars(
                select(DecisionRecordRow).where(DecisionRecordRow.reference == canonical)
            ).first()
            if row is None:
                return None
            if row.erased_at is None:
                for f in FIELDS:
                    if f.kind in _ERASED_EMPTY:
                        setattr(row, f.name, _ERASED_EMPTY[f.kind]())
                row.conversation_id = f"erased:{row.reference}"
                row.check_id = "erased"
                row.made_by = None
                row.erased_at = as_utc(now or datetime.now(timezone.utc))
                row.erased_by = clean_text(by, 96)
                row.erased_why = why_text
                session.flush()
            return DecisionRecord.from_row(row)

    def _one(self, query: Any) -> DecisionRecord | None:
        with self._sessions.begin() as session:
            row = session.scalars(query).first()
            return None if row is None else DecisionRecord.from_row(row)


def _row_from_draft(draft: Any) -> Any:
    outcome = _plain(draft.outcome)
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}: expected one of {', '.join(OUTCOMES)}")
    completed_at = as_utc(draft.completed_at or datetime.now(timezone.utc))
    created_at = as_utc(draft.created_at) if draft.created_at else completed_at
    values: dict[str, Any] = {}
    for f in FIELDS:
        if not f.stored:
            continue
        values[f.name] = _stored(f, getattr(draft, f.name))
    values.update(outcome=outcome, created_at=created_at, completed_at=completed_at)
    return DecisionRecordRow(**values)


def _stored(f: RecordField, value: Any) -> Any:
    """A draft's value made safe to store, by the kind of field it is."""
    kind = f.kind
    if kind is FieldKind.IDENTIFIER:
        return (
            _identifier(value, f.name)
            if f.required or not f.nullable
            else _optional_identifier(value, f.name)
        )
    if kind is FieldKind.TEXT:
        return clean_text(value)
    if kind is FieldKind.KEY:
        return clean_text(value, f.max_length or MAX_KEY_LENGTH)
    if kind is FieldKind.FLAG:
        return bool(value)
    if kind is FieldKind.KEYS:
        return [_key(step) for step in _sequence(value, f.name)]
    if kind is FieldKind.RULES:
        return sorted({int(rule) for rule in _sequence(value, f.name)})
    if kind is FieldKind.ANSWERS:
        return {_key(k): _json_value(v) for k, v in _mapping(value, f.name).items()}
    if kind is FieldKind.CHECKS:
        if value is None:
            return None
        return {_key(k): _json_value(v) for k, v in _mapping(value, f.name).items()}
    if kind is FieldKind.NOTES:
        notes = {_key(k): clean_text(v) for k, v in _mapping(value, f.name).items()}
        notes = {k: v for k, v in notes.items() if v}
        return notes or None
    if kind is FieldKind.ADVICE:
        if value is None:
            return None
        advice = {_key(k): _advice_value(v) for k, v in _mapping(value, f.name).items()}
        return advice or None
    if kind is FieldKind.ANSWERED_BY:
        ways = {_key(k): _plain(v) for k, v in _mapping(value, f.name).items() if v is not None}
        unknown = sorted({str(v) for v in ways.values()} - set(ANSWERED_BY_WORDS))
        if unknown:
            raise ValueError(
                f"{f.name}: unknown {', '.join(unknown)} (expected one of "
                f"{', '.join(ANSWERED_BY_WORDS)})"
            )
        return ways or None
    return value  # OUTCOME and WHEN are set by the caller of this function


def _advice_value(value: Any) -> Any:
    """The helpdesk's advice on a record: text (the advice itself may be long), times as ISO."""
    if isinstance(value, datetime):
        return _iso(value)
    if value is None or isinstance(value, bool):
        return value
    return clean_text(value, MAX_TEXT_LENGTH * 2)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _identifier(value: Any, name: str) -> str:
    text = clean_text(value, max_length=10_000)
    if text is None:
        raise ValueError(f"{name} must not be empty")
    if len(text) > MAX_ID_LENGTH[name]:
        raise ValueError(f"{name} is longer than {MAX_ID_LENGTH[name]} characters")
    return text


def _optional_identifier(value: Any, name: str) -> str | None:
    return None if clean_text(value) is None else _identifier(value, name)


def _key(value: Any) -> str:
    text = clean_text(value, MAX_KEY_LENGTH)
    if text is None:
        raise ValueError("question ids and check names must not be empty")
    return text


def _json_value(value: Any) -> Any:
    """Answers and check values: booleans, numbers and null as they are, anything else as text."""
    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return clean_text(value, MAX_KEY_LENGTH * 4)


def _sequence(value: Any, name: str) -> Sequence[Any]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, set, frozenset)):
        raise ValueError(f"{name} must be a list")
    return builtins.list(value)


def _mapping(value: Any, name: str) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a mapping")
    return value


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="seconds")


def new_check_id() -> str:
    """A fresh check id, for callers that start a check (store it in a slot to stay idempotent)."""
    return uuid.uuid4().hex
