"""A finished check's slots → the decision record's draft (pure: no database, no Rasa)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.protocol import Kind, answers_on_path, load_protocol, notes_on_path, record_path, walk
from bot.protocol.model import Protocol
from bot.records.fields import BY_NAME
from bot.records.repository import RecordDraft

CHECK_ID_SLOT = "check_id"
STARTED_SLOT = "check_started_at"
SAFEGUARDING_SLOT = "safeguarding_concern"


def draft_from_check(
    slots: Mapping[str, Any],
    *,
    conversation_id: str,
    channel: str | None,
    protocol: Protocol | None = None,
) -> Any:
    """The record of a check that reached an outcome.

    Free-text slots are stored under the record field of the same name (what, with whom, why,
    the justification, the reasons), redacted again here as a second line of defence; the path,
    answers, notes and golden rules come from the engine's walk of the answers.
    """
    from bot import nlp

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
        **text,
    )
