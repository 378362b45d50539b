"""Retention and erasure (bot/retention.py, ``infoshare retention|conversations|records erase``),
on SQLite and PostgreSQL, with Rasa's own SQL tracker store holding real events, on a moved clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func, select, text
from sqlalchemy.future import Engine
from sqlalchemy.orm import Session
from support.records import make_draft
from support.servers import port

from bot import cli, retention
from bot.helpdesk.audit import AuditLog
from bot.helpdesk.models import AdviceRequestRow, HelpdeskSession, SignInFailures
from bot.records import RecordRepository, make_engine, to_csv, to_json, upgrade
from bot.records.models import DecisionRecordRow
from bot.records.outbox import Outbox
from bot.records.repository import RECORD_FIELDS
from bot.retention import Kind, Policy
from bot.trackers import CachedSQLTrackerStore
from bot.training.cohorts import CohortRow, TrainingAnswerRow
from bot.training.runs import TrainingRunRow
from bot.web.chat import render_record

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def no_ambient_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "DATABASE_URL",
        "TRACKER_DATABASE_URL",
        *(setting for setting, _ in retention.PERIODS.values()),
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INFOSHARE_VAR_DIR", str(tmp_path / "var"))


def tracker_store(engine: Engine, kind: type = SQLTrackerStore) -> SQLTrackerStore:
    """Rasa's SQL tracker store (or ``kind``) on the same database as the records (the
    default)."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return kind(dialect="sqlite", db=url.database)
    return kind(dialect="postgresql", host=url.render_as_string(hide_password=False))


def talk(store: SQLTrackerStore, sender: str, *times: datetime) -> None:
    """A conversation with a user message and the bot's answer at each of ``times``."""
    tracker = DialogueStateTracker(sender, slots=[])
    for when in times:
        stamp = when.timestamp()
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}, timestamp=stamp))
        tracker.update(ActionExecuted("utter_greet", timestamp=stamp + 0.5))
        tracker.update(BotUttered("Hello!", timestamp=stamp + 1))
        tracker.update(ActionExecuted("action_listen", timestamp=stamp + 1))
    asyncio.run(store.save(tracker))


def senders(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id")
        ).all()
    return dict(rows)


def request(engine: Engine, reference: str, closed_at: datetime | None, **values) -> None:
    with Session(engine) as session, session.begin():
        session.add(
            AdviceRequestRow(
                reference=reference,
                status="closed" if closed_at else "open",
                content={"question": "may I share?"},
                conversation_id=values.pop("conversation_id", f"c-{reference}"),
                channel="rest",
                created_at=(closed_at or NOW) - 20 * DAY,
                closed_at=closed_at,
                **values,
            )
        )


def count(engine: Engine, model) -> int:  # noqa: ANN001
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def due(engine: Engine, policy: Policy | None = None, now: datetime = NOW) -> dict[Kind, tuple]:
    found = retention.due(engine, engine, now=now, policy=policy or Policy.defaults())
    return {d.kind: (d.count, d.oldest) for d in found}


# --- the settings ------------------------------------------------------------------------------


def test_the_defaults_are_safe_and_the_settings_change_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Policy.from_settings().days == {
        Kind.CONVERSATIONS: 30,
        Kind.ADVICE_REQUESTS: 90,
        Kind.TRAINING: 365,
        Kind.RECORDS: 0,  # decision records are kept unless local policy says otherwise
        Kind.SIGN_INS: 30,
    }
    monkeypatch.setenv("INFOSHARE_RETAIN_RECORDS_DAYS", "2555")
    monkeypatch.setenv("INFOSHARE_RETAIN_CONVERSATIONS_DAYS", "7")
    days = Policy.from_settings().days
    assert days[Kind.RECORDS] == 2555 and days[Kind.CONVERSATIONS] == 7
    monkeypatch.setenv("INFOSHARE_RETAIN_ADVICE_DAYS", "ninety")
    with pytest.raises(ValueError, match="INFOSHARE_RETAIN_ADVICE_DAYS must be a whole number"):
        Policy.from_settings()
    monkeypatch.setenv("INFOSHARE_RETAIN_ADVICE_DAYS", "-1")
    with pytest.raises(ValueError, match="0 \\(keep\\)"):
        Policy.from_settings()


