"""The web chat's socket.io channel, the summaries' signed links and the secret, without
servers (the pages themselves: tests/unit/test_web_pages.py)."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.socketio import (
    allowed_origin,
    conversation_of,
    hard_breaks,
    join_room,
    keep_brackets,
    new_session_id,
    session_id_from,
)
from bot.records import links


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("one line", "one line"),
        ("Summary:\n• a\n• b", "Summary:  \n• a  \n• b"),
        ("para one\n\npara two", "para one\n\npara two"),
        ("trailing spaces   \nnext", "trailing spaces  \nnext"),
    ],
)
def test_lone_newlines_become_markdown_hard_breaks(text, shown):
    assert hard_breaks(text) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("What: [NAME]'s notes, ring [PHONE]", "What: \\[NAME\\]'s notes, ring \\[PHONE\\]"),
        ("[ISD-000001 summary](https://x/y?key=1)", "[ISD-000001 summary](https://x/y?key=1)"),
        ("no brackets", "no brackets"),
    ],
)
def test_placeholders_keep_their_brackets_and_links_stay_links(text, shown):
    assert keep_brackets(text) == shown


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"session_id": None},
        {"session_id": ""},
        {"session_id": "x" * 65},
        {"session_id": "../room"},
        {"session_id": 12},
        "not a dict",
    ],
)
def test_a_missing_or_odd_session_id_gets_a_fresh_one(data):
    fresh = session_id_from(data)
    assert conversation_of(fresh) is not None and fresh != session_id_from(data)


def test_only_a_session_id_the_server_signed_is_kept(monkeypatch):
    monkeypatch.setenv("INFOSHARE_SECRET_KEY", "a-secret-key-of-some-length-" * 2)
    issued = new_session_id()
    conversation = conversation_of(issued)
    assert conversation is not None and issued.startswith(conversation + ".")
    assert session_id_from({"session_id": issued}) == issued  # the page goes on
    for chosen in (
        conversation,  # someone else's conversation id without its signature
        "df70bfaeba2f4e82-80927_b9e",  # an id the page made up (as rasa-webchat did)
        conversation + ".forged",
        issued[:-1] + ("A" if issued[-1] != "A" else "B"),
        issued.replace(conversation, "0" * 32),
    ):
        assert conversation_of(chosen) is None
        fresh = session_id_from({"session_id": chosen})
        assert fresh != chosen and conversation_of(fresh) not in (None, conversation)
    monkeypatch.setenv("INFOSHARE_SECRET_KEY", "another-secret-key-of-length-" * 2)
    assert conversation_of(issued) is None  # signed with another deployment's key


class _Server:
    def __init__(self, coroutine: bool) -> None:
        self.coroutine, self.rooms = coroutine, []

    def enter_room(self, sid, room, namespace=None):
        if not self.coroutine:
            self.rooms.append((sid, room))
            return None

        async def enter():
            self.rooms.append((sid, room))

        return enter()


@pytest.mark.parametrize("coroutine", [True, False], ids=["socketio>=5.10", "older"])
def test_the_room_is_joined_whether_enter_room_is_a_coroutine_or_not(coroutine):
    server = _Server(coroutine)
    asyncio.run(join_room(server, "sid-1", "session-1", None))
    assert server.rooms == [("sid-1", "session-1")]


def test_the_installed_python_socketio_makes_enter_room_a_coroutine():
    """Why the channel exists: if this ever fails, Rasa's own channel would work again."""
    import inspect

    from socketio import AsyncServer

    assert inspect.iscoroutinefunction(AsyncServer.enter_room)


def test_summary_links_need_a_secret_and_an_address(monkeypatch):
    monkeypatch.delenv(links.SECRET_ENV, raising=False)
    monkeypatch.setenv(links.PUBLIC_URL_ENV, "https://chat.example.org/")
    assert links.summary_url("ISD-000001", "conv") is None
    for weak in ("too-short", "s" * 64, "a-secret-of-thirty-four-characters"):
        monkeypatch.setenv(links.SECRET_ENV, weak)
        assert links.summary_url("ISD-000001", "conv") is None, weak
    secret = "sgPL7cWn1qv0Yk3ZtRr9xH2mUe5Ab8Jd-4hTfQ6sNo1"
    monkeypatch.setenv(links.SECRET_ENV, secret)
    url = links.summary_url("ISD-000001", "conv")
    key = links.summary_key("ISD-000001", "conv", secret)
    assert url == f"https://chat.example.org/chat/records/ISD-000001?key={key}"
    assert links.key_matches(key, "ISD-000001", "conv", secret)
    assert not links.key_matches(key, "ISD-000001", "other conversation", secret)
    assert not links.key_matches(key, "ISD-000002", "conv", "s" * 32)
    assert not links.key_matches(key, "ISD-000001", "conv", "t" * 32)


@pytest.mark.parametrize(
    ("environ", "configured", "allowed"),
    [
        ({}, "", True),  # not a browser
        ({"HTTP_ORIGIN": "http://127.0.0.1:5005", "HTTP_HOST": "127.0.0.1:5005"}, "", True),
        ({"HTTP_ORIGIN": "http://evil.example", "HTTP_HOST": "127.0.0.1:5005"}, "", False),
        ({"HTTP_ORIGIN": "http://127.0.0.1:5006", "HTTP_HOST": "127.0.0.1:5005"}, "", False),
        (
            {"HTTP_ORIGIN": "https://intranet.example", "HTTP_HOST": "127.0.0.1:5005"},
            "https://a.example https://intranet.example",
            True,
        ),
        ({"HTTP_ORIGIN": "https://any.example", "HTTP_HOST": "127.0.0.1:5005"}, "*", True),
        (
            {
                "HTTP_ORIGIN": "https://chat.example.org",
                "HTTP_HOST": "127.0.0.1:5005",
                "HTTP_X_FORWARDED_HOST": "chat.example.org",
                "HTTP_X_FORWARDED_PROTO": "https",
            },
            "",
            True,
        ),
    ],
)
def test_socket_origins(environ, configured, allowed):
    assert allowed_origin({"wsgi.url_scheme": "http", **environ}, configured) is allowed


def test_the_secret_key_is_generated_once_private_and_the_environment_wins(tmp_path, monkeypatch):
    from bot.server import secret_key

    monkeypatch.delenv(links.SECRET_ENV, raising=False)
    var = tmp_path / "var"
    key = secret_key(var)
    assert len(key) >= links.MIN_SECRET_LENGTH and secret_key(var) == key
    assert (var / "secret_key").stat().st_mode & 0o777 == 0o600
    (var / "secret_key").write_text("short\n")  # too short to be a secret: replaced
    assert len(secret_key(var)) >= links.MIN_SECRET_LENGTH
    monkeypatch.setenv(links.SECRET_ENV, "from-the-environment-0123456789abcdefghijklmn")
    assert secret_key(var) == "from-the-environment-0123456789abcdefghijklmn"
