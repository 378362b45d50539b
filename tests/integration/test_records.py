"""Decision records: engine, migrations, repository, export — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select, text
from support.records import make_draft, migrate_to

from bot.records import (
    DecisionRecord,
    NotMigratedError,
    RecordDraft,
    RecordRepository,
    database_url,
    ensure_migrated,
    make_engine,
    to_csv,
    to_json,
    upgrade,
)
from bot.records.migrate import VERSION_TABLE, current_revision, head_revision
from bot.records.models import DecisionRecordRow
from bot.records.repository import MAX_TEXT_LENGTH, clean_text, normalise_reference
from bot.schema import metadata

REPO_ROOT = Path(__file__).resolve().parents[2]

# The export contract, copied from ../shared/DESIGN.md ("The decision record"), plus check_id.
DESIGN_TYPES: dict[str, tuple[type, ...]] = {
    "reference": (str,),
    "conversation_id": (str,),
    "channel": (str, type(None)),
    "created_at": (str,),
    "completed_at": (str,),
    "protocol": (str,),
    "outcome": (str,),
    "path": (list,),
    "answers": (dict,),
    "information": (str, type(None)),
    "recipient": (str, type(None)),
    "purpose_text": (str, type(None)),
    "public_interest_reason": (str, type(None)),
    "checks": (dict, type(None)),
    "advice_needed_at": (str, type(None)),
    "safeguarding_concern": (bool,),
    "reasons": (str, type(None)),
    "golden_rules": (list,),
}
# The later fields DESIGN.md lists ("extend, never rename"): check_id, notes, continues, advice,
# made_by, on_behalf_of_caller and answered_by.
EXPORT_KEYS = set(DESIGN_TYPES) | {
    "check_id",
    "notes",
    "continues",
    "advice",
    "made_by",
    "on_behalf_of_caller",
    "answered_by",
}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")

HOSTILE_TEXTS = [
    "<script>alert('x')</script><b onmouseover=\"steal()\">hi</b>",
    "'; DROP TABLE decision_records; --",
    "Robert'); DELETE FROM decision_records WHERE ('1'='1",
    "%s %(reasons)s :reasons ? $1 {0}",
    "back\\slash \"double\" 'single' `tick`",
    "👩‍👧 child at risk 🚸 — “quotes” café Ysgol Gymraeg ŵ ŷ 中文",
    "line one\nline two\ttabbed",
]


@pytest.fixture
def repository(records_db_url: str) -> Iterator[RecordRepository]:
    engine = make_engine(records_db_url)
    yield RecordRepository(engine)
    engine.dispose()


def row_count(repository: RecordRepository) -> int:
    with repository.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(DecisionRecordRow)).scalar_one()


# --- database URL and engine -----------------------------------------------------------------


def test_default_url_is_sqlite_under_the_var_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("INFOSHARE_VAR_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    # One var directory whatever the working directory: the project's (bot/settings.py).
    from bot.settings import PROJECT

    assert database_url() == f"sqlite:///{PROJECT / 'var' / 'infoshare.db'}"

    monkeypatch.setenv("INFOSHARE_VAR_DIR", "elsewhere/state")
    assert database_url() == f"sqlite:///{tmp_path.resolve()}/elsewhere/state/infoshare.db"
    assert (tmp_path / "elsewhere" / "state").is_dir()


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("postgresql://u:p@db:5432/infoshare", "postgresql://u:p@db:5432/infoshare"),
        ("postgres://u:p@db:5432/infoshare", "postgresql://u:p@db:5432/infoshare"),
        ("  sqlite:////srv/infoshare.db\n", "sqlite:////srv/infoshare.db"),
    ],
)
def test_url_from_environment(
    monkeypatch: pytest.MonkeyPatch, configured: str, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", configured)
    assert database_url() == expected


def test_importing_creates_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "INFOSHARE_VAR_DIR")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    code = "import bot.records, bot.records.repository, bot.records.export, bot.cli"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True, timeout=60)
    assert list(tmp_path.iterdir()) == []


def test_sqlite_engine_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    engine.dispose()
    memory = make_engine("sqlite://")
    with memory.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    memory.dispose()


# --- migrations ------------------------------------------------------------------------------


def test_upgrade_creates_the_schema_with_its_own_version_table(blank_db_url: str) -> None:
    engine = make_engine(blank_db_url)
    with pytest.raises(NotMigratedError, match="infoshare db upgrade"):
        ensure_migrated(engine)

    assert upgrade(blank_db_url) == head_revision()
    assert upgrade(blank_db_url) == head_revision()  # a second run changes nothing

    tables = set(inspect(engine).get_table_names())
    assert {"decision_records", VERSION_TABLE} <= tables
    assert "alembic_version" not in tables  # left free for anything else sharing the database
    assert current_revision(engine) == head_revision()
    ensure_migrated(engine)
    engine.dispose()


def test_migrations_match_the_models(records_db_url: str) -> None:
    engine = make_engine(records_db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_records_saved_before_answered_by_was_kept_read_as_not_recorded(
    blank_db_url: str,
) -> None:
    """Migration 0010 adds ``answered_by`` to a table that already holds records: they keep
    every value and read as "not recorded"; downgrading drops only that column."""
    from sqlalchemy import MetaData, Table

    from bot.web.chat import render_record

    engine = make_engine(blank_db_url)
    migrate_to(engine, "0009")
    table = Table("decision_records", MetaData(), autoload_with=engine)
    assert "answered_by" not in table.columns
    with engine.begin() as connection:
        connection.execute(
            table.insert().values(
                reference="ISD-000001",
                conversation_id="old",
                check_id="old-1",
                channel="rest",
                created_at=datetime(2026, 11, 1, 9, 0),
                completed_at=datetime(2026, 11, 1, 9, 5),
                protocol="hmg-2008",
                outcome="share",
                path=["purpose", "identifiable", "appropriate", "record"],
                answers={"purpose": "yes", "identifiable": "no", "appropriate": "yes"},
                golden_rules=[1, 2, 6, 7],
                safeguarding_concern=False,
                on_behalf_of_caller=False,
            )
        )
    assert upgrade(engine=engine) == head_revision()
    old = RecordRepository(engine).get("ISD-000001")
    assert old is not None and old.answered_by is None
    assert old.answers == {"purpose": "yes", "identifiable": "no", "appropriate": "yes"}
    assert old.to_dict()["answered_by"] is None
    assert csv_row(to_csv([old]))["answered_by"] == ""
    page = render_record(old)
    assert "<th scope=row>How each answer was given</th><td>not recorded</td>" in page
    assert "<td>Yes</td>" in page  # the answers as they were, nothing made up beside them
    migrate_to(engine, "0009")
    columns = Table("decision_records", MetaData(), autoload_with=engine).columns
    assert "answered_by" not in columns and "notes" in columns
    engine.dispose()


def csv_row(text: str) -> dict[str, str]:
    (row,) = csv.DictReader(io.StringIO(text))
    return row


def test_downgrade_to_base_and_back(blank_db_url: str) -> None:
    engine = make_engine(blank_db_url)
    upgrade(engine=engine)
    migrate_to(engine, "base")
    assert "decision_records" not in inspect(engine).get_table_names()
    upgrade(engine=engine)
    assert "decision_records" in inspect(engine).get_table_names()
    engine.dispose()


def test_alembic_command_line_works_from_any_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    ini = REPO_ROOT / "bot" / "records" / "alembic.ini"
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), "upgrade", "head"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.mark.parametrize("blank_db_url", ["postgresql"], indirect=True)
def test_concurrent_upgrades_on_postgres_take_turns(blank_db_url: str) -> None:
    """The Rasa server and the action server may both migrate at start-up. (Processes, not
    threads: Alembic's migration context is process-global.)"""
    code = "import sys; from bot.records import upgrade; print(upgrade(sys.argv[1]))"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, blank_db_url],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], results
    assert {out.strip() for out, _ in results} == {head_revision()}


