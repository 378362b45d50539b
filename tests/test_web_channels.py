"""The web chat's channels and the printable summary, without servers."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone

import pytest

from bot.channels.socketio import (
    allowed_origin,
    hard_breaks,
    join_room,
    keep_brackets,
    session_id_from,
)
from bot.records import links
from bot.records.printable import render_record
from bot.records.repository import DecisionRecord


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
    assert len(fresh) == 32 and fresh != session_id_from(data)


def test_a_plausible_session_id_is_kept():
    assert (
        session_id_from({"session_id": "df70bfaeba2f4e82-80927_b9e"})
        == "df70bfaeba2f4e82-80927_b9e"
    )


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
    monkeypatch.setenv(links.SECRET_ENV, "too-short")
    assert links.summary_url("ISD-000001", "conv") is None
    monkeypatch.setenv(links.SECRET_ENV, "s" * 32)
    url = links.summary_url("ISD-000001", "conv")
    key = links.summary_key("ISD-000001", "conv", "s" * 32)
    assert url == f"https://chat.example.org/chat/records/ISD-000001?key={key}"
    assert links.key_matches(key, "ISD-000001", "conv", "s" * 32)
    assert not links.key_matches(key, "ISD-000001", "other conversation", "s" * 32)
    assert not links.key_matches(key, "ISD-000002", "conv", "s" * 32)
    assert not links.key_matches(key, "ISD-000001", "conv", "t" * 32)


def _record(**changes) -> DecisionRecord:
    values = dict(
        reference="ISD-000042",
        conversation_id="c1",
        check_id="k1",
        channel="socketio",
        created_at=datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc),
        completed_at=datetime(2026, 11, 25, 9, 41, tzinfo=timezone.utc),
        protocol="hmg-2008",
        outcome="share",
        path=["purpose", "identifiable", "consent", "public_interest", "appropriate", "record"],
        answers={
            "purpose": "yes",
            "identifiable": "yes",
            "consent": "no",
            "public_interest": "yes",
            "appropriate": "yes",
        },
        information="<b>school attendance</b>",
        recipient="the school nurse",
        purpose_text="to support the pupil",
        public_interest_reason="risk of significant harm",
        checks={
            "necessary": True,
            "need_to_know": True,
            "accurate": True,
            "secure": True,
            "onward_limits": True,
            "inform_person": "no_unsafe",
        },
        advice_needed_at=None,
        safeguarding_concern=True,
        reasons="<script>alert(1)</script> [PERSON] needs support",
        golden_rules=[1, 2],
        notes={"consent": "she said <no> to sharing", "appropriate.inform_person": "not safe"},
        continues=None,
        advice=None,
        made_by=None,
        on_behalf_of_caller=False,
        answered_by=None,
    )
    values.update(changes)
    return DecisionRecord(**values)


def test_the_printable_summary_shows_the_records_fields_escaped():
    page = render_record(_record())
    assert "<title>Decision record ISD-000042 — Can I share?</title>" in page
    assert "You can share the information" in page
    assert "25 November 2026, 09:30 UTC" in page and "09:41 UTC" in page
    assert "&lt;b&gt;school attendance&lt;/b&gt;" in page and "<b>school" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Q5 Is there sufficient public interest to share the information?" in page
    assert "risk of significant harm" in page
    assert "she said &lt;no&gt; to sharing" in page  # the reason given with an answer
    assert "<td>not safe</td>" in page
    assert "No — telling them is not safe" in page
    assert "Confirmed" in page
    assert "<td>Web chat</td>" in page
    assert "Yes — follow your local safeguarding procedures" in page
    assert "Golden Rule 1." in page and "Golden Rule 2." in page and "Golden Rule 3." not in page
    assert '<script src="/chat/static/record.js"></script>' in page  # the only script


def test_the_printable_summary_says_how_each_answer_was_given():
    page = render_record(
        _record(
            answered_by={
                "purpose": "word",
                "identifiable": "button",
                "consent": "read_back",
                "public_interest": "follow_up",
                "appropriate": "helpdesk",
                "appropriate.necessary": "button",
                "appropriate.inform_person": "word",
            }
        )
    )
    purpose = "<th scope=row>Q1 Is there a clear and legitimate purpose"
    assert re.search(f"{purpose}[^<]*</th><td>Yes — typed answer word</td>", page)
    assert "<td>Yes — button</td>" in page
    assert "<td>No — read back and confirmed</td>" in page
    assert "<td>Yes — follow-up question</td>" in page
    assert "<td>Yes — helpdesk&#x27;s suggested answer</td>" in page
    assert "<td>Confirmed — button</td>" in page
    assert "<td>No — telling them is not safe — typed answer word</td>" in page
    assert "<td>Confirmed — not recorded</td>" in page  # a point whose way was not kept
    assert "<td>Not answered</td>" in page  # nothing beside a point not answered
    assert "How each answer was given</th>" not in page  # shown beside the answers instead
    # a record saved before it was kept: one row says so, the answers are as they were
    old = render_record(_record())
    assert "<th scope=row>How each answer was given</th><td>not recorded</td>" in old
    assert " — typed answer word" not in old and "<td>Confirmed</td>" in old


def test_the_printable_summary_of_a_seek_advice_record():
    page = render_record(
        _record(
            outcome="seek_advice",
            path=["purpose"],
            answers={"purpose": "not_sure"},
            checks=None,
            advice_needed_at="purpose",
            safeguarding_concern=False,
            reasons=None,
            public_interest_reason=None,
            golden_rules=[3],
            notes=None,
        )
    )
    assert "Seek advice before you share" in page
    assert "Advice needed at" in page and "Not sure" in page
    assert "Checks — question 6" not in page
    assert "No signs noted in the conversation" in page


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
    monkeypatch.setenv(links.SECRET_ENV, "from-the-environment-0123456789")
    assert secret_key(var) == "from-the-environment-0123456789"
