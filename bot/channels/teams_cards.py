"""Adaptive Cards for Microsoft Teams, built from a :class:`~bot.protocol.messages.Reply`.

The actions send every reply channel-neutral: text, buttons and, for a summary or a saved record,
a card described as data (``Reply.card``). The Bot Framework output channel draws such a reply as
``card_activity(reply)``, fills in who and where (``send_custom_json``) and posts it; the other
channels show the text and buttons. Pure: no Rasa, no I/O.
"""

from __future__ import annotations

from typing import Any

from bot.protocol.messages import Reply

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"  # what Teams renders on desktop, web and mobile


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
