"""Plumbing shared by the actions: tracker → plain values, Reply → messages, lazy factories."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import nlp
from bot.protocol import load_protocol
from bot.protocol.engine import dependent_slots
from bot.protocol.messages import Reply
from bot.protocol.reading import Heard
from bot.protocol.step import PENDING_SLOT, UNUSABLE_SLOT
from bot.records import default_repository
from bot.text import clean_free_text

logger = logging.getLogger(__name__)

FORM = "information_sharing_form"
PENDING = PENDING_SLOT  # an answer read back, waiting for confirmation
UNUSABLE = UNUSABLE_SLOT  # the last message the current step could not use
CONTEXT_SLOTS = tuple(c.id for c in load_protocol().context)
# Everything a check fills; cleared when a new check begins.
CHECK_SLOTS = (
    *CONTEXT_SLOTS,
    *dependent_slots(),
    PENDING,
    UNUSABLE,
    "check_id",
    "check_started_at",
    "record_reference",
    "safeguarding_concern",
    "continues",
    # practising a trainer scenario (actions/training.py): a new check ends the practice
    "training_scenario",
    "training_notes",
    "question",
    "inform_choice",
)


def check_slots(tracker: Tracker) -> dict[str, Any]:
    """The check's slot values as a plain dict (what the engine works on)."""
    return {name: tracker.get_slot(name) for name in CHECK_SLOTS}


def utter(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    """Say ``reply`` as it is: text, buttons and any card (as data, for the channel to draw)."""
    if reply.response:
        dispatcher.utter_message(response=reply.response)
        return
    extra: dict[str, Any] = {}
    if reply.card is not None:
        extra["card"] = reply.card.as_data()
    if reply.buttons:
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons, **extra)
    else:
        dispatcher.utter_message(text=reply.text, **extra)


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def latest_intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    values = [
        e.get("value")
        for e in tracker.latest_message.get("entities") or []
        if e.get("entity") == entity and e.get("value")
    ]
    return str(values[-1]) if values else None


def latest_faq(tracker: Tracker) -> tuple[str | None, float]:
    """The FAQ the response selector matched ("faq/what_is_consent") and its confidence."""
    selector = (tracker.latest_message.get("response_selector") or {}).get("faq") or {}
    response = selector.get("response") or {}
    key = response.get("intent_response_key")
    return (str(key) if key else None), float(response.get("confidence") or 0.0)


def heard(tracker: Tracker) -> Heard:
    """The latest message as the reader takes it (bot/protocol/reading.py)."""
    intent, confidence = latest_intent(tracker)
    faq, faq_confidence = latest_faq(tracker)
    return Heard(
        text=latest_text(tracker),
        intent=intent,
        confidence=confidence,
        faq=faq,
        faq_confidence=faq_confidence,
        choice=latest_entity(tracker, "inform_choice"),
    )


def record_repository() -> Any:
    """The records repository, created on first use (never at import time)."""
    return default_repository()


def new_check(text: str) -> tuple[dict[str, Any], list[str]]:
    """The slots of a fresh check, with what the opening ``text`` already says; and what was
    noted from it, to say so."""
    opening = "" if text.startswith("/") else clean_free_text(text).text
    context = nlp.extract_context(opening) if opening else None
    values: dict[str, Any] = {name: None for name in CHECK_SLOTS}
    if context is not None:
        found = {
            "information": context.information,
            "recipient": context.recipient,
            "purpose_text": context.purpose,
        }
        values.update({k: nlp.redact(v) for k, v in found.items() if v})
    values["check_id"] = uuid.uuid4().hex
    values["check_started_at"] = datetime.now(timezone.utc).isoformat()
    values["safeguarding_concern"] = bool(opening and nlp.safeguarding_signs(opening))
    values["helpdesk_offered"] = False
    noted = [values[c.id] for c in load_protocol().context[:2] if values.get(c.id)]
    return values, noted
