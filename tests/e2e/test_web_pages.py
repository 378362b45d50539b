"""Every page the real Rasa server serves (the chat page, the printable summary, every helpdesk
page and its error pages): the one layout with ``lang="en-GB"``, the one stylesheet, and a
``<script>`` value shown escaped. The templates and the summary without servers:
tests/unit/test_web_pages.py."""

from __future__ import annotations

import re
import urllib.request
import uuid

import pytest
from sqlalchemy.orm import Session
from support.helpdesk import PASSWORD, UNSURE_AT_CONSENT, Client
from support.records import new_draft

from bot.helpdesk.accounts import Accounts
from bot.helpdesk.models import AdviceRequestRow
from bot.helpdesk.requests import AdviceRequests
from bot.records import RecordRepository, links, make_engine
from bot.records.models import DecisionRecordRow
from bot.server import Servers
from bot.training.cohorts import Cohorts
from bot.web.pages import STYLESHEET

pytestmark = pytest.mark.e2e

HOSTILE = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


def _html_pages_share_the_layout(pages: dict[str, tuple[int, str]]) -> None:
    for name, (_, page) in pages.items():
        assert page.startswith('<!doctype html>\n<html lang="en-GB"'), name
        assert 'lang="en"' not in page and "<style" not in page, name
        links = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page)
        assert links == [STYLESHEET], (name, links)


def test_every_page_served_has_the_layout_the_stylesheet_and_escapes(chat) -> None:
    engine = make_engine(chat.database_url)
    accounts, requests = Accounts(engine), AdviceRequests(engine)
    lead, adviser = f"lead{uuid.uuid4().hex[:6]}", f"adviser{uuid.uuid4().hex[:6]}"
    accounts.add_user(lead, PASSWORD, "lead")
    accounts.add_user(adviser, PASSWORD, "adviser")
    reference = f"ISD-W{uuid.uuid4().hex[:8].upper()}"
    requests.create(reference, UNSURE_AT_CONSENT, "?", conversation_id="w", channel="rest")
    cohort = Cohorts(engine).create(f"Cohort {HOSTILE}")
    record = RecordRepository(engine).save(new_draft())
    with Session(engine) as session, session.begin():  # past the cleaning a save does
        row = session.query(AdviceRequestRow).filter_by(reference=reference).one()
        row.content = {**row.content, "question": HOSTILE}
        session.query(DecisionRecordRow).filter_by(
            reference=record.reference
        ).one().reasons = HOSTILE
    secret = Servers().environment()[links.SECRET_ENV]
    key = links.summary_key(record.reference, record.conversation_id, secret)
    engine.dispose()

    pages: dict[str, tuple[int, str]] = {}
    headers: dict[str, dict[str, str]] = {}

    class Recording(Client):  # each page's headers, by the page's name
        def _open(self, request: urllib.request.Request) -> tuple[int, str]:
            found = super()._open(request)
            self.seen = {k.lower(): v for k, v in self.last_headers}
            return found

    def keep(name: str, client: Recording, found: tuple[int, str]) -> None:
        pages[name], headers[name] = found, client.seen

    client = Recording(chat.base)
    keep("chat", client, client.get("/chat/"))
    keep("summary", client, client.get(f"/chat/records/{record.reference}?key={key}"))
    keep("sign in", client, client.get("/helpdesk/sign-in"))
    keep("sign in failed", client, client.sign_in(lead, "not the password"))
    keep("refused", client, client.post("/helpdesk/sign-in", {"name": lead, "password": PASSWORD}))
    client.sign_in(lead, PASSWORD)
    for name, path in {
        "queue": "/helpdesk/",
        "request": f"/helpdesk/requests/{reference}",
        "no request": "/helpdesk/requests/ISD-NOPE",
        "check": "/helpdesk/check",
        "cohorts": "/helpdesk/cohorts",
        "cohort": f"/helpdesk/cohorts?code={cohort.code}",
        "no cohort": "/helpdesk/cohorts?code=NOPE99",
        "report": "/helpdesk/report",
        "bad report": "/helpdesk/report?since=2026-12-31&until=2026-01-01",
        "audit": f"/helpdesk/audit?reference={reference}",
    }.items():
        keep(name, client, client.get(path))
    token = client.csrf(f"/helpdesk/cohorts?code={cohort.code}")
    session_path = f"/helpdesk/cohorts/{cohort.code}/session"
    keep("no scenario", client, client.post(session_path, {"csrf": token, "scenario": "999"}))
    keep("group session", client, client.post(session_path, {"csrf": token, "scenario": "4"}))
    advisers = Recording(chat.base)
    advisers.sign_in(adviser, PASSWORD)
    keep("leads only", advisers, advisers.get("/helpdesk/audit"))

    statuses = {name: status for name, (status, _) in pages.items()}
    assert statuses == {
        **dict.fromkeys(pages, 200),
        "sign in failed": 401,
        "refused": 403,
        "no request": 404,
        "no cohort": 404,
        "bad report": 422,
        "no scenario": 422,
        "leads only": 403,
    }
    _html_pages_share_the_layout(pages)
    # every page: a policy that forbids framing, no sniffing, a referrer policy; and the pages
    # that show a case or a person are never stored (before: the chat page could be framed)
    for name, found in headers.items():
        policy = found.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy and "default-src" in policy, name
        assert found.get("x-content-type-options") == "nosniff", name
        assert found.get("referrer-policy") in ("no-referrer", "same-origin"), name
    for name in ("summary", "queue", "request", "check", "cohort", "report", "audit"):
        assert headers[name].get("cache-control") == "no-store", name
    for name in ("summary", "request", "cohort", "group session"):
        page = pages[name][1]
        assert "<script>alert" not in page and ESCAPED in page, name
    assert "Group session: scenario 4" in pages["group session"][1]
    with urllib.request.urlopen(f"{chat.base}{STYLESHEET}", timeout=30) as reply:  # noqa: S310
        assert reply.headers["Content-Type"].startswith("text/css")
        assert b".helpdesk-page" in reply.read()
