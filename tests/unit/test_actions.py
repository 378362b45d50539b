"""Actions with real rasa-sdk Tracker and CollectingDispatcher objects, records in SQLite."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.check import (
    ActionBeginCheck,
    ActionChangeAnswer,
    ActionFinishCheck,
    ActionGoBack,
    ActionNotUnderstood,
)
from actions.every_message import ValidateSlotMappings
from actions.forms import ValidateInformationSharingForm
from bot.records import RecordRepository, default_repository, make_engine, upgrade

FORM = "information_sharing_form"
CONTEXT = {
    "information": "attendance and a recent injury",
    "recipient": "the school nurse",
    "purpose_text": "to arrange support",
}
ALL_POINTS_BUT_LAST = {
    "necessary": True,
    "need_to_know": True,
    "accurate": True,
    "consent_limits": True,
    "secure": True,
    "onward_limits": True,
}
SHARE_ANSWERS = {
    "purpose": "yes",
    "identifiable": "yes",
    "confidential": "no",
    "appropriate": "yes",
    "appropriate_checks": {**ALL_POINTS_BUT_LAST, "inform_person": "already_aware"},
}


@lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    from rasa.shared.core.domain import Domain

    return Domain.load("domain").as_dict()


def tracker(
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str | None = None,
    confidence: float = 1.0,
    entities: list[dict[str, Any]] | None = None,
    requested: str | None = None,
    events: list[dict[str, Any]] | None = None,
    sender: str = "tester",
    response_selector: dict[str, Any] | None = None,
) -> Tracker:
    values = {name: None for name in domain()["slots"]}
    values.update(slots or {})
    if requested:
        values["requested_slot"] = requested
    return Tracker(
        sender_id=sender,
        slots=values,
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            **({"response_selector": response_selector} if response_selector else {}),
        },
        events=events or [{"event": "user", "text": text, "input_channel": "rest"}],
        paused=False,
        followup_action=None,
        active_loop={"name": FORM} if requested else {},
        latest_action_name="action_listen",
    )


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("text") or m.get("response") or "" for m in dispatcher.messages]


async def validate(slots: dict[str, Any], **kwargs: Any) -> tuple[dict[str, Any] | None, list[str]]:
    """Run the form's validation action as Rasa does for a message typed while the form asks
    ``requested``: the tracker ends with the user's message and the form's own execution.

    Returns the slot events (None when the action passes the message on: a command) and what
    the assistant said.
    """
    text = kwargs.pop("text", "")
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "input_channel": "rest"},
        {"event": "action", "name": FORM},
    ]
    t = tracker(slots=slots, events=events, text=text, **kwargs)
    dispatcher = CollectingDispatcher()
    result = await ValidateInformationSharingForm().run(dispatcher, t, domain())
    if not result:
        return None, texts(dispatcher)
    return {e["name"]: e["value"] for e in result if e["event"] == "slot"}, texts(dispatcher)


@pytest.fixture()
def records(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'records.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    # No printable-summary links unless a test asks for them (bot/records/links.py).
    monkeypatch.delenv("INFOSHARE_SECRET_KEY", raising=False)
    upgrade(url)
    default_repository.cache_clear()
    yield RecordRepository(make_engine(url))
    default_repository.cache_clear()


async def test_a_typed_answer_is_taken_and_the_next_question_requested():
    slots, said = await validate(
        CONTEXT, text="yes there is", intent="affirm", confidence=0.97, requested="purpose"
    )
    assert slots["purpose"] == "yes"
    assert slots["requested_slot"] == "identifiable"
    assert len(said) == 1 and said[0].startswith("Question 2: Does the information enable")


async def test_an_answer_with_a_reason_keeps_the_reason_redacted():
    slots, said = await validate(
        {
            **CONTEXT,
            "purpose": "yes",
            "identifiable": "yes",
            "confidential": "yes",
            "consent": "no",
        },
        text="no, she's an adult with capacity, ring her on 07700 900123",
        intent="faq",
        confidence=0.95,
        requested="public_interest",
        response_selector={
            "faq": {"response": {"intent_response_key": "faq/competent_adult", "confidence": 0.9}}
        },
    )
    assert slots["public_interest"] == "no"  # an answer, not the FAQ: then question 7's step
    assert len(said) == 1 and "Decision: Do not share the information" in said[0]
    assert slots["answer_notes"] == {
        "public_interest": "she's an adult with capacity, ring her on [PHONE]"
    }
    assert slots["requested_slot"] == "reasons"


async def test_a_hedge_is_read_back_not_assumed():
    slots, said = await validate(CONTEXT, text="ya think so", requested="purpose")
    assert "purpose" not in slots
    assert slots["pending_answer"] == {
        "question": "purpose",
        "answer": "yes",
        "text": "ya think so",
    }
    assert slots["requested_slot"] == "purpose"
    assert said == ["I read that as “Yes” — is that right?"]


async def test_every_question_of_the_protocol_goes_through_the_read_back():
    """A question added to the protocol is validated like the others: nothing to forget."""
    from bot.protocol import load_protocol
    from bot.protocol.reading import asked_for

    protocol = load_protocol()
    checked = []
    for form_slot in protocol.form_slots():
        asked = asked_for(form_slot.name)
        if not asked.takes_answers:
            continue
        slots, said = await validate(CONTEXT, text="I think so", requested=form_slot.name)
        assert slots["pending_answer"]["question"] == asked.key, form_slot
        assert said[0].startswith("I read that as"), form_slot
        checked.append(form_slot.name)
    assert set(checked) >= set(protocol.question_ids)


async def test_confirming_a_read_back_takes_the_pending_answer():
    pending = {"question": "consent", "answer": "no", "text": "i doubt she'd agree"}
    base = {**CONTEXT, "purpose": "yes", "identifiable": "yes", "confidential": "yes"}
    slots, _ = await validate(
        {**base, "pending_answer": pending}, text="/affirm", intent="affirm", requested="consent"
    )
    assert slots["consent"] == "no" and slots["pending_answer"] is None
    assert slots["requested_slot"] == "public_interest"
    slots, said = await validate(
        {**base, "pending_answer": pending}, text="yes that's right", requested="consent"
    )
    assert slots["consent"] == "no"
    slots, said = await validate(
        {**base, "pending_answer": pending}, text="/deny", intent="deny", requested="consent"
    )
    assert "consent" not in slots and slots["requested_slot"] == "consent"
    assert "try that question again" in said[0]


async def test_button_payloads_are_never_read_back():
    slots, said = await validate(
        CONTEXT, text="/not_sure", intent="not_sure", confidence=0.3, requested="purpose"
    )
    assert slots["purpose"] == "not_sure"
    assert slots["requested_slot"] is None  # seek advice: the form is done


async def test_commands_are_left_to_the_rules():
    for text in ("go back", "start again", "bye", "/go_back"):
        slots, said = await validate(CONTEXT, text=text, intent="go_back", requested="purpose")
        assert slots is None and said == [], text


async def test_a_question_is_answered_then_the_same_one_again_gets_help():
    selector = {
        "faq": {"response": {"intent_response_key": "faq/what_is_consent", "confidence": 0.9}}
    }
    ask = dict(
        text="what counts as consent?", intent="faq", confidence=0.9, response_selector=selector
    )
    slots, said = await validate(CONTEXT, requested="purpose", **ask)
    assert said[0] == "utter_faq/what_is_consent" and slots["requested_slot"] == "purpose"
    assert said[1].startswith("Question 1:")  # the question again
    slots, said = await validate({**CONTEXT, **slots}, requested="purpose", **ask)
    assert said[0].startswith("I still couldn't use that as an answer to question 1")


async def test_an_unusable_message_twice_gets_help_with_buttons():
    base = {**CONTEXT, "purpose": "yes", "identifiable": "yes", "confidential": "yes"}
    slots, said = await validate(base, text="purple", requested="consent")
    assert said[0] == "Sorry, I didn't catch that." and said[1].startswith("Question 4:")
    dispatcher_slots = {**base, **slots}
    slots, said = await validate(dispatcher_slots, text="purple", requested="consent")
    assert "not asked for consent yet" in said[0] and "whom to ask for advice" in said[0]


async def test_free_text_is_cleaned_and_redacted_with_a_note():
    slots, said = await validate(
        {}, text="<b>his</b> mobile 07700 900123 and e-mail jo@example.org", requested="information"
    )
    assert "[PHONE]" in slots["information"] and "[EMAIL]" in slots["information"]
    assert "<b>" not in slots["information"]
    assert any("placeholders" in s for s in said)
    slots, said = await validate({}, text="   ", requested="information")
    assert "information" not in slots and said


async def test_a_statement_the_model_reads_as_a_command_at_a_free_text_question_is_the_answer():
    statement = "Housing need it, tenant email jo.bloggs@example.org for the arrears"
    slots, _ = await validate(
        {**CONTEXT, **SHARE_ANSWERS}, text=statement, intent="explain", requested="reasons"
    )
    assert slots["reasons"] == "Housing need it, tenant email [EMAIL] for the arrears"


async def test_question_six_checklist_item_by_item():
    base = {**CONTEXT, "purpose": "yes", "identifiable": "no"}
    slots, said = await validate(base, text="yes", requested="appropriate")
    assert slots["appropriate"] is None
    assert slots["appropriate_checks"] == {"necessary": True}
    assert slots["requested_slot"] == "appropriate"
    slots, said = await validate(
        {**base, "appropriate_checks": {"necessary": True}}, text="no", requested="appropriate"
    )
    assert slots["appropriate"] is None and said[0].startswith("Before you share")
    slots, _ = await validate(
        {**base, "appropriate_checks": ALL_POINTS_BUT_LAST},
        text="no, it wouldn't be safe to tell her",
        requested="appropriate",
    )
    assert slots["appropriate"] == "yes"
    assert slots["appropriate_checks"]["inform_person"] == "no_unsafe"
    assert slots["answer_notes"] == {"appropriate.inform_person": "it wouldn't be safe to tell her"}
    assert slots["requested_slot"] == "reasons"


async def test_the_validation_asks_the_next_question_with_its_buttons():
    """No ask actions: the form's validation asks the next question in the same call."""
    base = {**CONTEXT, "purpose": "yes", "identifiable": "yes"}
    t = tracker(slots=base, text="yes", requested="confidential")
    t.events[:] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "yes", "input_channel": "rest"},
        {"event": "action", "name": FORM},
    ]
    dispatcher = CollectingDispatcher()
    await ValidateInformationSharingForm().run(dispatcher, t, domain())
    (message,) = dispatcher.messages
    assert message["text"].startswith("Question 4: Do you have consent to share?")
    assert [b["title"] for b in message["buttons"]] == ["Yes", "No", "Not asked yet", "Not sure"]


