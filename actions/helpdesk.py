"""Asking the helpdesk after "not sure": the request built, shown, changed, sent (thin adapters
over :mod:`bot.helpdesk.requests` and the messages in :mod:`bot.protocol.messages`)."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FORM as CHECK_FORM
from actions.common import (
    check_slots,
    latest_intent,
    latest_text,
    logger,
    new_check,
    record_repository,
    utter,
)
from bot.helpdesk import messages as helpdesk_say
from bot.helpdesk import stores
from bot.helpdesk.continuing import continue_key, continue_link, key_matches, parse_continue
from bot.helpdesk.requests import UnknownRequest
from bot.records.draft import slots_from_record
from bot.text import clean_free_text

FORM = "helpdesk_form"
OFFERED = "helpdesk_offered"
QUESTION = "helpdesk_question"
SEND = "helpdesk_send"
WAITING = "helpdesk_waiting"
NO_QUESTION = "-"  # the practitioner has no question beyond their answers

_NONE = re.compile(r"^\s*(no|none|nothing|no question|nope|n/a|na|skip)\b[\s.!]*$", re.I)
_SEND = re.compile(r"^\s*(send( it)?|yes|yeah|yep|ok(ay)?|go ahead|please do|sure)\b", re.I)
_CHANGE = re.compile(r"\b(change|edit|rewrite|reword|different question)\b", re.I)
_DONT = re.compile(r"^\s*(don'?t|do not|no|cancel|stop|never ?mind)\b", re.I)


def request_content(tracker: Tracker, question: str | None) -> dict[str, Any]:
    from bot.helpdesk.requests import request_content as build

    return build(check_slots(tracker), "" if question in (None, NO_QUESTION) else question)


class ActionHelpdeskStart(Action):
    """The practitioner said yes to the offer: ask for their question, and start the form."""

    def name(self) -> str:
        return "action_helpdesk_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        utter(dispatcher, helpdesk_say.helpdesk_ask_question())
        return [SlotSet(OFFERED, False), FollowupAction(FORM)]


class ActionHelpdeskDeclined(Action):
    def name(self) -> str:
        return "action_helpdesk_declined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        utter(dispatcher, helpdesk_say.helpdesk_not_sent())
        return [SlotSet(OFFERED, False)]


class ValidateHelpdeskForm(FormValidationAction):
    """Reads the question and the send / change / don't-send choice, and asks what comes next
    itself (the form has no ask actions)."""

    def name(self) -> str:
        return "validate_helpdesk_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        slots = {QUESTION: tracker.get_slot(QUESTION), SEND: tracker.get_slot(SEND)}
        for event in events:
            if event.get("event") == "slot" and event.get("name") in slots:
                slots[event["name"]] = event.get("value")
        if slots[QUESTION] is None:
            # not read yet, or "change my question" (not when the form is only starting)
            if tracker.get_slot("requested_slot") in (QUESTION, SEND):
                utter(dispatcher, helpdesk_say.helpdesk_ask_question())
        elif slots[SEND] is None:
            utter(
                dispatcher, helpdesk_say.helpdesk_preview(request_content(tracker, slots[QUESTION]))
            )
        return events

    async def required_slots(
        self, domain_slots: list[str], dispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return [QUESTION, SEND]

    def validate_helpdesk_question(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != QUESTION:
            return {}  # not asked yet (the form starting): nothing to read
        text = clean_free_text(str(value or "")).text.strip()
        if not text or text.startswith("/"):
            return {QUESTION: NO_QUESTION if _NONE.match(text or "") else None}
        if _NONE.match(text):
            return {QUESTION: NO_QUESTION}
        return {QUESTION: text}

    def validate_helpdesk_send(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != SEND:
            return {}  # not asked yet: nothing to read
        text = latest_text(tracker).strip()
        intent, _ = latest_intent(tracker)
        if text == helpdesk_say.HELPDESK_CHANGE or _CHANGE.search(text):
            return {QUESTION: None, SEND: None}
        if text == helpdesk_say.HELPDESK_SEND or (_SEND.match(text) and not _DONT.match(text)):
            return {SEND: "send"}
        if text == helpdesk_say.HELPDESK_DONT or _DONT.match(text) or intent == "deny":
            return {SEND: "cancel"}
        if intent == "affirm":
            return {SEND: "send"}
        return {SEND: None}  # asked again, with the buttons


class ActionSendHelpdeskRequest(Action):
    def name(self) -> str:
        return "action_send_helpdesk_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(QUESTION, None), SlotSet(SEND, None), SlotSet(OFFERED, False)]
        reference = tracker.get_slot("record_reference")
        if tracker.get_slot(SEND) != "send" or not reference:
            utter(dispatcher, helpdesk_say.helpdesk_not_sent())
            return reset
        question = tracker.get_slot(QUESTION)
        channel = tracker.get_latest_input_channel() or "unknown"
        try:
            created = stores()[1].create(
                reference,
                check_slots(tracker),
                "" if question in (None, NO_QUESTION) else question,
                conversation_id=tracker.sender_id,
                channel=channel,
                reply_to=reply_to(tracker, channel),
            )
        except Exception:  # noqa: BLE001 - the practitioner must hear it did not go
            logger.exception("sending the advice request %s failed", reference)
            utter(dispatcher, helpdesk_say.helpdesk_failed())
            return reset
        key = continue_key(created.reference)
        utter(
            dispatcher,
            helpdesk_say.helpdesk_sent(
                created.reference, created.urgent, key, continue_link(created.reference, key)
            ),
        )
        waiting = [r for r in tracker.get_slot(WAITING) or [] if r != created.reference]
        return [*reset, SlotSet(WAITING, [*waiting, created.reference])]


def reply_to(tracker: Tracker, channel: str) -> dict[str, Any] | None:
    """Where a proactive answer can reach this conversation: for Teams, the conversation
    reference the channel put in the message's metadata (bot/channels/teams/channel.py)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    reference = (metadata.get("botframework") or {}).get("reference")
    return dict(reference) if channel == "botframework" and isinstance(reference, dict) else None


