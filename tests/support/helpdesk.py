"""The helpdesk's test support (a pytest plugin, registered in tests/conftest.py): the ``engine``
fixture (a migrated database, on SQLite and on PostgreSQL), a half-built decision to ask about,
and what an adviser does through a running server — sign in (in a browser, or over HTTP with
``Client``) and answer through the API."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.helpdesk.accounts import Accounts
from bot.records import make_engine, upgrade

PASSWORD = "correct horse battery staple"

# A check that ended "not sure" at question 4 (consent), typed with names in it.
UNSURE_AT_CONSENT = {
    "information": "Jane Smith's health notes",
    "recipient": "the school nurse",
    "purpose_text": "so that she can support her",
    "purpose": "yes",
    "identifiable": "yes",
    "confidential": "yes",
    "consent": "not_sure",
    "answer_notes": {"identifiable": "spoke to John Brown about Jane yesterday"},
    "safeguarding_concern": False,
}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    """A migrated database with every table (records, helpdesk, training): SQLite, PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'helpdesk.db'}"
        upgrade(url)
        yield make_engine(url)
        return
    from bot.records.testing import postgres_unavailable_reason, temporary_postgres_database

    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with temporary_postgres_database("infoshare_helpdesk") as url:
        upgrade(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()


def new_reference() -> str:
    """A reference no other test uses (the session's servers share one database)."""
    return f"ISD-T{uuid.uuid4().hex[:8].upper()}"


# --- an adviser, through a running server ------------------------------------------------------


def sign_in(browser, base: str, name: str):
    """A new browser context signed in to the helpdesk as ``name``: (context, page, errors)."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/helpdesk/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/helpdesk/$"))
    return context, page, errors


class Client:
    """The helpdesk's pages over HTTP, with a cookie jar: what a browser hides."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.last_headers: list[tuple[str, str]] = []

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(f"{self.base}{path}"))

    def post(self, path: str, fields: dict[str, str], origin: str | None = None) -> tuple[int, str]:
        request = urllib.request.Request(
            f"{self.base}{path}", data=urllib.parse.urlencode(fields).encode(), method="POST"
        )
        if origin:
            request.add_header("Origin", origin)
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                self.last_headers = response.headers.items()
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            self.last_headers = error.headers.items()
            return error.code, error.read().decode()

    def csrf(self, path: str) -> str:
        status, page = self.get(path)
        assert status == 200, page
        return re.search(r'name="csrf" value="([^"]+)"', page).group(1)

    def sign_in(self, name: str, password: str) -> tuple[int, str]:
        token = self.csrf("/helpdesk/sign-in")
        return self.post("/helpdesk/sign-in", {"csrf": token, "name": name, "password": password})


def api_token(chat) -> str:
    """An adviser's API token, made in the database of ``chat``'s servers."""
    db = make_engine(chat.database_url)
    _, token = Accounts(db).create_token(f"desk-{uuid.uuid4().hex[:6]}", "adviser")
    db.dispose()
    return token


def post_json(base: str, path: str, token: str, body: dict) -> tuple[int, dict]:
    """POST ``body`` to the API with the token: (status, the JSON answer)."""
    request = urllib.request.Request(
        f"{base}{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