# --- saving and reading ----------------------------------------------------------------------


def test_save_and_get_round_trip(repository: RecordRepository) -> None:
    draft = make_draft()
    saved = repository.save(draft)

    assert re.fullmatch(r"ISD-\d{6}", saved.reference)
    assert saved.reference == "ISD-000001"
    assert repository.get(saved.reference) == saved
    for name in (
        "conversation_id",
        "check_id",
        "channel",
        "created_at",
        "completed_at",
        "protocol",
        "outcome",
        "path",
        "answers",
        "information",
        "recipient",
        "purpose_text",
        "public_interest_reason",
        "checks",
        "advice_needed_at",
        "safeguarding_concern",
        "reasons",
        "golden_rules",
    ):
        assert getattr(saved, name) == getattr(draft, name), name
    assert saved.completed_at.tzinfo == timezone.utc


def test_how_each_answer_was_given_round_trips(repository: RecordRepository) -> None:
    """draft → database → record → JSON and CSV export, unchanged; enum members as values."""
    from bot.protocol import AnsweredBy

    ways = {
        "purpose": AnsweredBy.BUTTON,
        "identifiable": "word",
        "confidential": "read_back",
        "consent": "follow_up",
        "public_interest": "helpdesk",
        "appropriate.necessary": "button",
        "appropriate.inform_person": "word",
    }
    saved = repository.save(make_draft(answered_by=ways))
    plain = {key: str(getattr(way, "value", way)) for key, way in ways.items()}
    assert saved.answered_by == plain
    assert repository.get(saved.reference) == saved
    exported = json.loads(to_json([repository.get(saved.reference)]))[0]
    assert exported["answered_by"] == plain
    assert list(exported)[-1] == "answered_by"  # a later field: at the end, nothing moved
    row = csv_row(to_csv([saved]))
    assert json.loads(row["answered_by"]) == plain
    # nothing given is null, not an empty mapping
    empty = repository.save(make_draft(check_id="check-2", answered_by={}))
    assert empty.answered_by is None and repository.get(empty.reference).answered_by is None