def waiting_requests(tracker: Tracker) -> list[str]:
    """The references of this conversation's requests the helpdesk has not answered yet."""
    return [r for r in tracker.get_slot(WAITING) or [] if isinstance(r, str)]


def deliver_answers(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Say the helpdesk's answers to this conversation's requests (at any message, on any
    channel) unless they were pushed to the chat already; the slot update that forgets the
    delivered ones, or nothing."""
    waiting = waiting_requests(tracker)
    if not waiting:
        return {}
    requests = stores()[1]
    left = []
    for reference in waiting:
        try:
            found = requests.get(reference)
            if found.advice and found.delivered_at is None:
                if requests.mark_delivered(reference):
                    utter(dispatcher, helpdesk_say.helpdesk_answer(found.as_advice()))
            elif not found.advice:
                left.append(reference)
        except UnknownRequest:
            continue
        except Exception:  # noqa: BLE001 - the database is down: look again next time
            logger.exception("looking for the helpdesk's answer to %s failed", reference)
            left.append(reference)
    return {} if left == waiting else {WAITING: left or None}


class ActionContinueCheck(Action):
    """ "continue ISD-000123 (key …)", or the answer's button: the earlier answers restored
    and the check continued at the question where the practitioner was unsure, with the
    helpdesk's advice shown. From another conversation only with the request's key; a wrong
    key, no key and an unknown reference get the same refusal."""

    def name(self) -> str:
        return "action_continue_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:

        # whatever happens, a check that was running goes on
        resume = [FollowupAction(tracker.active_loop_name)] if tracker.active_loop_name else []
        asked = parse_continue(latest_text(tracker))
        requests = stores()[1]
        try:
            if asked.reference is None:
                found = requests.latest_answered(tracker.sender_id)
                if found is None:
                    utter(dispatcher, helpdesk_say.continue_which())
                    return resume
            else:
                found = requests.get(asked.reference)
            conversation, _ = requests.conversation_of(found.reference)
        except UnknownRequest:
            utter(dispatcher, helpdesk_say.continue_refused())
            return resume
        except Exception:  # noqa: BLE001 - the database is down: nothing is lost
            logger.exception("looking up %s to continue it failed", asked.reference)
            utter(dispatcher, helpdesk_say.continue_failed())
            return resume
        if conversation != tracker.sender_id and not key_matches(asked.key, found.reference):
            utter(dispatcher, helpdesk_say.continue_refused())
            return resume
        if not found.advice:
            utter(dispatcher, helpdesk_say.continue_not_answered(found.reference))
            return resume
        try:
            record = record_repository().get(found.reference)
            restored = slots_from_record(record)
        except Exception:  # noqa: BLE001 - the records cannot be read: nothing is lost
            logger.exception("restoring %s to continue it failed", found.reference)
            utter(dispatcher, helpdesk_say.continue_failed())
            return resume
        if found.delivered_at is None:
            requests.mark_delivered(found.reference)
        values, _ = new_check("")
        values.update(restored)
        values["continues"] = found.reference
        values["safeguarding_concern"] = bool(
            restored.get("safeguarding_concern") or tracker.get_slot("safeguarding_concern")
        )
        utter(dispatcher, helpdesk_say.continuing(found.as_advice()))
        waiting = [r for r in tracker.get_slot(WAITING) or [] if r != found.reference]
        return [
            *(SlotSet(name, value) for name, value in values.items()),
            SlotSet(WAITING, waiting or None),
            SlotSet(OFFERED, False),
            SlotSet("requested_slot", None),
            FollowupAction(CHECK_FORM),
        ]
