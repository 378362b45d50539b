"""The web apps' pages (bot/web/): every page renders from the templates — one layout with
``lang="en-GB"``, one stylesheet, autoescape on — and the records' printable summary shows the
record's fields, escaped. No servers here; every page the real Rasa server serves:
tests/e2e/test_web_pages.py."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from bot.records.repository import DecisionRecord
from bot.web import chat as chat_app
from bot.web.chat import render_record
from bot.web.pages import STYLESHEET, environment, render

TEMPLATES = Path(chat_app.__file__).parent / "templates"
HOSTILE = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


# --- the templates -------------------------------------------------------------------------------


def test_autoescape_is_on_for_templates_and_strings():
    assert environment().autoescape("page.html") is True
    assert environment().from_string("{{ value }}").render(value=HOSTILE) == ESCAPED
    assert environment() is environment()  # one environment, made once


def test_every_template_extends_the_one_layout():
    pages = sorted(p for p in TEMPLATES.rglob("*.html") if p.name != "base.html")
    assert len(pages) >= 12, pages
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert re.search(r'{% extends "(base|helpdesk/layout)\.html" %}', text), path
        assert "<html" not in text and "<style" not in text and "stylesheet" not in text, path
    base = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    assert (
        '<html lang="en-GB"' in base and '<link rel="stylesheet" href="{{ STYLESHEET }}">' in base
    )
    assert '{% extends "base.html" %}' in (TEMPLATES / "helpdesk" / "layout.html").read_text()


def test_the_one_stylesheet_is_served_under_its_old_names_too():
    path, content_type = chat_app.STATIC[STYLESHEET.rsplit("/", 1)[1]]
    assert path.is_file() and content_type.startswith("text/css")
    assert chat_app.STATIC["chat.css"] == chat_app.STATIC["record.css"] == (path, content_type)
    for scoped in (".chat-page", ".record-page", ".helpdesk-page", ".rw-reply"):
        assert scoped in path.read_text(encoding="utf-8")


def test_a_page_escapes_what_it_shows():
    page = render(
        "helpdesk/message.html",
        title=HOSTILE,
        user={"name": HOSTILE, "role": "lead", "csrf": '"><b>'},
        base="/helpdesk",
        message=HOSTILE,
        error=False,
        alert=True,
    )
    assert page.startswith('<!doctype html>\n<html lang="en-GB"')
    assert "<script>alert" not in page and page.count(ESCAPED) == 4  # title, heading, name, text
    assert 'value="&#34;&gt;&lt;b&gt;"' in page
    assert "None" not in render(
        "helpdesk/message.html", title="t", user=None, base="", message=None, error=0, alert=0
    )


# --- the printable summary -----------------------------------------------------------------------


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
    assert "<td>Yes — helpdesk&#39;s suggested answer</td>" in page
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


def test_the_shared_response_headers_cannot_be_changed() -> None:
    """Sanic's redirect() writes Location into the headers dict it is given: a shared, writable
    dict made every later page carry the last redirect's Location (issue 20, finding 6)."""
    import pytest

    from bot.web import api, helpdesk

    for headers in (helpdesk.HEADERS, api.HEADERS, chat_app.COMMON_HEADERS):
        with pytest.raises(TypeError):
            headers["Location"] = "/helpdesk/"  # type: ignore[index]
        assert "Location" not in headers
