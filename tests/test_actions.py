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
    ValidateSlotMappings,
)
from actions.forms import ASK_ACTIONS, ValidateInformationSharingForm
from bot.records import RecordRepository, default_repository, make_engine, upgrade

FORM = "information_sharing_form"
CONTEXT = {
    "information": "attendance and a recent injury",
    "recipient": "the school nurse",
    "purpose_text": "to arrange support",
}
SHARE_ANSWERS = {
    "purpose": "yes",
    "identifiable": "yes",
    "confidential": "no",
    "appropriate": "yes",
    "appropriate_checks": {
        "necessary": True,
        "need_to_know": True,
        "accurate": True,
        "secure": True,
        "onward_limits": True,
        "inform_person": "already_aware",
    },
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
        },
        events=events or [{"event": "user", "text": text, "input_channel": "rest"}],
        paused=False,
        followup_action=None,
        active_loop={"name": FORM} if requested else {},
        latest_action_name="action_listen",
    )


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("text") or "" for m in dispatcher.messages]


async def validate(slots: dict[str, Any], **kwargs: Any) -> tuple[dict[str, Any], list[str]]:
    """Run the form's validation action as Rasa does after the requested slot's mapping filled it.

    ``slots`` are the conversation's slot values; only the requested slot counts as set by the
    latest message (what ``tracker.slots_to_validate()`` returns).
    """
    requested = kwargs["requested"]
    events = [{"event": "user", "text": kwargs.get("text", ""), "input_channel": "rest"}]
    events.append({"event": "slot", "name": requested, "value": slots.get(requested)})
    t = tracker(slots=slots, events=events, **kwargs)
    dispatcher = CollectingDispatcher()
    result = await ValidateInformationSharingForm().run(dispatcher, t, domain())
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


async def test_a_confident_typed_answer_is_taken_and_the_next_question_requested():
    slots, said = await validate(
        {**CONTEXT, "purpose": "yes"},
        text="yes there is",
        intent="affirm",
        confidence=0.97,
        requested="purpose",
    )
    assert slots["purpose"] == "yes"
    assert slots["requested_slot"] == "identifiable"
    assert said == []


async def test_an_unsure_reading_is_read_back_not_assumed():
    slots, said = await validate(
        {**CONTEXT, "purpose": "yes"},
        text="ya think so",
        intent="affirm",
        confidence=0.6,
        requested="purpose",
    )
    assert slots["purpose"] is None
    assert slots["pending_answer"] == {"question": "purpose", "answer": "yes"}
    assert slots["requested_slot"] == "purpose"
    assert "I read that as “Yes”" in said[0]


async def test_confirming_a_read_back_takes_the_pending_answer():
    pending = {"question": "consent", "answer": "no"}
    base = {**CONTEXT, "purpose": "yes", "identifiable": "yes", "confidential": "yes"}
    slots, _ = await validate(
        {**base, "consent": "yes", "pending_answer": pending},
        text="/affirm",
        intent="affirm",
        requested="consent",
    )
    assert slots["consent"] == "no" and slots["pending_answer"] is None
    assert slots["requested_slot"] == "public_interest"
    slots, said = await validate(
        {**base, "consent": "no", "pending_answer": pending},
        text="/deny",
        intent="deny",
        requested="consent",
    )
    assert slots["consent"] is None and slots["requested_slot"] == "consent"
    assert "try that question again" in said[0]


async def test_button_payloads_are_never_read_back():
    slots, said = await validate(
        {**CONTEXT, "purpose": "not_sure"},
        text="/not_sure",
        intent="not_sure",
        confidence=0.3,
        requested="purpose",
    )
    assert slots["purpose"] == "not_sure"
    assert slots["requested_slot"] is None  # seek advice: the form is done


async def test_free_text_is_cleaned_and_redacted_with_a_note():
    slots, said = await validate(
        {"information": "<b>his</b> mobile 07700 900123 and e-mail jo@example.org"},
        text="x",
        intent="nlu_fallback",
        requested="information",
    )
    assert "[PHONE]" in slots["information"] and "[EMAIL]" in slots["information"]
    assert "<b>" not in slots["information"]
    assert any("placeholders" in s for s in said)
    slots, said = await validate({"information": "   "}, text="   ", requested="information")
    assert slots["information"] is None and said


async def test_question_six_checklist_item_by_item():
    base = {**CONTEXT, "purpose": "yes", "identifiable": "no"}
    slots, said = await validate(
        {**base, "appropriate": "yes"}, text="yes", intent="affirm", requested="appropriate"
    )
    assert slots["appropriate"] is None
    assert slots["appropriate_checks"] == {"necessary": True}
    assert slots["requested_slot"] == "appropriate"
    slots, said = await validate(
        {**base, "appropriate": "no", "appropriate_checks": {"necessary": True}},
        text="no",
        intent="deny",
        requested="appropriate",
    )
    assert slots["appropriate"] is None and said[0].startswith("Before you share")
    checks = {k: True for k in ["necessary", "need_to_know", "accurate", "secure", "onward_limits"]}
    slots, _ = await validate(
        {**base, "appropriate": "no", "appropriate_checks": checks},
        text="no, it wouldn't be safe to tell her",
        intent="deny",
        requested="appropriate",
    )
    assert slots["appropriate"] == "yes"
    assert slots["appropriate_checks"]["inform_person"] == "no_unsafe"
    assert slots["requested_slot"] == "reasons"


async def test_ask_actions_show_the_question_with_buttons():
    by_slot = {cls.slot: cls() for cls in ASK_ACTIONS}
    dispatcher = CollectingDispatcher()
    await by_slot["consent"].run(dispatcher, tracker(slots=CONTEXT), domain())
    message = dispatcher.messages[0]
    assert message["text"].startswith("Question 4: Do you have consent to share?")
    assert [b["title"] for b in message["buttons"]] == ["Yes", "No", "Not asked yet", "Not sure"]
    assert set(by_slot) >= {"purpose", "appropriate", "reasons", "record", "information"}


