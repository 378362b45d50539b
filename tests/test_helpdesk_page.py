"""The helpdesk page at /helpdesk/, through the real Rasa server: in Chromium (an adviser signs
in, sees the urgent request first, claims and answers it), and over HTTP for what a browser
hides (CSRF, cookie flags, lock-out, escaping)."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session
from test_helpdesk import PASSWORD, UNSURE_AT_CONSENT
from test_webchat import (
    browser,  # noqa: F401 - the same Chromium fixture
    click_button,
    conversation,
    session_id,
    type_answer,
    wait_for_text,
)

from bot.helpdesk.accounts import MAX_FAILED_SIGN_INS, Accounts
from bot.helpdesk.models import AdviceRequestRow
from bot.helpdesk.requests import AdviceRequests
from bot.records import make_engine

pytestmark = pytest.mark.e2e

UNSURE = UNSURE_AT_CONSENT


def _reference() -> str:
    return f"ISD-T{uuid.uuid4().hex[:8].upper()}"


@pytest.fixture()
def desk(chat) -> Iterator[tuple[Accounts, AdviceRequests, str]]:
    engine = make_engine(chat.database_url)
    accounts, requests = Accounts(engine), AdviceRequests(engine)
    name = f"adviser{uuid.uuid4().hex[:6]}"
    accounts.add_user(name, PASSWORD, "adviser")
    yield accounts, requests, name
    engine.dispose()


def test_an_adviser_signs_in_claims_and_answers_the_urgent_request_first(
    chat,
    desk,
    browser,  # noqa: F811 - the fixture imported above
) -> None:
    accounts, requests, name = desk
    for row in requests.list():  # earlier tests' requests out of the way
        requests.close(row.reference)
    older, urgent = _reference(), _reference()
    requests.create(older, UNSURE, "Do they need to agree?", conversation_id="a", channel="rest")
    requests.create(
        urgent,
        {**UNSURE, "safeguarding_concern": True},
        "Is Jane Smith at risk if I wait?",
        conversation_id="b",
        channel="socketio",
    )
    context = browser.new_context()
    page = context.new_page()
    seen_hosts = set()
    page.on("request", lambda r: seen_hosts.add(urllib.parse.urlparse(r.url).netloc))
    page.goto(f"{chat.base}/helpdesk/")
    assert page.url.endswith("/helpdesk/sign-in")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/helpdesk/$"))
    links = page.locator("tbody a").all_inner_texts()
    assert links[:2] == [urgent, older]  # urgent first, then oldest
    page.get_by_role("link", name=urgent).click()
    body = page.locator("main").inner_text()
    assert "URGENT" in body and "Not sure at" in body and "Golden Rule" in body
    assert "Jane" not in body and "Smith" not in body and "[NAME]" in body
    page.get_by_role("button", name="Claim this request").click()
    assert f"claimed by {name}".lower() in page.locator("main").inner_text().lower()
    page.get_by_label("Your advice").fill(
        "Seek consent first: see paragraph 4 & the FAQ <b>now</b>."
    )
    page.get_by_label("The answer you suggest").select_option("no")
    page.get_by_label("The guidance paragraph").fill("4")
    page.get_by_role("button", name="Send the answer").click()
    page.wait_for_selector(f"text=Answered by {name}")
    shown = page.locator("main").inner_text()
    assert "see paragraph 4 & the FAQ now" in shown  # markup taken out, the rest as typed
    answered = requests.get(urgent)
    assert (answered.status, answered.answered_by, answered.suggested_answer) == (
        "answered",
        name,
        "no",
    )
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/helpdesk/sign-in$"))
    page.goto(f"{chat.base}/helpdesk/")
    assert page.url.endswith("/helpdesk/sign-in")
    assert seen_hosts == {urllib.parse.urlparse(chat.base).netloc}
    context.close()


def test_the_advice_reaches_the_open_chat_and_the_practitioner_finishes_the_check(
    chat,
    desk,
    browser,  # noqa: F811 - the fixture imported above
) -> None:
    """The whole hand-over in two browsers: a practitioner not sure at question 1 asks the
    helpdesk from the chat page; an adviser signs in, finds the request first (urgent: the case
    shows signs of harm), claims and answers it; the practitioner's page, left open, shows the
    advice without a reload; they continue, answer, save; the record carries the advice."""
    accounts, requests, name = desk
    for row in requests.list():  # earlier tests' requests out of the way
        requests.close(row.reference)
    older = _reference()
    requests.create(older, UNSURE, "Do they need to agree?", conversation_id="a", channel="rest")

    practitioner = browser.new_context(viewport={"width": 400, "height": 800})
    chat_page = practitioner.new_page()
    errors: list[str] = []
    chat_page.on("pageerror", lambda error: errors.append(str(error)))
    chat_page.goto(f"{chat.base}/chat/")
    wait_for_text(chat_page, "Hello.")
    type_answer(
        chat_page,
        "Can I tell the school nurse that Jane Smith has bruises on her arms and says her dad "
        "hits her?",
    )
    wait_for_text(chat_page, "Why do you want to share it")
    type_answer(chat_page, "so that she can keep an eye on her")
    wait_for_text(chat_page, "Question 1:")
    click_button(chat_page, "Not sure")
    wait_for_text(chat_page, "send this to the helpdesk")
    click_button(chat_page, "Ask the helpdesk")
    wait_for_text(chat_page, "What would you like to ask the adviser?")
    type_answer(chat_page, "Jane Smith's dad is a teacher at her school: who do I tell?")
    wait_for_text(chat_page, "This is what the adviser will see")
    preview = conversation(chat_page)
    assert "[NAME]" in preview.split("This is what the adviser will see")[-1]
    click_button(chat_page, "Send it")
    wait_for_text(chat_page, "Sent to the helpdesk as")
    reference = re.search(
        r"Sent to the helpdesk as (ISD-\d+), marked urgent", conversation(chat_page)
    )
    assert reference, conversation(chat_page)
    reference = reference.group(1)
    sender = session_id(chat_page)

    adviser = browser.new_context()
    desk_page = adviser.new_page()
    desk_page.goto(f"{chat.base}/helpdesk/")
    desk_page.get_by_label("Name").fill(name)
    desk_page.get_by_label("Password").fill(PASSWORD)
    desk_page.get_by_role("button", name="Sign in").click()
    desk_page.wait_for_url(re.compile(r"/helpdesk/$"))
    assert desk_page.locator("tbody a").all_inner_texts()[:2] == [reference, older]
    desk_page.get_by_role("link", name=reference).click()
    body = desk_page.locator("main").inner_text()
    assert "URGENT" in body and "Jane" not in body and "Smith" not in body
    desk_page.get_by_role("button", name="Claim this request").click()
    desk_page.get_by_label("Your advice").fill(
        "Follow your safeguarding procedures now and tell the designated safeguarding lead, "
        "not the school nurse."
    )
    desk_page.get_by_label("The answer you suggest").select_option("no")
    desk_page.get_by_label("The guidance paragraph").fill("3.3-3.9")
    desk_page.get_by_role("button", name="Send the answer").click()
    desk_page.wait_for_selector(f"text=Answered by {name}")

    # the practitioner's page, never reloaded, shows the answer
    wait_for_text(chat_page, f"The helpdesk has answered your request {reference}")
    assert "tell the designated safeguarding lead" in conversation(chat_page)
    assert requests.get(reference).delivered_at is not None
    desk_page.reload()
    assert "Shown to the practitioner" in desk_page.locator("main").inner_text()
    click_button(chat_page, "Continue the check")
    wait_for_text(chat_page, f"Continuing the check of {reference}")
    wait_for_text(chat_page, "Question 1:", 2)
    click_button(chat_page, "No")
    wait_for_text(chat_page, "please give the reasons")
    type_answer(chat_page, "The helpdesk advised telling the designated lead instead.")
    wait_for_text(chat_page, "Shall I save")
    click_button(chat_page, "Yes, save it")
    wait_for_text(chat_page, "Your decision reference is")
    finished = re.search(r"Your decision reference is (ISD-\d+)", conversation(chat_page)).group(1)

    records = {r["reference"]: r for r in chat.record_for(sender)}
    first, second = records[reference], records[finished]
    assert (first["outcome"], second["outcome"]) == ("seek_advice", "do_not_share")
    assert first["continues"] is None and first["advice"] is None  # left as it was
    assert second["continues"] == reference and second["safeguarding_concern"] is True
    assert second["advice"]["adviser"] == name
    assert second["advice"]["suggested_answer"] == "no"
    assert second["advice"]["citation"] == "3.3-3.9"
    assert "designated safeguarding lead" in second["advice"]["advice"]
    assert requests.get(reference).status == "closed"
    assert errors == []
    practitioner.close()
    adviser.close()


# --- over HTTP ---------------------------------------------------------------------------------


class Client:
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


def _set_cookies(client: Client, base: str, name: str, password: str) -> list[str]:
    """The Set-Cookie headers of a successful sign-in (no redirect followed)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
            return None

    token = client.csrf("/helpdesk/sign-in")
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(client.jar), NoRedirect()
    )
    request = urllib.request.Request(
        f"{base}/helpdesk/sign-in",
        data=urllib.parse.urlencode({"csrf": token, "name": name, "password": password}).encode(),
        method="POST",
    )
    try:
        opener.open(request, timeout=30)
    except urllib.error.HTTPError as error:
        assert error.code == 302
        return [v for k, v in error.headers.items() if k.lower() == "set-cookie"]
    raise AssertionError("no redirect after signing in")


