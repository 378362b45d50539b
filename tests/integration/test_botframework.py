"""The Microsoft Teams (Bot Framework) channel, offline.

A fake Microsoft runs on 127.0.0.1 in a background thread: the OpenID configuration, the signing
keys (an RSA key made here), the token endpoint and the Bot Connector, which records what the bot
posts. The channel is mounted in a real Sanic app with Rasa's own ``register`` and called over
HTTP, as Teams would; a fake agent stands in for Rasa (it records the messages and replies
through the channel's output channel). Also: the Adaptive Cards and the Teams app package.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import io
import json
import logging
import socket
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from support.channels import serve_channels
from support.teams import APP_ID, BOT, ISSUER, PASSWORD, FakeMicrosoft, claims, signer

from bot.channels.teams import (
    ADAPTIVE_CARD,
    OFF_MESSAGE,
    OPENID_URL,
    TOKEN_URL,
    WELCOME,
    BotFrameworkInput,
    BotFrameworkOutput,
    ButtonTitles,
    Settings,
    card_activity,
    teams_text,
)
from bot.channels.teams import auth as teams_auth
from bot.channels.teams import channel as teams_channel
from bot.channels.teams.connector import conversation_reference
from bot.channels.teams.settings import SERVICE_URLS
from bot.protocol.messages import Card, Reply, ask, saved
from bot.protocol.model import Outcome

PROJECT = Path(__file__).resolve().parents[2]
USER = {
    "id": "29:user-1",
    "name": "Pat Example",
    "aadObjectId": "00000000-0000-0000-0000-000000000001",
}
ANSWERS = [
    {"title": "Yes", "payload": "/affirm"},
    {"title": "No", "payload": "/deny"},
    {"title": "Not sure", "payload": "/not_sure"},
]
CONSENT = [*ANSWERS[:2], {"title": "Not asked yet", "payload": "/not_asked"}, ANSWERS[2]]


# --- the channel in a Sanic app ------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeAgent:
    """Stands in for Rasa's agent: records messages, replies through the output channel."""

    def __init__(self) -> None:
        self.messages: list[UserMessage] = []
        self.replies: list[dict] = []  # what to say to every message (Rasa's message dicts)
        self.fail: Exception | None = None

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.fail:
            raise self.fail
        for reply in self.replies:
            await message.output_channel.send_response(message.sender_id, dict(reply))


