"""What runs after every user message, before the dialogue decides what to do.

Rasa calls ``action_validate_slot_mappings`` (rasa-sdk's global slot validation) for every
message: it says what has come in since (a record saved once the database was back, the
helpdesk's answers), flags signs that someone may be at risk of harm, notes whether a message
outside a check asks whether something can be shared, and cleans the slots entities fill.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker, ValidationAction
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text, record_repository, utter
from actions.helpdesk import deliver_answers
from bot import nlp
from bot.protocol import load_protocol
from bot.protocol import messages as say
from bot.protocol.opening import Opening, classify_opening
from bot.records.outbox import Outbox


def saved_from_outbox(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """A record kept while the database was unreachable: saved now if it can be, and its
    reference said once it is."""
    outbox = Outbox()
    if outbox.waiting(tracker.sender_id):
        outbox.flush(record_repository(), tracker.sender_id)
    updates: dict[str, Any] = {}
    for reference in outbox.saved_since(tracker.sender_id):
        utter(dispatcher, say.record_saved_later(reference))
        updates["record_reference"] = reference
    return updates


class ValidateSlotMappings(ValidationAction):
    """Runs after every user message, before the dialogue decides what to do.

    Says the helpdesk's answers to this conversation's requests when they have come.
    Flags signs that someone may be at risk of harm (the alert is said once per check; the flag
    goes on the record and the check carries on), and notes whether a message outside a check
    asks whether something can be shared (``asks_to_share``, from
    :func:`bot.protocol.opening.classify_opening`: the rules then start a check).
    """

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Everything this action does, without the domain (Rasa sends it none: selective
        domain in endpoints.yml): the two checks, then the entity-filled slots it cleans."""
        updates: dict[str, Any] = {}
        updates.update(saved_from_outbox(dispatcher, tracker))  # a record kept while DB was down
        updates.update(deliver_answers(dispatcher, tracker))  # the helpdesk's answers, if any
        updates.update(await self.extract_safeguarding_concern(dispatcher, tracker, domain))
        updates.update(await self.extract_asks_to_share(dispatcher, tracker, domain))
        candidates = tracker.slots_to_validate()
        for slot, check in (
            ("question", self.validate_question),
            ("inform_choice", self.validate_inform_choice),
        ):
            if slot in candidates:
                updates.update(check(candidates[slot], dispatcher, tracker, domain))
        return [SlotSet(name, value) for name, value in updates.items()]

    async def extract_safeguarding_concern(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = latest_text(tracker)
        if tracker.get_slot("safeguarding_concern") or text.startswith("/"):
            return {}
        if not nlp.safeguarding_signs(text):
            return {}
        utter(dispatcher, say.safeguarding())
        return {"safeguarding_concern": True}

    async def extract_asks_to_share(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = latest_text(tracker)
        asks = (
            not tracker.active_loop_name
            and not text.startswith("/")
            and classify_opening(text) is Opening.CHECK
        )
        if bool(tracker.get_slot("asks_to_share")) == asks:
            return {}
        return {"asks_to_share": asks or None}

    def validate_question(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        """Only a question id (from a "change" button) is kept; anything else is dropped."""
        protocol = load_protocol()
        known = {*(c.id for c in protocol.context), *protocol.question_ids}
        return {"question": value if value in known else None}

    def validate_inform_choice(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        choices = {
            key for item in load_protocol().checklist_question.checklist for key in item.choices
        }
        return {"inform_choice": value if value in choices else None}