def test_the_session_cookie_is_httponly_samesite_and_scoped(chat, desk) -> None:
    _, _, name = desk
    cookies = _set_cookies(Client(chat.base), chat.base, name, PASSWORD)
    session = next(c for c in cookies if c.startswith("infoshare_helpdesk="))
    lowered = session.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/helpdesk" in lowered


def test_forms_without_the_csrf_token_or_from_another_origin_are_refused(chat, desk) -> None:
    accounts, requests, name = desk
    reference = _reference()
    requests.create(reference, UNSURE, "?", conversation_id="c", channel="rest")
    client = Client(chat.base)
    client.csrf("/helpdesk/sign-in")
    # signing in without the form's token
    assert client.post("/helpdesk/sign-in", {"name": name, "password": PASSWORD})[0] == 403
    assert client.sign_in(name, PASSWORD)[0] == 200
    token = client.csrf(f"/helpdesk/requests/{reference}")
    assert client.post(f"/helpdesk/requests/{reference}/claim", {})[0] == 403
    assert client.post(f"/helpdesk/requests/{reference}/claim", {"csrf": "forged"})[0] == 403
    other = client.post(
        f"/helpdesk/requests/{reference}/claim", {"csrf": token}, origin="https://evil.example"
    )
    assert other[0] == 403
    assert requests.get(reference).status == "open"  # nothing changed
    assert client.post(f"/helpdesk/requests/{reference}/claim", {"csrf": token})[0] == 200
    assert requests.get(reference).status == "claimed"


def test_repeated_failed_sign_ins_lock_the_account(chat, desk) -> None:
    _, _, name = desk
    client = Client(chat.base)
    for _ in range(MAX_FAILED_SIGN_INS):
        status, page = client.sign_in(name, "not the password")
        assert status == 401 and "did not work" in page
    status, page = client.sign_in(name, PASSWORD)
    assert status == 401  # locked, with the same words
    assert client.get("/helpdesk/")[1].count("Sign in") >= 1


def test_every_value_is_escaped(chat, desk) -> None:
    _, requests, name = desk
    reference = _reference()
    hostile = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    requests.create(reference, UNSURE, "?", conversation_id="d", channel="rest")
    with Session(requests.engine) as session, session.begin():
        row = session.query(AdviceRequestRow).filter_by(reference=reference).one()
        row.content = {
            **row.content,
            "question": hostile,
            "context": [{"id": "information", "label": hostile, "value": hostile}],
        }
        row.channel = hostile[:60]
    client = Client(chat.base)
    client.sign_in(name, PASSWORD)
    status, page = client.get(f"/helpdesk/requests/{reference}")
    assert status == 200
    assert "<img" not in page and "<script>alert" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    status, _ = client.get("/helpdesk/requests/ISD-NOPE")
    assert status == 404