async def test_the_form_starting_asks_its_first_missing_question():
    t = tracker(slots={"information": "x"}, requested=None)
    t.events[:] = [{"event": "action", "name": "action_begin_check"}]
    dispatcher = CollectingDispatcher()
    events = await ValidateInformationSharingForm().run(dispatcher, t, domain())
    assert events == [SlotSet("requested_slot", "recipient")]
    assert texts(dispatcher) == ["Who would you share it with (a person, team or agency)?"]


async def test_the_summary_is_sent_with_its_card_as_data():
    from bot.protocol.messages import ask

    slots = {**CONTEXT, **SHARE_ANSWERS, "reasons": "x", "answer_notes": {"purpose": "to help"}}
    reply = ask("record", slots)
    assert reply.card and reply.card.title == "Summary of your check"
    assert ("Your reason", "to help") in reply.card.facts
    assert "Your reason: to help" in reply.text
    dispatcher = CollectingDispatcher()
    from actions.common import utter

    utter(dispatcher, reply)
    assert dispatcher.messages[0]["card"]["facts"][0] == ["What", CONTEXT["information"]]


async def test_begin_check_takes_what_the_opening_message_says():
    text = "Can I tell the police about the bruises because I'm worried he is being hurt at home?"
    t = tracker(
        slots={**CONTEXT, "purpose": "no", "record_reference": "ISD-000001"},
        text=text,
        intent="start_check",
    )
    dispatcher = CollectingDispatcher()
    events = await ActionBeginCheck().run(dispatcher, t, domain())
    slots = {e["name"]: e["value"] for e in events}
    assert slots["recipient"] == "the police" and slots["information"] == "the bruises"
    assert slots["purpose_text"] == "I'm worried he is being hurt at home"
    assert slots["purpose"] is None and slots["record_reference"] is None
    assert slots["check_id"] and slots["safeguarding_concern"] is True
    assert "the police" in texts(dispatcher)[0]


