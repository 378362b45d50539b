"""A message Rasa could not take, told to the practitioner plainly instead of in silence.

Rasa 3.6 logs an exception raised while it handles a message and answers nothing: the REST
channel returns ``[]``, the web chat shows no reply. The channels call :func:`take` instead of
Rasa's ``on_new_message``: when the database (conversations or records) or Redis (the lock
store) cannot be reached, or anything else fails, the practitioner is told what happened, that
nothing is lost and to send the message again — and nothing is: Rasa saves a conversation at the
end of a turn, so a turn that fails leaves it as it was before the message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from rasa.core.channels.channel import UserMessage

from bot.causes import causes
from bot.protocol.messages import Reply
from bot.records.outbox import database_unreachable

logger = logging.getLogger(__name__)


# --- what the practitioner is told ----------------------------------------------------------------


class Unavailable(Enum):
    """What the assistant could not reach while taking a message."""

    DATABASE = "database"
    REDIS = "redis"
    ACTIONS = "actions"


def unavailable(what: Unavailable) -> Reply:
    """The message could not be taken: what happened, that nothing is lost, what to do."""
    if what is Unavailable.ACTIONS:
        return Reply(
            "Sorry — something went wrong on my side and I could not take that answer. "
            "Your answers so far are kept. Please send your last answer again in a minute "
            "and we will go on from where we were."
        )
    cause = (
        "I can't reach the database just now"
        if what is Unavailable.DATABASE
        else "a service I need is not answering just now"
    )
    return Reply(
        f"Sorry — {cause}, so I could not take that message. Nothing is lost: your answers "
        "up to the last question are kept. Please send your message again in a minute."
    )


# The longest message any channel reads (REST, web chat, Teams); a longer one is answered with
# too_long() and not given to Rasa.
MAX_MESSAGE_LENGTH = 5000


def too_long(limit: int) -> Reply:
    return Reply(
        f"That message is too long for me to read (more than {limit:,} characters). Please send "
        "a shorter one: nothing has changed in our conversation."
    )


def slow_down(seconds: int) -> Reply:
    return Reply(
        "You are sending messages faster than I can take them. Please wait "
        f"{seconds} second{'s' if seconds != 1 else ''} and send your last message again."
    )


def classify(error: BaseException) -> Unavailable:
    """What could not be reached (the database, Redis), or ACTIONS for anything else."""
    import redis.exceptions

    if database_unreachable(error):
        return Unavailable.DATABASE
    for link in causes(error):
        if isinstance(link, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
            return Unavailable.REDIS
    return Unavailable.ACTIONS


async def take(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
    message: UserMessage,
    raise_unknown: bool = False,
) -> Unavailable | None:
    """Rasa handles ``message``; on failure the practitioner is told (through the message's own
    output channel) and the cause is returned. With ``raise_unknown``, a failure that is not the
    database or Redis being unreachable is raised instead (the channel answers it itself)."""
    try:
        await on_new_message(message)
        return None
    except Exception as error:  # noqa: BLE001 - every failure gets a reply
        what = classify(error)
        if raise_unknown and what is Unavailable.ACTIONS:
            raise
        logger.error(
            "message from %s not taken (%s unavailable): %s",
            message.sender_id,
            what.value,
            error,
            exc_info=what is Unavailable.ACTIONS,
        )
        try:
            await message.output_channel.send_text_message(
                message.sender_id, unavailable(what).text
            )
        except Exception:  # noqa: BLE001 - the channel itself may be what is down
            logger.exception("could not tell %s that the message was not taken", message.sender_id)
        return what
