"""Continuing a check after the helpdesk's advice, through the real servers over REST: answered
through the API, said at the next message, continued with the button and finished; continued
from another conversation with the right key, a wrong key, no key, an unknown reference. The
engine, the record, the keys and the delivery bookkeeping: tests/integration/test_continuing.py."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from support.helpdesk import api_token, post_json

from bot.helpdesk.requests import AdviceRequests
from bot.records import make_engine

pytestmark = pytest.mark.e2e


# --- the whole hand-over, through the real servers -------------------------------------------


def _ask_the_helpdesk(chat, sender: str) -> tuple[str, str]:
    """A practitioner unsure at question 4 sends the half-built decision; (reference, key)."""
    chat.text(sender, "Can I tell the school nurse about Jane Smith's asthma so she can help her?")
    for answer in ("yes, to keep her safe at school", "yes it names her", "yes, it's health"):
        chat.text(sender, answer)
    offer = chat.text(sender, "not sure, her mum might not agree")
    assert "send this to the helpdesk" in offer
    chat.text(sender, "yes please")
    chat.text(sender, "Do I need her mother's agreement first?")
    sent = chat.text(sender, "send it")
    found = re.search(
        r'Sent to the helpdesk as (ISD-\d+).*"continue \1 key ([A-Z2-7-]{11})"', sent, re.S
    )
    assert found, sent
    return found.group(1), found.group(2)


def test_answered_through_the_api_the_check_continues_in_the_same_chat(chat) -> None:
    sender = f"continue-{uuid.uuid4().hex[:8]}"
    reference, _ = _ask_the_helpdesk(chat, sender)
    assert "has not answered" in chat.text(sender, f"continue {reference}")

    token = api_token(chat)
    status, answered = post_json(
        chat.base,
        f"/api/advice/{reference}/answer",
        token,
        {
            "advice": "Ask her mother unless that would put her at risk.",
            "suggested_answer": "not_asked",
            "citation": "4.1-4.5",
        },
    )
    assert status == 200 and answered["status"] == "answered"
    assert answered["delivered_at"] is None  # REST cannot be reached: at the next message

    reply = chat.say(sender, "hello?")
    text = "\n".join(m.get("text") or "" for m in reply)
    assert f"The helpdesk has answered your request {reference}" in text
    assert "Ask her mother unless" in text and '"Not asked yet" to Q4' in text
    (button,) = [
        b for m in reply for b in m.get("buttons") or [] if b["title"] == "Continue the check"
    ]
    assert "has answered" not in chat.text(sender, "hello again")  # said once

    resumed = chat.text(sender, button["payload"])
    assert f"Continuing the check of {reference}" in resumed
    assert "Ask her mother unless" in resumed and "Q4" in resumed
    assert chat.tracker(sender)["slots"]["requested_slot"] == "consent"
    # the decision stays the practitioner's: they answer otherwise than suggested
    assert "Question 5" in chat.text(sender, "no, her mother refused")
    assert "public interest" in chat.text(sender, "yes")
    assert "point 1 of 7" in chat.text(sender, "Without it the nurse cannot help her in an attack.")
    for point in range(2, 8):
        assert f"point {point} of 7" in chat.text(sender, "yes")
    assert "reasons" in chat.text(sender, "They already know")
    assert "Shall I save" in chat.text(sender, "The helpdesk's advice, and her safety at school.")
    assert "Your decision reference is" in chat.text(sender, "yes")
    records = {r["reference"]: r for r in chat.record_for(sender)}
    assert len(records) == 2
    first = records.pop(reference)
    (second,) = records.values()
    assert second["continues"] == reference and second["reference"] != reference
    assert second["advice"]["advice"] == "Ask her mother unless that would put her at risk."
    assert second["advice"]["suggested_answer"] == "not_asked"
    assert second["advice"]["adviser"].startswith("token:desk-")
    assert second["answers"]["consent"] == "no" and second["outcome"] == "share"
    assert (
        second["path"][:4]
        == first["path"]
        == ["purpose", "identifiable", "confidential", "consent"]
    )
    assert first["continues"] is None and first["answers"]["consent"] == "not_sure"
    assert "Jane" not in json.dumps(second)

    db = make_engine(chat.database_url)
    assert AdviceRequests(db).get(reference).status == "closed"
    db.dispose()


def test_another_conversation_continues_only_with_the_key(chat) -> None:
    sender = f"asker-{uuid.uuid4().hex[:8]}"
    reference, key = _ask_the_helpdesk(chat, sender)
    db = make_engine(chat.database_url)
    AdviceRequests(db).answer(reference, "jo", "Ask the designated lead today.", "yes")
    db.dispose()

    refusal = "I cannot continue that check from here"
    other = f"other-{uuid.uuid4().hex[:8]}"
    wrong = "AAAAA-AAAAA" if key != "AAAAA-AAAAA" else "BBBBB-BBBBB"
    for attempt in (
        f"continue {reference}",
        f"continue {reference} key {wrong}",
        "continue ISD-999999 key ABCDE-FGHIJ",
    ):
        said = chat.text(other, attempt)
        assert refusal in said, said
        assert "designated lead" not in said and "Q4" not in said  # nothing disclosed
    assert chat.record_for(other) == []

    # the link's payload, as the chat page sends it, with the key: the check continues there
    payload = f'/continue_check{{"reference": "{reference}", "key": "{key}"}}'
    resumed = chat.text(other, payload)
    assert f"Continuing the check of {reference}" in resumed and "designated lead" in resumed
    assert chat.tracker(other)["slots"]["requested_slot"] == "consent"
    # typed, with the key as people type it, in a third conversation
    third = f"third-{uuid.uuid4().hex[:8]}"
    resumed = chat.text(third, f"continue {reference.lower()} key {key.lower()}")
    assert f"Continuing the check of {reference}" in resumed
    # the advice was shown where the check was continued: the asker's chat does not repeat it
    assert "has answered" not in chat.text(sender, "any news?")