@pytest.mark.parametrize("spelling", ["ISD-000001", "isd-000001", " Isd-1 ", "ISD1", "1", "0001"])
def test_get_is_forgiving_about_how_the_reference_is_typed(
    repository: RecordRepository, spelling: str
) -> None:
    saved = repository.save(make_draft())
    assert repository.get(spelling) == saved


@pytest.mark.parametrize(
    "reference", ["ISD-000999", "", "ISD-", "nonsense", "1; DROP TABLE decision_records", "-1"]
)
def test_get_unknown_reference_is_none(repository: RecordRepository, reference: str) -> None:
    repository.save(make_draft())
    assert repository.get(reference) is None
    assert row_count(repository) == 1


def test_defaults_and_nulls(repository: RecordRepository) -> None:
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    saved = repository.save(
        RecordDraft(
            conversation_id="c",
            check_id="k",
            outcome="seek_advice",
            path=["purpose"],
            answers={"purpose": "not_sure"},
            advice_needed_at="purpose",
        )
    )
    assert saved.protocol == "hmg-2008"
    assert saved.completed_at >= before and saved.completed_at.tzinfo == timezone.utc
    assert saved.created_at == saved.completed_at
    assert saved.checks is None and saved.channel is None and saved.reasons is None
    assert saved.golden_rules == [] and saved.safeguarding_concern is False
    assert repository.get(saved.reference) == saved


def test_timestamps_are_stored_and_returned_in_utc(repository: RecordRepository) -> None:
    london_summer = timezone(timedelta(hours=1))
    saved = repository.save(
        make_draft(
            created_at=datetime(2026, 6, 1, 10, 0, tzinfo=london_summer),
            completed_at=datetime(2026, 6, 1, 9, 5),  # naive: taken as UTC
        )
    )
    stored = repository.get(saved.reference)
    assert stored is not None
    assert stored.created_at == datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.completed_at == datetime(2026, 6, 1, 9, 5, tzinfo=timezone.utc)
    assert stored.to_dict()["created_at"] == "2026-06-01T09:00:00+00:00"


