"""The information-sharing form: Rasa's side of it.

What to ask comes from the engine (``required_slots``); what a message at a step comes to — the
replies and the slot changes — from the pure answering step, :func:`bot.protocol.step.answer`,
and what to ask after it from :func:`bot.protocol.step.what_next`. The form only takes the plain
values from the tracker, says the replies and sets the slots.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FORM, check_slots, heard, utter
from actions.training import training_feedback
from bot import nlp
from bot.protocol import required_slots
from bot.protocol.step import answer, what_next

REQUESTED_SLOT = "requested_slot"


class ValidateInformationSharingForm(FormValidationAction):
    def name(self) -> str:
        return f"validate_{FORM}"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return required_slots(check_slots(tracker))

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slots = check_slots(tracker)
        slot = tracker.get_slot(REQUESTED_SLOT)
        updates: dict[str, Any] = {}
        if slot and _answers_the_form(tracker):
            answered = answer(slot, slots, heard(tracker), nlp.redact)
            if answered is None:
                return []  # a command ("go back", "stop"): the dialogue's rules take it
            for reply in answered.replies:
                utter(dispatcher, reply)
            updates = dict(answered.updates)
        before = dict(slots)
        slots.update(updates)
        # practising a trainer scenario: the model answer where the trainee went another way
        updates.update(training_feedback(dispatcher, tracker, before, slots))
        following = what_next(slots)
        if following.ask is not None:
            utter(dispatcher, following.ask)
        return [
            *(SlotSet(k, v) for k, v in updates.items()),
            SlotSet(REQUESTED_SLOT, following.slot),
        ]


def read_unplaced(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """A message the dialogue's policies could not place while the form asks a question: read
    at that question as the form reads any answer (so it is taken, read back, followed up — or,
    the second time, answered with help instead of the same reply). None: not at a question,
    or a command."""
    slot = tracker.get_slot(REQUESTED_SLOT)
    if tracker.active_loop_name != FORM or not slot:
        return None
    # the dialogue already set aside the intent model's guess (a goodbye or command that was
    # not said in words): the words alone are read
    message = replace(heard(tracker), intent=None, confidence=0.0)
    answered = answer(slot, check_slots(tracker), message, nlp.redact)
    if answered is None:
        return None
    for reply in answered.replies:
        utter(dispatcher, reply)
    return [SlotSet(k, v) for k, v in answered.updates.items()]


def _answers_the_form(tracker: Tracker) -> bool:
    """The form runs because the user just said something while it was asking.

    Rasa calls the validation with a tracker that ends with the form's own execution; the action
    before it is ``action_listen`` only when a new message came in while the form was active (not
    when the form starts, or resumes after "go back", "why?" or a restart).
    """
    if tracker.active_loop_name != FORM:
        return False
    actions = [e.get("name") for e in tracker.events if e.get("event") == "action"]
    if actions and actions[-1] == FORM:
        actions.pop()
    if len(actions) >= 2 and actions[-1] == "action_restart":
        # Rasa runs action_restart first for anything its model reads as "start again"; when
        # the message did not say so, that action hands it back to the form to read.
        actions.pop()
    return bool(actions) and actions[-1] == "action_listen"


__all__ = ["ValidateInformationSharingForm", "read_unplaced"]
