"""The helpdesk's answer, pushed to the practitioner's chat the moment it is given.

The channels that can reach a practitioner unasked register a *pusher* here when Rasa mounts
them (in the Rasa server's process, where the helpdesk page and API answer requests):

- the web chat (bot/channels/socketio.py): to the socket.io room of the conversation, if a page
  is connected to it (otherwise the answer waits for the page to reconnect, or the next message);
- Microsoft Teams (bot/channels/teams/channel.py): a proactive message to the conversation
  reference stored with the request.

With several Rasa servers the page may be connected to another server than the one the answer
was given on: the web chat then registers a *relay* (bot/coordination.py ``PushRelay``) that asks
every server to try the push; the server with the page claims the delivery.

The REST channel cannot be reached: its sender gets the answer at their next message
(actions/helpdesk.py ``deliver_answers``). An answer is shown once: ``delivered_at`` on the
request says it has been, whichever way it went.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.helpdesk import stores

logger = logging.getLogger(__name__)

# (conversation id, reply_to stored with the request, the message) → whether it was delivered
Pusher = Callable[[str, "Mapping[str, Any] | None", "dict[str, Any]"], Awaitable[bool]]

_pushers: dict[str, Pusher] = {}
# channel → ask the other servers to push the answer to this reference
_relays: dict[str, Callable[[str], Awaitable[bool]]] = {}


def register(channel: str, pusher: Pusher) -> None:
    _pushers[channel] = pusher


def unregister(channel: str) -> None:
    _pushers.pop(channel, None)
    _relays.pop(channel, None)


def register_relay(channel: str, relay: Callable[[str], Awaitable[bool]]) -> None:
    _relays[channel] = relay


def answer_message(request: Any) -> dict[str, Any]:
    """The answer as Rasa's output channels take a message (text and buttons)."""
    from bot.helpdesk import messages as helpdesk_say

    reply = helpdesk_say.helpdesk_answer(request.as_advice())
    return {"text": reply.text, "buttons": list(reply.buttons)}


async def push_answer(reference: str, relay: bool = True) -> bool:
    """Push the answer to ``reference`` to the chat it came from, if that chat can be reached
    now; True when it was shown there. Never raises: the answer then waits for the next message.

    When this server could not show it and ``relay`` is true, the other servers are asked to
    (they call this with ``relay=False``); False is returned, as the answer may still wait."""
    requests = stores()[1]
    try:
        found, conversation, channel, reply_to = await asyncio.to_thread(
            requests.for_delivery, reference
        )
    except Exception:  # noqa: BLE001
        logger.exception("the answer to %s could not be looked up for pushing", reference)
        return False
    if not found.advice or found.delivered_at is not None:
        return False
    if await _push(found, conversation, channel, reply_to):
        return True
    if relay and channel in _relays:
        await _relays[channel](reference)
    return False


async def push_waiting(channel: str, conversation_id: str) -> int:
    """Push every answer this conversation has not been shown (a chat page reconnecting)."""
    requests = stores()[1]
    try:
        waiting = await asyncio.to_thread(requests.undelivered, conversation_id)
    except Exception:  # noqa: BLE001
        logger.exception("looking for answers waiting for %s failed", conversation_id)
        return 0
    pushed = 0
    for found in waiting:
        reply_to = await asyncio.to_thread(requests.reply_to, found.reference)
        pushed += await _push(found, conversation_id, channel, reply_to)
    return pushed


async def _push(
    found: Any, conversation: str, channel: str, reply_to: Mapping[str, Any] | None
) -> bool:
    pusher = _pushers.get(channel)
    if pusher is None:
        return False
    requests = stores()[1]
    try:
        # claim the delivery first, so that a message arriving meanwhile does not say it twice
        if not await asyncio.to_thread(requests.mark_delivered, found.reference):
            return False
    except Exception:  # noqa: BLE001
        logger.exception("marking %s delivered failed", found.reference)
        return False
    try:
        delivered = await pusher(conversation, reply_to, answer_message(found))
    except Exception:  # noqa: BLE001
        logger.exception("pushing the answer to %s over %s failed", found.reference, channel)
        delivered = False
    if not delivered:
        await asyncio.to_thread(requests.unmark_delivered, found.reference)
        return False
    logger.info("the answer to %s was pushed to its %s chat", found.reference, channel)
    return True