async def test_safeguarding_signs_are_flagged_once():
    action = ValidateSlotMappings()

    async def run(t: Tracker) -> tuple[list, list[str]]:
        dispatcher = CollectingDispatcher()
        return await action.run(dispatcher, t, domain()), texts(dispatcher)

    events, said = await run(tracker(text="she said her dad hits her"))
    assert events == [SlotSet("safeguarding_concern", True)]
    assert "safeguarding procedures without delay" in said[0]
    assert await run(tracker(slots={"safeguarding_concern": True}, text="he hits her")) == ([], [])
    assert await run(tracker(text="yes")) == ([], [])


async def test_an_opening_that_asks_to_share_is_noted_outside_a_check_only():
    action = ValidateSlotMappings()
    asks = "Can I share a tenant's details with a debt advice charity?"
    events = await action.run(CollectingDispatcher(), tracker(text=asks), domain())
    assert events == [SlotSet("asks_to_share", True)]
    events = await action.run(
        CollectingDispatcher(), tracker(slots={"asks_to_share": True}, text="hello"), domain()
    )
    assert events == [SlotSet("asks_to_share", None)]
    events = await action.run(
        CollectingDispatcher(), tracker(text=asks, requested="purpose"), domain()
    )
    assert events == []


async def test_go_back_clears_the_previous_answer_and_its_dependents():
    slots = {
        **CONTEXT,
        "purpose": "yes",
        "identifiable": "yes",
        "confidential": "yes",
        "answer_notes": {"purpose": "to help", "confidential": "told in confidence"},
        "answered_by": {"purpose": "button", "identifiable": "word", "confidential": "read_back"},
    }
    events = await ActionGoBack().run(
        CollectingDispatcher(), tracker(slots=slots, requested="consent"), domain()
    )
    assert SlotSet("confidential", None) in events
    assert SlotSet("identifiable", None) not in events
    assert SlotSet("answer_notes", {"purpose": "to help"}) in events
    assert SlotSet("answered_by", {"purpose": "button", "identifiable": "word"}) in events


