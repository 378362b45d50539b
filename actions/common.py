"""Plumbing shared by the actions: tracker → plain values, Reply → messages, lazy factories."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.protocol import load_protocol
from bot.protocol.engine import dependent_slots
from bot.protocol.messages import Reply

logger = logging.getLogger(__name__)

FORM = "information_sharing_form"
TEAMS = "botframework"  # the input channel name of Microsoft Teams (Bot Framework)
CONTEXT_SLOTS = tuple(c.id for c in load_protocol().context)
# Everything a check fills; cleared when a new check begins.
CHECK_SLOTS = (
    *CONTEXT_SLOTS,
    *dependent_slots(),
    "pending_answer",
    "check_id",
    "check_started_at",
    "record_reference",
    "safeguarding_concern",
    "question",
    "inform_choice",
)


def check_slots(tracker: Tracker) -> dict[str, Any]:
    """The check's slot values as a plain dict (what the engine works on)."""
    return {name: tracker.get_slot(name) for name in CHECK_SLOTS}


def utter(dispatcher: CollectingDispatcher, reply: Reply, tracker: Tracker | None = None) -> None:
    """Say ``reply``; in Microsoft Teams a reply with a card is sent as an Adaptive Card."""
    if reply.card and tracker is not None and tracker.get_latest_input_channel() == TEAMS:
        from bot.channels.teams_cards import card_activity

        dispatcher.utter_message(json_message=card_activity(reply))
    elif reply.buttons:
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
    else:
        dispatcher.utter_message(text=reply.text)


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


def record_repository() -> Any:
    """The records repository, created on first use (never at import time)."""
    from bot.records import default_repository

    return default_repository()


FREE_TEXT_SLOTS = (
    *CONTEXT_SLOTS,
    *(q.justification.slot for q in load_protocol().questions.values() if q.justification),
    "reasons",
)


def statement_as_answer(tracker: Tracker, dispatcher: CollectingDispatcher) -> list | None:
    """At a free-text question, a long statement the NLU read as a command is the answer.

    Returns the events that fill the question, or None when the message is a real command.
    """
    from rasa_sdk.events import SlotSet

    from bot.text import free_text_answer, looks_like_a_statement

    slot = tracker.get_slot("requested_slot") if tracker.active_loop_name else None
    text = latest_text(tracker)
    if slot not in FREE_TEXT_SLOTS or not looks_like_a_statement(text):
        return None
    answer = free_text_answer(text, explanation=slot in ("reasons", "public_interest_reason"))
    for note in answer.notes:
        dispatcher.utter_message(text=note)
    return [SlotSet(slot, answer.value)]
