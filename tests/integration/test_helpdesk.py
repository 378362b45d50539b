"""The helpdesk's accounts, tokens and advice requests, on SQLite and PostgreSQL; its CLI; the
e-mail a new request sends, received by a real SMTP server. Its API and asking it from the chat,
through the real servers: tests/e2e/test_helpdesk.py."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from support.helpdesk import PASSWORD, UNSURE_AT_CONSENT
from support.records import migrate_to

from bot.helpdesk.accounts import (
    LOCK_MINUTES,
    MAX_FAILED_SIGN_INS,
    AccountError,
    Accounts,
    _hasher,
    token_hash,
)
from bot.helpdesk.models import ApiToken, HelpdeskUser
from bot.helpdesk.requests import (
    AdviceRequests,
    BadAnswer,
    RequestError,
    UnknownRequest,
    request_content,
)
from bot.helpdesk.throttle import Throttle, keys
from bot.records import make_engine, upgrade

PROJECT = Path(__file__).resolve().parents[2]


# --- accounts ----------------------------------------------------------------------------------


def test_a_user_signs_in_with_their_password_only(engine) -> None:
    accounts = Accounts(engine)
    accounts.add_user("jo.adviser", PASSWORD, "adviser")
    assert accounts.sign_in("jo.adviser", PASSWORD).role == "adviser"
    assert accounts.sign_in("jo.adviser", PASSWORD + "!") is None
    assert accounts.sign_in("nobody", PASSWORD) is None
    with engine.connect() as connection:
        stored = connection.execute(select(HelpdeskUser.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_bad_accounts_are_refused_with_a_reason(engine) -> None:
    accounts = Accounts(engine)
    accounts.add_user("lead1", PASSWORD, "lead")
    for name, password, role, reason in (
        ("lead1", PASSWORD, "lead", "already"),
        ("x", "short", "adviser", "12 characters"),
        ("<script>", PASSWORD, "adviser", "a name is"),
        ("sam", PASSWORD, "admin", "role"),
    ):
        with pytest.raises(AccountError, match=reason):
            accounts.add_user(name, password, role)


def test_repeated_wrong_passwords_lock_the_account_for_a_while(engine) -> None:
    accounts = Accounts(engine)
    accounts.add_user("jo", PASSWORD, "adviser")
    now = datetime.now(timezone.utc)
    for _ in range(MAX_FAILED_SIGN_INS):
        assert accounts.sign_in("jo", "wrong password!!", now=now) is None
    assert accounts.sign_in("jo", PASSWORD, now=now) is None  # locked: even the right one
    later = now + timedelta(minutes=LOCK_MINUTES, seconds=1)
    assert accounts.sign_in("jo", PASSWORD, now=later) is not None


def test_a_disabled_account_cannot_sign_in(engine) -> None:
    accounts = Accounts(engine)
    accounts.add_user("jo", PASSWORD, "adviser")
    accounts.disable_user("jo")
    assert accounts.sign_in("jo", PASSWORD) is None
    assert [u.disabled for u in accounts.users()] == [True]


def test_forty_parallel_wrong_passwords_lock_the_account(engine) -> None:
    """Each guess's count is one atomic UPDATE: parallel guesses cannot overwrite each other's
    count (before, 40 guesses read 0 and wrote 1 and the right password still worked)."""
    accounts = Accounts(engine)
    accounts.add_user("jo", PASSWORD, "adviser")
    with ThreadPoolExecutor(max_workers=40) as pool:
        refused = list(pool.map(lambda _: accounts.sign_in("jo", "wrong password!!"), range(40)))
    assert refused == [None] * 40
    assert accounts.sign_in("jo", PASSWORD) is None
    assert accounts.users()[0].locked_until is not None


def test_unknown_names_and_addresses_are_limited_too(engine, monkeypatch) -> None:
    accounts, throttled = Accounts(engine), Throttle(engine)
    accounts.add_user("jo", PASSWORD, "adviser")
    for _ in range(MAX_FAILED_SIGN_INS):
        assert accounts.sign_in("nobody", "a guess at a password", "10.0.0.1") is None
    # an unknown name is blocked exactly like a known one: the count says nothing of which exist
    assert throttled.blocked(keys("nobody", None)) and throttled.blocked(keys("NoBody", None))
    with engine.connect() as connection:  # counted under the name's hash: the name not stored
        stored = connection.execute(text("SELECT key FROM sign_in_failures")).scalars().all()
    assert stored and not any("nobody" in key for key in stored)
    monkeypatch.setenv("INFOSHARE_SIGN_IN_ADDRESS_LIMIT", "12")
    for number in range(12 - MAX_FAILED_SIGN_INS):
        assert accounts.sign_in(f"name{number}", "a guess at a password", "10.0.0.1") is None
    assert accounts.sign_in("jo", PASSWORD, "10.0.0.1") is None  # that address is blocked
    assert accounts.sign_in("jo", PASSWORD, "10.0.0.2") is not None  # another is not
    later = datetime.now(timezone.utc) + timedelta(minutes=LOCK_MINUTES, seconds=1)
    assert accounts.sign_in("jo", PASSWORD, "10.0.0.1", now=later) is not None


def test_a_locked_name_is_not_kept_locked_by_more_guesses(engine) -> None:
    accounts = Accounts(engine)
    accounts.add_user("jo", PASSWORD, "adviser")
    now = datetime.now(timezone.utc)
    for minutes in range(MAX_FAILED_SIGN_INS + 10):  # locked at the 5th, guessed at 10 more
        accounts.sign_in("jo", "wrong password!!", now=now + timedelta(minutes=minutes))
    later = now + timedelta(minutes=MAX_FAILED_SIGN_INS - 1 + LOCK_MINUTES, seconds=1)
    assert accounts.sign_in("jo", PASSWORD, now=later) is not None


def test_sessions_end_at_sign_out_disable_password_and_role_change(engine) -> None:
    accounts = Accounts(engine)
    user = accounts.add_user("jo", PASSWORD, "lead")
    secret, signed = accounts.start_session(user)
    assert accounts.session(secret) == signed and signed.role == "lead"
    accounts.end_session(secret)
    assert accounts.session(secret) is None
    for change in (
        lambda: accounts.disable_user("jo"),
        lambda: accounts.set_password("jo", "another long password"),
        lambda: accounts.set_role("jo", "adviser"),
    ):
        accounts.enable_user("jo")
        secret, _ = accounts.start_session(accounts.users()[0])
        other, _ = accounts.start_session(accounts.users()[0])  # another browser
        assert accounts.session(secret) is not None
        change()
        assert accounts.session(secret) is None and accounts.session(other) is None
    assert accounts.sign_in("jo", "another long password") is not None
    assert accounts.users()[0].role == "adviser"
    assert accounts.session("") is None and accounts.session("x" * 500) is None


def test_the_role_is_the_accounts_not_the_sessions(engine) -> None:
    accounts = Accounts(engine)
    user = accounts.add_user("jo", PASSWORD, "adviser")
    secret, _ = accounts.start_session(user)
    with engine.begin() as connection:  # changed behind the CLI's back: read at every request
        connection.execute(text("UPDATE helpdesk_users SET role = 'lead' WHERE name = 'jo'"))
    assert accounts.session(secret).role == "lead"


def test_sessions_end_when_idle_and_after_their_lifetime(engine, monkeypatch) -> None:
    monkeypatch.setenv("INFOSHARE_SESSION_IDLE_MINUTES", "30")
    monkeypatch.setenv("INFOSHARE_SESSION_HOURS", "2")
    accounts = Accounts(engine)
    user = accounts.add_user("jo", PASSWORD, "adviser")
    now = datetime.now(timezone.utc)
    secret, signed = accounts.start_session(user, now=now)
    assert accounts.session(secret, now=now + timedelta(minutes=29)) is not None
    assert accounts.session_alive(signed.id, "jo")
    assert accounts.session(secret, now=now + timedelta(minutes=60)) is None  # idle
    assert accounts.session(secret, now=now + timedelta(minutes=61)) is None  # ended for good
    assert not accounts.session_alive(signed.id, "jo")
    secret, _ = accounts.start_session(user, now=now)
    for minutes in range(20, 120, 20):  # used every 20 minutes: never idle
        assert accounts.session(secret, now=now + timedelta(minutes=minutes)) is not None
    assert accounts.session(secret, now=now + timedelta(minutes=121)) is None  # its lifetime


def test_accounts_made_before_server_side_sessions_keep_signing_in(blank_db_url: str) -> None:
    """Migration 0011 drops the accounts' own failure count and lock and adds the sessions and
    the failures tables: an account made before keeps its password and role; downgrading
    brings the columns back."""
    from sqlalchemy import MetaData, Table

    engine = make_engine(blank_db_url)
    migrate_to(engine, "0010")
    users = Table("helpdesk_users", MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        connection.execute(
            users.insert().values(
                name="jo",
                password_hash=_hasher.hash(PASSWORD),
                role="lead",
                disabled=False,
                failed_sign_ins=3,
                created_at=datetime(2026, 11, 1, 9, 0),
            )
        )
    upgrade(engine=engine)
    accounts = Accounts(engine)
    user = accounts.sign_in("jo", PASSWORD)
    assert user is not None and user.role == "lead"
    assert accounts.session(accounts.start_session(user)[0]).name == "jo"
    migrate_to(engine, "0010")
    columns = Table("helpdesk_users", MetaData(), autoload_with=engine).columns
    assert {"failed_sign_ins", "locked_until", "password_hash"} <= set(columns.keys())
    engine.dispose()


def test_tokens_are_stored_hashed_and_can_be_revoked(engine) -> None:
    accounts = Accounts(engine)
    token, secret = accounts.create_token("crm", "reporting")
    assert accounts.authenticate_token(secret).role == "reporting"
    with engine.connect() as connection:
        hashes = connection.execute(select(ApiToken.token_hash)).scalars().all()
    assert hashes == [token_hash(secret)] and secret not in hashes
    assert accounts.authenticate_token(secret + "x") is None
    assert accounts.authenticate_token("") is None
    accounts.revoke_token(token.id)
    assert accounts.authenticate_token(secret) is None
    assert accounts.tokens()[0].last_used_at is not None


# --- requests ----------------------------------------------------------------------------------


def test_the_request_is_the_half_built_decision_without_names() -> None:
    content = request_content(UNSURE_AT_CONSENT, "Does Jane Smith need to agree first?")
    flat = json.dumps(content)
    for name in ("Jane", "Smith", "John", "Brown"):
        assert name not in flat
    assert content["context"][0]["value"] == "[NAME]'s health notes"
    assert content["unsure"]["id"] == "consent"
    assert content["unsure"]["title"].startswith("Q4")
    assert content["unsure"]["answers"] == ["yes", "no", "not_asked", "not_sure"]
    assert content["question"] == "Does [NAME] need to agree first?"
    assert any("[NAME]" in a["value"] for a in content["answers"] if a["kind"] == "detail")
    assert content["how_answered"] is None  # not kept for this check: "not recorded" on the page
    ways = {"purpose": "button", "identifiable": "word", "appropriate": "button"}
    content = request_content({**UNSURE_AT_CONSENT, "answered_by": ways}, "?")
    assert content["how_answered"] == {"purpose": "button", "identifiable": "word"}  # on path


def test_the_queue_is_urgent_first_then_oldest(engine) -> None:
    requests = AdviceRequests(engine)
    requests.create("ISD-000001", UNSURE_AT_CONSENT, "", conversation_id="a", channel="rest")
    requests.create(
        "ISD-000002",
        {**UNSURE_AT_CONSENT, "safeguarding_concern": True},
        "",
        conversation_id="b",
        channel="socketio",
    )
    requests.create("ISD-000003", UNSURE_AT_CONSENT, "", conversation_id="c", channel="rest")
    assert [r.reference for r in requests.list()] == ["ISD-000002", "ISD-000001", "ISD-000003"]
    assert requests.conversation_of("ISD-000002") == ("b", "socketio")
    assert "conversation_id" not in requests.get("ISD-000002").as_dict()
    with pytest.raises(RequestError, match="already"):
        requests.create("ISD-000001", UNSURE_AT_CONSENT, "", conversation_id="a", channel="rest")


def test_claim_answer_close(engine) -> None:
    requests = AdviceRequests(engine)
    requests.create("ISD-000007", UNSURE_AT_CONSENT, "q", conversation_id="a", channel="rest")
    assert requests.claim("ISD-000007", "jo").status == "claimed"
    assert requests.claim("ISD-000007", "jo").claimed_by == "jo"  # twice: no change
    with pytest.raises(RequestError, match="claimed by jo"):
        requests.answer("ISD-000007", "sam", "Seek consent first.")
    with pytest.raises(BadAnswer, match="suggested_answer"):
        requests.answer("ISD-000007", "jo", "Seek consent first.", suggested_answer="maybe")
    with pytest.raises(BadAnswer, match="advice"):
        requests.answer("ISD-000007", "jo", "   ")
    answered = requests.answer("ISD-000007", "jo", "Seek consent first.", "no", "paragraph 4")
    assert (answered.status, answered.suggested_answer, answered.citation) == (
        "answered",
        "no",
        "paragraph 4",
    )
    with pytest.raises(RequestError, match="cannot be answered again"):
        requests.answer("ISD-000007", "jo", "Again")
    assert requests.list() == [] and [r.reference for r in requests.list("answered")] == [
        "ISD-000007"
    ]
    assert requests.close("ISD-000007").status == "closed"
    with pytest.raises(UnknownRequest):
        requests.get("ISD-999999")


def test_the_advice_is_redacted_before_it_is_stored(engine) -> None:
    """The adviser's words go onto the continued record and back to the practitioner: like
    everything a person types, redacted first (before: stored as typed)."""
    requests = AdviceRequests(engine)
    requests.create("ISD-000008", UNSURE_AT_CONSENT, "q", conversation_id="b", channel="rest")
    requests.claim("ISD-000008", "jo")
    advice = (
        "Please ring Jane Smith's mother on 07700 900123 or jane.mum@example.org first; "
        "see paragraph 4.2."
    )
    answered = requests.answer("ISD-000008", "jo", advice)
    assert answered.advice == (
        "Please ring [NAME]'s mother on [PHONE] or [EMAIL] first; see paragraph 4.2."
    )
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT advice FROM advice_requests")).scalars().all()
    assert not any("Smith" in (value or "") or "07700" in (value or "") for value in stored)


def test_the_helpdesk_tables_come_from_the_migration(engine) -> None:
    with engine.connect() as connection:
        for table in ("helpdesk_users", "api_tokens", "advice_requests"):
            connection.execute(text(f"SELECT count(*) FROM {table}"))


# --- the CLI -----------------------------------------------------------------------------------


def _cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args, "--database-url", url],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=120,
    )


def test_users_and_tokens_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    added = _cli(url, "users", "add", "jo.adviser", "--role", "adviser", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    again = _cli(url, "users", "add", "jo.adviser", "--role", "adviser", stdin=PASSWORD + "\n")
    assert again.returncode == 1 and "already a user" in again.stderr
    short = _cli(url, "users", "add", "sam", "--role", "lead", stdin="short\n")
    assert short.returncode == 1 and "12 characters" in short.stderr
    assert "jo.adviser" in _cli(url, "users", "list").stdout
    accounts = Accounts(make_engine(url))
    secret, _ = accounts.start_session(accounts.users()[0])
    disabled = _cli(url, "users", "disable", "jo.adviser")
    assert disabled.returncode == 0 and "sessions have ended" in disabled.stdout
    assert "disabled" in _cli(url, "users", "list").stdout
    assert accounts.session(secret) is None  # at once
    assert _cli(url, "users", "enable", "jo.adviser").returncode == 0
    secret, _ = accounts.start_session(accounts.users()[0])
    assert _cli(url, "users", "role", "jo.adviser", "--role", "lead").returncode == 0
    assert accounts.session(secret) is None and accounts.users()[0].role == "lead"
    secret, _ = accounts.start_session(accounts.users()[0])
    assert _cli(url, "users", "sign-out", "jo.adviser").returncode == 0
    assert accounts.session(secret) is None
    secret, _ = accounts.start_session(accounts.users()[0])
    new = "a brand new long password"
    changed = _cli(url, "users", "password", "jo.adviser", stdin=new + "\n")
    assert changed.returncode == 0 and accounts.session(secret) is None
    assert accounts.sign_in("jo.adviser", new) is not None
    assert accounts.sign_in("jo.adviser", PASSWORD) is None
    nobody = _cli(url, "users", "sign-out", "nobody")
    assert nobody.returncode == 1 and "no user called nobody" in nobody.stderr
    audited = _cli(url, "audit", "list").stdout
    for action in ("user.disable", "user.enable", "user.role", "user.sign-out", "user.password"):
        assert action in audited
    created = _cli(url, "tokens", "create", "--role", "reporting", "--name", "crm")
    secret = created.stdout.strip()
    assert secret.startswith("isk_") and "not shown again" in created.stderr
    listed = _cli(url, "tokens", "list").stdout
    assert "crm" in listed and secret not in listed
    assert _cli(url, "tokens", "revoke", "1").returncode == 0
    assert Accounts(make_engine(url)).authenticate_token(secret) is None
    missing = _cli(url, "tokens", "revoke", "9")
    assert missing.returncode == 1 and "no token 9" in missing.stderr


# --- e-mail to the helpdesk --------------------------------------------------------------------


@pytest.fixture()
def smtp_server() -> Iterator[tuple[str, list]]:
    """A real SMTP server on the loopback (aiosmtpd), collecting what it receives."""
    from aiosmtpd.controller import Controller

    received: list = []

    class Collect:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            received.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as probe:  # a free port (aiosmtpd checks the one it is given)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", received
    finally:
        controller.stop()


def test_a_new_request_emails_the_helpdesk_without_the_case(
    engine, smtp_server, tmp_path, monkeypatch
) -> None:
    from bot import settings
    from bot.helpdesk import notify

    url, received = smtp_server
    recipients = tmp_path / "helpdesk.yml"
    recipients.write_text('notify:\n  from: "bot@example.org"\n  to: [desk@example.org]\n')
    monkeypatch.setenv(settings.SMTP_URL, url)
    monkeypatch.setenv(settings.HELPDESK_FILE, str(recipients))
    monkeypatch.setenv(settings.PUBLIC_URL, "https://infoshare.example.org")
    assert "desk@example.org" in notify.status()
    AdviceRequests(engine).create(
        "ISD-000042",
        {**UNSURE_AT_CONSENT, "safeguarding_concern": True},
        "Is Jane Smith safe?",
        conversation_id="z",
        channel="rest",
    )
    assert len(received) == 1
    envelope = received[0]
    assert envelope.rcpt_tos == ["desk@example.org"] and envelope.mail_from == "bot@example.org"
    import email
    from email import policy

    parsed = email.message_from_bytes(envelope.content, policy=policy.default)
    mail = parsed["Subject"] + "\n" + parsed.get_content()
    assert "URGENT" in mail and "ISD-000042" in mail and "Q4" in mail
    assert "https://infoshare.example.org/helpdesk/requests/ISD-000042" in mail
    for word in ("Jane", "Smith", "health notes", "school nurse"):
        assert word not in mail


def test_without_smtp_notifications_are_off_and_say_so(engine, monkeypatch) -> None:
    from bot import settings
    from bot.helpdesk import notify

    monkeypatch.delenv(settings.SMTP_URL, raising=False)
    assert notify.config() is None and "off" in notify.status()
    assert notify.send("ISD-1", False, None) is False
    AdviceRequests(engine).create(
        "ISD-000043", UNSURE_AT_CONSENT, "", conversation_id="z", channel="rest"
    )


def test_an_unreachable_smtp_server_loses_no_request(engine, tmp_path, monkeypatch) -> None:
    from bot import settings

    recipients = tmp_path / "helpdesk.yml"
    recipients.write_text("notify:\n  to: [desk@example.org]\n")
    monkeypatch.setenv(settings.SMTP_URL, "smtp://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv(settings.HELPDESK_FILE, str(recipients))
    requests = AdviceRequests(engine)
    requests.create("ISD-000044", UNSURE_AT_CONSENT, "", conversation_id="z", channel="rest")
    assert requests.get("ISD-000044").status == "open"