async def test_change_answer_from_the_summary():
    slots = {
        **CONTEXT,
        **SHARE_ANSWERS,
        "reasons": "because",
        "answered_by": {"purpose": "word", "identifiable": "button", "appropriate.secure": "word"},
    }
    t = tracker(
        slots=slots,
        text='/change_answer{"question": "identifiable"}',
        intent="change_answer",
        entities=[{"entity": "question", "value": "identifiable"}],
        requested="record",
    )
    events = await ActionChangeAnswer().run(CollectingDispatcher(), t, domain())
    cleared = {e["name"] for e in events if e["value"] is None}
    assert {
        "identifiable",
        "confidential",
        "appropriate",
        "appropriate_checks",
        "reasons",
    } <= cleared
    assert "purpose" not in cleared
    assert SlotSet("answered_by", {"purpose": "word"}) in events
    dispatcher = CollectingDispatcher()
    await ActionChangeAnswer().run(dispatcher, tracker(slots=slots, requested="record"), domain())
    assert dispatcher.messages[0]["buttons"]


async def test_not_understood_repeats_the_current_question():
    dispatcher = CollectingDispatcher()
    events = await ActionNotUnderstood().run(
        dispatcher, tracker(slots=CONTEXT, requested="purpose"), domain()
    )
    assert texts(dispatcher) == ["Sorry, I didn't catch that."]
    assert {"event": "followup", "name": FORM, "timestamp": None} in events