@dataclass
class Teams:
    """A fake Teams client posting signed activities to the channel's webhook."""

    fake: FakeMicrosoft
    channel: BotFrameworkInput
    agent: FakeAgent
    base: str

    @property
    def webhook(self) -> str:
        return f"{self.base}/webhooks/botframework/webhook"

    def activity(self, text: str | None = "hello", **changes: Any) -> dict:
        activity = {
            "type": "message",
            "id": f"act-{uuid.uuid4().hex[:8]}",
            "channelId": "msteams",
            "serviceUrl": self.fake.service_url,
            "from": dict(USER),
            "recipient": dict(BOT),
            "conversation": {"id": "a:conv-1", "conversationType": "personal", "tenantId": "t-1"},
            "text": text,
            "textFormat": "plain",
            "locale": "en-GB",
        }
        activity.update(changes)
        return {k: v for k, v in activity.items() if v is not None}

    def token(self, **changes: Any) -> str:
        return signer().token(claims(self.fake.service_url, **changes))

    async def post(
        self,
        activity: dict | None = None,
        *,
        token: str | None = None,
        authorization: str | None = None,
        body: bytes | None = None,
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if authorization is None:
            authorization = f"Bearer {token or self.token()}"
        if authorization:
            headers["Authorization"] = authorization
        data = body if body is not None else json.dumps(activity or self.activity()).encode()
        async with aiohttp.ClientSession() as session:
            async with session.post(self.webhook, data=data, headers=headers) as answer:
                text = await answer.text()
                try:
                    return answer.status, json.loads(text) if text else None
                except ValueError:
                    return answer.status, text

    async def say(self, text: str | None = "hello", **changes: Any) -> UserMessage:
        status, body = await self.post(self.activity(text, **changes))
        assert status == 200, body
        return self.agent.messages[-1]


@pytest.fixture()
def fake() -> Any:
    server = FakeMicrosoft().start()
    yield server
    server.stop()


@pytest.fixture()
async def serve(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Starts Sanic apps with a channel registered the way Rasa does; stops them after."""
    # Sanic rewrites some of its methods at start-up; in test mode it keeps the originals, so
    # that several apps can start in one process.
    monkeypatch.setattr(Sanic, "test_mode", True)
    async with contextlib.AsyncExitStack() as stack:

        async def start(channel: BotFrameworkInput, agent: FakeAgent) -> str:
            return await stack.enter_async_context(serve_channels([channel], agent))

        yield start


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
async def teams(fake: FakeMicrosoft, serve: Any, clock: FakeClock) -> Teams:
    channel = BotFrameworkInput(fake.settings(), clock=clock)
    agent = FakeAgent()
    return Teams(fake, channel, agent, await serve(channel, agent))


def warnings_from(
    caplog: pytest.LogCaptureFixture, logger: str = teams_channel.__name__
) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger and r.levelno == logging.WARNING]


# --- authentication ------------------------------------------------------------------------------


async def test_a_valid_token_delivers_the_message(teams: Teams) -> None:
    status, _ = await teams.post(teams.activity("Can I share?"))
    assert status == 200
    (message,) = teams.agent.messages
    assert message.text == "Can I share?"
    assert message.sender_id == USER["id"]
    assert message.input_channel == "botframework"
    assert isinstance(message.output_channel, BotFrameworkOutput)
    metadata = message.metadata["botframework"]
    assert (metadata["channel_id"], metadata["conversation_type"]) == ("msteams", "personal")
    # where the helpdesk's answer can be sent later (a proactive message)
    reference = metadata["reference"]
    assert reference["serviceUrl"] == teams.fake.service_url
    assert reference["conversation"]["id"] == teams.activity("x")["conversation"]["id"]
    assert reference["user"]["id"] == USER["id"] and reference["bot"]["id"]


def _forged(teams: Teams, case: str) -> tuple[str | None, dict]:
    """(Authorization header, activity) for each way a request must be refused."""
    url = teams.fake.service_url
    activity = teams.activity()
    good = signer()
    cases: dict[str, Callable[[], str | None]] = {
        "no header": lambda: "",
        "not bearer": lambda: f"Basic {base64.b64encode(b'a:b').decode()}",
        "empty bearer": lambda: "Bearer ",
        "garbage": lambda: "Bearer not.a.token",
        "other key, same kid": lambda: f"Bearer {signer('key-1', 1).token(claims(url))}",
        "wrong audience": lambda: f"Bearer {good.token(claims(url, aud='someone-else'))}",
        "wrong issuer": lambda: (
            f"Bearer {good.token(claims(url, iss='https://sts.windows.net/x/'))}"
        ),
        "expired": lambda: f"Bearer {good.token(claims(url, exp=int(time.time()) - 400))}",
        "not yet valid": lambda: f"Bearer {good.token(claims(url, nbf=int(time.time()) + 400))}",
        "no exp": lambda: f"Bearer {good.token(claims(url, exp=None))}",
        "no issuer": lambda: f"Bearer {good.token(claims(url, iss=None))}",
        "unknown kid": lambda: f"Bearer {signer('key-x').token(claims(url))}",
        "serviceurl mismatch": lambda: (
            f"Bearer {good.token(claims('https://smba.trafficmanager.net/amer/'))}"
        ),
        "no serviceurl": lambda: f"Bearer {good.token(claims(url, serviceurl=None))}",
        "alg none": lambda: f"Bearer {good.token(claims(url), alg='none')}",
        "alg HS256": lambda: f"Bearer {good.token(claims(url), alg='HS256')}",
    }
    if case == "channel not endorsed":
        activity["channelId"] = "slack"
        return f"Bearer {good.token(claims(url))}", activity
    return cases[case](), activity


REFUSED = {
    "no header": "no Authorization header",
    "not bearer": "not a Bearer token",
    "empty bearer": "not a Bearer token",
    "garbage": "malformed",
    "other key, same kid": "signature does not verify",
    "wrong audience": "another app id",
    "wrong issuer": "not issued by the Bot Framework",
    "expired": "expired",
    "not yet valid": "not valid yet",
    "no exp": "'exp'",
    "no issuer": "'iss'",
    "unknown kid": "unknown signing key",
    "serviceurl mismatch": "serviceurl does not match",
    "no serviceurl": "no serviceurl",
    "alg none": "'none' is not allowed",
    "alg HS256": "'HS256' is not allowed",
    "channel not endorsed": "not endorsed for channel 'slack'",
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_request_without_a_valid_token_is_refused_with_401(
    teams: Teams, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    authorization, activity = _forged(teams, case)
    with caplog.at_level(logging.WARNING, logger=teams_channel.__name__):
        status, body = await teams.post(activity, authorization=authorization)
    assert status == 401
    assert body["error"] == "unauthorized" and REFUSED[case] in body["reason"], body
    assert teams.agent.messages == [] and teams.fake.posted() == []
    (warning,) = warnings_from(caplog)
    assert "refused (401)" in warning.getMessage() and REFUSED[case] in warning.getMessage()
    assert warning.exc_info is None  # one line, no traceback


@pytest.mark.parametrize(
    "make_changes",
    [
        # the times taken when the test runs, not when it was collected (minutes earlier in a
        # whole run)
        lambda: {"exp": int(time.time()) - 120},  # within the 5 minutes' leeway
        lambda: {"nbf": int(time.time()) + 120},
        lambda: {"serviceurl": None, "serviceUrl": "placeholder"},  # camel-case claim name
    ],
    ids=["expired within leeway", "nbf within leeway", "serviceUrl claim"],
)
async def test_leeway_and_the_camel_case_claim_are_accepted(
    teams: Teams, make_changes: Callable[[], dict]
) -> None:
    changes = make_changes()
    if "serviceUrl" in changes:
        changes["serviceUrl"] = teams.fake.service_url
    status, body = await teams.post(teams.activity(), token=teams.token(**changes))
    assert status == 200, body


async def test_service_url_compared_without_trailing_slash_or_case(teams: Teams) -> None:
    activity = teams.activity(serviceUrl=teams.fake.service_url.rstrip("/").upper())
    status, body = await teams.post(activity)
    assert status == 200, body


async def test_a_service_url_off_microsofts_list_gets_nothing(
    fake: FakeMicrosoft, serve: Any, clock: FakeClock
) -> None:
    """An activity Microsoft signed for a service URL that is not Microsoft's (here the fake on
    127.0.0.1, with the default list) is refused before it is read, and nothing is posted there;
    nor is a stored reply address off the list (before: the bot posted to any serviceUrl, with its
    own Azure AD token)."""
    channel = BotFrameworkInput(fake.settings(service_urls=SERVICE_URLS), clock=clock)
    agent = FakeAgent()
    agent.replies = [{"text": "hello"}]
    teams = Teams(fake, channel, agent, await serve(channel, agent))
    status, body = await teams.post(teams.activity("Can I share?"))
    assert status == 403 and "service URL" in body["error"]
    assert agent.messages == [] and fake.posted() == []
    reference = conversation_reference(teams.activity("x"))  # as stored with a request
    assert await channel.push("a:conv-1", reference, {"text": "the answer"}) is False
    assert fake.posted() == []


async def test_only_the_configured_tenants_conversations_are_answered(
    fake: FakeMicrosoft, serve: Any, clock: FakeClock
) -> None:
    channel = BotFrameworkInput(fake.settings(tenant_id="t-1"), clock=clock)
    agent = FakeAgent()
    teams = Teams(fake, channel, agent, await serve(channel, agent))
    other = {"id": "a:conv-2", "conversationType": "personal", "tenantId": "t-2"}
    status, body = await teams.post(teams.activity("hi", conversation=other))
    assert status == 403 and "tenant" in body["error"] and agent.messages == []
    status, _ = await teams.post(teams.activity("hi"))  # tenant t-1
    assert status == 200 and len(agent.messages) == 1
    elsewhere = conversation_reference(teams.activity("x", conversation=other))
    assert await channel.push("a:conv-2", elsewhere, {"text": "the answer"}) is False


async def test_a_key_without_endorsements_signs_for_any_channel(teams: Teams) -> None:
    teams.fake.keys = [signer().jwk(endorsements=None)]
    status, body = await teams.post(teams.activity(channelId="webchat"))
    assert status == 200, body


# --- keys: lazy, cached, refreshed ---------------------------------------------------------------


def test_the_channel_is_created_without_any_network_io() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    channel = BotFrameworkInput(
        Settings(APP_ID, PASSWORD, openid_url=f"{dead}/openid", token_url=f"{dead}/token")
    )
    assert channel.settings.enabled
    channel.blueprint(FakeAgent().handle_message)


async def test_keys_are_fetched_on_the_first_request_then_cached(teams: Teams) -> None:
    assert teams.fake.hits == Counter()  # created and mounted: nothing fetched
    assert (await teams.post())[0] == 200
    assert teams.fake.hits["openid"] == 1 and teams.fake.hits["keys"] == 1
    assert (await teams.post())[0] == 200
    assert teams.fake.hits["openid"] == 1 and teams.fake.hits["keys"] == 1


async def test_keys_are_refreshed_after_24_hours(teams: Teams, clock: FakeClock) -> None:
    assert (await teams.post())[0] == 200
    clock.advance(23 * 3600)
    assert (await teams.post())[0] == 200
    assert teams.fake.hits["keys"] == 1
    clock.advance(3600)
    assert (await teams.post())[0] == 200
    assert teams.fake.hits["keys"] == 2


async def test_a_failed_refresh_keeps_the_old_keys(
    teams: Teams, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await teams.post())[0] == 200
    teams.fake.failing.add("keys")
    clock.advance(24 * 3600)
    with caplog.at_level(logging.WARNING, logger=teams_auth.__name__):
        assert (await teams.post())[0] == 200
        assert (await teams.post())[0] == 200  # not retried at once
    assert teams.fake.hits["keys"] == 2
    assert any(
        "keeping the keys" in r.getMessage() for r in warnings_from(caplog, teams_auth.__name__)
    )


async def test_an_unknown_kid_refetches_the_keys_at_most_every_5_minutes(
    teams: Teams, clock: FakeClock
) -> None:
    assert (await teams.post())[0] == 200
    rotated = signer("key-2")
    teams.fake.keys = [signer().jwk(), rotated.jwk()]
    new_token = rotated.token(claims(teams.fake.service_url))
    status, body = await teams.post(token=new_token)
    assert status == 401 and "unknown signing key" in body["reason"]
    assert teams.fake.hits["keys"] == 1  # fetched a moment ago: not again
    clock.advance(5 * 60)
    assert (await teams.post(token=new_token))[0] == 200
    assert teams.fake.hits["keys"] == 2
    status, _ = await teams.post(token=signer("key-3").token(claims(teams.fake.service_url)))
    assert status == 401 and teams.fake.hits["keys"] == 2


async def test_keys_unavailable_answers_503_then_recovers(
    teams: Teams, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    teams.fake.failing.add("openid")
    with caplog.at_level(logging.ERROR, logger=teams_channel.__name__):
        status, body = await teams.post()
        assert status == 503 and teams.agent.messages == []
        assert (await teams.post())[0] == 503
    assert teams.fake.hits["openid"] == 1  # the second request did not try again at once
    assert any("could not fetch" in r.getMessage() for r in caplog.records)
    teams.fake.failing.clear()
    clock.advance(11)
    assert (await teams.post())[0] == 200


# --- configuration: off unless both variables are set --------------------------------------------


async def test_the_channel_is_off_without_app_id_and_password(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=teams_channel.__name__):
        channel = BotFrameworkInput(Settings(app_id=APP_ID))
    (line,) = [r for r in caplog.records if r.name == teams_channel.__name__]
    assert "off" in line.getMessage() and "MICROSOFT_APP_PASSWORD" in line.getMessage()
    base = await serve(channel, FakeAgent())
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/webhooks/botframework/webhook", json={}) as answer:
            assert answer.status == 503
            body = await answer.json()
        async with session.get(f"{base}/webhooks/botframework/") as answer:
            assert await answer.json() == {"status": "ok", "enabled": False}
    assert "MICROSOFT_APP_ID" in body["error"] and "MICROSOFT_APP_PASSWORD" in body["error"]
    assert body["error"] == OFF_MESSAGE


def test_settings_come_from_the_environment_and_credentials_override(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [
        "MICROSOFT_APP_ID",
        "MICROSOFT_APP_PASSWORD",
        "MICROSOFT_APP_TENANT_ID",
        "BOTFRAMEWORK_OPENID_URL",
        "BOTFRAMEWORK_TOKEN_URL",
        "BOTFRAMEWORK_ISSUER",
        "BOTFRAMEWORK_SCOPE",
    ]:
        monkeypatch.delenv(name, raising=False)
    off = BotFrameworkInput.from_credentials(None)
    assert isinstance(off, BotFrameworkInput) and not off.settings.enabled
    assert off.settings.openid_url == OPENID_URL
    assert off.settings.token_url == TOKEN_URL
    monkeypatch.setenv("MICROSOFT_APP_ID", "env-id")
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "env-password")
    on = BotFrameworkInput.from_credentials({"app_id": None, "app_password": ""})
    assert on.settings.enabled and on.settings.app_id == "env-id"
    chosen = BotFrameworkInput.from_credentials({"app_id": "yaml-id", "app_password": "yaml-pw"})
    assert (chosen.settings.app_id, chosen.settings.app_password) == ("yaml-id", "yaml-pw")
    monkeypatch.setenv("MICROSOFT_APP_TENANT_ID", "contoso.onmicrosoft.com")
    assert Settings.load().token_url == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    )
    monkeypatch.setenv("BOTFRAMEWORK_TOKEN_URL", "http://127.0.0.1:1/token")
    monkeypatch.setenv("BOTFRAMEWORK_OPENID_URL", "http://127.0.0.1:1/openid")
    assert Settings.load().token_url == "http://127.0.0.1:1/token"
    assert Settings.load().openid_url == "http://127.0.0.1:1/openid"
    assert (Settings.load().issuer, Settings.load().scope) == (
        ISSUER,
        "https://api.botframework.com/.default",
    )
    monkeypatch.setenv("BOTFRAMEWORK_ISSUER", "https://api.botframework.us")
    monkeypatch.setenv("BOTFRAMEWORK_SCOPE", "https://api.botframework.us/.default")
    sovereign = BotFrameworkInput.from_credentials(None)
    assert sovereign.authenticator.issuer == "https://api.botframework.us"
    assert sovereign.tokens.scope == "https://api.botframework.us/.default"


# --- bad bodies and failures ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b"\xff\xfe", b""], ids=["bad json", "list", "bytes", "empty"]
)
async def test_a_body_that_is_not_an_activity_is_400(teams: Teams, body: bytes) -> None:
    status, answer = await teams.post(body=body)
    assert status == 400 and "JSON activity" in answer["error"]
    assert teams.agent.messages == []


async def test_a_huge_body_is_refused_with_413(teams: Teams) -> None:
    status, answer = await teams.post(body=b" " * (1024 * 1024 + 1))
    assert status == 413 and teams.agent.messages == []


async def test_an_authenticated_message_without_a_sender_is_400(teams: Teams) -> None:
    activity = teams.activity()
    del activity["from"]
    status, answer = await teams.post(activity)
    assert status == 400 and "from.id" in answer["error"]


async def test_a_failure_while_handling_is_logged_and_answered_500(
    teams: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    teams.agent.fail = RuntimeError("the tracker store is down")
    with caplog.at_level(logging.ERROR, logger=teams_channel.__name__):
        status, _ = await teams.post()
    assert status == 500
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info and "tracker store is down" in str(record.exc_info[1])


async def test_a_bot_connector_error_is_answered_500(
    teams: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    teams.agent.replies = [{"text": "Hello"}]
    teams.fake.failing.add("connector")
    with caplog.at_level(logging.ERROR, logger=teams_channel.__name__):
        status, _ = await teams.post()
    assert status == 500
    assert any("Bot Connector answered 500" in str(r.exc_info[1]) for r in caplog.records)


@pytest.mark.parametrize("kind", ["messageReaction", "typing", "invoke", "installationUpdate"])
async def test_other_activity_types_are_acknowledged_and_ignored(teams: Teams, kind: str) -> None:
    status, _ = await teams.post(teams.activity(type=kind))
    assert status == 200
    assert teams.agent.messages == [] and teams.fake.posted() == []


async def test_the_bot_added_to_a_conversation_says_hello(teams: Teams) -> None:
    added = teams.activity(None, type="conversationUpdate", membersAdded=[dict(BOT)])
    assert (await teams.post(added))[0] == 200
    (welcome,) = teams.fake.posted()
    assert welcome["text"] == teams_text(WELCOME) and "replyToId" not in welcome
    assert welcome["from"] == BOT and welcome["recipient"] == USER
    someone = teams.activity(None, type="conversationUpdate", membersAdded=[{"id": "29:other"}])
    assert (await teams.post(someone))[0] == 200
    assert len(teams.fake.posted()) == 1 and teams.agent.messages == []


# --- replies through the Bot Connector -----------------------------------------------------------


async def test_a_reply_is_posted_with_a_client_credentials_token(
    teams: Teams, clock: FakeClock
) -> None:
    teams.agent.replies = [{"text": "Question 1: Is there a clear purpose?\n• a point\n\nWhy?"}]
    incoming = teams.activity()
    assert (await teams.post(incoming))[0] == 200
    (posted,) = teams.fake.activities
    assert posted["path"] == "/emea/v3/conversations/a%3Aconv-1/activities"
    assert posted["authorization"] == "Bearer connector-token-1"
    activity = posted["activity"]
    assert activity == {
        "type": "message",
        "from": BOT,
        "recipient": USER,
        "conversation": incoming["conversation"],
        "replyToId": incoming["id"],
        "text": "Question 1: Is there a clear purpose?\n\n• a point\n\nWhy?",
        "textFormat": "markdown",
    }
    (request,) = teams.fake.token_requests
    assert request == {
        "grant_type": "client_credentials",
        "client_id": APP_ID,
        "client_secret": PASSWORD,
        "scope": "https://api.botframework.com/.default",
    }
    assert (await teams.post())[0] == 200
    assert len(teams.fake.token_requests) == 1  # cached
    assert teams.fake.activities[-1]["authorization"] == "Bearer connector-token-1"
    clock.advance(3600 - 5 * 60)  # 5 minutes before it expires: a new one
    assert (await teams.post())[0] == 200
    assert len(teams.fake.token_requests) == 2
    assert teams.fake.activities[-1]["authorization"] == "Bearer connector-token-2"


async def test_a_refused_connector_token_is_replaced_once(teams: Teams) -> None:
    teams.agent.replies = [{"text": "Hello"}]
    teams.fake.connector_statuses = [401]
    assert (await teams.post())[0] == 200
    assert len(teams.fake.token_requests) == 2
    assert teams.fake.activities[-1]["authorization"] == "Bearer connector-token-2"


async def test_up_to_three_buttons_are_suggested_actions(teams: Teams) -> None:
    teams.agent.replies = [{"text": "Question 1: Purpose?", "buttons": ANSWERS}]
    await teams.say()
    (activity,) = teams.fake.posted()
    assert activity["text"] == "Question 1: Purpose?" and "attachments" not in activity
    assert activity["suggestedActions"] == {
        "actions": [
            {"type": "imBack", "title": "Yes", "value": "Yes"},
            {"type": "imBack", "title": "No", "value": "No"},
            {"type": "imBack", "title": "Not sure", "value": "Not sure"},
        ],
        "to": [USER["id"]],
    }


async def test_more_than_three_buttons_are_a_hero_card_of_message_back_buttons(
    teams: Teams,
) -> None:
    teams.agent.replies = [{"text": "Question 4: Consent?", "buttons": CONSENT}]
    await teams.say()
    (activity,) = teams.fake.posted()
    assert activity["text"] == "Question 4: Consent?" and "suggestedActions" not in activity
    (card,) = activity["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.hero"
    assert card["content"]["buttons"][2] == {
        "type": "messageBack",
        "title": "Not asked yet",
        "displayText": "Not asked yet",
        "text": "/not_asked",
    }
    assert len(card["content"]["buttons"]) == 4


async def test_an_adaptive_card_is_posted_with_who_and_where_filled_in(teams: Teams) -> None:
    reply = saved("ISD-000042", Outcome.SHARE)
    teams.agent.replies = [{"custom": card_activity(reply)}]
    incoming = teams.activity()
    assert (await teams.post(incoming))[0] == 200
    (activity,) = teams.fake.posted()
    assert activity["type"] == "message" and activity["text"] == ""
    assert activity["from"] == BOT and activity["recipient"] == USER
    assert activity["conversation"] == incoming["conversation"]
    assert activity["replyToId"] == incoming["id"]
    assert activity["attachments"][0]["contentType"] == ADAPTIVE_CARD


async def test_a_reply_with_a_card_as_data_is_drawn_as_an_adaptive_card(teams: Teams) -> None:
    """The actions send channel-neutral replies (text, buttons, the card as data); this channel
    draws the card, and keeps its link only when Teams users can open it (https)."""
    reply = saved("ISD-000042", Outcome.SHARE)
    for url, linked in (("https://chat.example.org/r", True), ("http://127.0.0.1:5005/r", False)):
        card = replace(reply.card, link=("Printable summary", url))
        teams.agent.replies = [{"text": reply.text, "card": card.as_data()}]
        await teams.say()
        activity = teams.fake.posted()[-1]
        (attachment,) = activity["attachments"]
        assert attachment["contentType"] == ADAPTIVE_CARD
        content = attachment["content"]
        assert content["body"][0]["text"] == "Decision record ISD-000042"
        actions = content.get("actions", [])
        assert (
            {"type": "Action.OpenUrl", "title": "Printable summary", "url": url} in actions
        ) is linked


# --- what Rasa receives --------------------------------------------------------------------------


async def test_a_suggested_action_title_comes_back_as_its_payload(teams: Teams) -> None:
    teams.agent.replies = [{"text": "Question 1", "buttons": ANSWERS}]
    await teams.say("Can I share?")
    assert (await teams.say("  not SURE ")).text == "/not_sure"
    assert (await teams.say("Yes")).text == "/affirm"
    assert (await teams.say("yes please")).text == "yes please"  # not a title: as typed
    # Another conversation never saw the buttons: the title goes through as typed.
    other = {"id": "a:conv-2", "conversationType": "personal"}
    assert (await teams.say("Yes", conversation=other)).text == "Yes"
    # A turn without buttons forgets the last ones: "Yes" may be the answer to a free question.
    teams.agent.replies = [{"text": "Please give the reasons."}]
    await teams.say("Yes")
    assert (await teams.say("Yes")).text == "Yes"


async def test_card_buttons_are_remembered_too(teams: Teams) -> None:
    teams.agent.replies = [{"text": "Question 4", "buttons": CONSENT}]
    await teams.say()
    assert (await teams.say("not asked yet")).text == "/not_asked"
    reply = Reply("Summary", [{"title": "Yes, save it", "payload": "/affirm"}], Card("Summary"))
    teams.agent.replies = [{"custom": card_activity(reply)}]
    await teams.say()
    assert (await teams.say("yes, save it")).text == "/affirm"


async def test_a_card_submit_value_is_the_message(teams: Teams) -> None:
    value = {"payload": "/change_answer", "msteams": {"type": "messageBack"}}
    assert (await teams.say("", value=value)).text == "/change_answer"
    assert (await teams.say(None, value=value)).text == "/change_answer"
    assert (await teams.say("/deny")).text == "/deny"  # messageBack text is the payload


async def test_in_a_group_chat_the_mention_goes_and_each_user_has_a_check(teams: Teams) -> None:
    group = {"id": "19:meeting_abc@thread.v2", "conversationType": "groupChat"}
    mention = {
        "type": "mention",
        "text": "<at>Can I share?</at>",
        "mentioned": {"id": BOT["id"], "name": "Can I share?"},
    }
    teams.agent.replies = [{"text": "Question 1", "buttons": ANSWERS}]
    message = await teams.say(
        "<at>Can I share?</at> Can I tell <at>Jo</at> about it?",
        conversation=group,
        entities=[mention],
    )
    assert message.text == "Can I tell Jo about it?"
    assert message.sender_id == f"{group['id']}|{USER['id']}"
    answer = await teams.say(
        "<at>Can I share?</at> Not sure", conversation=group, entities=[mention]
    )
    assert answer.text == "/not_sure"
    assert teams.fake.posted()[-1]["conversation"] == group


# --- small parts ---------------------------------------------------------------------------------


def test_teams_text_keeps_every_line() -> None:
    assert teams_text("One.\n\nTwo\n    Three\r\n• four\n\n\n") == "One.\n\nTwo\n\nThree\n\n• four"


def test_button_titles_are_bounded_least_recently_used_first() -> None:
    titles = ButtonTitles(limit=2)
    titles.replace("a", [("Yes", "/affirm")])
    titles.replace("b", [("Yes", "/affirm")])
    assert titles.payload_for("a", "YES") == "/affirm"  # "a" used: "b" is now the oldest
    titles.replace("c", [("No", "/deny")])
    assert len(titles) == 2
    assert titles.payload_for("b", "yes") is None
    assert titles.payload_for("a", "yes") == "/affirm" and titles.payload_for("c", "no") == "/deny"
    titles.replace("a", [])
    assert titles.payload_for("a", "yes") is None


# --- Adaptive Cards ------------------------------------------------------------------------------


def test_the_summary_card() -> None:
    slots = {
        "information": "her mental health",
        "recipient": "the GP",
        "purpose_text": "I am worried about her",
        "purpose": "yes",
        "identifiable": "yes",
        "confidential": "yes",
        "consent": "yes",
    }
    reply = ask("record", slots)
    message = card_activity(reply)
    assert message["text"] == ""
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    title, facts, note = card["body"]
    assert title == {
        "type": "TextBlock",
        "text": reply.card.title,
        "weight": "Bolder",
        "size": "Medium",
        "wrap": True,
    }
    assert facts["type"] == "FactSet"
    assert facts["facts"][:2] == [
        {"title": "What", "value": "her mental health"},
        {"title": "With whom", "value": "the GP"},
    ]
    assert {"title": "Q3 Is the information confidential?", "value": "Yes"} in facts["facts"]
    assert note["type"] == "TextBlock" and note["wrap"] and note["text"] == reply.card.note
    assert card["actions"] == [
        {
            "type": "Action.Submit",
            "title": button["title"],
            "data": {
                "msteams": {
                    "type": "messageBack",
                    "displayText": button["title"],
                    "text": button["payload"],
                },
                "payload": button["payload"],
            },
        }
        for button in reply.buttons
    ]
    assert [a["title"] for a in card["actions"]] == ["Yes, save it", "Change an answer"]
    json.dumps(message)  # plain JSON all through


def test_the_saved_card_has_no_buttons_and_a_reply_without_a_card_is_refused() -> None:
    content = card_activity(saved("ISD-000123", Outcome.SEEK_CONSENT))["attachments"][0]["content"]
    assert content["body"][0]["text"] == "Decision record ISD-000123"
    assert {"title": "Reference", "value": "ISD-000123"} in content["body"][1]["facts"]
    assert "actions" not in content
    with pytest.raises(ValueError):
        card_activity(Reply("no card"))


# --- the Teams app package -----------------------------------------------------------------------


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"teams_{name}", PROJECT / "teams" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rgba(image: Any) -> list[tuple[int, ...]]:
    raw = image.tobytes()
    return [tuple(raw[i : i + 4]) for i in range(0, len(raw), 4)]


def test_the_teams_package_has_the_manifest_and_both_icons(tmp_path: Path) -> None:
    package = _load("package")
    environ = {"MICROSOFT_APP_ID": APP_ID, "INFOSHARE_BOT_DOMAIN": "https://Bot.Example.org/"}
    path, warnings = package.build(tmp_path / "teams-app.zip", environ, version="1.2.3")
    assert len(warnings) == 2  # privacy and terms pages not set
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        icons = {name: archive.read(name) for name in ("color.png", "outline.png")}
    for key in [
        "$schema",
        "manifestVersion",
        "version",
        "id",
        "developer",
        "name",
        "description",
        "icons",
        "accentColor",
        "bots",
    ]:
        assert key in manifest, key
    assert manifest["manifestVersion"] == "1.16" and manifest["version"] == "1.2.3"
    assert manifest["id"] == APP_ID
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID and bot["supportsFiles"] is False
    assert set(bot["scopes"]) == {"personal", "team", "groupchat"}
    assert manifest["name"]["short"] == "Can I share?"
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert manifest["validDomains"] == ["bot.example.org"]
    assert manifest["developer"]["websiteUrl"] == "https://bot.example.org/"
    assert "{{" not in json.dumps(manifest)
    assert package.png_size(icons["color.png"]) == (192, 192)
    assert package.png_size(icons["outline.png"]) == (32, 32)
    image = pytest.importorskip("PIL.Image")
    outline = image.open(io.BytesIO(icons["outline.png"])).convert("RGBA")
    pixels = _rgba(outline)
    assert all(a == 0 or (r, g, b) == (255, 255, 255) for r, g, b, a in pixels)
    assert any(a == 255 for *_, a in pixels) and any(a == 0 for *_, a in pixels)
    color = image.open(io.BytesIO(icons["color.png"])).convert("RGBA")
    assert all(a == 255 for *_, a in _rgba(color))


def test_the_teams_package_needs_an_app_id_and_sane_settings(tmp_path: Path) -> None:
    package = _load("package")
    json.loads((PROJECT / "teams" / "manifest.json").read_text())  # the template is JSON
    bad = [
        {},
        {"MICROSOFT_APP_ID": "my-bot"},
        {"MICROSOFT_APP_ID": APP_ID, "INFOSHARE_BOT_DOMAIN": "not a host"},
        {"MICROSOFT_APP_ID": APP_ID, "INFOSHARE_PRIVACY_URL": "http://insecure.example.org/"},
    ]
    for environ in bad:
        with pytest.raises(package.PackageError):
            package.build(tmp_path / "x.zip", environ)
    path, _ = package.build(tmp_path / "ok.zip", {"MICROSOFT_APP_ID": APP_ID})
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["validDomains"] == [] and manifest["developer"]["privacyUrl"].startswith(
        "https://"
    )


def test_the_committed_outline_icon_is_what_make_icons_draws() -> None:
    icons = _load("make_icons")
    assert icons.outline_icon() == (PROJECT / "teams" / "outline.png").read_bytes()
