"""The information-sharing form: what to ask (from the engine), how to read the answers."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    FORM,
    check_slots,
    latest_entity,
    latest_intent,
    latest_text,
    utter,
)
from bot.protocol import (
    CHECKLIST_QUESTION,
    CHECKS_SLOT,
    answer_checklist_item,
    load_protocol,
    next_checklist_item,
    required_slots,
)
from bot.protocol.messages import ANSWER_WORDS, Reply, ask, change_buttons
from bot.protocol.reading import read_answer
from bot.text import free_text_answer

PENDING = "pending_answer"
FREE_TEXT_SLOTS = ("information", "recipient", "purpose_text", "public_interest_reason", "reasons")
_ALREADY = re.compile(r"\balready\b", re.I)
_UNSAFE = re.compile(r"\b(not safe|unsafe|isn'?t safe|wouldn'?t be safe|danger|risk)\b", re.I)


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

    # --- free text: information, recipient, purpose_text, public_interest_reason, reasons --

    def _free_text(self, slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict:
        answer = free_text_answer(value if isinstance(value, str) else None)
        for note in answer.notes:
            dispatcher.utter_message(text=note)
        return {slot: answer.value}

    def validate_information(self, value: Any, dispatcher, tracker, domain) -> dict:
        return self._free_text("information", value, dispatcher)

    def validate_recipient(self, value: Any, dispatcher, tracker, domain) -> dict:
        return self._free_text("recipient", value, dispatcher)

    def validate_purpose_text(self, value: Any, dispatcher, tracker, domain) -> dict:
        return self._free_text("purpose_text", value, dispatcher)

    def validate_public_interest_reason(self, value: Any, dispatcher, tracker, domain) -> dict:
        return self._explanation("public_interest_reason", value, dispatcher)

    def validate_reasons(self, value: Any, dispatcher, tracker, domain) -> dict:
        return self._explanation("reasons", value, dispatcher)

    def _explanation(self, slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict:
        answer = free_text_answer(value if isinstance(value, str) else None, explanation=True)
        for note in answer.notes:
            dispatcher.utter_message(text=note)
        return {slot: answer.value}

    # --- the seven questions -------------------------------------------------------------

    def _answer(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        exact: bool = False,
    ) -> dict[str, Any]:
        """Accept an answer, or read it back when the NLU was not confident.

        ``exact``: the value was read from the words themselves ("they already know"), not
        guessed by the intent model, so there is nothing to read back.
        """
        if value is None:
            return {slot: None}
        intent, confidence = latest_intent(tracker)
        if exact:
            confidence = 1.0
        reading = read_answer(
            slot,
            str(value),
            tracker.get_slot(PENDING),
            latest_text(tracker),
            confidence,
            intent=intent,
        )
        if reading.say == "read_back":
            word = ANSWER_WORDS.get(str(value), str(value))
            dispatcher.utter_message(
                text=f"I read that as “{word}” — is that right?",
                buttons=[
                    {"title": f"Yes, “{word}”", "payload": "/affirm"},
                    {"title": "No, ask me again", "payload": "/deny"},
                ],
            )
        elif reading.say == "confirm_again":
            dispatcher.utter_message(
                text="Sorry, I'm still not sure. Please press a button, or type yes or no.",
                buttons=[
                    {"title": "Yes", "payload": "/affirm"},
                    {"title": "No, ask me again", "payload": "/deny"},
                ],
            )
        elif reading.say == "not_understood":
            dispatcher.utter_message(text="Sorry, I didn't catch that.")
        elif reading.say == "try_again":
            dispatcher.utter_message(text="OK, let's try that question again.")
        result: dict[str, Any] = {slot: reading.value}
        if reading.pending or (tracker.get_slot(PENDING) or {}).get("question") == slot:
            result[PENDING] = reading.pending
        return result

    def validate_purpose(self, value: Any, dispatcher, tracker, domain) -> dict:
        return self._answer("purpose", value, dispatcher, tracker)

    def validate_identifiable(self, value: Any, dispatcher, tracker, domain) -> dict:
        return self._answer("identifiable", value, dispatcher, tracker)

    def validate_confidential(self, value: Any, dispatcher, tracker, domain) -> dict:
        return self._answer("confidential", value, dispatcher, tracker)

    def validate_consent(self, value: Any, dispatcher, tracker, domain) -> dict:
        return self._answer("consent", value, dispatcher, tracker)

    def validate_consent_unsafe(self, value: Any, dispatcher, tracker, domain) -> dict:
        return self._answer("consent_unsafe", value, dispatcher, tracker)

    def validate_public_interest(self, value: Any, dispatcher, tracker, domain) -> dict:
        return self._answer("public_interest", value, dispatcher, tracker)

    def validate_record(self, value: Any, dispatcher, tracker, domain) -> dict:
        result = self._answer("record", value, dispatcher, tracker)
        if result["record"] == "no":
            buttons = change_buttons(check_slots(tracker))
            dispatcher.utter_message(
                text="No problem. Which answer would you like to change?", buttons=buttons
            )
            result["record"] = None
        return result

    def validate_appropriate(self, value: Any, dispatcher, tracker, domain) -> dict:
        """Question 6 is a checklist, asked one point at a time under the same slot."""
        if value is None:
            return {CHECKLIST_QUESTION: None}
        checks = tracker.get_slot(CHECKS_SLOT) or {}
        item = next_checklist_item(checks)
        if item is None:
            return {CHECKLIST_QUESTION: "yes"}
        candidate = str(value)
        exact = False
        if item.choices:
            # "They already know" / "it isn't safe to tell her" name a choice whatever the
            # intent; a plain "yes" is "I will tell them".
            choice = latest_entity(tracker, "inform_choice") or _inform_choice(latest_text(tracker))
            if choice in item.choices and choice != "yes":
                candidate, exact = choice, True
        if candidate not in {"yes", "no", "not_sure", *item.choices}:
            dispatcher.utter_message(text="Sorry, I didn't catch that.")
            return {CHECKLIST_QUESTION: None}
        reading = self._answer(CHECKLIST_QUESTION, candidate, dispatcher, tracker, exact)
        answer = reading[CHECKLIST_QUESTION]
        if answer is None or answer == "not_sure":
            return reading
        step = answer_checklist_item(checks, item, answer)
        if step.remedy:
            dispatcher.utter_message(text=f"Before you share: {step.remedy}")
        return {
            CHECKLIST_QUESTION: "yes" if step.complete else None,
            CHECKS_SLOT: step.checks,
            **({PENDING: reading[PENDING]} if PENDING in reading else {}),
        }


def _inform_choice(text: str) -> str | None:
    """A typed answer to "will you tell the person?" that is not a plain yes."""
    if _ALREADY.search(text):
        return "already_aware"
    if _UNSAFE.search(text):
        return "no_unsafe"
    return None


class AskQuestion(Action):
    """``action_ask_<slot>``: the engine's question for a slot, with its buttons."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        pending = tracker.get_slot(PENDING)
        if pending and pending.get("question") == self.slot:
            return []  # the read-back message is the question for now
        slots = check_slots(tracker)
        utter(dispatcher, ask(self.slot, slots), tracker)
        return []


def _ask_action(slot: str) -> type[AskQuestion]:
    return type(f"AskQuestion_{slot}", (AskQuestion,), {"slot": slot})


ASK_ACTIONS = [
    _ask_action(slot)
    for slot in [
        *(c.id for c in load_protocol().context),
        *load_protocol().question_ids,
        "public_interest_reason",
        "reasons",
        "record",
    ]
]

__all__ = ["ASK_ACTIONS", "AskQuestion", "Reply", "SlotSet", "ValidateInformationSharingForm"]