async def test_a_message_the_policies_could_not_place_is_read_at_the_question():
    """Rasa's core fallback during the form: the reader still reads the message, so the same
    unusable message twice gets help, and an answer in it is not lost."""
    text = "i've taken her name off but it's her own GP, they'll know exactly who it is"
    active = {"name": FORM}
    first_dispatcher = CollectingDispatcher()
    first = tracker(slots={**CONTEXT, "purpose": "yes"}, text=text, requested="identifiable")
    first.active_loop = active
    events = await ActionNotUnderstood().run(first_dispatcher, first, domain())
    assert texts(first_dispatcher) == ["Sorry, I didn't catch that."]
    unusable = next(e["value"] for e in events if e.get("name") == "unusable_answer")
    second_dispatcher = CollectingDispatcher()
    second = tracker(
        slots={**CONTEXT, "purpose": "yes", "unusable_answer": unusable},
        text=text,
        requested="identifiable",
    )
    second.active_loop = active
    await ActionNotUnderstood().run(second_dispatcher, second, domain())
    assert texts(second_dispatcher) != ["Sorry, I didn't catch that."]
    answered = tracker(slots={**CONTEXT}, text="yes, to safeguard her", requested="purpose")
    answered.active_loop = active
    events = await ActionNotUnderstood().run(CollectingDispatcher(), answered, domain())
    assert SlotSet("purpose", "yes") in events


async def test_finish_saves_exactly_one_record_with_redacted_reasons(records):
    slots = {
        **CONTEXT,
        **SHARE_ANSWERS,
        "record": "yes",
        "check_id": "c1",
        "reasons": "Nurse needs it; call mum on 07700 900123",
        "answer_notes": {
            "purpose": "to arrange support",
            "consent": "left over from another route",
        },
        "answered_by": {
            "purpose": "word",
            "identifiable": "button",
            "confidential": "read_back",
            "consent": "button",  # left over from another route
            "appropriate.necessary": "follow_up",
            "appropriate.inform_person": "word",
        },
    }
    for _ in range(2):
        dispatcher = CollectingDispatcher()
        events = await ActionFinishCheck().run(dispatcher, tracker(slots=slots), domain())
    saved = records.list()
    assert len(saved) == 1
    record = saved[0].to_dict()
    assert events == [SlotSet("record_reference", record["reference"])]
    assert record["reference"] in texts(dispatcher)[0]
    assert record["outcome"] == "share"
    assert record["path"] == ["purpose", "identifiable", "confidential", "appropriate", "record"]
    assert record["answers"] == {
        "purpose": "yes",
        "identifiable": "yes",
        "confidential": "no",
        "appropriate": "yes",
    }
    assert record["notes"] == {"purpose": "to arrange support"}
    assert record["answered_by"] == {
        "purpose": "word",
        "identifiable": "button",
        "confidential": "read_back",
        "appropriate.necessary": "follow_up",
        "appropriate.inform_person": "word",
    }
    assert record["golden_rules"] == [1, 2, 3, 6, 7]
    assert record["checks"]["inform_person"] == "already_aware"
    assert "[PHONE]" in record["reasons"] and "07700" not in record["reasons"]
    assert record["channel"] == "rest" and record["conversation_id"] == "tester"


def _channel_tracker(slots: dict[str, Any], channel: str) -> Tracker:
    return tracker(slots=slots, events=[{"event": "user", "text": "yes", "input_channel": channel}])


@pytest.mark.parametrize("channel", ["socketio", "rest", "botframework"])
async def test_the_saved_record_links_to_its_printable_summary(records, monkeypatch, channel):
    """The same channel-neutral reply everywhere: the link in the text and on the card (the
    Teams channel draws the card, and drops a link Teams users cannot reach)."""
    from bot.records import links

    monkeypatch.setenv(links.SECRET_ENV, "k3Yq9-links-for-the-printable-summary-2Xw7Zp")
    monkeypatch.setenv(links.PUBLIC_URL_ENV, "https://chat.example.org")
    slots = {**CONTEXT, **SHARE_ANSWERS, "record": "yes", "check_id": f"c-{channel}"}
    dispatcher = CollectingDispatcher()
    await ActionFinishCheck().run(dispatcher, _channel_tracker(slots, channel), domain())
    (record,) = records.list()
    url = links.summary_url(record.reference, "tester")
    (message,) = dispatcher.messages
    assert message["text"].endswith(
        f"A printable summary of {record.reference} is here: [{record.reference} summary]({url})"
    )
    assert message["card"]["link"] == ["Printable summary", url]