async def test_begin_check_takes_what_the_opening_message_says():
    text = "Can I tell the police about the bruises because I'm worried he is being hurt at home?"
    t = tracker(
        slots={**CONTEXT, "purpose": "no", "record_reference": "ISD-000001"},
        text=text,
        intent="start_check",
        entities=[{"entity": "recipient", "value": "police"}],
    )
    dispatcher = CollectingDispatcher()
    events = await ActionBeginCheck().run(dispatcher, t, domain())
    slots = {e["name"]: e["value"] for e in events}
    assert slots["recipient"] == "police"
    assert slots["purpose"] is None and slots["record_reference"] is None
    assert slots["check_id"] and slots["safeguarding_concern"] is True
    assert "police" in texts(dispatcher)[0]


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


async def test_go_back_clears_the_previous_answer_and_its_dependents():
    slots = {**CONTEXT, "purpose": "yes", "identifiable": "yes", "confidential": "yes"}
    events = await ActionGoBack().run(
        CollectingDispatcher(), tracker(slots=slots, requested="consent"), domain()
    )
    assert SlotSet("confidential", None) in events
    assert SlotSet("identifiable", None) not in events


async def test_change_answer_from_the_summary():
    slots = {**CONTEXT, **SHARE_ANSWERS, "reasons": "because"}
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


async def test_finish_saves_exactly_one_record_with_redacted_reasons(records):
    slots = {
        **CONTEXT,
        **SHARE_ANSWERS,
        "record": "yes",
        "check_id": "c1",
        "reasons": "Nurse needs it; call mum on 07700 900123",
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
    assert record["checks"]["inform_person"] == "already_aware"
    assert "[PHONE]" in record["reasons"] and "07700" not in record["reasons"]
    assert record["channel"] == "rest" and record["conversation_id"] == "tester"


def _channel_tracker(slots: dict[str, Any], channel: str) -> Tracker:
    return tracker(slots=slots, events=[{"event": "user", "text": "yes", "input_channel": channel}])


@pytest.mark.parametrize(
    ("channel", "public_url", "linked"),
    [
        ("socketio", "http://127.0.0.1:5005", "message"),
        ("rest", "https://chat.example.org", "message"),
        ("botframework", "https://chat.example.org", "card"),
        ("botframework", "http://127.0.0.1:5005", None),  # not reachable from Teams
    ],
)
async def test_the_saved_record_links_to_its_printable_summary(
    records, monkeypatch, channel, public_url, linked
):
    from bot.records import links

    monkeypatch.setenv(links.SECRET_ENV, "k" * 32)
    monkeypatch.setenv(links.PUBLIC_URL_ENV, public_url)
    slots = {**CONTEXT, **SHARE_ANSWERS, "record": "yes", "check_id": f"c-{channel}-{linked}"}
    dispatcher = CollectingDispatcher()
    await ActionFinishCheck().run(dispatcher, _channel_tracker(slots, channel), domain())
    (record,) = records.list()
    url = links.summary_url(record.reference, "tester")
    said = json.dumps(dispatcher.messages)
    if linked is None:
        assert "/chat/records/" not in said
    elif linked == "message":
        assert texts(dispatcher)[-1] == (
            f"A printable summary of {record.reference} is here: "
            f"[{record.reference} summary]({url})"
        )
    else:
        (message,) = dispatcher.messages
        card = message["custom"]["attachments"][0]["content"]
        assert {"type": "Action.OpenUrl", "title": "Printable summary", "url": url} in card[
            "actions"
        ]


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


async def test_a_statement_read_as_a_command_at_a_free_text_question_is_the_answer():
    from actions.check import ActionExplainQuestion

    slots = {**CONTEXT, **SHARE_ANSWERS}
    statement = "Housing need it, tenant email jo.bloggs@example.org for the arrears"
    dispatcher = CollectingDispatcher()
    t = tracker(slots=slots, text=statement, intent="explain", requested="reasons")
    events = await ActionExplainQuestion().run(dispatcher, t, domain())
    assert events == [SlotSet("reasons", "Housing need it, tenant email [EMAIL] for the arrears")]
    # A real question is still explained.
    dispatcher = CollectingDispatcher()
    t = tracker(slots=slots, text="why do you need this?", intent="explain", requested="reasons")
    assert await ActionExplainQuestion().run(dispatcher, t, domain()) == []
    assert "Golden Rule 7" in texts(dispatcher)[0]


@pytest.mark.parametrize(
    "text,restarts", [("start again", True), ("/restart", True), ("the cat sat on the mat", False)]
)
async def test_only_an_explicit_start_again_throws_a_check_away(text, restarts):
    from actions.check import ActionRestart

    dispatcher = CollectingDispatcher()
    t = tracker(slots=CONTEXT, text=text, intent="restart", requested="purpose")
    events = await ActionRestart().run(dispatcher, t, domain())
    assert (events[-1]["event"] == "restart") is restarts
    if not restarts:
        assert events == [{"event": "followup", "name": FORM, "timestamp": None}]


@pytest.mark.parametrize("text,stops", [("bye", True), ("stop", True), ("ok", False)])
async def test_only_a_clear_goodbye_ends_a_check(text, stops):
    from actions.check import ActionStopCheck

    dispatcher = CollectingDispatcher()
    t = tracker(slots=CONTEXT, text=text, intent="goodbye", requested="purpose")
    events = await ActionStopCheck().run(dispatcher, t, domain())
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events) is stops