# --- each rule on a moved clock ------------------------------------------------------------------


def test_a_conversation_goes_30_days_after_its_last_event(engine: Engine) -> None:
    store = tracker_store(engine)
    talk(store, "old", NOW - 31 * DAY)
    talk(store, "went-on", NOW - 60 * DAY, NOW - 29 * DAY)  # began long ago, still going
    talk(store, "recent", NOW - DAY)
    store.engine.dispose()
    before = senders(engine)

    count_, oldest = due(engine)[Kind.CONVERSATIONS]
    assert count_ == 1 and oldest == NOW - 31 * DAY + timedelta(seconds=1)
    assert senders(engine) == before  # showing deletes nothing

    deleted = retention.run(engine, engine, "cli:test", now=NOW, policy=Policy.defaults())
    assert deleted[Kind.CONVERSATIONS] == 1
    assert senders(engine) == {k: v for k, v in before.items() if k != "old"}  # every event kept

    later = NOW + 2 * DAY  # the clock moves on: "went-on" is past its 30 days too
    retention.run(engine, engine, "cli:test", now=later, policy=Policy.defaults())
    assert set(senders(engine)) == {"recent"}


def test_without_a_tracker_store_there_are_no_conversations_to_delete(engine: Engine) -> None:
    assert due(engine)[Kind.CONVERSATIONS] == (0, None)
    assert retention.run(engine, engine, "cli:test", now=NOW)[Kind.CONVERSATIONS] == 0


def test_an_advice_request_goes_90_days_after_it_was_closed(engine: Engine) -> None:
    request(engine, "ISD-000001", NOW - 91 * DAY)
    request(engine, "ISD-000002", NOW - 89 * DAY)
    request(engine, "ISD-000003", None)  # open: never deleted, however old
    assert due(engine)[Kind.ADVICE_REQUESTS] == (1, NOW - 91 * DAY)
    assert retention.run(engine, engine, "cli:test", now=NOW)[Kind.ADVICE_REQUESTS] == 1
    with Session(engine) as session:
        left = set(session.scalars(select(AdviceRequestRow.reference)))
    assert left == {"ISD-000002", "ISD-000003"}
    retention.run(engine, engine, "cli:test", now=NOW + 2 * DAY)
    assert count(engine, AdviceRequestRow) == 1