async def test_without_a_secret_key_there_is_no_link(records, monkeypatch):
    from bot.records import links

    monkeypatch.delenv(links.SECRET_ENV, raising=False)
    monkeypatch.setenv(links.PUBLIC_URL_ENV, "https://chat.example.org")
    slots = {**CONTEXT, **SHARE_ANSWERS, "record": "yes", "check_id": "no-secret"}
    dispatcher = CollectingDispatcher()
    await ActionFinishCheck().run(dispatcher, _channel_tracker(slots, "socketio"), domain())
    assert "/chat/records/" not in json.dumps(dispatcher.messages)


async def test_finish_on_not_sure_gives_advice_and_records_where(records):
    slots = {**CONTEXT, "purpose": "yes", "identifiable": "not_sure", "check_id": "c2"}
    dispatcher = CollectingDispatcher()
    await ActionFinishCheck().run(dispatcher, tracker(slots=slots), domain())
    said = "\n".join(texts(dispatcher))
    assert "without disclosing the identity" in said
    assert "supervisor" in said.lower()
    (record,) = records.list()
    assert record.to_dict()["outcome"] == "seek_advice"
    assert record.to_dict()["advice_needed_at"] == "identifiable"
    assert record.to_dict()["path"] == ["purpose", "identifiable"]
    assert record.to_dict()["golden_rules"] == [1, 2, 3]


@pytest.mark.parametrize("text", ["start again", "/restart", "can we start over please"])
async def test_an_explicit_start_again_starts_a_new_check_straight_away(text):
    from actions.check import ActionRestart

    dispatcher = CollectingDispatcher()
    slots = {
        **CONTEXT,
        "purpose": "yes",
        "check_id": "old",
        "answer_notes": {"purpose": "to help"},
        "answered_by": {"purpose": "word"},
    }
    t = tracker(slots=slots, text=text, intent="restart", requested="identifiable")
    events = await ActionRestart().run(dispatcher, t, domain())
    set_ = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert set_["purpose"] is None and set_["information"] is None
    assert set_["answer_notes"] is None and set_["answered_by"] is None
    assert set_["check_id"] and set_["check_id"] != "old"
    assert events[-1] == {"event": "followup", "name": FORM, "timestamp": None}
    assert texts(dispatcher) == ["OK — starting a new check."]


async def test_a_guessed_restart_throws_nothing_away():
    from actions.check import ActionRestart

    t = tracker(slots=CONTEXT, text="the cat sat on the mat", intent="restart", requested="purpose")
    events = await ActionRestart().run(CollectingDispatcher(), t, domain())
    assert events == [{"event": "followup", "name": FORM, "timestamp": None}]
    outside = tracker(text="the cat sat on the mat", intent="restart")
    events = await ActionRestart().run(CollectingDispatcher(), outside, domain())
    assert events == [{"event": "followup", "name": "action_listen", "timestamp": None}]


@pytest.mark.parametrize("text,stops", [("bye", True), ("stop", True), ("ok", False)])
async def test_only_a_clear_goodbye_ends_a_check(text, stops):
    from actions.check import ActionStopCheck

    dispatcher = CollectingDispatcher()
    t = tracker(slots=CONTEXT, text=text, intent="goodbye", requested="purpose")
    events = await ActionStopCheck().run(dispatcher, t, domain())
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events) is stops