def test_enum_values_are_stored_as_their_values(repository: RecordRepository) -> None:
    class Outcome(Enum):
        SEEK_CONSENT = "seek_consent"

    class Answer(str, Enum):
        NOT_ASKED = "not_asked"

    saved = repository.save(
        make_draft(outcome=Outcome.SEEK_CONSENT, answers={"consent": Answer.NOT_ASKED})
    )
    assert saved.outcome == "seek_consent"
    assert repository.get(saved.reference).to_dict()["answers"] == {"consent": "not_asked"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"outcome": "maybe"}, "unknown outcome"),
        ({"conversation_id": "  "}, "conversation_id must not be empty"),
        ({"check_id": "x" * 129}, "check_id is longer"),
        ({"path": "purpose"}, "path must be a list"),
        ({"answers": ["purpose"]}, "answers must be a mapping"),
        ({"answered_by": ["purpose"]}, "answered_by must be a mapping"),
        ({"answered_by": {"purpose": "guessed"}}, "answered_by: unknown guessed"),
    ],
)
def test_invalid_drafts_are_refused(
    repository: RecordRepository, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        repository.save(make_draft(**overrides))
    assert row_count(repository) == 0


def test_list_is_newest_first_and_filters(repository: RecordRepository) -> None:
    start = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
    outcomes = ["share", "seek_advice", "do_not_share", "seek_advice", "seek_consent"]
    saved = [
        repository.save(
            make_draft(
                check_id=f"check-{i}",
                outcome=outcome,
                completed_at=start + timedelta(days=i),
                created_at=start + timedelta(days=i, minutes=-5),
            )
        )
        for i, outcome in enumerate(outcomes)
    ]
    newest_first = list(reversed(saved))

    assert repository.list() == newest_first
    assert repository.list(limit=2) == newest_first[:2]
    assert repository.list(outcome="seek_advice") == [saved[3], saved[1]]
    assert repository.list(since=start + timedelta(days=3)) == newest_first[:2]
    assert repository.list(outcome="share", since=start + timedelta(days=1)) == []
    assert repository.list(limit=0) == []


# --- idempotency and concurrency ---------------------------------------------------------------


def test_saving_the_same_check_twice_returns_the_first_record(
    repository: RecordRepository,
) -> None:
    first = repository.save(make_draft())
    again = repository.save(make_draft(outcome="do_not_share", reasons="changed my mind"))
    assert again == first
    assert row_count(repository) == 1
    other_check = repository.save(make_draft(check_id="check-2"))
    other_conversation = repository.save(make_draft(conversation_id="sender-2"))
    assert len({first.reference, other_check.reference, other_conversation.reference}) == 3
    assert repository.for_check("sender-1", "check-1") == first
    assert repository.for_check("sender-1", "no-such-check") is None


def test_a_lost_race_on_the_same_check_returns_the_winner(
    repository: RecordRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = repository.save(make_draft())
    real_for_check = repository.for_check
    calls: list[tuple[str, str]] = []

    def stale_first_read(conversation_id: str, check_id: str) -> DecisionRecord | None:
        calls.append((conversation_id, check_id))
        return None if len(calls) == 1 else real_for_check(conversation_id, check_id)

    monkeypatch.setattr(repository, "for_check", stale_first_read)
    assert repository.save(make_draft(reasons="second writer")) == winner  # IntegrityError path
    assert len(calls) == 2
    assert row_count(repository) == 1


def _run_in_threads(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except BaseException as error:  # pragma: no cover - asserted below
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    return results


def test_concurrent_saves_get_unique_references(repository: RecordRepository) -> None:
    def save_five(worker: int) -> list[str]:
        engine = make_engine(str(repository.engine.url.render_as_string(hide_password=False)))
        own = RecordRepository(engine)  # a separate engine: like another server process
        try:
            return [
                own.save(make_draft(conversation_id=f"sender-{worker}", check_id=f"c{i}")).reference
                for i in range(5)
            ]
        finally:
            engine.dispose()

    references = [ref for batch in _run_in_threads(8, save_five) for ref in batch]
    assert len(references) == 40 == len(set(references)) == row_count(repository)
    assert sorted(references) == [f"ISD-{n:06d}" for n in range(1, 41)]


def test_concurrent_saves_of_one_check_make_one_record(repository: RecordRepository) -> None:
    records = _run_in_threads(8, lambda _: repository.save(make_draft()))
    assert len({record.reference for record in records}) == 1
    assert row_count(repository) == 1


# --- hostile and odd text ----------------------------------------------------------------------


@pytest.mark.parametrize("hostile", HOSTILE_TEXTS)
def test_hostile_text_is_stored_verbatim_and_harmlessly(
    repository: RecordRepository, hostile: str
) -> None:
    saved = repository.save(
        make_draft(
            information=hostile,
            recipient=hostile,
            purpose_text=hostile,
            public_interest_reason=hostile,
            reasons=hostile,
            channel="rest",
            conversation_id=hostile[:100],
        )
    )
    stored = repository.get(saved.reference)
    assert stored is not None
    for name in ("information", "recipient", "purpose_text", "public_interest_reason", "reasons"):
        assert getattr(stored, name) == hostile.strip()
    assert stored.conversation_id == hostile[:100].strip()
    assert repository.for_check(hostile[:100], "check-1") == stored
    assert row_count(repository) == 1  # the table is still there, with one row
    assert json.loads(to_json([stored]))[0]["reasons"] == hostile.strip()


def test_control_characters_are_removed_and_long_text_is_cut(
    repository: RecordRepository,
) -> None:
    saved = repository.save(
        make_draft(
            reasons="a\x00b\x1b[31mc\r\nd\u202eevil\x7f",
            information="x" * 5000,
            recipient="\ud800 lone surrogate",
            purpose_text=" \t\n ",
        )
    )
    stored = repository.get(saved.reference)
    assert stored is not None
    assert stored.reasons == "ab[31mc\ndevil"
    assert stored.information is not None and len(stored.information) == MAX_TEXT_LENGTH
    assert stored.information.endswith("…")
    assert stored.recipient == "? lone surrogate"
    assert stored.purpose_text is None


_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@given(st.text(max_size=3000))
def test_clean_text_properties(value: str) -> None:
    cleaned = clean_text(value)
    if cleaned is None:
        return
    assert 0 < len(cleaned) <= MAX_TEXT_LENGTH
    assert not _UNSAFE.search(cleaned)
    assert cleaned == cleaned.strip()
    assert clean_text(cleaned) == cleaned


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(max_size=300))
def test_any_text_survives_the_database(repository: RecordRepository, value: str) -> None:
    saved = repository.save(make_draft(check_id=uuid.uuid4().hex, reasons=value))
    stored = repository.get(saved.reference)
    assert stored is not None and stored.reasons == clean_text(value) == saved.reasons


def test_normalise_reference() -> None:
    assert normalise_reference("isd-42") == "ISD-000042"
    assert normalise_reference("ISD-1234567") == "ISD-1234567"
    assert normalise_reference("ABC-1") is None


# --- export ------------------------------------------------------------------------------------


def _sample_records(repository: RecordRepository) -> list[DecisionRecord]:
    repository.save(make_draft())
    repository.save(
        make_draft(
            check_id="check-2",
            outcome="seek_advice",
            path=["purpose", "identifiable"],
            answers={"purpose": "yes", "identifiable": "not_sure"},
            checks=None,
            public_interest_reason=None,
            advice_needed_at="identifiable",
            safeguarding_concern=False,
            golden_rules=[],
            reasons='=HYPERLINK("http://evil") , "quoted", new\nline 👍',
            completed_at=datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc),
        )
    )
    return repository.list()


def test_json_export_matches_the_design_contract(repository: RecordRepository) -> None:
    exported = json.loads(to_json(_sample_records(repository)))
    assert isinstance(exported, list) and len(exported) == 2
    for item in exported:
        assert set(item) == EXPORT_KEYS
        for key, types in DESIGN_TYPES.items():
            assert isinstance(item[key], types), (key, item[key])
        assert ISO_UTC.match(item["created_at"]) and ISO_UTC.match(item["completed_at"])
        assert re.fullmatch(r"ISD-\d{6}", item["reference"])
        assert item["outcome"] in {"share", "do_not_share", "seek_advice", "seek_consent"}
        assert all(isinstance(step, str) for step in item["path"])
        assert all(isinstance(rule, int) for rule in item["golden_rules"])
    share = next(item for item in exported if item["outcome"] == "share")
    assert share == {
        "reference": "ISD-000001",
        "conversation_id": "sender-1",
        "check_id": "check-1",
        "channel": "rest",
        "created_at": "2026-11-25T10:00:00+00:00",
        "completed_at": "2026-11-25T10:04:10+00:00",
        "protocol": "hmg-2008",
        "outcome": "share",
        "path": [
            "purpose",
            "identifiable",
            "confidential",
            "consent",
            "public_interest",
            "appropriate",
            "record",
        ],
        "answers": {
            "purpose": "yes",
            "identifiable": "yes",
            "confidential": "yes",
            "consent": "no",
            "public_interest": "yes",
        },
        "information": "school attendance record",
        "recipient": "the family's social worker",
        "purpose_text": "to support a child protection enquiry",
        "public_interest_reason": "risk of significant harm outweighs confidentiality",
        "checks": {
            "necessary": True,
            "need_to_know": True,
            "accurate": True,
            "secure": True,
            "onward_limits": True,
            "inform_person": "no_unsafe",
        },
        "advice_needed_at": None,
        "safeguarding_concern": True,
        "reasons": "Telling the parent would put the child at risk. Phone [PHONE].",
        "golden_rules": [1, 2, 3, 4, 5, 6, 7],
        "notes": None,
        "continues": None,
        "advice": None,
        "made_by": None,
        "on_behalf_of_caller": False,
        "answered_by": None,
    }
    assert "👍" in to_json(repository.list())  # UTF-8, not \\u escapes
    assert json.loads(to_json([])) == []


def test_csv_export_round_trips_through_dictreader(repository: RecordRepository) -> None:
    records = _sample_records(repository)
    rows = list(csv.DictReader(io.StringIO(to_csv(records, protect_formulas=False))))
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        expected = record.to_dict()
        assert list(row) == list(expected)  # header: the JSON field names, in order
        for key, value in expected.items():
            if isinstance(value, (list, dict)):
                assert json.loads(row[key]) == value
            elif isinstance(value, bool):
                assert row[key] == ("true" if value else "false")
            elif value is None:
                assert row[key] == ""
            else:
                assert row[key] == value
    assert [r["checks"] for r in rows] == ["", json.dumps(records[1].checks, separators=(",", ":"))]


def test_csv_export_defuses_spreadsheet_formulas(repository: RecordRepository) -> None:
    records = _sample_records(repository)
    row = next(csv.DictReader(io.StringIO(to_csv(records))))
    assert row["reasons"].startswith("'=HYPERLINK(")
    assert row["reasons"][1:] == records[0].reasons
    assert to_csv([]).strip() == ",".join(records[0].to_dict())


def test_reads_through_a_second_engine_see_committed_records(records_db_url: str) -> None:
    writer, reader = make_engine(records_db_url), make_engine(records_db_url)
    saved = RecordRepository(writer).save(make_draft())
    assert RecordRepository(reader).get(saved.reference) == saved
    with reader.connect() as connection:
        assert connection.execute(text("SELECT reference FROM decision_records")).scalar_one() == (
            saved.reference
        )
    writer.dispose()
    reader.dispose()
