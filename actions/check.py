"""Actions around the form: begin, explain, FAQ, go back, change an answer, finish and save."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    FORM,
    PENDING,
    UNUSABLE,
    check_slots,
    latest_entity,
    latest_faq,
    latest_intent,
    latest_text,
    logger,
    new_check,
    record_repository,
    utter,
)
from actions.forms import read_unplaced
from actions.helpdesk import waiting_requests
from actions.training import finish_training
from bot.advice import load_contacts
from bot.helpdesk import messages as helpdesk_say
from bot.helpdesk import stores
from bot.helpdesk.onbehalf import staff_from
from bot.helpdesk.requests import advice_of
from bot.protocol import Outcome, load_protocol, previous_slot, required_slots, reset_from, walk
from bot.protocol import messages as say
from bot.protocol.engine import previous_checklist_item
from bot.protocol.reading import asks_to_restart, asks_to_stop
from bot.records.save import Failed, Kept, save_check

FAQ_BEFORE_CHECK = 0.8  # intent confidence for an FAQ's answer to come before the check


def _updates(values: dict[str, Any]) -> list[EventType]:
    return [SlotSet(name, value) for name, value in values.items()]


def _requested(tracker: Tracker) -> str | None:
    return tracker.get_slot("requested_slot") if tracker.active_loop_name else None


class ActionBeginCheck(Action):
    """Start a fresh check, keeping what the opening message already says.

    An opening that asks a general question ("can I share without consent?") gets the FAQ's
    answer first, as guidance; a case ("can I tell the GP about …") goes straight to the check.
    """

    def name(self) -> str:
        return "action_begin_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        values, noted = new_check(text)
        intent, confidence = latest_intent(tracker)
        faq, faq_confidence = latest_faq(tracker)
        if intent == "faq" and confidence >= FAQ_BEFORE_CHECK and faq and not noted:
            utter(dispatcher, say.faq_answer(faq))
        utter(dispatcher, say.begin(noted))
        return _updates(values)


class ActionExplainQuestion(Action):
    def name(self) -> str:
        return "action_explain_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slot = _requested(tracker)
        utter(dispatcher, say.explain(slot) if slot else say.about())
        return []


class ActionGoBack(Action):
    """Back to the previous question, clearing the answers that depended on it."""

    def name(self) -> str:
        return "action_go_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slots = check_slots(tracker)
        checklist = load_protocol().checklist_question
        cleared = {PENDING: None, UNUSABLE: None}
        if _requested(tracker) == checklist.id:
            item = previous_checklist_item(slots.get(checklist.checks_slot))
            if item:
                checks = {k: v for k, v in slots[checklist.checks_slot].items() if k != item}
                utter(dispatcher, say.going_back(point=True))
                return _updates({checklist.checks_slot: checks, **cleared})
        target = previous_slot(slots)
        if target is None:
            utter(dispatcher, say.nothing_to_go_back_to())
            return _updates(cleared)
        utter(dispatcher, say.going_back())
        return _updates({**reset_from(target, slots), **cleared})


class ActionChangeAnswer(Action):
    """Change one earlier answer (from the summary's buttons or a typed request)."""

    def name(self) -> str:
        return "action_change_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slots = check_slots(tracker)
        target = latest_entity(tracker, "question")
        if target not in required_slots(slots) or slots.get(target) is None:
            utter(dispatcher, say.which_answer(slots))
            return [SlotSet("question", None)]
        utter(dispatcher, say.changing())
        cleared = {PENDING: None, UNUSABLE: None, "question": None}
        return _updates({**reset_from(target, slots), **cleared})


class ActionFinishCheck(Action):
    """The form is done: give the outcome (advice where unsure) and save the record once."""

    def name(self) -> str:
        return "action_finish_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        protocol = load_protocol()
        slots = check_slots(tracker)
        result = walk(slots)
        if result.outcome is None:  # the form was left before a decision
            return []
        if tracker.get_slot("training_scenario") is not None:
            # practice: the score and feedback, a training record, never a decision record
            if result.outcome is not Outcome.SEEK_ADVICE and slots.get(protocol.record.id) != "yes":
                return []
            return finish_training(dispatcher, tracker, slots)
        if result.outcome is Outcome.SEEK_ADVICE:
            utter(dispatcher, say.seek_advice(result, load_contacts()))
        elif slots.get(protocol.record.id) != "yes":
            return []
        saved = save_check(
            slots,
            repository=record_repository(),
            conversation_id=tracker.sender_id,
            channel=tracker.get_latest_input_channel() or "unknown",
            advice=_advice_continued(slots.get("continues")),
            made_by=staff_from(
                (tracker.latest_message or {}).get("metadata"), stores()[0].session_alive
            ),
        )
        if isinstance(saved, Kept):
            utter(dispatcher, say.record_kept())
            return []
        if isinstance(saved, Failed):
            utter(dispatcher, say.save_failed())
            if result.outcome is Outcome.SEEK_ADVICE:
                return []
            return [SlotSet(protocol.record.id, None)]
        reference, link = saved.reference, saved.link
        _close_continued(slots.get("continues"))
        if result.outcome is Outcome.SEEK_ADVICE:
            utter(dispatcher, say.saved_seek_advice(reference))
            if link:
                utter(dispatcher, say.summary_link(reference, link))
            # the half-built decision can go to the helpdesk (actions/helpdesk.py)
            utter(dispatcher, helpdesk_say.helpdesk_offer())
            return [SlotSet("record_reference", reference), SlotSet("helpdesk_offered", True)]
        reply = say.saved(reference, result.outcome)
        if link and reply.card:
            reply = replace(
                reply,
                text=f"{reply.text}\n\n{say.summary_link(reference, link).text}",
                card=replace(reply.card, link=("Printable summary", link)),
            )
        utter(dispatcher, reply)
        return [SlotSet("record_reference", reference)]


def _advice_continued(reference: str | None) -> dict[str, Any] | None:
    """The helpdesk's advice for the record of a check continued after it (read when saving,
    so the record carries the advice as answered)."""
    if not reference:
        return None
    return advice_of(stores()[1].get(reference))


def _close_continued(reference: str | None) -> None:
    """The practitioner finished the check the advice was for: the request is closed."""
    if not reference:
        return
    try:
        stores()[1].close(reference)
    except Exception:  # noqa: BLE001 - the record is saved; the request closes in time anyway
        logger.exception("closing the advice request %s failed", reference)


class ActionNotUnderstood(Action):
    """Anything the current step cannot use: say so and ask again (nothing is lost)."""

    def name(self) -> str:
        return "action_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return _not_understood(dispatcher, tracker, clear_pending=True)


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


def _not_understood(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    clear_pending: bool = False,
    read: bool = True,
) -> list[EventType]:
    """Keep the check: the message read at the question being asked as the form reads any
    answer (taken, read back, followed up, or — the same unusable message again — help instead
    of the same reply), then the form asks its question again."""
    if not tracker.active_loop_name:
        _outside_a_check(dispatcher, tracker)
        return [FollowupAction("action_listen")]
    taken = read_unplaced(dispatcher, tracker) if read else None
    if taken is not None:
        return [*taken, FollowupAction(tracker.active_loop_name)]
    utter(dispatcher, say.not_understood())
    cleared = [SlotSet(PENDING, None)] if clear_pending else []
    return [*cleared, FollowupAction(tracker.active_loop_name)]


def _outside_a_check(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """A message outside a check that nothing placed: if the helpdesk's answer was just said
    ("any news?"), that was the reply; "any news?" before it comes gets where things stand;
    anything else the default."""
    if _said_this_turn(tracker, helpdesk_say.HELPDESK_ANSWERED):
        return
    if helpdesk_say.asks_for_news(latest_text(tracker)):
        utter(dispatcher, helpdesk_say.no_news(waiting_requests(tracker)))
        return
    dispatcher.utter_message(response="utter_default")


def _said_this_turn(tracker: Tracker, opening: str) -> bool:
    """Something starting with ``opening`` was said since the latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and str(event.get("text") or "").startswith(opening):
            return True
    return False


class ActionOutsideCheck(Action):
    """An answer, "go back" or "change" when no check is running."""

    def name(self) -> str:
        return "action_outside_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        utter(dispatcher, say.outside_check(tracker.get_slot("record_reference")))
        return []


class ActionRestart(Action):
    """ "Start again": a new check straight away (the form asks its first question).

    Rasa runs this for every message read as `restart`, before anything else; a check is only
    thrown away when the message says so in words (or is the button), never on a guess.
    """

    def name(self) -> str:
        return "action_restart"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not asks_to_restart(latest_text(tracker)):
            # the form reads the message next (actions/forms.py, _answers_the_form)
            return _not_understood(dispatcher, tracker, read=False)
        values, _ = new_check("")
        utter(dispatcher, say.starting_again())
        return [*_updates({**values, "requested_slot": None}), FollowupAction(FORM)]
