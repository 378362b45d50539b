"""Every channel's output keeps only http, https and mailto links (bot/channels/output.py), and
the helpdesk's advice is saved that way (bot/helpdesk/requests.py): the REST channel on a Sanic
server in this process (its replies and its streamed replies), the web chat's socket.io output,
the Teams output (text and Adaptive Card), and an answer saved in the database. The function
itself: tests/unit/test_links.py; through the real servers and in Chromium:
tests/e2e/test_safe_links.py."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from support.channels import serve_channels
from support.helpdesk import UNSURE_AT_CONSENT

from bot.channels.rest import RestInput
from bot.channels.socketio import SocketIOOutput
from bot.channels.teams import BotFrameworkOutput, ButtonTitles
from bot.helpdesk.requests import AdviceRequests

UNSAFE = "Read [the guidance](javascript:alert(document.cookie)) before you share."
SAFE = "Read the guidance before you share."
REPLY = {
    "text": UNSAFE,
    "buttons": [
        {"title": "Yes", "payload": "/affirm"},
        {
            "title": "[Open](JaVaScRiPt:alert(1))",
            "type": "web_url",
            "url": "javascript:alert(1)",
            "payload": "/open",
        },
    ],
}


def assert_no_unsafe_link(sent: Any) -> None:
    dumped = json.dumps(sent).lower()
    assert "javascript" not in dumped, sent


class Agent:
    """Stands in for Rasa's agent: every message is answered with ``REPLY`` through the
    message's own output channel (as Rasa's processor does)."""

    async def handle_message(self, message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, json.loads(json.dumps(REPLY)))


@pytest.fixture()
async def rest_base(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    """The project's REST channel mounted on a Sanic server the way Rasa mounts it."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    async with serve_channels([RestInput()], Agent()) as base:
        yield f"{base}/webhooks/rest/webhook"


async def test_the_rest_channels_replies_keep_only_safe_links(rest_base: str) -> None:
    body = {"sender": f"links-{uuid.uuid4().hex[:8]}", "message": "hello"}
    async with aiohttp.ClientSession() as http:
        async with http.post(rest_base, json=body) as response:
            assert response.status == 200
            replies = await response.json()
        async with http.post(f"{rest_base}?stream=true", json=body) as response:
            assert response.status == 200
            streamed = [json.loads(line) for line in (await response.text()).splitlines() if line]
    assert replies[0]["text"] == SAFE
    assert [b["title"] for b in replies[0]["buttons"]] == ["Yes", "Open"]
    assert "url" not in replies[0]["buttons"][1]
    assert_no_unsafe_link(replies)
    assert streamed and streamed[0]["text"] == SAFE
    assert_no_unsafe_link(streamed)


class FakeSocketIO:
    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, str | None]] = []

    async def emit(self, event: str, data: Any, room: str | None = None, **_: Any) -> None:
        self.emitted.append((event, data, room))


async def test_the_web_chats_output_keeps_only_safe_links() -> None:
    """What the web chat gets: a reply, and the helpdesk's pushed answer (the same output)."""
    sio = FakeSocketIO()
    output = SocketIOOutput(sio, "bot_uttered")
    await output.send_response("session-1", json.loads(json.dumps(REPLY)))
    await output.send_response("session-1", {"text": f"The helpdesk has answered:\n{UNSAFE}"})
    texts = [data["text"] for _, data, _ in sio.emitted]
    assert texts[0] == SAFE
    assert texts[1] == f"The helpdesk has answered:  \n{SAFE}"  # a kept line break
    assert_no_unsafe_link(sio.emitted)


def teams_output(posted: list[dict[str, Any]]) -> BotFrameworkOutput:
    activity = {
        "id": "1",
        "serviceUrl": "https://smba.trafficmanager.net/uk/",
        "conversation": {"id": "conversation-1"},
        "recipient": {"id": "bot"},
        "from": {"id": "user-1"},
    }
    output = BotFrameworkOutput(activity, tokens=None, titles=ButtonTitles())  # type: ignore[arg-type]

    async def post(activity: dict[str, Any]) -> None:
        posted.append(activity)

    output.post = post  # type: ignore[method-assign]
    return output


async def test_the_teams_output_keeps_only_safe_links_in_text_and_cards() -> None:
    posted: list[dict[str, Any]] = []
    output = teams_output(posted)
    await output.send_response("user-1", json.loads(json.dumps(REPLY)))
    card = {
        "title": "Your decision",
        "facts": [["Q1", "[yes](vbscript:msgbox(1))"]],
        "note": "See [this](data:text/html,hi).",
        "link": ["Printable summary", "javascript:alert(1)"],
    }
    await output.send_response("user-1", {"text": UNSAFE, "card": card})
    assert posted[0]["text"] == SAFE
    content = posted[1]["attachments"][0]["content"]
    assert content["body"][1]["facts"] == [{"title": "Q1", "value": "yes"}]
    assert content["body"][2]["text"] == "See this."
    assert "actions" not in content  # the card's link was not https: no button
    assert "vbscript" not in json.dumps(posted) and "data:" not in json.dumps(posted)
    assert_no_unsafe_link(posted)


def test_the_advisers_advice_is_saved_with_safe_links_only(engine: Any) -> None:
    requests = AdviceRequests(engine)
    requests.create("ISD-000009", UNSURE_AT_CONSENT, "Can I?", conversation_id="c", channel="rest")
    answered = requests.answer(
        "ISD-000009",
        "jo",
        "Talk to [the lead](javascript:alert(1)) first; [policy](https://example.org/policy).",
        "no",
        "4.13 [more](data:text/html,hi)",
    )
    assert answered.advice == ("Talk to the lead first; [policy](https://example.org/policy).")
    assert answered.citation == "4.13 more"
    assert requests.get("ISD-000009").advice == answered.advice
