"""End to end through Microsoft Teams' way in: the real servers, a fake Microsoft.

The session's action server and Rasa server (tests/support/servers.py: ``bot.server.Servers``, the
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
from pathlib import Path

import pytest
from support.servers import Session
from support.teams import APP_ID, BOT, claims, signer
from support.teams_client import Deployment, TeamsUser, post, text_of

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]
CHANNEL_CLASS = "bot.channels.teams.BotFrameworkInput"
OPENING = "Can I tell the GP about her mental health because I am worried about her?"
HERO = "application/vnd.microsoft.card.hero"
ADAPTIVE = "application/vnd.microsoft.card.adaptive"


@pytest.fixture(scope="module")
def deployment(session_servers: Session) -> Deployment:
    """The session's servers (tests/support/servers.py), started with the fake Microsoft's
    settings."""
    credentials = (PROJECT / "credentials.yml").read_text()
    if f"{CHANNEL_CLASS}:" not in credentials:
        pytest.fail(f"credentials.yml does not register the Teams channel ({CHANNEL_CLASS}:)")
    chat = session_servers.chat
    return Deployment(chat.base, session_servers.fake, chat, session_servers.logs / "rasa.log")


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


def test_a_message_too_long_to_read_is_answered_and_not_taken(deployment: Deployment) -> None:
    """Capped like the REST and web chat channels (before, Teams passed any length to Rasa)."""
    user = TeamsUser.new(deployment)
    replies = user.send(OPENING + " " + "and so on " * 600)  # 6,000+ characters
    assert "shorter" in text_of(replies).lower() and "Question 1:" not in text_of(replies)
    replies = user.send(OPENING)  # the conversation is as it was: the opening starts the check
    assert_suggested(replies, "Question 1:", ANSWERS)


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

    from support.helpdesk import api_token, post_json

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
    status, answered = post_json(
        deployment.base,
        f"/api/advice/{reference}/answer",
        api_token(deployment.chat),
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
