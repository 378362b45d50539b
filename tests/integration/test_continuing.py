"""Continuing a check after the helpdesk's advice: the pure parts (engine, record, keys), the
requests' delivery bookkeeping on SQLite and PostgreSQL. The whole hand-over through the real
servers: tests/e2e/test_continuing.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from support.flow import PATHS, parse
from support.helpdesk import UNSURE_AT_CONSENT

from bot.helpdesk.continuing import continue_key, continue_link, key_matches, parse_continue
from bot.helpdesk.requests import AdviceRequests, advice_of
from bot.protocol import load_protocol, required_slots, resume_at_advice, walk
from bot.protocol.reading import asks_to_continue
from bot.records import RecordRepository, draft_from_check, make_engine
from bot.records.draft import slots_from_record
from bot.web.chat import render_record

SECRET = "a-test-secret-long-enough-for-32-random-bytes"
CONTEXT = {
    "information": "[NAME]'s health notes",
    "recipient": "the school nurse",
    "purpose_text": "x",
}
SEEK_ADVICE_PATHS = [(answers, advice_at) for answers, _, _, advice_at in PATHS if advice_at]


def _next_question(slots: dict) -> str | None:
    return next((s for s in required_slots(slots) if slots.get(s) is None), None)


# --- the engine and the record ---------------------------------------------------------------


@pytest.mark.parametrize("answers,advice_at", SEEK_ADVICE_PATHS)
def test_a_check_resumes_at_the_question_where_advice_was_needed(answers, advice_at) -> None:
    slots = {**CONTEXT, **parse(answers)}
    resumed = resume_at_advice(slots)
    assert _next_question(resumed) == advice_at
    before = walk(slots).path[:-1]
    assert {q: resumed[q] for q in before} == {q: slots[q] for q in before}
    assert resumed[advice_at] is None
    assert {c: resumed[c] for c in CONTEXT} == CONTEXT


def test_only_answers_that_ended_in_seek_advice_can_resume() -> None:
    with pytest.raises(ValueError, match="seek advice"):
        resume_at_advice({**CONTEXT, "purpose": "no"})


def test_the_checklist_keeps_the_points_already_confirmed() -> None:
    protocol = load_protocol()
    checks_slot = protocol.checklist_question.checks_slot
    slots = {
        **CONTEXT,
        **parse("purpose=yes identifiable=no appropriate=not_sure"),
        checks_slot: {"necessary": True, "need_to_know": True},
    }
    resumed = resume_at_advice(slots)
    assert _next_question(resumed) == "appropriate"
    assert resumed[checks_slot] == {"necessary": True, "need_to_know": True}


def test_a_seek_advice_record_gives_back_the_check_and_the_continued_one_links_to_it(
    records_db_url: str,
) -> None:
    repository = RecordRepository(make_engine(records_db_url))
    slots = {
        **UNSURE_AT_CONSENT,
        "check_id": "first",
        "answer_notes": {"identifiable": "it names her"},
        "answered_by": {
            "purpose": "button",
            "identifiable": "word",
            "confidential": "read_back",
            "consent": "button",
        },
    }
    first = repository.save(draft_from_check(slots, conversation_id="c1", channel="rest"))
    assert first.outcome == "seek_advice" and first.continues is None and first.advice is None
    assert first.answered_by == slots["answered_by"]  # "not sure" at consent, by its button
    restored = slots_from_record(first)
    assert _next_question(restored) == "consent"
    assert restored["information"] == first.information  # as the record holds it (redacted)
    assert restored["answer_notes"] == {"identifiable": "it names her"}
    # how the answers kept were given is kept; the question asked again is answered afresh
    assert restored["answered_by"] == {
        "purpose": "button",
        "identifiable": "word",
        "confidential": "read_back",
    }

    asked = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    advice = {
        "reference": first.reference,
        "adviser": "jo",
        "advice": "Ask her first <b>unless</b> it is unsafe.",
        "suggested_answer": "not_asked",
        "citation": "4.1-4.5",
        "asked_at": asked,
        "answered_at": asked + timedelta(hours=2),
    }
    finished = {
        **restored,
        "check_id": "second",
        "continues": first.reference,
        "consent": "yes",
        "appropriate": "yes",
        "reasons": "the helpdesk agreed",
        "record": "yes",
        "answered_by": {**restored["answered_by"], "consent": "helpdesk", "appropriate": "word"},
    }
    second = repository.save(
        draft_from_check(finished, conversation_id="c1", channel="rest", advice=advice)
    )
    assert second.outcome == "share" and second.continues == first.reference
    assert second.answered_by == {
        "purpose": "button",
        "identifiable": "word",
        "confidential": "read_back",
        "consent": "helpdesk",
        "appropriate": "word",
    }
    assert second.advice["answered_at"] == "2026-12-01T11:00:00+00:00"
    assert second.advice["adviser"] == "jo"
    assert repository.get(first.reference) == first  # the seek_advice record as it was
    exported = second.to_dict()
    assert exported["continues"] == first.reference and exported["advice"]["citation"] == "4.1-4.5"
    page = render_record(second)
    assert "Helpdesk advice" in page and "jo" in page and first.reference in page
    assert "<td>Yes — helpdesk&#39;s suggested answer</td>" in page
    assert "&lt;b&gt;unless&lt;/b&gt;" in page  # escaped like every value
    assert "Helpdesk advice" not in render_record(first)
    with pytest.raises(ValueError, match="did not end in seek advice"):
        slots_from_record(second)
    repository.engine.dispose()


# --- the key ---------------------------------------------------------------------------------


def test_the_key_opens_one_reference_and_only_with_the_deployments_secret() -> None:
    key = continue_key("ISD-000123", SECRET)
    assert re.fullmatch(r"[A-Z2-7]{5}-[A-Z2-7]{5}", key)
    assert key == continue_key("ISD-000123", SECRET)  # stable
    assert key != continue_key("ISD-000124", SECRET)
    assert key != continue_key("ISD-000123", SECRET + "x")
    assert key_matches(key, "ISD-000123", SECRET)
    assert key_matches(key.lower().replace("-", " "), "ISD-000123", SECRET)  # as people type it
    assert not key_matches(key, "ISD-000124", SECRET)
    assert not key_matches(None, "ISD-000123", SECRET)
    assert not key_matches("", "ISD-000123", SECRET)


def test_without_a_secret_there_are_no_keys(monkeypatch) -> None:
    monkeypatch.setenv("INFOSHARE_SECRET_KEY", "short")
    assert continue_key("ISD-000123") is None
    assert not key_matches("ABCDE-FGHIJ", "ISD-000123")
    assert continue_link("ISD-000123", None) is None


def test_the_link_carries_the_reference_and_the_key(monkeypatch) -> None:
    monkeypatch.setenv("INFOSHARE_PUBLIC_URL", "https://share.example.org/")
    link = continue_link("ISD-000123", "ABCDE-FGHIJ")
    assert link == "https://share.example.org/chat/?continue=ISD-000123&key=ABCDE-FGHIJ"


@pytest.mark.parametrize(
    "text,reference,key",
    [
        ("continue ISD-000123 key ABCDE-FGHIJ", "ISD-000123", "ABCDE-FGHIJ"),
        ("Continue isd 123 with key abcde fghij please", "ISD-000123", "ABCDE-FGHIJ"),
        ("resume ISD-45", "ISD-000045", None),
        (
            '/continue_check{"reference": "ISD-000007", "key": "QWERT-YUIOP"}',
            "ISD-000007",
            "QWERT-YUIOP",
        ),
        ('/continue_check{"reference": "ISD-000007"}', "ISD-000007", None),
        ("continue my check", None, None),
    ],
)
def test_the_reference_and_key_are_read_as_people_type_them(text, reference, key) -> None:
    asked = parse_continue(text)
    assert (asked.reference, asked.key) == (reference, key)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("continue ISD-000123 key ABCDE-FGHIJ", True),
        ("please can I continue isd-12", True),
        ("carry on with my check ISD-000031", True),
        ('/continue_check{"reference": "ISD-000007"}', True),
        ("continue", False),  # no reference: left to the question being asked
        ("I will continue to share with ISD colleagues", False),
        ("yes, continue", False),
    ],
)
def test_continue_is_a_command_only_with_a_reference(text, expected) -> None:
    assert asks_to_continue(text) is expected


# --- the requests' delivery ------------------------------------------------------------------


def test_an_answer_is_delivered_once_and_the_latest_answer_is_found(engine) -> None:
    requests = AdviceRequests(engine)
    for reference in ("ISD-000001", "ISD-000002"):
        requests.create(reference, UNSURE_AT_CONSENT, "", conversation_id="c", channel="socketio")
    requests.create("ISD-000003", UNSURE_AT_CONSENT, "", conversation_id="other", channel="rest")
    assert requests.undelivered("c") == [] and requests.latest_answered("c") is None
    requests.answer("ISD-000001", "jo", "Ask the lead.", "yes")
    requests.answer("ISD-000002", "jo", "Ask them first.", "not_asked")
    assert [r.reference for r in requests.undelivered("c")] == ["ISD-000001", "ISD-000002"]
    assert requests.latest_answered("c").reference == "ISD-000002"
    assert requests.latest_answered("other") is None
    assert requests.mark_delivered("ISD-000001") is True
    assert requests.mark_delivered("ISD-000001") is False  # shown once
    assert [r.reference for r in requests.undelivered("c")] == ["ISD-000002"]
    requests.unmark_delivered("ISD-000001")
    assert len(requests.undelivered("c")) == 2
    advice = advice_of(requests.get("ISD-000002"))
    assert (advice["adviser"], advice["suggested_answer"]) == ("jo", "not_asked")
    assert advice["asked_at"] <= advice["answered_at"]


def test_answered_requests_close_after_the_configured_days(engine, monkeypatch) -> None:
    requests = AdviceRequests(engine)
    requests.create("ISD-000010", UNSURE_AT_CONSENT, "", conversation_id="c", channel="rest")
    requests.create("ISD-000011", UNSURE_AT_CONSENT, "", conversation_id="c", channel="rest")
    requests.answer("ISD-000010", "jo", "Ask the lead.")
    later = datetime.now(timezone.utc) + timedelta(days=3)
    monkeypatch.setenv("INFOSHARE_ADVICE_CLOSE_DAYS", "2")
    assert requests.close_stale(later) == 1  # the open one waits for an adviser
    assert requests.get("ISD-000010").status == "closed"
    assert requests.get("ISD-000011").status == "open"
    monkeypatch.setenv("INFOSHARE_ADVICE_CLOSE_DAYS", "0")
    requests.answer("ISD-000011", "jo", "Ask the lead.")
    assert requests.close_stale(later + timedelta(days=30)) == 0  # 0: never


# --- checks on behalf of a caller --------------------------------------------------------------


def test_only_a_token_signed_for_the_purpose_vouches_for_a_staff_member(monkeypatch) -> None:
    from itsdangerous import URLSafeTimedSerializer

    from bot.helpdesk import onbehalf

    monkeypatch.setenv("INFOSHARE_SECRET_KEY", SECRET)
    live = {(7, "jo.adviser")}

    def alive(session: int, name: str) -> bool:
        return (session, name) in live

    token = onbehalf.staff_token("jo.adviser", 7)
    assert onbehalf.staff_from({"staff_token": token}, alive) == "jo.adviser"
    assert onbehalf.staff_from({}, alive) is None and onbehalf.staff_from(None, alive) is None
    assert onbehalf.staff_from({"staff_token": token[:-2] + "xx"}, alive) is None  # tampered
    other_salt = URLSafeTimedSerializer(SECRET, salt="session").dumps(
        {"staff": "jo.adviser", "session": 7}
    )
    assert onbehalf.staff_from({"staff_token": other_salt}, alive) is None  # a cookie's value
    forged = URLSafeTimedSerializer("another-secret-of-some-length", salt=onbehalf.SALT)
    assert onbehalf.staff_from({"staff_token": forged.dumps({"staff": "x"})}, alive) is None
    assert onbehalf.staff_from({"staff_token": ["not", "a", "string"]}, alive) is None
    old = URLSafeTimedSerializer(SECRET, salt=onbehalf.SALT).dumps({"staff": "jo.adviser"})
    assert onbehalf.staff_from({"staff_token": old}, alive) is None  # names no session
    live.clear()  # signed out, or the account disabled
    assert onbehalf.staff_from({"staff_token": token}, alive) is None

    def down(session: int, name: str) -> bool:
        raise OSError("database down")

    assert onbehalf.staff_from({"staff_token": token}, down) is None  # cannot be checked
    live.add((7, "jo.adviser"))
    monkeypatch.setattr(onbehalf, "MAX_AGE_SECONDS", -1)
    assert onbehalf.staff_from({"staff_token": token}, alive) is None  # too old
    monkeypatch.setenv("INFOSHARE_SECRET_KEY", "short")
    assert onbehalf.staff_token("jo", 7) is None


def test_a_record_made_for_a_caller_says_who_made_it(records_db_url: str) -> None:
    repository = RecordRepository(make_engine(records_db_url))
    slots = {**CONTEXT, "check_id": "c", "purpose": "no", "reasons": "no purpose", "record": "yes"}
    made = repository.save(
        draft_from_check(slots, conversation_id="k", channel="socketio", made_by="jo.adviser")
    )
    assert (made.made_by, made.on_behalf_of_caller) == ("jo.adviser", True)
    assert "For a caller" in render_record(made) and "jo.adviser" in render_record(made)
    plain = repository.save(
        draft_from_check({**slots, "check_id": "d"}, conversation_id="k", channel="rest")
    )
    assert (plain.made_by, plain.on_behalf_of_caller) == (None, False)
    assert "For a caller" not in render_record(plain)
    repository.engine.dispose()


def test_reads_close_stale_requests_at_most_once_a_minute(engine, monkeypatch) -> None:
    """Not a write transaction at every read (the look for answers runs at every message of a
    practitioner who waits): once, then again only after a minute."""
    requests = AdviceRequests(engine)
    requests.create("ISD-000020", UNSURE_AT_CONSENT, "", conversation_id="c", channel="rest")
    calls = []
    real = requests.close_stale
    monkeypatch.setattr(requests, "close_stale", lambda *a: calls.append(1) or real(*a))
    for _ in range(3):
        requests.get("ISD-000020")
        requests.list()
    assert len(calls) == 1
    requests._stale_checked_at -= AdviceRequests.STALE_CHECK_SECONDS
    requests.get("ISD-000020")
    assert len(calls) == 2