def test_training_runs_go_with_their_cohort(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.add(CohortRow(code="OLDOLD", name="last year", created_at=NOW - 366 * DAY))
        session.add(CohortRow(code="NEWNEW", name="this term", created_at=NOW - 10 * DAY))
        for cohort, at in (
            ("OLDOLD", NOW - 20 * DAY),  # a recent run of an expired cohort: goes with it
            ("NEWNEW", NOW - 5 * DAY),
            (None, NOW - 400 * DAY),  # practice outside any cohort, long ago
            (None, NOW - 5 * DAY),
        ):
            session.add(
                TrainingRunRow(
                    scenario=1,
                    scenario_id="s1",
                    trainee="t",
                    cohort=cohort,
                    answers={},
                    path=[],
                    model_path=[],
                    matched=1,
                    total=1,
                    created_at=at,
                )
            )
        for cohort in ("OLDOLD", "NEWNEW"):
            session.add(
                TrainingAnswerRow(cohort=cohort, scenario=1, trainee="t", key="k", value="yes")
            )
    # two runs and the cohort; the oldest is the run of 400 days ago
    assert due(engine)[Kind.TRAINING] == (3, NOW - 400 * DAY)
    assert retention.run(engine, engine, "cli:test", now=NOW)[Kind.TRAINING] == 3
    with Session(engine) as session:
        assert set(session.scalars(select(CohortRow.code))) == {"NEWNEW"}
        assert set(session.scalars(select(TrainingRunRow.cohort))) == {"NEWNEW", None}
        assert set(session.scalars(select(TrainingAnswerRow.cohort))) == {"NEWNEW"}


def test_decision_records_are_kept_unless_local_policy_sets_a_period(engine: Engine) -> None:
    repository = RecordRepository(engine)
    repository.save(make_draft(check_id="old", completed_at=NOW - 3000 * DAY))
    repository.save(make_draft(check_id="new", completed_at=NOW - DAY))
    assert due(engine)[Kind.RECORDS] == (0, None)
    retention.run(engine, engine, "cli:test", now=NOW, policy=Policy.defaults())
    assert count(engine, DecisionRecordRow) == 2

    policy = Policy({**Policy.defaults().days, Kind.RECORDS: 7 * 365})
    assert due(engine, policy)[Kind.RECORDS] == (1, NOW - 3000 * DAY)
    assert retention.run(engine, engine, "cli:test", now=NOW, policy=policy)[Kind.RECORDS] == 1
    assert [r.check_id for r in repository.list()] == ["new"]
    # the audit log is never deleted: the entries about the record outlive it
    assert AuditLog(engine).list(actor="cli:test")


def test_sign_in_data_goes_30_days_after_its_last_use(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        for name, seen in (("old", NOW - 31 * DAY), ("recent", NOW - DAY)):
            session.add(
                HelpdeskSession(
                    secret_hash=name * 8,
                    user_name=f"jo.{name}",
                    csrf="x",
                    created_at=seen - DAY,
                    last_seen_at=seen,
                )
            )
        for key, first, blocked in (
            ("name:tomasz nowak", NOW - 40 * DAY, None),  # a name typed: goes
            ("address:192.0.2.7", NOW - 40 * DAY, NOW + DAY),  # still blocking: stays
            ("address:192.0.2.8", NOW - DAY, None),  # recent: stays
        ):
            session.add(SignInFailures(key=key, failures=3, first_at=first, blocked_until=blocked))
    assert due(engine)[Kind.SIGN_INS] == (2, NOW - 40 * DAY)
    assert retention.run(engine, engine, "cli:test", now=NOW)[Kind.SIGN_INS] == 2
    with Session(engine) as session:
        assert set(session.scalars(select(HelpdeskSession.user_name))) == {"jo.recent"}
        assert set(session.scalars(select(SignInFailures.key))) == {
            "address:192.0.2.7",
            "address:192.0.2.8",
        }


def test_every_run_is_audited_with_counts_not_content(engine: Engine) -> None:
    store = tracker_store(engine)
    talk(store, "Jane Smith 07700 900123", NOW - 40 * DAY)
    store.engine.dispose()
    request(engine, "ISD-000009", NOW - 100 * DAY)
    retention.run(engine, engine, "cli:alice", now=NOW, source="cli")
    [entry] = AuditLog(engine).list(actor="cli:alice")
    assert entry.action == "retention.run" and entry.reference is None
    detail = json.loads(entry.detail)
    assert detail["deleted"] == {
        "conversations": 1,
        "advice requests": 1,
        "training": 0,
        "decision records": 0,
        "sign-ins": 0,
    }
    assert detail["days"]["decision records"] == 0
    assert "Jane" not in entry.detail and "ISD-000009" not in entry.detail

    # the hourly job writes an entry only when it deleted something
    retention.run(engine, engine, "system:retention", now=NOW, audit_empty=False)
    assert AuditLog(engine).list(actor="system:retention") == []


def test_the_hourly_job_logs_a_failure_and_runs_again(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    done = threading.Event()

    def engines() -> tuple[Engine, Engine]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database is down")
        done.set()
        return engine, engine

    stop = threading.Event()
    with caplog.at_level(logging.INFO, logger="bot.retention"):
        thread = retention.start_hourly(engines, interval=0.05, stop=stop)
        assert done.wait(10)
    assert thread.is_alive() and thread.daemon
    stop.set()
    thread.join(10)
    assert "retention: the run failed" in caplog.text


# --- erasure on request ------------------------------------------------------------------------


def test_a_conversation_is_erased_with_its_outbox_files_and_way_back(
    engine: Engine, tmp_path: Path
) -> None:
    store = tracker_store(engine)
    talk(store, "erase-me", NOW - DAY)
    talk(store, "keep-me", NOW - DAY)
    store.engine.dispose()
    outbox = Outbox(tmp_path / "outbox")
    outbox.put(make_draft(conversation_id="erase-me", check_id="waiting"))
    outbox.put(make_draft(conversation_id="keep-me", check_id="waiting"))
    request(engine, "ISD-000005", None, conversation_id="erase-me", reply_to={"serviceUrl": "x"})

    erased = retention.erase_conversation(engine, engine, "erase-me", "cli:alice", outbox)
    assert (erased.events, erased.outbox_files, erased.advice_requests) == (4, 1, 1)
    assert set(senders(engine)) == {"keep-me"}
    assert len(outbox.waiting()) == 1 and outbox.waiting("erase-me") == []
    with Session(engine) as session:
        row = session.scalar(select(AdviceRequestRow))
        assert (row.conversation_id, row.reply_to) == ("", None)
        assert row.content == {"question": "may I share?"}  # the de-identified request stays
    [entry] = AuditLog(engine).list(actor="cli:alice")
    assert entry.action == "conversation.erase" and "erase-me" not in (entry.detail or "")


def test_a_server_holding_an_erased_conversation_reads_it_again_and_finds_nothing(
    engine: Engine,
) -> None:
    store = tracker_store(engine, CachedSQLTrackerStore)  # the project's, with its memory
    talk(store, "erase-me", NOW - DAY)
    assert asyncio.run(store.retrieve("erase-me")) is not None and store.hits == 1
    retention.erase_conversation(engine, engine, "erase-me", "cli:alice", Outbox())
    assert asyncio.run(store.retrieve("erase-me")) is None  # not served from memory
    store.engine.dispose()


def test_a_record_is_erased_to_a_tombstone(engine: Engine) -> None:
    repository = RecordRepository(engine)
    record = repository.save(make_draft(outcome="seek_advice", advice_needed_at="consent"))
    request(engine, record.reference, None)
    with pytest.raises(ValueError, match="needs a reason"):
        repository.erase(record.reference, "cli:lead", "  ")

    erased = retention.erase_record(engine, record.reference, "cli:lead", "the person asked")
    stored = repository.get(record.reference)
    assert stored == erased and stored.erased_by == "cli:lead"
    data = stored.to_dict()
    assert list(data) == list(RECORD_FIELDS)  # the export format, unchanged
    assert data["reasons"].startswith("ERASED on ")  # what every surface shows
    assert data["reasons"].endswith(" by cli:lead: the person asked")
    for name in ("information", "recipient", "purpose_text", "public_interest_reason"):
        assert data[name] is None, name
    with Session(engine) as session:  # stored: nothing of the case
        row = session.scalar(select(DecisionRecordRow))
        assert row.reasons is None and row.erased_why == "the person asked"
    assert "ERASED on " in to_csv([stored]) and "ERASED on " in to_json([stored])
    assert "ERASED on " in render_record(stored)  # the printable summary's page
    assert data["answers"] == {} and data["path"] == [] and data["notes"] is None
    assert data["conversation_id"] == f"erased:{record.reference}"
    # kept: what it was, and when
    assert (data["reference"], data["outcome"], data["advice_needed_at"]) == (
        record.reference,
        "seek_advice",
        "consent",
    )
    assert data["completed_at"] == record.to_dict()["completed_at"]
    assert count(engine, AdviceRequestRow) == 0  # the request held the same case
    [entry] = AuditLog(engine).list(reference=record.reference)
    assert (entry.action, entry.actor, entry.detail) == (
        "record.erase",
        "cli:lead",
        "the person asked",
    )
    assert retention.erase_record(engine, "ISD-999999", "cli:lead", "why") is None


# --- the command line -------------------------------------------------------------------------


def test_the_commands(engine: Engine, capsys: pytest.CaptureFixture) -> None:
    url = engine.url.render_as_string(hide_password=False)
    store = tracker_store(engine)
    talk(store, "ancient", datetime.now(timezone.utc) - 45 * DAY)
    talk(store, "someone", datetime.now(timezone.utc))
    store.engine.dispose()
    record = RecordRepository(engine).save(make_draft())

    assert cli.main(["--database-url", url, "retention", "show"]) == 0
    shown = capsys.readouterr().out
    assert "conversations" in shown and "30 days" in shown and "kept" in shown
    assert "ancient" in senders(engine)
    assert cli.main(["--database-url", url, "retention", "run"]) == 0
    assert "Deleted 1 conversations" in capsys.readouterr().out
    assert "ancient" not in senders(engine)

    assert cli.main(["--database-url", url, "conversations", "erase", "someone"]) == 0
    assert "Erased conversation someone: 4 event(s)" in capsys.readouterr().out
    assert cli.main(["--database-url", url, "conversations", "erase", "someone"]) == 1
    assert "nothing is stored for conversation 'someone'" in capsys.readouterr().err

    ref = record.reference
    assert cli.main(["--database-url", url, "records", "export", "--reference", ref]) == 0
    [exported] = json.loads(capsys.readouterr().out)
    assert exported["reference"] == ref and exported["information"]
    with pytest.raises(SystemExit) as stopped:  # --reason is required
        cli.main(["--database-url", url, "records", "erase", ref])
    assert stopped.value.code == 2 and "--reason" in capsys.readouterr().err
    assert cli.main(["--database-url", url, "records", "erase", ref, "--reason", " "]) == 1
    assert "say why the record is erased" in capsys.readouterr().err
    assert cli.main(["--database-url", url, "records", "erase", "ISD-404404", "--reason", "x"]) == 1
    assert "no record with reference ISD-404404" in capsys.readouterr().err
    assert cli.main(["--database-url", url, "records", "erase", "nonsense", "--reason", "x"]) == 1
    assert "is not a record reference" in capsys.readouterr().err

    assert cli.main(["--database-url", url, "records", "erase", ref, "--reason", "asked"]) == 0
    assert f"{ref} erased" in capsys.readouterr().out
    assert cli.main(["--database-url", url, "records", "erase", ref, "--reason", "again"]) == 1
    assert "already erased" in capsys.readouterr().err
    assert cli.main(["--database-url", url, "records", "show", ref]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("ERASED on ") and "asked" in shown
    assert cli.main(["--database-url", url, "records", "show", "--reference", ref]) == 0
    assert capsys.readouterr().out == shown  # the same, as the option
    assert cli.main(["--database-url", url, "records", "show"]) == 1
    assert "give one record reference" in capsys.readouterr().err
    actions = [e.action for e in AuditLog(engine).list()]
    for action in ("retention.run", "conversation.erase", "record.erase", "record.export"):
        assert action in actions


# --- the action server runs it -------------------------------------------------------------------


def action_server_environment(tmp_path: Path, url: str, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_DATABASE_URL",)}
    env.update(
        {
            "DATABASE_URL": url,
            "INFOSHARE_VAR_DIR": str(tmp_path / "var"),
            "INFOSHARE_ACTIONS_TOKEN": secrets.token_urlsafe(32),
            "INFOSHARE_SECRET_KEY": secrets.token_urlsafe(32),
            "PYTHONUNBUFFERED": "1",
            **more,
        }
    )
    return env


def test_the_action_server_runs_the_job_when_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "infoshare.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(timezone.utc)
    store = SQLTrackerStore(dialect="sqlite", db=str(path))
    talk(store, "stale", now - 40 * DAY)
    talk(store, "fresh", now - DAY)
    store.engine.dispose()
    log = tmp_path / "actions.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "bot.action_server", "--port", str(port(5157))],
            cwd=ROOT,
            env=action_server_environment(tmp_path, url),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and server.poll() is None:
            if set(senders(engine)) == {"fresh"}:
                break
            time.sleep(0.5)
        assert set(senders(engine)) == {"fresh"}, log.read_text(errors="replace")[-3000:]
        deadline = time.monotonic() + 30
        while not AuditLog(engine).list(actor="system:retention") and time.monotonic() < deadline:
            time.sleep(0.2)
        [entry] = AuditLog(engine).list(actor="system:retention")
        assert entry.action == "retention.run" and entry.source == "action-server"
        assert json.loads(entry.detail)["deleted"]["conversations"] == 1
        assert server.poll() is None  # still serving
    finally:
        server.terminate()
        server.wait(30)
        engine.dispose()
    assert "retention: deleted 1 conversations" in log.read_text(errors="replace")


def test_a_wrong_retention_setting_stops_the_action_server(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'infoshare.db'}"
    env = action_server_environment(tmp_path, url, INFOSHARE_RETAIN_ADVICE_DAYS="ninety")
    result = subprocess.run(
        [sys.executable, "-m", "bot.action_server", "--port", str(port(5157))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "INFOSHARE_RETAIN_ADVICE_DAYS must be a whole number of days" in result.stderr
