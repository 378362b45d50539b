"""Actions around the form: begin, explain, go back, change an answer, finish and save."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker, ValidationAction
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    CHECK_SLOTS,
    TEAMS,
    check_slots,
    latest_entity,
    latest_text,
    logger,
    record_repository,
    statement_as_answer,
    utter,
)
from bot import nlp
from bot.advice import load_contacts
from bot.protocol import (
    CHECKLIST_QUESTION,
    CHECKS_SLOT,
    InformPerson,
    Outcome,
    answers_on_path,
    load_protocol,
    previous_slot,
    record_path,
    required_slots,
    reset_from,
    walk,
)
from bot.protocol.engine import previous_checklist_item
from bot.protocol.messages import Reply, change_buttons, explain, saved, seek_advice
from bot.protocol.reading import asks_to_restart, asks_to_stop
from bot.records.links import summary_url
from bot.text import clean_free_text


def _updates(values: dict[str, Any]) -> list[EventType]:
    return [SlotSet(name, value) for name, value in values.items()]


def _requested(tracker: Tracker) -> str | None:
    return tracker.get_slot("requested_slot") if tracker.active_loop_name else None


class ActionBeginCheck(Action):
    """Start a fresh check, keeping what the opening message already says."""

    def name(self) -> str:
        return "action_begin_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        opening = "" if text.startswith("/") else clean_free_text(text).text
        context = nlp.extract_context(opening) if opening else None
        # The project's context extraction (same entity ruler as Rasa's SpacyEntityExtractor,
        # plus word-order cues such as "tell X about Y") first, then Rasa's raw entities.
        found = {
            "information": (context and context.information)
            or latest_entity(tracker, "information"),
            "recipient": (context and context.recipient) or latest_entity(tracker, "recipient"),
            "purpose_text": context.purpose if context else None,
        }
        values: dict[str, Any] = {name: None for name in CHECK_SLOTS}
        values.update({k: nlp.redact(v) for k, v in found.items() if v})
        values["check_id"] = uuid.uuid4().hex
        values["check_started_at"] = datetime.now(timezone.utc).isoformat()
        values["safeguarding_concern"] = bool(opening and nlp.safeguarding_signs(opening))
        known = [values[k] for k in ("information", "recipient") if values[k]]
        intro = "Let's work through the information-sharing questions together."
        if known:
            intro += " I've noted: " + "; ".join(known) + "."
        dispatcher.utter_message(text=intro + " " + _hint())
        return _updates(values)


def _hint() -> str:
    return 'Say "why?" at any question for the guidance behind it, "go back" or "start again".'


class ActionExplainQuestion(Action):
    def name(self) -> str:
        return "action_explain_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answer = statement_as_answer(tracker, dispatcher)
        if answer is not None:
            return answer
        slot = _requested(tracker)
        if slot is None:
            protocol = load_protocol()
            rules = "\n".join(f"{n}. {rule}" for n, rule in protocol.golden_rules.items())
            utter(
                dispatcher,
                Reply(
                    "I follow the HM Government information-sharing guidance: seven key "
                    "questions and the Seven Golden Rules:\n" + rules,
                    [{"title": "Start a check", "payload": "/start_check"}],
                ),
            )
            return []
        if slot == "public_interest_reason":
            slot = "public_interest"
        utter(dispatcher, explain(slot))
        return []


class ActionGoBack(Action):
    """Back to the previous question, clearing the answers that depended on it."""

    def name(self) -> str:
        return "action_go_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answer = statement_as_answer(tracker, dispatcher)
        if answer is not None:
            return answer
        slots = check_slots(tracker)
        if _requested(tracker) == CHECKLIST_QUESTION:
            item = previous_checklist_item(slots.get(CHECKS_SLOT))
            if item:
                checks = {k: v for k, v in slots[CHECKS_SLOT].items() if k != item}
                dispatcher.utter_message(text="OK, back to the previous point.")
                return _updates({CHECKS_SLOT: checks, "pending_answer": None})
        target = previous_slot(slots)
        if target is None:
            dispatcher.utter_message(
                text="This is the first question, so there is nothing to go back to."
            )
            return [SlotSet("pending_answer", None)]
        dispatcher.utter_message(text="OK, going back.")
        return _updates({**reset_from(target, slots), "pending_answer": None})


class ActionChangeAnswer(Action):
    """Change one earlier answer (from the summary's buttons or a typed request)."""

    def name(self) -> str:
        return "action_change_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answer = statement_as_answer(tracker, dispatcher)
        if answer is not None:
            return answer
        slots = check_slots(tracker)
        target = latest_entity(tracker, "question")
        asked = required_slots(slots)
        if target not in asked or slots.get(target) is None:
            buttons = change_buttons(slots)
            if not buttons:
                dispatcher.utter_message(text="There are no answers to change yet.")
            else:
                dispatcher.utter_message(
                    text="Which answer would you like to change?", buttons=buttons
                )
            return [SlotSet("question", None)]
        dispatcher.utter_message(text="OK, let's change that answer.")
        return _updates({**reset_from(target, slots), "pending_answer": None, "question": None})


class ActionFinishCheck(Action):
    """The form is done: give the outcome (advice where unsure) and save the record once."""

    def name(self) -> str:
        return "action_finish_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slots = check_slots(tracker)
        result = walk(slots)
        if result.outcome is None:  # the form was left before a decision
            return []
        if result.outcome is Outcome.SEEK_ADVICE:
            utter(dispatcher, seek_advice(result, load_contacts()))
        elif slots.get("record") != "yes":
            return []
        try:
            record = record_repository().save(_draft(tracker, slots))
        except Exception:  # noqa: BLE001 - the practitioner must hear that saving failed
            logger.exception("saving the decision record failed")
            dispatcher.utter_message(
                text="Sorry — I could not save the record just now. Your answers are kept: "
                'say "save" or "yes" to try again in a moment.'
            )
            return [SlotSet("record", None)] if result.outcome is not Outcome.SEEK_ADVICE else []
        link = _summary_link(tracker, record.reference)
        if result.outcome is Outcome.SEEK_ADVICE:
            dispatcher.utter_message(
                text=f"I have saved this as {record.reference} (outcome: seek advice). Once you "
                'have been advised, say "start again" to run the check again.'
            )
        else:
            reply = saved(record.reference, result.outcome)
            if link and reply.card and tracker.get_latest_input_channel() == TEAMS:
                # Teams: a button on the record's card instead of a message with the link.
                reply = replace(reply, card=replace(reply.card, link=("Printable summary", link)))
                link = None
            utter(dispatcher, reply, tracker)
        if link:
            dispatcher.utter_message(
                text=f"A printable summary of {record.reference} is here: "
                f"[{record.reference} summary]({link})"
            )
        return [SlotSet("record_reference", record.reference)]


def _summary_link(tracker: Tracker, reference: str) -> str | None:
    """The printable summary's address for the conversation that saved the record, if links are
    on (bot/records/links.py). Teams users are elsewhere on the network: only an https public
    address (``INFOSHARE_PUBLIC_URL``) is of use to them."""
    url = summary_url(reference, tracker.sender_id)
    if url and tracker.get_latest_input_channel() == TEAMS and not url.startswith("https://"):
        return None
    return url


def _draft(tracker: Tracker, slots: dict[str, Any]) -> Any:
    from bot.records import RecordDraft

    protocol = load_protocol()
    result = walk(slots, protocol)
    assert result.outcome is not None
    checks = slots.get(CHECKS_SLOT) or None
    started = slots.get("check_started_at")
    return RecordDraft(
        conversation_id=tracker.sender_id,
        check_id=slots.get("check_id") or tracker.sender_id,
        channel=(tracker.get_latest_input_channel() or "unknown"),
        created_at=datetime.fromisoformat(started) if started else None,
        protocol=protocol.id,
        outcome=result.outcome.value,
        path=record_path(slots, protocol),
        answers=answers_on_path(slots, protocol),
        information=slots.get("information"),
        recipient=slots.get("recipient"),
        purpose_text=slots.get("purpose_text"),
        public_interest_reason=slots.get("public_interest_reason"),
        checks=checks,
        advice_needed_at=result.advice_needed_at,
        safeguarding_concern=bool(slots.get("safeguarding_concern")),
        reasons=nlp.redact(slots["reasons"]) if slots.get("reasons") else None,
        golden_rules=list(protocol.outcomes[result.outcome].golden_rules),
    )


class ValidateSlotMappings(ValidationAction):
    """Runs after every user message: flags signs that someone may be at risk of harm.

    The alert is said once per check; the flag goes on the record and the check carries on.
    """

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_safeguarding_concern(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = latest_text(tracker)
        if tracker.get_slot("safeguarding_concern") or text.startswith("/"):
            return {}
        if not nlp.safeguarding_signs(text):
            return {}
        dispatcher.utter_message(text="⚠️ " + load_protocol().safeguarding)
        return {"safeguarding_concern": True}

    def validate_question(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        """Only a question id (from a "change" button) is kept; anything else is dropped."""
        known = {*(c.id for c in load_protocol().context), *load_protocol().question_ids}
        return {"question": value if value in known else None}

    def validate_inform_choice(self, value: Any, dispatcher, tracker, domain) -> dict[str, Any]:
        return {"inform_choice": value if value in {c.value for c in InformPerson} else None}


class ActionNotUnderstood(Action):
    """Anything the current step cannot use: say so and ask again (nothing is lost)."""

    def name(self) -> str:
        return "action_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [*_not_understood(dispatcher, tracker), SlotSet("pending_answer", None)]


class ActionStopCheck(Action):
    """ "Stop" / "bye" during a check ends it politely; a guessed goodbye ("ok") does not."""

    def name(self) -> str:
        return "action_stop_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not asks_to_stop(latest_text(tracker)):
            return _not_understood(dispatcher, tracker)
        dispatcher.utter_message(response="utter_goodbye")
        return [ActiveLoop(None), SlotSet("requested_slot", None)]


def _not_understood(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Keep the check: say so, and let the form ask its question again."""
    if not tracker.active_loop_name:
        dispatcher.utter_message(response="utter_default")
        return []
    dispatcher.utter_message(text="Sorry, I didn't catch that.")
    return [FollowupAction(tracker.active_loop_name)]


class ActionOutsideCheck(Action):
    """An answer, "go back" or "change" when no check is running."""

    def name(self) -> str:
        return "action_outside_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reference = tracker.get_slot("record_reference")
        if reference:
            text = (
                f"This check is finished and saved as {reference}. To look at another case, "
                'say "start again" or tell me what you would like to share.'
            )
        else:
            text = (
                "There is no check in progress. Tell me what you would like to share and with "
                'whom — for example "Can I tell the school nurse about a pupil\'s asthma?".'
            )
        dispatcher.utter_message(
            text=text, buttons=[{"title": "Start a check", "payload": "/start_check"}]
        )
        return []


class ActionRestart(Action):
    """ "Start again": a fresh conversation, and a word on how to begin.

    Rasa runs this for every message read as `restart`, before anything else; a check is only
    thrown away when the message says so in words (or is the button), never on a guess.
    """

    def name(self) -> str:
        return "action_restart"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not asks_to_restart(latest_text(tracker)):
            return _not_understood(dispatcher, tracker)
        dispatcher.utter_message(
            text="OK — starting again. Tell me what you would like to share and with whom (for "
            'example "Can I tell the police about the bruises I saw?"), or press the button.',
            buttons=[{"title": "Start a check", "payload": "/start_check"}],
        )
        return [Restarted()]
