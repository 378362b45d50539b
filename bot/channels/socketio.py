"""Rasa's socket.io channel (the web chat's), with persistent sessions that work.

Rasa 3.6 calls ``AsyncServer.enter_room`` without awaiting it. Since python-socketio 5.10 that
method is a coroutine, so the socket never joins its session's room and, with
``session_persistence: true``, no reply ever reaches the browser (RasaHQ/rasa#13027). This channel
is Rasa's, with the room joined properly (awaited when the installed python-socketio makes it a
coroutine, called when it does not), line breaks kept in the web chat's Markdown, and two small
hardenings:

* a page from another origin may connect only if ``--cors`` named it (:func:`allowed_origin`);
* the conversation is the server's to name: at ``session_request`` the page gets a new
  conversation id signed with ``INFOSHARE_SECRET_KEY`` (``<32 hex digits>.<signature>``), which
  rasa-webchat keeps and sends with every message; a page that sends back a valid signed id goes
  on with its conversation, any other ``session_id`` (chosen by the page, someone else's id
  without its signature, an odd string) gets a new conversation, and a message whose
  ``session_id`` is not a valid signed id is dropped. The conversation's id in Rasa (its tracker,
  its room, its records) is the 32 hex digits: knowing it (from a record, say) is not enough to
  join the conversation, continue the check or take the helpdesk's answer;
* a message that is not a JSON object, or whose text is not a string, is dropped with a warning
  rather than raising inside the socket.io task.

Credentials (``credentials.yml``) are Rasa's own: ``user_message_evt``, ``bot_message_evt``,
``session_persistence``, ``socketio_path``, ``jwt_key``, ``jwt_method``, ``metadata_key``.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from itsdangerous import BadSignature, Signer
from rasa.core.channels.channel import OutputChannel, UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot import coordination, settings
from bot.channels import failures
from bot.channels.output import SafeLinksOutput
from bot.channels.rest import MAX_MESSAGE_LENGTH
from bot.helpdesk import delivery
from bot.records import links

logger = logging.getLogger(__name__)

_CONVERSATION = re.compile(r"^[0-9a-f]{32}$")
SESSION_SALT = "web-chat-conversation"
# Without the deployment's secret (never under bot.server, which always sets one), a key of this
# process's own: ids then last as long as the process.
_PROCESS_KEY = secrets.token_urlsafe(32)


def _signer() -> Signer:
    return Signer(links.secret_key() or _PROCESS_KEY, salt=SESSION_SALT)


def new_session_id() -> str:
    """A new conversation's id, signed: what the page keeps."""
    return _signer().sign(uuid.uuid4().hex).decode()


def conversation_of(session_id: Any) -> str | None:
    """The conversation a page's signed ``session_id`` names, or None (not one we signed)."""
    if not isinstance(session_id, str) or len(session_id) > 200:
        return None
    try:
        conversation = _signer().unsign(session_id).decode()
    except BadSignature:
        return None
    return conversation if _CONVERSATION.match(conversation) else None


def hard_breaks(text: str) -> str:
    """Line breaks that survive rasa-webchat's Markdown: a lone newline becomes a hard break.

    Our messages put one point per line (bulleted summaries, the questions' prompts); Markdown
    would run them together into one paragraph.
    """
    return re.sub(r"(?<!\n) *\n(?!\n)", "  \n", text)


# "[NAME]" and the other placeholders of redacted text, not followed by "(url)": Markdown would
# take them for link references and show "NAME".
_PLACEHOLDER = re.compile(r"\[([^\[\]\n]*)\](?!\()")


def keep_brackets(text: str) -> str:
    """Square brackets shown as typed ("[NAME]"), except in Markdown links ("[text](url)")."""
    return _PLACEHOLDER.sub(r"\\[\1\\]", text)


def web_markdown(text: str) -> str:
    """Our text as rasa-webchat's Markdown shows it as meant."""
    return hard_breaks(keep_brackets(text))


def client_address(sio: Any, sid: str, namespace: str | None) -> str | None:
    """The address the socket came from (Sanic's, so behind a trusted proxy its client's)."""
    try:
        request = (sio.get_environ(sid, namespace=namespace) or {}).get("sanic.request")
    except (KeyError, AttributeError):
        return None
    return (request.remote_addr or request.ip or None) if request is not None else None


class SocketIOOutput(SafeLinksOutput, RasaSocketIOOutput):
    """Rasa's socket.io output, with links only to http, https and mailto addresses
    (bot/channels/output.py), one line of text shown as one line, and the placeholders of
    redacted text ("[NAME]") shown with their brackets."""

    async def _send_message(self, socket_id: str, response: Any) -> None:
        if isinstance(response, dict) and isinstance(response.get("text"), str):
            response = {**response, "text": web_markdown(response["text"])}
        await super()._send_message(socket_id, response)


CORS_ENV = settings.CORS_ORIGINS


