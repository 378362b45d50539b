"""The helpdesk page at /helpdesk/, through the real Rasa server: in Chromium (an adviser signs
in, sees the urgent request first, claims and answers it), and over HTTP for what a browser
hides (CSRF, cookie flags, lock-out, escaping)."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from support.browser import click_button, conversation, session_id, type_answer, wait_for_text
from support.helpdesk import PASSWORD, UNSURE_AT_CONSENT, Client, new_reference, sign_in
from support.records import new_draft

from bot.helpdesk.accounts import MAX_FAILED_SIGN_INS, Accounts
from bot.helpdesk.audit import AuditLog
from bot.helpdesk.models import AdviceRequestRow
from bot.helpdesk.requests import AdviceRequests
from bot.records import make_engine

pytestmark = pytest.mark.e2e

UNSURE = UNSURE_AT_CONSENT


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
    browser,
) -> None:
    accounts, requests, name = desk
    for row in requests.list():  # earlier tests' requests out of the way
        requests.close(row.reference)
    older, urgent = new_reference(), new_reference()
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
    browser,
) -> None:
    """The whole hand-over in two browsers: a practitioner not sure at question 1 asks the
    helpdesk from the chat page; an adviser signs in, finds the request first (urgent: the case
    shows signs of harm), claims and answers it; the practitioner's page, left open, shows the
    advice without a reload; they continue, answer, save; the record carries the advice."""
    accounts, requests, name = desk
    for row in requests.list():  # earlier tests' requests out of the way
        requests.close(row.reference)
    older = new_reference()
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

    adviser, desk_page, _ = sign_in(browser, chat.base, name)
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
    reference = new_reference()
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


@pytest.fixture()
def loopback_unblocked(chat) -> Iterator[None]:
    """This test's wrong passwords from 127.0.0.1 do not count against the session's others."""
    yield
    engine = make_engine(chat.database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM sign_in_failures WHERE key LIKE 'address:%'"))
    engine.dispose()


def test_forty_parallel_wrong_passwords_then_the_right_one_is_refused(
    chat, desk, loopback_unblocked
) -> None:
    _, _, name = desk
    clients = [Client(chat.base) for _ in range(40)]
    tokens = [client.csrf("/helpdesk/sign-in") for client in clients]

    def guess(pair: tuple[Client, str]) -> int:
        client, token = pair
        fields = {"csrf": token, "name": name, "password": "a wrong guess!!"}
        return client.post("/helpdesk/sign-in", fields)[0]

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(guess, zip(clients, tokens, strict=True)))
    # refused, or too many at once (429: the sign-in pool's queue is full)
    assert set(statuses) <= {401, 429} and statuses.count(401) >= MAX_FAILED_SIGN_INS
    status, page = Client(chat.base).sign_in(name, PASSWORD)
    assert status == 401 and "did not work" in page


def test_a_disabled_or_demoted_persons_saved_cookie_no_longer_works(chat, desk) -> None:
    accounts, _, name = desk
    lead = f"lead{uuid.uuid4().hex[:6]}"
    accounts.add_user(lead, PASSWORD, "lead")
    adviser, boss = Client(chat.base), Client(chat.base)
    assert adviser.sign_in(name, PASSWORD)[0] == 200 and boss.sign_in(lead, PASSWORD)[0] == 200
    assert adviser.get("/helpdesk/")[0] == 200 and boss.get("/helpdesk/report")[0] == 200
    accounts.disable_user(name)  # what `infoshare users disable` does
    status, page = adviser.get("/helpdesk/")
    assert status == 200 and "Sign in" in page and "Open requests" not in page
    accounts.set_role(lead, "adviser")  # `infoshare users role … --role adviser`
    assert "Sign in" in boss.get("/helpdesk/report")[1]
    assert boss.sign_in(lead, PASSWORD)[0] == 200  # signed in again: as an adviser now
    assert boss.get("/helpdesk/report")[0] == 403


def test_signing_out_ends_the_session_on_the_server(chat, desk) -> None:
    _, _, name = desk
    client = Client(chat.base)
    assert client.sign_in(name, PASSWORD)[0] == 200
    saved = [(cookie.name, cookie.value) for cookie in client.jar]
    token = client.csrf("/helpdesk/")
    assert client.post("/helpdesk/sign-out", {"csrf": token})[0] == 200
    replayed = Client(chat.base)  # the cookie copied before signing out, sent again
    cookie_header = "; ".join(f"{key}={value}" for key, value in saved)
    request = urllib.request.Request(f"{chat.base}/helpdesk/", headers={"Cookie": cookie_header})
    status, page = replayed._open(request)
    assert status == 200 and "Sign in" in page and "Open requests" not in page


def test_every_value_is_escaped(chat, desk) -> None:
    _, requests, name = desk
    reference = new_reference()
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


def test_the_request_says_how_each_answer_was_given(chat, desk) -> None:
    _, requests, name = desk
    told, old = new_reference(), new_reference()
    ways = {
        "purpose": "button",
        "identifiable": "word",
        "confidential": "read_back",
        "consent": "button",
    }
    requests.create(told, {**UNSURE, "answered_by": ways}, "?", conversation_id="e", channel="rest")
    requests.create(old, UNSURE, "?", conversation_id="f", channel="rest")
    with Session(requests.engine) as session, session.begin():  # a request made before
        row = session.query(AdviceRequestRow).filter_by(reference=old).one()
        row.content = {k: v for k, v in row.content.items() if k != "how_answered"}
    client = Client(chat.base)
    client.sign_in(name, PASSWORD)
    status, page = client.get(f"/helpdesk/requests/{told}")
    assert status == 200
    section = page.split("<h2>How each answer was given</h2>")[1].split("<h2>")[0]
    assert "Q1 Is there a clear and legitimate purpose" in section
    assert ": button</li>" in section and ": typed answer word</li>" in section
    assert ": read back and confirmed</li>" in section
    assert section.count("<li>") == 4
    status, page = client.get(f"/helpdesk/requests/{old}")
    assert status == 200
    assert "<h2>How each answer was given</h2><p>Not recorded</p>" in page


def test_a_lead_reads_the_audit_log_and_an_adviser_cannot(chat, desk) -> None:
    accounts, requests, name = desk
    lead = f"lead{uuid.uuid4().hex[:6]}"
    accounts.add_user(lead, PASSWORD, "lead")
    reference = new_reference()
    requests.create(reference, UNSURE, "Who decides?", conversation_id="a", channel="rest")
    adviser = Client(chat.base)
    adviser.sign_in(name, PASSWORD)
    status, page = adviser.get(f"/helpdesk/requests/{reference}")
    assert status == 200 and "Audit log" not in page  # no link for an adviser …
    assert adviser.get("/helpdesk/audit")[0] == 403  # … and no page
    client = Client(chat.base)
    client.sign_in(lead, PASSWORD)
    status, page = client.get(f"/helpdesk/audit?reference={reference}")
    assert status == 200, page
    assert f"user:{name}" in page and "advice.read" in page and "127.0.0.1" in page
    status, page = client.get("/helpdesk/audit?reference=%3Cscript%3Ealert(1)%3C/script%3E")
    assert status == 200 and "<script>alert" not in page and "&lt;script&gt;" in page
    # reading the log is logged too
    status, page = client.get("/helpdesk/audit")
    assert f"user:{lead}" in page and "audit.read" in page


def test_alike_answered_cases_are_shown_beside_a_request(chat, desk) -> None:
    accounts, requests, name = desk
    answered, other, open_one = new_reference(), new_reference(), new_reference()
    nurse = {**UNSURE, "information": "a pupil's asthma plan", "recipient": "the school nurse"}
    requests.create(answered, nurse, "", conversation_id="p1", channel="rest")
    requests.answer(answered, "jo", "Ask the parents first <b>unless</b> it is an emergency.")
    requests.create(
        other, {**UNSURE, "information": "bank details"}, "", conversation_id="p2", channel="rest"
    )
    requests.answer(other, "jo", "Not without consent.")
    requests.create(
        open_one,
        {**nurse, "information": "a pupil's asthma and inhaler"},
        "Can the nurse be told about the asthma?",
        conversation_id="p3",
        channel="rest",
    )
    client = Client(chat.base)
    client.sign_in(name, PASSWORD)
    status, page = client.get(f"/helpdesk/requests/{open_one}")
    assert status == 200 and "Alike cases answered before" in page
    section = page.split("Alike cases answered before", 1)[1]
    assert section.index(answered) < section.index(other)  # the closest first
    assert "first unless it is an emergency" in section and "<b>" not in section
    assert "same question" in section
    # what the panel showed is in the audit log, under each case it showed (before: unlogged)
    shown = AuditLog(requests.engine).list(reference=answered, actor=f"user:{name}")
    assert [entry.action for entry in shown] == ["advice.alike"]
    assert {answered, other} <= set(AuditLog(requests.engine).references(shown[0].id))


def test_a_lead_reads_the_report_and_the_audit_log_in_the_browser(
    chat,
    desk,
    browser,
) -> None:
    accounts, requests, name = desk
    lead = f"lead{uuid.uuid4().hex[:6]}"
    accounts.add_user(lead, PASSWORD, "lead")
    reference = new_reference()
    requests.create(reference, UNSURE, "Who decides?", conversation_id="r", channel="rest")
    requests.answer(reference, name, "The designated lead decides.")
    from bot.records import RecordRepository

    RecordRepository(requests.engine).save(
        new_draft(outcome="seek_advice", advice_needed_at="consent", path=["purpose", "consent"])
    )
    context, page, errors = sign_in(browser, chat.base, lead)
    page.get_by_role("link", name="Report").click()
    page.wait_for_url(re.compile(r"/helpdesk/report"))
    body = page.locator("main").inner_text()
    assert "Outcomes by month" in body or "outcomes" in body.lower()
    assert page.locator("main svg").count() >= 1  # the charts, drawn on the server
    page.get_by_label("From (day)").fill("2026-01-01")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"since=2026-01-01"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    assert download.value.suggested_filename == "helpdesk-report.csv"
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Reference").fill(reference)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"/helpdesk/audit\?reference="))
    log = page.locator("main").inner_text()
    assert "advice.answer" not in log or reference in log
    assert "report.read" not in log  # filtered to the one reference
    page.goto(f"{chat.base}/helpdesk/audit")
    log = page.locator("main").inner_text()
    assert f"user:{lead}" in log and "report.read" in log
    assert errors == []
    context.close()


def test_the_report_page_is_for_leads_and_says_what_is_wrong(chat, desk) -> None:
    accounts, _, name = desk
    adviser = Client(chat.base)
    adviser.sign_in(name, PASSWORD)
    assert adviser.get("/helpdesk/report")[0] == 403
    lead = f"lead{uuid.uuid4().hex[:6]}"
    accounts.add_user(lead, PASSWORD, "lead")
    client = Client(chat.base)
    client.sign_in(lead, PASSWORD)
    status, page = client.get("/helpdesk/report?since=2026-12-31&until=2026-01-01")
    assert status == 422 and "no later than the last" in page
    status, page = client.get("/helpdesk/report?since=%3Cscript%3E")
    assert status == 422 and "<script>" not in page
    status, page = client.get("/helpdesk/report?format=csv")
    assert status == 200 and page.startswith("section,key,subkey,value")


def test_staff_run_a_check_for_a_caller_and_the_record_says_so(
    chat,
    desk,
    browser,
) -> None:
    accounts, requests, name = desk
    context, page, errors = sign_in(browser, chat.base, name)
    page.get_by_role("link", name="Check for a caller").click()
    page.wait_for_url(re.compile(r"/helpdesk/check$"))
    wait_for_text(page, "Hello.")
    type_answer(
        page,
        "Can I tell the housing officer about a tenant's rent arrears so they can offer support?",
    )
    wait_for_text(page, "Question 1:")
    click_button(page, "No")
    wait_for_text(page, "please give the reasons")
    type_answer(page, "The caller agreed there is no clear purpose yet.")
    wait_for_text(page, "Shall I save")
    click_button(page, "Yes, save it")
    wait_for_text(page, "Your decision reference is")
    reference = re.search(r"Your decision reference is (ISD-\d+)", conversation(page)).group(1)
    (record,) = [r for r in chat.records() if r["reference"] == reference]
    assert (record["made_by"], record["on_behalf_of_caller"]) == (name, True)
    assert record["channel"] == "socketio"
    assert errors == []
    context.close()


def test_staff_read_a_cohorts_report_in_the_browser(
    chat,
    desk,
    browser,
) -> None:
    from bot.training.cohorts import Cohorts
    from bot.training.practice import find, score
    from bot.training.runs import TrainingRuns
    from bot.training.scenarios import slots as model_slots

    accounts, requests, name = desk
    cohort = Cohorts(requests.engine).create("Browser <cohort>")
    twelve = find(12)
    TrainingRuns(requests.engine).save(score(twelve, model_slots(twelve)), "t1", cohort.code)
    context, page, errors = sign_in(browser, chat.base, name)
    page.get_by_role("link", name="Cohorts").click()
    page.get_by_role("link", name=cohort.code).click()
    page.wait_for_url(re.compile(rf"/helpdesk/cohorts\?code={cohort.code}$"))
    body = page.locator("main").inner_text()
    assert f"Cohort {cohort.code}: Browser <cohort>" in body  # shown as text, escaped
    assert "1 training run(s)." in body and "100%" in body
    assert page.locator("main svg").count() == 1
    page.goto(f"{chat.base}/helpdesk/cohorts?code=NOPE99")
    assert "There is no cohort NOPE99" in page.locator("main").inner_text()
    assert errors == []
    context.close()


def test_a_trainer_runs_a_group_session_and_reveals_the_model_answers(
    chat,
    desk,
    browser,
) -> None:
    from bot.training.cohorts import Cohorts

    accounts, requests, name = desk
    cohort = Cohorts(requests.engine).create("Group session")
    context, page, errors = sign_in(browser, chat.base, name)
    page.goto(f"{chat.base}/helpdesk/cohorts?code={cohort.code}")
    page.get_by_label("Scenario").select_option("4")
    page.get_by_role("button", name="Open for the cohort").click()
    page.wait_for_selector("text=Group session: scenario 4")
    # two trainees answer question 1 in their own chats, one as the model and one not
    said = {}
    for answer in ("yes, she is worried about her daughter", "no, she has no real purpose"):
        sender = f"group-{uuid.uuid4().hex[:8]}"
        chat.text(sender, f"join cohort {cohort.code}")
        chat.text(sender, "scenario 4")
        said[answer] = chat.text(sender, answer)
    # scenario 4 gives feedback at once, but in a group session the trainer reveals it
    assert all("the model answer is" not in text for text in said.values())
    page.get_by_role("link", name="Refresh the answers").click()
    row = page.locator("tr", has_text="Q1 Is there a clear").inner_text()
    assert "Yes: 1" in row and "No: 1" in row and "hidden" in row
    page.get_by_role("button", name="Reveal the model answers").click()
    page.wait_for_selector("text=Group session: scenario 4")
    row = page.locator("tr", has_text="Q1 Is there a clear").inner_text()
    assert "hidden" not in row and row.rstrip().endswith("No")
    page.get_by_role("button", name="End the group session").click()
    page.wait_for_selector("text=Open for the cohort")
    assert errors == []
    context.close()


def test_no_page_carries_the_last_redirects_location(chat) -> None:
    """A redirect (the helpdesk without a session → sign-in), then pages that redirect nowhere:
    none of them has a Location header (it used to be the last redirect's, to anyone)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
            return None

    opener = urllib.request.build_opener(NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(f"{chat.base}/helpdesk/", timeout=30)
    assert redirected.value.code == 302
    assert redirected.value.headers["Location"] == "/helpdesk/sign-in"
    for path in ("/helpdesk/sign-in", "/api/openapi.json", "/chat/"):
        with opener.open(f"{chat.base}{path}", timeout=30) as page:
            assert page.status == 200 and page.headers.get("Location") is None, path
