"""What every channel does first with a message of the assistant's: its links made safe.

Rasa hands every bot message to an output channel's ``send_response`` (the processor's
``_send_bot_messages``, for domain responses and actions' messages alike), and the helpdesk's
pushed answers go the same way (bot/helpdesk/delivery.py → the web chat's and Teams' output
channels). :class:`SafeLinksOutput`, first among an output channel's bases, passes the message
through :func:`bot.links.safe_message` there, so only ``http``, ``https`` and ``mailto`` links
reach any channel. The REST channel's collectors (:class:`SafeCollectingOutput`,
:class:`SafeQueueOutput`) and the web chat's ``SocketIOOutput`` have it as their first base; the
Teams output channel draws cards in a ``send_response`` of its own, which calls
:func:`~bot.links.safe_message` itself.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.rest import QueueOutputChannel

from bot.links import safe_message


class SafeLinksOutput:
    """Mixin for a Rasa ``OutputChannel`` (list it first): every message's links made safe."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await super().send_response(recipient_id, safe_message(message))  # type: ignore[misc]


class SafeCollectingOutput(SafeLinksOutput, CollectingOutputChannel):
    """Rasa's collector (the REST channel's replies), links made safe."""


class SafeQueueOutput(SafeLinksOutput, QueueOutputChannel):
    """Rasa's queue (the REST channel's streamed replies), links made safe."""