async def test_a_reason_that_touches_a_qualifier_gets_the_guidances_follow_up():
    base = {**CONTEXT, "purpose": "yes", "identifiable": "yes"}
    slots, said = await validate(
        base, text="her ex posted it on facebook to shame her", requested="confidential"
    )
    assert "confidential" not in slots and slots["requested_slot"] == "confidential"
    assert slots["pending_answer"]["follow_up"] == "lawfully_public"
    assert said == [
        "The guidance says: “Confidential information is information of a private or sensitive "
        "nature that is not already lawfully in the public domain or readily available from "
        "another public source, and has been provided in circumstances where the person giving "
        "the information could reasonably expect that it would not be shared with others.”"
        "\n\nWas it put in the public domain lawfully — for example by "
        "the person themselves, in an official publication or in open court — and not by "
        "someone who had no right to share it?"
    ]
    assert slots["answer_notes"] == {"confidential": "her ex posted it on facebook to shame her"}
    # the practitioner's answer to the follow-up decides the question and goes on the record
    slots, said = await validate(
        {**base, **slots}, text="/deny", intent="deny", requested="confidential"
    )
    assert slots["confidential"] == "yes" and slots["pending_answer"] is None
    assert slots["answered_by"] == {"confidential": "follow_up"}
    assert slots["answer_notes"] == {
        "confidential": "her ex posted it on facebook to shame her — lawfully in the public "
        "domain: No, it was not put there lawfully"
    }
    assert slots["requested_slot"] == "consent" and said[0].startswith("Question 4")


async def test_how_each_answer_was_given_is_kept_for_the_record():
    slots, _ = await validate(CONTEXT, text="/affirm", intent="affirm", requested="purpose")
    assert slots["answered_by"] == {"purpose": "button"}
    ways = {"purpose": "button"}
    slots, _ = await validate(
        {**CONTEXT, "purpose": "yes", "answered_by": ways}, text="yes", requested="identifiable"
    )
    assert slots["answered_by"] == {"purpose": "button", "identifiable": "word"}
    pending = {"question": "confidential", "answer": "yes", "text": "i think so"}
    slots, _ = await validate(
        {**CONTEXT, "purpose": "yes", "identifiable": "yes", "pending_answer": pending},
        text="yes that's right",
        requested="confidential",
    )
    assert slots["answered_by"] == {"confidential": "read_back"}


async def test_yes_save_it_keeps_no_note_for_the_record_question():
    finished = {
        **CONTEXT,
        **SHARE_ANSWERS,
        "reasons": "to arrange support at school",
        "answer_notes": {"purpose": "they need it"},
    }
    slots, _ = await validate(finished, text="yes, save it", requested="record")
    assert slots.get("record") == "yes"
    assert (slots.get("answer_notes") or finished["answer_notes"]) == {"purpose": "they need it"}


async def test_the_helpdesks_suggested_answer_is_recorded_as_theirs():
    payload = '/affirm{"answer": "yes", "question": "purpose", "suggested_by": "helpdesk"}'
    slots, _ = await validate(CONTEXT, text=payload, intent="affirm", requested="purpose")
    assert slots["purpose"] == "yes" and slots["answered_by"] == {"purpose": "helpdesk"}


async def test_any_news_gets_the_helpdesks_answer_and_nothing_after_it():
    answered = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "any news?", "input_channel": "rest"},
        {"event": "bot", "text": "The helpdesk has answered your request ISD-000004:\nShare it."},
    ]
    dispatcher = CollectingDispatcher()
    await ActionNotUnderstood().run(
        dispatcher, tracker(text="any news?", events=answered), domain()
    )
    assert dispatcher.messages == []  # not "Sorry, I didn't understand that" after the answer
    dispatcher = CollectingDispatcher()
    await ActionNotUnderstood().run(
        dispatcher,
        tracker(slots={"helpdesk_waiting": ["ISD-000004"]}, text="any news?"),
        domain(),
    )
    assert texts(dispatcher) == [
        "The helpdesk has not answered ISD-000004 yet. I will tell you here as soon as it does."
    ]
    dispatcher = CollectingDispatcher()
    await ActionNotUnderstood().run(dispatcher, tracker(text="purple monkey"), domain())
    assert texts(dispatcher) == ["utter_default"]
