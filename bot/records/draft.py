"""A finished check's slots → the decision record's draft (pure: no database, no Rasa)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot import nlp
from bot.protocol import (
    ANSWERED_BY_SLOT,
    NOTES_SLOT,
    Kind,
    answered_by_on_path,
    answers_on_path,
    load_protocol,
    notes_on_path,
    record_path,
    resume_at_advice,
    walk,
)
from bot.protocol.model import Protocol
from bot.records.fields import BY_NAME
from bot.records.repository import RecordDraft

CHECK_ID_SLOT = "check_id"
STARTED_SLOT = "check_started_at"
SAFEGUARDING_SLOT = "safeguarding_concern"
CONTINUES_SLOT = "continues"  # the seek_advice record a check continues (actions/helpdesk.py)


def draft_from_check(
    slots: Mapping[str, Any],
    *,
    conversation_id: str,
    channel: str | None,
    protocol: Protocol | None = None,
    advice: Mapping[str, Any] | None = None,
    made_by: str | None = None,
) -> Any:
    """The record of a check that reached an outcome.

    Free-text slots are stored under the record field of the same name (what, with whom, why,
    the justification, the reasons), redacted again here as a second line of defence; the path,
    answers, notes, how each answer was given and golden rules come from the engine's walk of the
    answers. A check continued after the helpdesk's advice names the record it continues and
    carries the ``advice``; one run by helpdesk staff for a caller names them (``made_by``).
    """
    protocol = protocol or load_protocol()
    result = walk(slots, protocol)
    if result.outcome is None:
        raise ValueError("the check has not reached an outcome")
    path = record_path(slots, protocol)
    started = slots.get(STARTED_SLOT)
    text = {
        slot.name: nlp.redact(str(slots[slot.name]))
        for slot in protocol.form_slots()
        if slot.kind in (Kind.FREE_TEXT, Kind.JUSTIFICATION)
        and slot.name in BY_NAME
        and slots.get(slot.name)
    }
    checks_slot = protocol.checklist_question.checks_slot
    return RecordDraft(
        conversation_id=conversation_id,
        check_id=slots.get(CHECK_ID_SLOT) or conversation_id,
        channel=channel,
        created_at=datetime.fromisoformat(started) if started else None,
        protocol=protocol.id,
        outcome=result.outcome.value,
        path=path,
        answers=answers_on_path(slots, protocol),
        checks=(slots.get(checks_slot) or None) if checks_slot else None,
        advice_needed_at=result.advice_needed_at,
        safeguarding_concern=bool(slots.get(SAFEGUARDING_SLOT)),
        golden_rules=protocol.golden_rules_for(path, result.outcome),
        notes=notes_on_path(slots, protocol),
        answered_by=answered_by_on_path(slots, protocol),
        continues=slots.get(CONTINUES_SLOT) or None,
        advice=dict(advice) if advice else None,
        made_by=made_by,
        on_behalf_of_caller=bool(made_by),
        **text,
    )


def slots_from_record(record: Any, protocol: Protocol | None = None) -> dict[str, Any]:
    """A ``seek_advice`` record's answers as the slots of a check continued at the question
    where the practitioner was unsure (the inverse of :func:`draft_from_check`, then
    :func:`bot.protocol.resume_at_advice`). Free text comes back as the record holds it
    (redacted)."""
    protocol = protocol or load_protocol()
    if record.outcome != "seek_advice":
        raise ValueError(f"{record.reference} did not end in seek advice")
    slots: dict[str, Any] = dict(record.answers or {})
    for slot in protocol.form_slots():
        if slot.kind in (Kind.FREE_TEXT, Kind.JUSTIFICATION) and slot.name in BY_NAME:
            slots[slot.name] = getattr(record, slot.name, None)
    checks_slot = protocol.checklist_question.checks_slot
    if checks_slot:
        slots[checks_slot] = dict(record.checks) if record.checks else None
    slots[NOTES_SLOT] = dict(record.notes) if record.notes else None
    slots[ANSWERED_BY_SLOT] = dict(record.answered_by) if record.answered_by else None
    slots[SAFEGUARDING_SLOT] = bool(record.safeguarding_concern)
    return resume_at_advice(slots, protocol)
