"""The web chat's socket.io channel through the real servers, with a socket.io client (no browser).

Kept apart from tests/e2e/test_webchat.py: Playwright's sync API runs an event loop of its own for
the whole of that module, and these tests need pytest-asyncio's.
"""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from support.servers import INTRANET_ORIGIN

pytestmark = pytest.mark.e2e

OPENING = "Can I tell the GP about her mental health because I am worried about her?"


async def test_socketio_replies_reach_a_persistent_session_and_its_reconnection(chat):
    """RasaHQ/rasa#13027: with python-socketio ≥ 5.10 and Rasa 3.6's own channel, the socket never
    joins its session's room and no reply arrives. Here a socket.io client (no browser) asks for a
    session, gets replies, disconnects, and a new connection to the same session gets the replies
    to the next message: the conversation goes on."""
    import asyncio

    import socketio

    issued: dict[str, str] = {}

    async def exchange(message: str, expect: str) -> list[dict]:
        client = socketio.AsyncClient()
        replies: asyncio.Queue = asyncio.Queue()
        confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
        client.on("bot_uttered", replies.put_nowait)
        client.on("session_confirm", lambda sid: confirmed.set_result(sid))
        # Long-polling: engineio's websocket client needs aiohttp ≥ 3.10, Rasa 3.6 pins < 3.10.
        await client.connect(chat.base, socketio_path="/socket.io", transports=["polling"])
        try:
            # the first time, no id: the server names the conversation; then the page sends it
            # back, as rasa-webchat does
            await client.emit("session_request", {"session_id": issued.get("id")})
            session = await asyncio.wait_for(confirmed, 30)
            assert issued.setdefault("id", session) == session
            await client.emit("user_uttered", {"message": message, "session_id": session})
            received = []
            while not any(expect in (r.get("text") or "") for r in received):
                received.append(await asyncio.wait_for(replies.get(), 60))
            return received
        finally:
            # abort: do not wait for the pending long-poll to time out (about 30 s)
            await client.eio.disconnect(abort=True)

    first = await exchange(OPENING, "Question 1:")
    assert any(r.get("quick_replies") for r in first), "the question came without its buttons"
    await exchange("yes", "Question 2:")  # a new connection, the same conversation
    tracker = chat.tracker(issued["id"].split(".")[0])  # the conversation: the signed id's part
    assert tracker["slots"]["purpose"] == "yes"
    assert tracker["latest_input_channel"] == "socketio"


async def test_a_page_from_an_origin_not_let_in_cannot_open_a_socket(chat):
    """Browsers do not apply CORS to WebSockets: the channel checks the Origin itself."""
    import socketio

    client = socketio.AsyncClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            chat.base,
            socketio_path="/socket.io",
            transports=["polling"],
            headers={"Origin": "http://evil.example"},
        )
    allowed = socketio.AsyncClient()
    await allowed.connect(
        chat.base,
        socketio_path="/socket.io",
        transports=["polling"],
        headers={"Origin": INTRANET_ORIGIN},
    )
    assert allowed.connected
    await allowed.eio.disconnect(abort=True)


async def test_knowing_a_conversation_id_is_not_enough_to_join_or_continue_it(chat):
    """Before, the page chose its session id and anyone sending a conversation's id (from a
    record, a log, a shoulder) joined its room, received its replies and answered for it."""
    import asyncio

    import socketio

    async def connect() -> tuple[socketio.AsyncClient, asyncio.Queue, asyncio.Queue]:
        client = socketio.AsyncClient()
        replies: asyncio.Queue = asyncio.Queue()
        confirmed: asyncio.Queue = asyncio.Queue()
        client.on("bot_uttered", replies.put_nowait)
        client.on("session_confirm", confirmed.put_nowait)
        await client.connect(chat.base, socketio_path="/socket.io", transports=["polling"])
        return client, replies, confirmed

    owner, owner_replies, owner_confirmed = await connect()
    intruder, intruder_replies, intruder_confirmed = await connect()
    try:
        await owner.emit("session_request", {"session_id": None})
        signed = await asyncio.wait_for(owner_confirmed.get(), 30)
        conversation = signed.split(".")[0]
        await owner.emit("user_uttered", {"message": OPENING, "session_id": signed})
        while "Question 1:" not in (await asyncio.wait_for(owner_replies.get(), 60))["text"]:
            pass
        # the intruder asks for that conversation by its id: it gets a new one of its own
        await intruder.emit("session_request", {"session_id": conversation})
        given = await asyncio.wait_for(intruder_confirmed.get(), 30)
        assert given.split(".")[0] != conversation
        # and a message sent with the bare id is dropped: nothing answered, nothing changed
        await intruder.emit("user_uttered", {"message": "yes", "session_id": conversation})
        await owner.emit("user_uttered", {"message": "no", "session_id": signed})
        while "Question" not in (await asyncio.wait_for(owner_replies.get(), 60))["text"]:
            pass
        await asyncio.sleep(1)
        assert intruder_replies.empty()  # not in the room, and its message not taken
        assert chat.tracker(conversation)["slots"]["purpose"] == "no"
    finally:
        await owner.eio.disconnect(abort=True)
        await intruder.eio.disconnect(abort=True)


def test_cors_is_answered_for_the_chat_only(chat) -> None:
    """The servers run with --cors for an intranet page that embeds the chat: the chat's routes
    answer that origin, the helpdesk pages, the API and Rasa's own routes never do (before,
    Rasa's CORS covered /*, with credentials)."""

    def cors_headers(path: str, method: str = "GET") -> dict[str, str]:
        headers = {"Origin": INTRANET_ORIGIN}
        if method == "OPTIONS":
            headers["Access-Control-Request-Method"] = "GET"
        request = urllib.request.Request(f"{chat.base}{path}", headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                found = response.headers
        except urllib.error.HTTPError as error:
            found = error.headers
        return {k.lower(): v for k, v in found.items() if k.lower().startswith("access-control")}

    for path in ("/chat/widget.js", "/socket.io/?EIO=4&transport=polling"):
        headers = cors_headers(path)
        assert headers.get("access-control-allow-origin") == INTRANET_ORIGIN, path
    for path in (
        "/helpdesk/sign-in",
        "/helpdesk/",
        "/api/openapi.json",
        "/api/records",
        "/status",
        "/conversations/someone/tracker",
        "/webhooks/rest/",
    ):
        for method in ("GET", "OPTIONS"):
            assert cors_headers(path, method) == {}, (path, method)