def allowed_origin(environ: dict, extra: str | None = None) -> bool:
    """May a browser page from the request's ``Origin`` open a socket to the assistant?

    Browsers do not apply CORS to WebSockets, so without this check any web site a practitioner
    visits could chat with the assistant in their name. Allowed: no ``Origin`` (not a browser),
    the assistant's own origin (also as seen through a reverse proxy's ``X-Forwarded-*``), and
    the origins given to ``make run CORS=…`` / ``--cors`` (``INFOSHARE_CORS_ORIGINS``; ``*`` for
    any).
    """
    origin = environ.get("HTTP_ORIGIN")
    if not origin:
        return True
    configured = (settings.get(CORS_ENV) if extra is None else extra).split()
    if "*" in configured or origin in configured:
        return True
    host = environ.get("HTTP_HOST", "")
    scheme = environ.get("wsgi.url_scheme", "http")
    own = {f"{scheme}://{host}"}
    forwarded_host = environ.get("HTTP_X_FORWARDED_HOST", host).split(",")[0].strip()
    forwarded_proto = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
    own.add(f"{forwarded_proto}://{forwarded_host}")
    return origin in own


def session_id_from(data: Any) -> str:
    """The signed session id the page sent back, if it is one of ours; otherwise a new one."""
    requested = data.get("session_id") if isinstance(data, dict) else None
    return requested if conversation_of(requested) else new_session_id()


def connected(sio: AsyncServer, room: str, namespace: str | None) -> bool:
    """Is a page connected to this conversation's room (on this server)?"""
    try:
        return any(True for _ in sio.manager.get_participants(namespace or "/", room))
    except (KeyError, TypeError):  # no such room (python-socketio raises or yields nothing)
        return False


async def join_room(sio: AsyncServer, sid: str, room: str, namespace: str | None) -> None:
    """``sio.enter_room``, awaited where python-socketio made it a coroutine (≥ 5.10)."""
    joined = sio.enter_room(sid, room, namespace=namespace)
    if inspect.isawaitable(joined):
        await joined


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io input channel, with rooms joined for persistent sessions."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> OutputChannel | None:
        if self.sio is None:  # the channel was not mounted (several Sanic workers)
            return super().get_output_channel()
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # cors_allowed_origins=[]: socket.io does not check origins itself; Rasa's --cors option
        # (Sanic-CORS) answers cross-origin requests, as for every other route.
        # Several servers (INFOSHARE_REDIS_URL): python-socketio's Redis manager carries what one
        # server emits to a room to the pages connected to the others.
        manager = coordination.socketio_manager()
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=[],
            **({"client_manager": manager} if manager is not None else {}),
        )
        blueprint = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio  # get_output_channel() needs it
        namespace = self.namespace

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            if not allowed_origin(environ):
                logger.warning(
                    "socket.io connection %s refused: origin %r is not allowed (make run CORS=…)",
                    sid,
                    str(environ.get("HTTP_ORIGIN"))[:100],
                )
                return False
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            payload = (
                decode_bearer_token(token, self.jwt_key, self.jwt_algorithm) if token else None
            )
            if not payload:
                logger.warning("socket.io connection %s refused: no valid token", sid)
                return False
            return True

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            session_id = session_id_from(data)
            conversation = conversation_of(session_id)
            if self.session_persistence:
                await join_room(sio, sid, conversation, namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
            logger.debug("socket.io %s joined conversation %s", sid, conversation)
            if self.session_persistence:
                # a page reopened: the helpdesk's answers given while it was closed
                await delivery.push_waiting(self.name(), conversation)

        async def push(conversation: str, reply_to: Any, message: dict[str, Any]) -> bool:
            """The helpdesk's answer, to the pages open on this conversation (if any)."""
            if not self.session_persistence or not connected(sio, conversation, namespace):
                return False
            await SocketIOOutput(sio, self.bot_message_evt).send_response(conversation, message)
            return True

        delivery.register(self.name(), push)
        relay = coordination.push_relay()
        if relay is not None:
            # an answer given on another server, for a page that may be connected to this one
            delivery.register_relay(self.name(), relay.publish)

            @blueprint.listener("after_server_start")
            async def start_relay(app: Any, loop: Any) -> None:
                relay.start(lambda reference: delivery.push_answer(reference, relay=False))

            @blueprint.listener("before_server_stop")
            async def stop_relay(app: Any, loop: Any) -> None:
                await relay.stop()

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            if not isinstance(data, dict):
                logger.warning("socket.io message from %s ignored: not an object", sid)
                return
            if self.session_persistence:
                conversation = conversation_of(data.get("session_id"))
                if conversation is None:
                    logger.warning(
                        "socket.io message from %s ignored: no valid session_id (the client "
                        "must send session_request first, and send back the id it was given)",
                        sid,
                    )
                    return
                sender_id = conversation
            else:
                sender_id = sid
            text = data.get("message", "")
            if not isinstance(text, str):
                logger.warning("socket.io message from %s ignored: text is not a string", sid)
                return
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            output = SocketIOOutput(sio, self.bot_message_evt)
            if len(text) > MAX_MESSAGE_LENGTH:
                await output.send_text_message(
                    sender_id, failures.too_long(MAX_MESSAGE_LENGTH).text
                )
                return
            allowed, retry = await coordination.rate_limiter().allow(
                sender_id, client_address(sio, sid, namespace)
            )
            if not allowed:
                await output.send_text_message(sender_id, failures.slow_down(retry).text)
                return
            await failures.take(
                on_new_message,
                UserMessage(text, output, sender_id, input_channel=self.name(), metadata=metadata),
            )

        return blueprint
