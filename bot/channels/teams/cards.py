"""How a reply looks in Microsoft Teams: markdown text, suggested actions, hero and Adaptive Cards.

The actions send every reply channel-neutral: text, buttons and, for a summary or a saved record,
a card described as data (``Reply.card``). The Teams output channel
(:mod:`bot.channels.teams.channel`) sends one activity per reply, drawn here:

* the text as markdown, paragraphs kept (:func:`teams_text`), where Rasa's channels split every
  paragraph into a message of its own;
* up to three buttons as suggested actions (``imBack``: the button's title comes back as the
  user's text, and :class:`ButtonTitles` maps it back to its payload), more as a hero card of
  ``messageBack`` buttons (the payload comes back) (:func:`button_fields`);
* a reply with a card as an Adaptive Card (:func:`card_activity`), which the output channel
  completes with who and where (``send_custom_json``) and posts; the other channels show the text
  and buttons. Teams users are elsewhere on the network: a card's link is offered only when it is
  https (:func:`reply_card_activity`).

Pure: no Rasa, no I/O.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from bot.protocol.messages import Card, Reply

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
HERO_CARD = "application/vnd.microsoft.card.hero"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"  # what Teams renders on desktop, web and mobile
MAX_SUGGESTED_ACTIONS = 3  # Teams shows only the first three
MAX_CONVERSATIONS_REMEMBERED = 10_000


# --- text and buttons ----------------------------------------------------------------------------


def _title_key(text: str) -> str:
    return " ".join(text.split()).casefold()


class ButtonTitles:
    """The buttons last sent to each conversation (title → payload), a bounded LRU.

    Teams sends a suggested action's *title* as the user's text (``imBack``); the input channel
    maps it back to the button's payload. Unknown after a restart: the text then goes through as
    typed, which the NLU understands ("Yes", "No", "Not sure").
    """

    def __init__(self, limit: int = MAX_CONVERSATIONS_REMEMBERED) -> None:
        self.limit = limit
        self._titles: OrderedDict[str, dict[str, str]] = OrderedDict()

    def replace(self, conversation: str, buttons: Iterable[tuple[str, str]]) -> None:
        self._titles.pop(conversation, None)
        buttons = list(buttons)
        if buttons:
            self.add(conversation, buttons)

    def add(self, conversation: str, buttons: Iterable[tuple[str, str]]) -> None:
        titles = self._titles.setdefault(conversation, {})
        titles.update((_title_key(title), payload) for title, payload in buttons if title)
        self._titles.move_to_end(conversation)
        while len(self._titles) > self.limit:
            self._titles.popitem(last=False)

    def payload_for(self, conversation: str, text: str) -> str | None:
        titles = self._titles.get(conversation)
        if not titles:
            return None
        self._titles.move_to_end(conversation)
        return titles.get(_title_key(text))

    def __len__(self) -> int:
        return len(self._titles)


def teams_text(text: str) -> str:
    """Text as Teams shows it: markdown, where a single newline is not a line break. Every line
    becomes a paragraph; leading spaces go (four would make a code block)."""
    lines = (line.strip() for line in str(text).replace("\r\n", "\n").split("\n"))
    return "\n\n".join(line for line in lines if line)


def button_pairs(buttons: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(title, payload) of Rasa's buttons; a button without a payload sends its title."""
    pairs = []
    for button in buttons:
        title = str(button.get("title") or "")
        payload = button.get("payload")
        pairs.append((title, str(payload) if payload is not None else title))
    return pairs


def card_buttons(activity: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(title, payload) of the buttons of the cards in an activity (hero and Adaptive Cards)."""
    pairs = []
    for attachment in activity.get("attachments") or []:
        content = attachment.get("content") if isinstance(attachment, dict) else None
        if not isinstance(content, dict):
            continue
        for action in [*(content.get("actions") or []), *(content.get("buttons") or [])]:
            if not isinstance(action, dict) or not action.get("title"):
                continue
            data = action.get("data") if isinstance(action.get("data"), dict) else {}
            payload = data.get("payload") or action.get("text") or action.get("value")
            if isinstance(payload, str):
                pairs.append((str(action["title"]), payload))
    return pairs


def button_fields(pairs: list[tuple[str, str]], user_id: Any) -> dict[str, Any]:
    """The fields of a message activity that show its buttons ((title, payload) pairs): up to
    three as suggested actions for ``user_id``, more as a hero card."""
    if len(pairs) <= MAX_SUGGESTED_ACTIONS:
        return {
            "suggestedActions": {
                "actions": [{"type": "imBack", "title": t, "value": t} for t, _ in pairs],
                "to": [user_id],
            }
        }
    return {
        "attachments": [
            {
                "contentType": HERO_CARD,
                "content": {
                    "buttons": [
                        {"type": "messageBack", "title": t, "displayText": t, "text": p}
                        for t, p in pairs
                    ]
                },
            }
        ]
    }


def image_card(url: str) -> dict[str, Any]:
    """An image, as the attachment of a message activity."""
    return {"contentType": HERO_CARD, "content": {"images": [{"url": url}]}}


# --- Adaptive Cards ------------------------------------------------------------------------------


def submit_action(title: str, payload: str) -> dict[str, Any]:
    """A button that shows ``title`` in the chat as the user's message and sends ``payload``."""
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {
            "msteams": {"type": "messageBack", "displayText": title, "text": payload},
            "payload": payload,
        },
    }


def adaptive_card(reply: Reply) -> dict[str, Any]:
    """The Adaptive Card (1.4) of a reply that has a card: title, facts, note, buttons."""
    if reply.card is None:
        raise ValueError("the reply has no card")
    card = reply.card
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": card.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    if card.facts:
        # Fact titles are whole questions ("Q3 Is the information confidential?"): Teams wraps
        # both columns of a FactSet, so they are kept whole.
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": title, "value": value} for title, value in card.facts],
            }
        )
    if card.note:
        body.append({"type": "TextBlock", "text": card.note, "wrap": True, "spacing": "Medium"})
    content: dict[str, Any] = {
        "$schema": SCHEMA,
        "type": "AdaptiveCard",
        "version": VERSION,
        "body": body,
    }
    actions = [
        submit_action(str(button["title"]), str(button.get("payload") or button["title"]))
        for button in reply.buttons
        if button.get("title")
    ]
    if card.link:
        title, url = card.link
        actions.append({"type": "Action.OpenUrl", "title": title, "url": url})
    if actions:
        content["actions"] = actions
    return content


def card_activity(reply: Reply) -> dict[str, Any]:
    """The ``json_message`` for Rasa's ``send_custom_json``: an activity with one Adaptive Card."""
    return {
        "text": "",
        "attachments": [{"contentType": ADAPTIVE_CARD, "content": adaptive_card(reply)}],
    }


def reply_card_activity(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Adaptive Card activity of a Rasa message with a card (``Reply.card`` as data), its
    link dropped unless it is https; None for a message without one."""
    data = message.get("card")
    if not isinstance(data, dict):
        return None
    card = Card.from_data(data)
    if card.link and not card.link[1].startswith("https://"):
        card = replace(card, link=None)
    reply = Reply(str(message.get("text") or ""), list(message.get("buttons") or []), card)
    return card_activity(reply)
