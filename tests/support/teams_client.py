"""Teams as the tests play it, against a deployment whose servers were started with a fake
Microsoft's settings (support/teams.py): a person in Teams posts signed activities to the
Bot Framework webhook and clicks buttons the way Teams does (used by tests/e2e/test_teams_e2e.py
and tests/e2e/test_cluster.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from support.servers import Chat
from support.teams import BOT, FakeMicrosoft, claims, signer


@dataclass
class Deployment:
    """Servers with the Teams channel on: their address, the fake Microsoft they talk to, the
    records and trackers (``chat``) and the Rasa server's log."""

    base: str
    fake: FakeMicrosoft
    chat: Chat  # reads records (CLI) and trackers (HTTP API)
    log: Path


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
