"""The information-sharing form: what to ask (from the engine), how to read the answers.

One validation path for every step: :meth:`ValidateInformationSharingForm.run` reads the latest
message at the step being asked (``bot.protocol.reading.read``) and turns the reading into slot
events and replies. What a step is (its kind, its answers, its words) comes from the protocol, so
no step can lose its read-back, and a question added to the protocol is read like the others.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FORM, PENDING, UNUSABLE, check_slots, heard, utter
from actions.training import training_feedback
from bot import nlp
from bot.protocol import (
    ANSWERED_BY_SLOT,
    NOTES_SLOT,
    AnsweredBy,
    Kind,
    answer_checklist_item,
    load_protocol,
    required_slots,
)
from bot.protocol import messages as say
from bot.protocol.engine import next_checklist_item
from bot.protocol.reading import (
    Evidence,
    Heard,
    Pending,
    Reading,
    Result,
    Unusable,
    asked_for,
    read,
)
from bot.text import MAX_FREE_TEXT, clean_free_text

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
            step = _Step(slot, slots)
            result = step.read(tracker, dispatcher)
            if result is None:
                return []  # a command ("go back", "stop"): the dialogue's rules take it
            updates = result
        before = dict(slots)
        slots.update(updates)
        # practising a trainer scenario: the model answer where the trainee went another way
        updates.update(training_feedback(dispatcher, tracker, before, slots))
        following = next((s for s in required_slots(slots) if slots.get(s) is None), None)
        pending = Pending.from_slot(slots.get(PENDING))
        if following and not (pending and pending.key.split(".")[0] == following):
            # The form has no ask actions: its validation asks the next question itself, in the
            # same call (a read-back waiting for its answer is the question for now).
            utter(dispatcher, say.ask(following, slots))
        return [*(SlotSet(k, v) for k, v in updates.items()), SlotSet(REQUESTED_SLOT, following)]


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
    updates = _Step(slot, check_slots(tracker)).read(tracker, dispatcher, message)
    if updates is None:
        return None
    return [SlotSet(k, v) for k, v in updates.items()]


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


class _Step:
    """One message read at one step of the form, turned into slot updates and replies."""

    def __init__(self, slot: str, slots: dict[str, Any]) -> None:
        self.protocol = load_protocol()
        self.slot = slot
        self.slots = slots
        question = self.protocol.questions.get(slot)
        self.checklist = question if question is not None and question.is_checklist else None
        self.checks = dict(slots.get(self.checklist.checks_slot) or {}) if self.checklist else {}
        self.asked = asked_for(slot, self.checks)

    def read(
        self, tracker: Tracker, dispatcher: CollectingDispatcher, message: Heard | None = None
    ) -> dict[str, Any] | None:
        message = message or heard(tracker)
        reading = read(
            self.asked,
            message,
            Pending.from_slot(self.slots.get(PENDING)),
            Unusable.from_slot(self.slots.get(UNUSABLE)),
        )
        if reading.result is Result.COMMAND:
            return None
        updates: dict[str, Any] = {
            PENDING: reading.pending.as_slot() if reading.pending else None,
            UNUSABLE: reading.unusable.as_slot() if reading.unusable else None,
        }
        if reading.result is Result.ANSWER:
            if reading.side is not None:
                utter(dispatcher, say.side_question(reading.side, self.slot))
            updates.update(self._take(reading, message.text, dispatcher))
        elif reading.result is Result.FOLLOW_UP:
            assert reading.follow_up is not None
            if reading.side is not None:
                utter(dispatcher, say.side_question(reading.side, self.slot))
            waiting = Pending.from_slot(self.slots.get(PENDING))
            if waiting is not None and waiting.follow_up == reading.follow_up.id:
                utter(dispatcher, say.not_understood())  # the follow-up again, not answered
            utter(dispatcher, say.follow_up(reading.follow_up))
            if reading.note:
                updates[NOTES_SLOT] = self._notes(reading.note)
        elif reading.result is Result.READ_BACK and reading.follow_up is not None:
            assert reading.value is not None
            utter(dispatcher, say.read_back_follow_up(reading.follow_up, reading.value))
        elif reading.result is Result.READ_BACK:
            assert reading.value is not None
            utter(dispatcher, say.read_back(self.asked.key, reading.value, self.asked.answers))
            if reading.note:
                updates[NOTES_SLOT] = self._notes(reading.note)
        elif reading.result is Result.RETRY:
            utter(dispatcher, say.retry())
        elif reading.result is Result.SIDE_QUESTION:
            assert reading.side is not None
            utter(dispatcher, say.side_question(reading.side, self.slot))
            if reading.follow_up is not None:  # then the follow-up it interrupted, again
                utter(dispatcher, say.follow_up(reading.follow_up))
        elif reading.result is Result.HELP:
            utter(dispatcher, say.help_with(self.slot, self.slots))
        else:
            kind = self.asked.kind
            utter(
                dispatcher,
                say.not_understood(
                    free_text=kind is Kind.FREE_TEXT, justification=kind is Kind.JUSTIFICATION
                ),
            )
        return updates

    # --- taking an answer -----------------------------------------------------------------

    def _take(self, reading: Reading, text: str, dispatcher: CollectingDispatcher) -> dict:
        kind = self.asked.kind
        if kind in (Kind.FREE_TEXT, Kind.JUSTIFICATION):
            return self._free_text(text, dispatcher)
        assert reading.value is not None
        updates: dict[str, Any] = {ANSWERED_BY_SLOT: self._answered_by(reading)}
        kept = (self.slots.get(NOTES_SLOT) or {}).get(self.asked.key)
        if reading.evidence is Evidence.FOLLOW_UP:
            # the reason first given, then the follow-up and its answer: the question's note
            updates[NOTES_SLOT] = self._notes(" — ".join(p for p in (kept, reading.note) if p))
        elif kind is Kind.CONFIRM:
            pass  # "yes, save it": the words of the answer are not a reason to keep
        elif reading.note:
            updates[NOTES_SLOT] = self._notes(reading.note)
        elif reading.evidence is Evidence.CONFIRMED and kept:
            pass  # a read-back confirmed: the reason given with the answer stays
        elif kept is not None:
            updates[NOTES_SLOT] = self._notes(None)
        if kind is Kind.CHECKLIST:
            updates.update(self._checklist(reading.value, dispatcher))
        elif kind is Kind.CONFIRM and reading.value == "no":
            utter(dispatcher, say.change_prompt(self.slots))
            updates[self.slot] = None
        else:
            updates[self.slot] = reading.value
        return updates

    def _answered_by(self, reading: Reading) -> dict[str, str]:
        """How this answer was reached, kept by step key for the record (``answered_by``)."""
        ways = dict(self.slots.get(ANSWERED_BY_SLOT) or {})
        ways[self.asked.key] = _ANSWERED_BY.get(reading.evidence, AnsweredBy.WORD).value
        return ways

    def _notes(self, note: str | None) -> dict[str, str] | None:
        notes = dict(self.slots.get(NOTES_SLOT) or {})
        if note:
            notes[self.asked.key] = nlp.redact(clean_free_text(note).text)
        else:
            notes.pop(self.asked.key, None)
        return notes or None

    def _free_text(self, text: str, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        cleaned = clean_free_text(text)
        redacted = nlp.redact(cleaned.text)
        for note in say.free_text_notes(redacted != cleaned.text, cleaned.truncated, MAX_FREE_TEXT):
            utter(dispatcher, note)
        return {self.slot: redacted}

    def _checklist(self, value: str, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        """Question 6 is asked one point at a time under the same slot."""
        assert self.checklist is not None
        item = next_checklist_item(self.checks)
        if item is None:
            return {self.slot: "yes"}
        if value == "not_sure":
            return {self.slot: value}
        step = answer_checklist_item(self.checks, item, value)
        if step.remedy is not None:
            utter(dispatcher, say.remedy(step.remedy.id))
        return {
            self.slot: "yes" if step.complete else None,
            self.checklist.checks_slot: step.checks,
        }


_ANSWERED_BY = {
    Evidence.BUTTON: AnsweredBy.BUTTON,
    Evidence.WORDS: AnsweredBy.WORD,
    Evidence.CONFIRMED: AnsweredBy.READ_BACK,
    Evidence.FOLLOW_UP: AnsweredBy.FOLLOW_UP,
    Evidence.HELPDESK: AnsweredBy.HELPDESK,
}


__all__ = ["ValidateInformationSharingForm"]
