"""The helpdesk through the real servers: its API (tokens, roles, every error status, the OpenAPI
document), and a practitioner asking it from the chat over REST. Accounts, tokens, requests,
e-mail and the command line, without the bot's servers: tests/integration/test_helpdesk.py."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from support.helpdesk import UNSURE_AT_CONSENT

from bot.helpdesk.accounts import Accounts
from bot.helpdesk.openapi import spec
from bot.helpdesk.requests import AdviceRequests, UnknownRequest
from bot.records import make_engine

pytestmark = pytest.mark.e2e


# --- the API, through the real Rasa server -----------------------------------------------------


def _call(base: str, method: str, path: str, token: str | None = None, body=None):
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    request = urllib.request.Request(f"{base}/api{path}", data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_the_advice_api(chat) -> None:
    engine = make_engine(chat.database_url)
    accounts, requests = Accounts(engine), AdviceRequests(engine)
    _, reporting = accounts.create_token("reports", "reporting")
    adviser_token, adviser = accounts.create_token("crm", "adviser")
    requests.create("ISD-900001", UNSURE_AT_CONSENT, "Can I?", conversation_id="x", channel="rest")
    base = chat.base

    assert _call(base, "GET", "/advice")[0] == 401
    assert _call(base, "GET", "/advice", token="isk_not-a-token")[0] == 401
    status, listed = _call(base, "GET", "/advice", token=reporting)
    assert status == 200 and "ISD-900001" in [r["reference"] for r in listed["requests"]]
    assert "conversation_id" not in listed["requests"][0]
    assert "Jane" not in json.dumps(listed)
    assert _call(base, "GET", "/advice?status=lost", token=reporting)[0] == 422
    assert _call(base, "GET", "/advice/ISD-000000", token=reporting)[0] == 404
    assert _call(base, "GET", "/advice/ISD-900001", token=reporting)[1]["status"] == "open"

    assert _call(base, "POST", "/advice/ISD-900001/claim", token=reporting)[0] == 403
    answer = {"advice": "Seek consent first.", "suggested_answer": "no", "citation": "4"}
    assert _call(base, "POST", "/advice/ISD-900001/answer", reporting, answer)[0] == 403
    assert _call(base, "POST", "/advice/ISD-000000/claim", token=adviser)[0] == 404
    status, claimed = _call(base, "POST", "/advice/ISD-900001/claim", token=adviser)
    assert status == 200 and claimed["claimed_by"] == "token:crm"

    for bad in (
        b"not json",
        b"[1]",
        {"advice": ""},
        {"advice": 3},
        {"advice": "x", "y": 1},
        {"advice": "x", "suggested_answer": "maybe"},
    ):
        status, error = _call(base, "POST", "/advice/ISD-900001/answer", adviser, bad)
        assert status == 422 and error["error"], bad
    status, answered = _call(base, "POST", "/advice/ISD-900001/answer", adviser, answer)
    assert status == 200 and answered["status"] == "answered"
    assert _call(base, "POST", "/advice/ISD-900001/answer", adviser, answer)[0] == 409
    assert _call(base, "GET", "/advice/<script>", token=reporting)[0] == 404

    accounts.revoke_token(adviser_token.id)
    assert _call(base, "POST", "/advice/ISD-900001/claim", token=adviser)[0] == 401
    engine.dispose()


def test_the_openapi_document_describes_every_route(chat) -> None:
    status, served = _call(chat.base, "GET", "/openapi.json")
    assert status == 200 and served == spec()
    assert served["openapi"].startswith("3.")
    assert set(served["paths"]) == {
        "/openapi.json",
        "/advice",
        "/advice/{reference}",
        "/advice/{reference}/claim",
        "/advice/{reference}/answer",
        "/records",
        "/records/{reference}",
    }


# --- asking the helpdesk from the chat ---------------------------------------------------------


def test_a_practitioner_asks_the_helpdesk_sees_the_request_changes_it_and_sends_it(chat) -> None:
    import uuid

    sender = f"helpdesk-{uuid.uuid4().hex[:8]}"
    assert "Question 1" in chat.text(
        sender,
        "Can I tell the school nurse about Jane Smith's asthma so she can help in an emergency?",
    )
    reply = chat.say(sender, "not sure")
    text = "\n".join(m.get("text") or "" for m in reply)
    assert "I have saved this as ISD-" in text and "send this to the helpdesk" in text
    buttons = [b["title"] for m in reply for b in m.get("buttons") or []]
    assert buttons[-2:] == ["Ask the helpdesk", "No thanks"]
    (record,) = chat.record_for(sender)
    assert "What would you like to ask the adviser?" in chat.text(sender, "/affirm")
    preview = chat.text(sender, "Does Jane Smith's mum need to agree first? Ring 07700 900123")
    assert "This is what the adviser will see" in preview
    assert "Jane" not in preview and "Smith" not in preview and "07700" not in preview
    assert "[NAME]" in preview and "[PHONE]" in preview and "Not sure at: Q1" in preview
    assert "What would you like to ask" in chat.text(sender, "change my question")
    assert "Your question: Is there a protocol for this?" in chat.text(
        sender, "Is there a protocol for this?"
    )
    sent = chat.text(sender, "send it")
    assert f"Sent to the helpdesk as {record['reference']}" in sent

    engine = make_engine(chat.database_url)
    requests = AdviceRequests(engine)
    request = requests.get(record["reference"])
    assert request.status == "open" and request.channel == "rest"
    assert request.content["question"] == "Is there a protocol for this?"
    assert "Jane" not in json.dumps(request.content)
    assert requests.conversation_of(record["reference"]) == (sender, "rest")
    # the record is as it was: one seek_advice record
    assert [r["outcome"] for r in chat.record_for(sender)] == ["seek_advice"]

    # not answered yet: nothing said; answered: said at the next message, once
    assert "The helpdesk has answered" not in chat.text(sender, "hello")
    requests.answer(
        record["reference"], "jo", "Yes: talk to the designated lead first.", "yes", "3.3 - 3.9"
    )
    reply = chat.text(sender, "thanks")
    assert f"The helpdesk has answered your request {record['reference']}" in reply
    assert "talk to the designated lead first" in reply
    assert 'They suggest answering "Yes" to Q1' in reply and "3.3 - 3.9" in reply
    assert "The helpdesk has answered" not in chat.text(sender, "thanks again")
    engine.dispose()


def test_no_thanks_or_dont_send_sends_nothing(chat) -> None:
    import uuid

    engine = make_engine(chat.database_url)
    requests = AdviceRequests(engine)
    first = f"helpdesk-{uuid.uuid4().hex[:8]}"
    chat.text(first, "Can I tell the GP about her mental health because I am worried about her?")
    chat.text(first, "not sure")
    assert "Nothing has been sent" in chat.text(first, "/deny")
    (record,) = chat.record_for(first)
    with pytest.raises(UnknownRequest):
        requests.get(record["reference"])

    second = f"helpdesk-{uuid.uuid4().hex[:8]}"
    chat.text(second, "Can I tell the GP about her mental health because I am worried about her?")
    chat.text(second, "not sure")
    chat.text(second, "yes please")
    assert "Shall I send it?" in chat.text(second, "no question")
    assert "Nothing has been sent" in chat.text(second, "don't send")
    (record,) = chat.record_for(second)
    with pytest.raises(UnknownRequest):
        requests.get(record["reference"])
    # and the conversation goes on: a new check starts
    assert "What information" in chat.text(second, "start again")
    engine.dispose()
