"""Rasa's REST channel (``POST /webhooks/rest/webhook``), with its input checked.

Rasa 3.6 takes any body: a message without ``sender`` joins one conversation shared by everyone
who forgot it (``"default"``), and a failure inside Rasa answers ``[]`` as if the assistant had
nothing to say. This channel, at the same address and with the same replies, also:

* lets in only who it should (``INFOSHARE_REST_ACCESS``): by default (``local``) a caller on
  this machine (a loopback address, with no proxy's forwarding headers) needs nothing, and any
  other needs a channel token, ``Authorization: Bearer isk_…`` made with ``infoshare tokens
  create --role channel`` (401 without one); ``token``: every caller needs one; ``open``: anyone
  (a network that already keeps strangers out; said in the log at start-up). A token's
  conversations are its own: ``sender`` "alice" with token 7 is the conversation ``7:alice``,
  which no other token, and no local caller sending "alice", reaches;
* trusts only what it can: the message's channel is always ``rest`` (a body's
  ``input_channel`` is ignored), and metadata a channel puts on the messages it authenticated
  (``botframework``: the Teams conversation reference, where the helpdesk's answer is posted
  with the bot's own token) is dropped from a REST body;
* refuses (400, with what is wrong) a body that is not a JSON object, a missing or malformed
  ``sender`` (1–128 characters of letters, digits and ``_ - . : @``), a ``message`` that is not
  text, and ``metadata`` that is not an object; a message longer than
  :data:`MAX_MESSAGE_LENGTH` gets 413 and, as the assistant's reply, a request for a shorter one
  (the conversation is unchanged);
* limits each conversation to ``INFOSHARE_RATE_LIMIT`` messages (default 60 a minute), each
  source address to ``INFOSHARE_RATE_LIMIT_ADDRESS`` (240 a minute, all its conversations) and
  the deployment to ``INFOSHARE_RATE_LIMIT_TOTAL`` (1200 a minute; counted across servers in
  Redis when there are several): beyond one, 429 with ``Retry-After`` and a message saying so,
  without Rasa being asked;
* answers 503 with ``Retry-After`` and a message saying that nothing is lost when the database
  or Redis cannot be reached (bot/channels/failures.py), so that an integration can retry;
* replies with links only to ``http``, ``https`` and ``mailto`` addresses (bot/channels/output.py).

Streaming (``?stream=true``) is Rasa's, after the same checks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import coordination, settings
from bot.channels import failures
from bot.channels.output import SafeCollectingOutput, SafeQueueOutput
from bot.channels.teams import CHANNEL as TEAMS_CHANNEL
from bot.helpdesk import stores

SENDER = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
MAX_MESSAGE_LENGTH = failures.MAX_MESSAGE_LENGTH
RETRY_AFTER_SECONDS = 30
# Metadata only a channel may put on a message, after authenticating it: never from a REST body.
CHANNEL_METADATA = frozenset({TEAMS_CHANNEL})


class InputError(ValueError):
    """What is wrong with a request body, in words for the integrator."""


class TooLong(InputError):
    """A message longer than the assistant reads: said to the practitioner, not to Rasa."""


def parse(body: Any) -> tuple[str, str, dict[str, Any] | None]:
    """(sender, message, metadata) from a REST body, or :class:`InputError`; the metadata
    without what only a channel may set (:data:`CHANNEL_METADATA`)."""
    if not isinstance(body, dict):
        raise InputError('the body must be a JSON object: {"sender": "…", "message": "…"}')
    sender = body.get("sender")
    if sender is None or sender == "":
        raise InputError(
            '"sender" is required: one id per conversation (without it every message '
            "would join one shared conversation)"
        )
    if not isinstance(sender, str) or not SENDER.match(sender):
        raise InputError('"sender" must be 1-128 characters of letters, digits and _ - . : @')
    message = body.get("message", "")
    if message is None:
        message = ""
    if not isinstance(message, str):
        raise InputError('"message" must be text')
    if len(message) > MAX_MESSAGE_LENGTH:
        raise TooLong(f'"message" is longer than {MAX_MESSAGE_LENGTH} characters')
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise InputError('"metadata" must be a JSON object')
    if metadata is not None:
        metadata = {k: v for k, v in metadata.items() if k not in CHANNEL_METADATA}
    return sender, message, metadata


CHANNEL_ROLE = "channel"
_FORWARDING = ("forwarded", "x-forwarded-for", "x-real-ip")


class Refused(Exception):
    """The caller may not use the REST channel: 401, and why."""


def local_caller(request: Request) -> bool:
    """A caller on this machine: a loopback address that no proxy forwarded (behind a proxy that
    Sanic is not told to trust, every caller would look local)."""
    if any(request.headers.get(header) for header in _FORWARDING) and not request.remote_addr:
        return False
    address = (request.remote_addr or request.ip or "").strip("[]")
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


async def conversation_for(request: Request, sender: str) -> str:
    """The conversation ``sender`` names for this caller, or :class:`Refused`."""
    mode = settings.rest_access()
    secret = (request.headers.get("authorization") or "").removeprefix("Bearer ").strip()
    if not secret:
        if mode == "open" or (mode == "local" and local_caller(request)):
            return sender
        raise Refused(
            "a channel token is needed: Authorization: Bearer isk_… (infoshare tokens create "
            "--role channel)"
        )
    accounts, _ = stores()
    loop = asyncio.get_running_loop()
    token = await loop.run_in_executor(None, accounts.authenticate_token, secret)
    if token is None or token.role != CHANNEL_ROLE:
        raise Refused("that token is not a valid channel token")
    return f"{token.id}:{sender}"


class RestInput(RasaRestInput):
    """Rasa's REST channel with its input checked, a rate limit and failures answered."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @staticmethod
    async def on_message_wrapper(
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        queue: Any,
        sender_id: str,
        input_channel: str,
        metadata: dict[str, Any] | None,
    ) -> None:
        """Rasa's streamed replies (``?stream=true``), into a queue that makes links safe."""
        collector = SafeQueueOutput(queue)
        await on_new_message(
            UserMessage(text, collector, sender_id, input_channel=input_channel, metadata=metadata)
        )
        await queue.put("DONE")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("infoshare_rest", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            # ready: the model is loaded (what bot.server waits for, with the HTTP API off too)
            agent = getattr(request.app.ctx, "agent", None)
            return response.json({"status": "ok", "ready": bool(agent and agent.is_ready())})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Any:
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - Sanic raises its own 400 for bad JSON
                body = None
            try:
                sender, text, metadata = parse(body)
            except TooLong as error:  # the practitioner's words: told as the assistant
                return response.json(
                    [
                        {
                            "recipient_id": body["sender"],
                            "text": failures.too_long(MAX_MESSAGE_LENGTH).text,
                        }
                    ],
                    status=413,
                    headers={"X-Error": str(error)},
                )
            except InputError as error:
                return response.json({"error": str(error)}, status=400)
            try:
                sender = await conversation_for(request, sender)
            except Refused as error:
                return response.json(
                    {"error": str(error)},
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer realm="infoshare"'},
                )
            allowed, retry = await coordination.rate_limiter().allow(
                sender, request.remote_addr or request.ip
            )
            if not allowed:
                return response.json(
                    [{"recipient_id": sender, "text": failures.slow_down(retry).text}],
                    status=429,
                    headers={"Retry-After": str(retry)},
                )
            if request.args.get("stream", "").lower() in ("true", "1"):
                return response.stream(
                    self.stream_response(on_new_message, text, sender, self.name(), metadata),
                    content_type="text/event-stream",
                )
            collector = SafeCollectingOutput()
            failed = await failures.take(
                on_new_message,
                UserMessage(
                    text,
                    collector,
                    sender,
                    input_channel=self.name(),
                    metadata=metadata,
                ),
            )
            if failed is failures.Unavailable.ACTIONS:  # a fault of ours: 500, said plainly
                return response.json(collector.messages, status=500)
            if failed is not None:  # the database or Redis: try again later
                return response.json(
                    collector.messages,
                    status=503,
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            return response.json(collector.messages)

        return blueprint
