"""End to end through Microsoft Teams' way in: the real servers, a fake Microsoft.

The session's action server and Rasa server (tests/conftest.py: ``bot.server.Servers``, the
project's ``credentials.yml``) are started for real with ``MICROSOFT_APP_ID`` /
``MICROSOFT_APP_PASSWORD`` set and the Bot Framework URLs pointing at a fake Microsoft running
in this process (``tests/support/teams.py``): it serves the signing keys and the token endpoint,
and is the Bot Connector the replies are posted to. The test plays Teams: it posts signed
activities to ``POST /webhooks/botframework/webhook`` and clicks buttons the way Teams does — a
suggested action (``imBack``) sends its title, a hero card's ``messageBack`` sends its payload,
an Adaptive Card's ``Action.Submit`` sends the payload with the card's data — and reads the
record back through the CLI.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Chat, Session
from support.teams import APP_ID, BOT, FakeMicrosoft, claims, signer

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parent.parent
CHANNEL_CLASS = "bot.channels.teams.BotFrameworkInput"
OPENING = "Can I tell the GP about her mental health because I am worried about her?"
HERO = "application/vnd.microsoft.card.hero"
ADAPTIVE = "application/vnd.microsoft.card.adaptive"


@dataclass
class Deployment:
    base: str
    fake: FakeMicrosoft
    chat: Chat  # reads records (CLI) and trackers (HTTP API)
    log: Path


@pytest.fixture(scope="module")
def deployment(session_servers: Session) -> Deployment:
    """The session's servers (tests/conftest.py), started with the fake Microsoft's settings."""
    credentials = (PROJECT / "credentials.yml").read_text()
    if f"{CHANNEL_CLASS}:" not in credentials:
        pytest.fail(f"credentials.yml does not register the Teams channel ({CHANNEL_CLASS}:)")
    chat = session_servers.chat
    return Deployment(chat.base, session_servers.fake, chat, session_servers.logs / "rasa.log")


def post(base: str, activity: dict, authorization: str | None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    request = urllib.request.Request(
        f"{base}/webhooks/botframework/webhook",
        data=json.dumps(activity).encode(),
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@dataclass
class TeamsUser:
    """One person in Teams talking to the bot (a personal chat unless told otherwise)."""

    deployment: Deployment
    user_id: str
    conversation: dict

    @classmethod
    def new(cls, deployment: Deployment, kind: str = "personal") -> TeamsUser:
        tag = uuid.uuid4().hex[:10]
        conversation_id = f"a:1{tag}" if kind == "personal" else f"19:{tag}@thread.v2"
        conversation = {"id": conversation_id, "conversationType": kind, "tenantId": "tenant-1"}
        return cls(deployment, f"29:1{tag}", conversation)

    @property
    def sender_id(self) -> str:
        if self.conversation["conversationType"] == "personal":
            return self.user_id
        return f"{self.conversation['id']}|{self.user_id}"

    def activity(self, text: str | None = None, **fields: object) -> dict:
        activity = {
            "type": "message",
            "id": f"1{uuid.uuid4().int % 10**12}",
            "channelId": "msteams",
            "serviceUrl": self.deployment.fake.service_url,
            "from": {"id": self.user_id, "name": "A Practitioner"},
            "recipient": dict(BOT),
            "conversation": dict(self.conversation),
            "locale": "en-GB",
            **fields,
        }
        if text is not None:
            activity["text"] = text
        return activity

    def send(self, text: str | None = None, **fields: object) -> list[dict]:
        """Post an activity as Teams would; the activities the bot posted in answer."""
        fake = self.deployment.fake
        before = len(fake.posted(self.conversation["id"]))
        activity = self.activity(text, **fields)
        token = signer().token(claims(fake.service_url))
        status, body = post(self.deployment.base, activity, f"Bearer {token}")
        assert status == 200, f"{status}: {body}"
        replies = fake.posted(self.conversation["id"])[before:]
        for reply in replies:
            assert reply.get("replyToId") == (
                activity["id"] if fields.get("type", "message") == "message" else None
            )
            assert reply["from"]["id"] == BOT["id"] and reply["recipient"]["id"] == self.user_id
        return replies

    def click(self, replies: list[dict], title: str) -> list[dict]:
        """Click the button called ``title`` in the last reply that has buttons."""
        kind, payload = buttons(last_with_buttons(replies))[title]
        if kind == "imBack":  # a suggested action: Teams sends its title as the user's text
            return self.send(title)
        if kind == "messageBack":  # a hero card button: the payload, the title shown
            return self.send(payload)
        # An Adaptive Card's Action.Submit with msteams messageBack: text and the card's data.
        return self.send(payload, value={"payload": payload})


def buttons(activity: dict) -> dict[str, tuple[str, str]]:
    """title → (how Teams sends it, what the bot receives)."""
    found = {}
    for action in (activity.get("suggestedActions") or {}).get("actions", []):
        found[action["title"]] = ("imBack", action["value"])
    for attachment in activity.get("attachments") or []:
        content = attachment["content"]
        for button in content.get("buttons", []):
            found[button["title"]] = (button["type"], button["text"])
        for action in content.get("actions", []):
            assert action["type"] == "Action.Submit"
            assert action["data"]["msteams"]["text"] == action["data"]["payload"]
            found[action["title"]] = ("submit", action["data"]["payload"])
    return found


def last_with_buttons(replies: list[dict]) -> dict:
    with_buttons = [r for r in replies if buttons(r)]
    assert with_buttons, f"no buttons in {replies}"
    return with_buttons[-1]


def text_of(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def adaptive_card(replies: list[dict]) -> dict:
    cards = [
        a["content"]
        for r in replies
        for a in r.get("attachments") or []
        if a["contentType"] == ADAPTIVE
    ]
    assert len(cards) == 1, replies
    return cards[0]


def assert_suggested(replies: list[dict], question: str, titles: list[str]) -> None:
    asked = [r for r in replies if question in (r.get("text") or "")]
    assert asked, f"expected {question!r} in {text_of(replies)!r}"
    (reply,) = asked
    actions = reply["suggestedActions"]
    assert [a["title"] for a in actions["actions"]] == titles
    assert all(a["type"] == "imBack" and a["value"] == a["title"] for a in actions["actions"])
    assert actions["to"] == [reply["recipient"]["id"]]


def assert_hero(replies: list[dict], question: str, titles: list[str]) -> None:
    (reply,) = [r for r in replies if question in (r.get("text") or "")]
    (card,) = reply["attachments"]
    assert card["contentType"] == HERO and "suggestedActions" not in reply
    assert [b["title"] for b in card["content"]["buttons"]] == titles
    assert all(b["type"] == "messageBack" for b in card["content"]["buttons"])


ANSWERS = ["Yes", "No", "Not sure"]


def test_a_whole_check_in_teams_ends_in_a_record(deployment: Deployment) -> None:
    user = TeamsUser.new(deployment)
    replies = user.send(OPENING)
    assert len(replies) == 2  # what was noted, then the question (its paragraphs in one)
    assert_suggested(replies, "Question 1:", ANSWERS)
    # The title "Yes" came back and Rasa got the button's payload.
    replies = user.click(replies, "Yes")
    assert_suggested(replies, "Question 2:", ANSWERS)
    last_user_text = [
        e["text"] for e in deployment.chat.tracker(user.sender_id)["events"] if e["event"] == "user"
    ][-1]
    assert last_user_text == "/affirm"
    assert_suggested(replies := user.click(replies, "Yes"), "Question 3:", ANSWERS)
    replies = user.click(replies, "Yes")
    assert_hero(replies, "Question 4:", ["Yes", "No", "Not asked yet", "Not sure"])
    replies = user.click(replies, "No")
    assert_suggested(replies, "Question 5:", ANSWERS)
    replies = user.click(replies, "Yes")
    assert "public interest" in text_of(replies)
    replies = user.send("Her children are at risk if nothing is done")
    assert_suggested(replies, "point 1 of 7", ANSWERS)
    for point in range(2, 8):
        replies = user.click(replies, "Yes")
        assert f"point {point} of 7" in text_of(replies)
    assert_hero(
        replies,
        "point 7 of 7",
        [
            "Yes, I will tell them",
            "They already know",
            "No — telling them is not safe",
            "No — telling them is not appropriate",
            "Not sure",
        ],
    )
    replies = user.click(replies, "They already know")
    assert "please give the reasons" in text_of(replies)
    replies = user.send("The GP needs this to support her care")
    summary = adaptive_card(replies)
    assert summary["version"] == "1.4" and summary["body"][0]["text"] == "Summary of your check"
    facts = {f["title"]: f["value"] for f in summary["body"][1]["facts"]}
    assert facts["With whom"] == "the GP"
    assert facts["Q4 Do you have consent to share?"] == "No"
    assert facts["Public interest"] == "Her children are at risk if nothing is done"
    assert [a["title"] for a in summary["actions"]] == ["Yes, save it", "Change an answer"]
    replies = user.click(replies, "Yes, save it")
    record_card = adaptive_card(replies)
    title = record_card["body"][0]["text"]
    assert title.startswith("Decision record ISD-")
    (record,) = deployment.chat.record_for(user.sender_id)
    assert record["reference"] == title.removeprefix("Decision record ")
    assert record["outcome"] == "share"
    assert record["channel"] == "botframework"
    assert record["answers"] == {
        "purpose": "yes",
        "identifiable": "yes",
        "confidential": "yes",
        "consent": "no",
        "public_interest": "yes",
        "appropriate": "yes",
    }
    assert record["checks"]["inform_person"] == "already_aware"
    assert record["recipient"] == "the GP" and record["reasons"]
    # Every reply carried a token from the fake token endpoint, fetched once and reused.
    assert len(deployment.fake.token_requests) == 1
    assert {a["authorization"] for a in deployment.fake.activities} == {"Bearer connector-token-1"}


def test_typed_answers_and_a_group_chat_mention(deployment: Deployment) -> None:
    user = TeamsUser.new(deployment, "groupChat")
    mention = {
        "type": "mention",
        "text": "<at>Can I share?</at>",
        "mentioned": {"id": BOT["id"], "name": "Can I share?"},
    }
    replies = user.send(f"<at>Can I share?</at> {OPENING}", entities=[mention])
    assert_suggested(replies, "Question 1:", ANSWERS)
    replies = user.send("<at>Can I share?</at> not sure", entities=[mention])
    assert "Seek advice before you share" in text_of(replies)
    (record,) = deployment.chat.record_for(user.sender_id)
    assert record["outcome"] == "seek_advice" and record["channel"] == "botframework"


def test_the_bot_says_hello_when_added(deployment: Deployment) -> None:
    user = TeamsUser.new(deployment)
    replies = user.send(type="conversationUpdate", membersAdded=[dict(BOT)])
    (hello,) = replies
    assert "I can help you decide whether to share information" in hello["text"]


@pytest.mark.parametrize(
    "authorization,reason",
    [
        (None, "no Authorization header"),
        ("wrong audience", "another app id"),
    ],
)
def test_requests_without_a_valid_token_are_refused(
    deployment: Deployment, authorization: str | None, reason: str
) -> None:
    user = TeamsUser.new(deployment)
    fake = deployment.fake
    if authorization == "wrong audience":
        authorization = f"Bearer {signer().token(claims(fake.service_url, aud='another-bot'))}"
    status, body = post(deployment.base, user.activity(OPENING), authorization)
    assert status == 401 and reason in json.loads(body)["reason"]
    assert fake.posted(user.conversation["id"]) == []
    assert deployment.chat.record_for(user.sender_id) == []
    log = deployment.log.read_text(errors="replace")
    assert "Bot Framework request refused (401)" in log and reason in log


def test_the_server_log_says_the_channel_is_on(deployment: Deployment) -> None:
    log = deployment.log.read_text(errors="replace")
    assert f"Microsoft Teams (Bot Framework) channel is on for app id {APP_ID}" in log
    assert "Traceback" not in log


def test_the_helpdesks_answer_reaches_teams_unasked_and_the_check_continues(
    deployment: Deployment,
) -> None:
    """Not sure at question 1, asked the helpdesk; the answer, given through the API, is posted
    to the Teams conversation as a proactive message (no activity to reply to); its button
    continues the check at question 1 and the record carries the advice."""
    import re

    from test_continuing import _api_token, _post

    user = TeamsUser.new(deployment)
    replies = user.click(user.send(OPENING), "Not sure")
    assert "send this to the helpdesk" in text_of(replies)
    replies = user.click(replies, "Ask the helpdesk")
    replies = user.send("Is being worried about her a clear enough purpose?")
    assert "This is what the adviser will see" in text_of(replies)
    replies = user.click(replies, "Send it")
    reference = re.search(r"Sent to the helpdesk as (ISD-\d+)", text_of(replies)).group(1)

    conversation = user.conversation["id"]
    before = len(deployment.fake.posted(conversation))
    status, answered = _post(
        deployment.base,
        f"/api/advice/{reference}/answer",
        _api_token(deployment.chat),
        {"advice": "Worry alone is not a purpose: record what you saw.", "suggested_answer": "no"},
    )
    assert status == 200 and answered["delivered_at"]  # pushed at once
    pushed = deployment.fake.posted(conversation)[before:]
    assert len(pushed) == 1 and "replyToId" not in pushed[0]
    assert pushed[0]["from"]["id"] == BOT["id"] and pushed[0]["recipient"]["id"] == user.user_id
    assert f"The helpdesk has answered your request {reference}" in pushed[0]["text"]
    assert "Worry alone is not a purpose" in pushed[0]["text"]

    replies = user.click(pushed, "Continue the check")
    assert f"Continuing the check of {reference}" in text_of(replies)
    assert_suggested(replies, "Question 1:", ANSWERS)
    assert "has answered" not in text_of(replies)  # not said again
    replies = user.click(replies, "No")
    replies = user.send("The helpdesk advised that worry alone is not a purpose.")
    replies = user.click(replies, "Yes, save it")
    records = {r["outcome"]: r for r in deployment.chat.record_for(user.sender_id)}
    first, second = records["seek_advice"], records["do_not_share"]
    assert second["continues"] == reference == first["reference"]
    assert second["advice"]["suggested_answer"] == "no"
    assert second["advice"]["advice"] == "Worry alone is not a purpose: record what you saw."
