"""The ``infoshare`` command line: records list/show/export, db upgrade; SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.records import RecordDraft, RecordRepository, make_engine
from bot.records.repository import RECORD_FIELDS

REPO_ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
# How ISD-000001's answers were given (ISD-000002 and 3 are as saved before that was kept).
ANSWERED_BY = {
    "purpose": "button",
    "identifiable": "word",
    "confidential": "read_back",
    "consent": "helpdesk",
    "appropriate.secure": "follow_up",
}


@pytest.fixture(autouse=True)
def no_ambient_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never touch the developer's var/ database by accident."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("INFOSHARE_VAR_DIR", str(tmp_path / "var"))


@pytest.fixture
def seeded_url(records_db_url: str) -> Iterator[str]:
    """Three records: share (ISD-000001), seek_advice (2, safeguarding), do_not_share (3)."""
    engine = make_engine(records_db_url)
    repository = RecordRepository(engine)
    drafts = [
        RecordDraft(
            conversation_id="teams-1",
            check_id="a",
            channel="botframework",
            outcome="share",
            path=["purpose", "identifiable", "confidential", "consent", "appropriate", "record"],
            answers={"purpose": "yes", "identifiable": "yes", "confidential": "yes"},
            information="attendance",
            recipient="school nurse",
            purpose_text="health assessment",
            checks={"necessary": True, "secure": True, "inform_person": "already_aware"},
            reasons="Consent given in writing.\nSecond line <b>bold</b>",
            golden_rules=[1, 4, 6],
            answered_by=ANSWERED_BY,
            created_at=START - timedelta(minutes=4),
            completed_at=START,
        ),
        RecordDraft(
            conversation_id="web-2",
            check_id="b",
            channel="socketio",
            outcome="seek_advice",
            path=["purpose", "identifiable"],
            answers={"purpose": "yes", "identifiable": "not_sure"},
            advice_needed_at="identifiable",
            safeguarding_concern=True,
            reasons="👀 not sure; '; DROP TABLE decision_records; --",
            completed_at=START + timedelta(hours=1),
        ),
        RecordDraft(
            conversation_id="rest-3",
            check_id="c",
            channel="rest",
            outcome="do_not_share",
            path=["purpose", "record"],
            answers={"purpose": "no"},
            completed_at=START + timedelta(hours=2),
        ),
    ]
    for draft in drafts:
        repository.save(draft)
    engine.dispose()
    yield records_db_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- records list ----------------------------------------------------------------------------


def test_list_shows_a_table_newest_first(seeded_url: str, capsys: pytest.CaptureFixture) -> None:
    code, out, err = run(capsys, "records", "list", "--database-url", seeded_url)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == [
        "reference",
        "completed",
        "outcome",
        "channel",
        "advice",
        "needed",
        "at",
        "safeguarding",
    ]
    assert set(lines[1]) <= {"-", " "}
    assert [line.split()[0] for line in lines[2:]] == ["ISD-000003", "ISD-000002", "ISD-000001"]
    advice = lines[3].split()
    assert advice == [
        "ISD-000002",
        "2026-11-25",
        "11:00",
        "UTC",
        "seek_advice",
        "socketio",
        "identifiable",
        "YES",
    ]
    assert lines[4].split()[-3:] == ["botframework", "-", "no"]


def test_list_filters(seeded_url: str, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(
        capsys, "records", "list", "--outcome", "share", "--database-url", seeded_url
    )
    assert code == 0 and [line.split()[0] for line in out.splitlines()[2:]] == ["ISD-000001"]

    code, out, _ = run(capsys, "records", "list", "--limit", "1", "--database-url", seeded_url)
    assert code == 0 and [line.split()[0] for line in out.splitlines()[2:]] == ["ISD-000003"]

    since = (START + timedelta(minutes=30)).isoformat()
    code, out, _ = run(capsys, "records", "list", "--since", since, "--database-url", seeded_url)
    assert code == 0 and len(out.splitlines()[2:]) == 2

    code, out, _ = run(
        capsys, "records", "list", "--outcome", "seek_consent", "--database-url", seeded_url
    )
    assert code == 0 and out.strip() == "No records."


@pytest.mark.parametrize(
    "bad", [["--limit", "0"], ["--limit", "x"], ["--outcome", "maybe"], ["--since", "yesterday"]]
)
def test_list_rejects_bad_options(
    records_db_url: str, capsys: pytest.CaptureFixture, bad: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["records", "list", *bad, "--database-url", records_db_url])
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_database_url_from_environment_and_before_the_command(
    seeded_url: str, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", seeded_url)
    code, out, _ = run(capsys, "records", "list")
    assert code == 0 and "ISD-000003" in out

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    code, out, _ = run(capsys, "--database-url", seeded_url, "records", "list")
    assert code == 0 and "ISD-000003" in out


# --- records show ----------------------------------------------------------------------------


def test_show_is_readable(seeded_url: str, capsys: pytest.CaptureFixture) -> None:
    code, out, err = run(capsys, "records", "show", "isd-2", "--database-url", seeded_url)
    assert code == 0 and err == ""
    assert "Reference:                ISD-000002" in out
    assert "Outcome:                  seek advice" in out
    assert "Safeguarding concern:     YES" in out
    assert "Advice needed at:         identifiable" in out
    assert "  identifiable            not_sure\n" in out
    assert "👀 not sure; '; DROP TABLE decision_records; --" in out
    assert "Path:                     purpose → identifiable" in out
    assert "How each answer was given: not recorded\n" in out  # saved before it was kept

    code, out, _ = run(capsys, "records", "show", "ISD-000001", "--database-url", seeded_url)
    assert code == 0
    assert "Reasons:                  Consent given in writing.\n" in out
    assert "\n                          Second line <b>bold</b>\n" in out  # continuation indented
    assert "  necessary               yes\n" in out
    assert "  inform_person           already_aware\n" in out
    assert "Golden rules:             1, 4, 6" in out
    assert (
        "How each answer was given:\n"
        "  purpose                 button\n"
        "  identifiable            typed answer word\n"
        "  confidential            read back and confirmed\n"
        "  consent                 helpdesk's suggested answer\n"
        "  appropriate.secure      follow-up question\n"
    ) in out


def test_show_json(seeded_url: str, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(
        capsys, "records", "show", "ISD-000003", "--json", "--database-url", seeded_url
    )
    assert code == 0
    record = json.loads(out)
    assert set(record) == set(RECORD_FIELDS)
    assert record["reference"] == "ISD-000003" and record["outcome"] == "do_not_share"
    assert record["completed_at"] == "2026-11-25T12:00:00+00:00"


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("ISD-000999", "no record with reference ISD-000999"),
        ("hello", "'hello' is not a record reference (expected e.g. ISD-000123)"),
    ],
)
def test_show_unknown_reference(
    seeded_url: str, capsys: pytest.CaptureFixture, reference: str, message: str
) -> None:
    code, out, err = run(capsys, "records", "show", reference, "--database-url", seeded_url)
    assert code == 1 and out == ""
    assert err == f"infoshare: error: {message}\n"


# --- records export --------------------------------------------------------------------------


def test_export_json_to_stdout(seeded_url: str, capsys: pytest.CaptureFixture) -> None:
    code, out, err = run(
        capsys, "records", "export", "--format", "json", "--database-url", seeded_url
    )
    assert code == 0 and err == ""
    records = json.loads(out)
    assert [r["reference"] for r in records] == ["ISD-000003", "ISD-000002", "ISD-000001"]
    assert all(list(r) == list(RECORD_FIELDS) for r in records)
    assert records[1]["safeguarding_concern"] is True
    assert records[2]["checks"] == {
        "necessary": True,
        "secure": True,
        "inform_person": "already_aware",
    }
    assert records[2]["answered_by"] == ANSWERED_BY and records[1]["answered_by"] is None


def test_export_defaults_to_json_and_filters(
    seeded_url: str, capsys: pytest.CaptureFixture
) -> None:
    code, out, _ = run(
        capsys, "records", "export", "--outcome", "seek_advice", "--database-url", seeded_url
    )
    assert code == 0
    assert [r["reference"] for r in json.loads(out)] == ["ISD-000002"]


def test_export_csv_to_stdout(seeded_url: str, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "records", "export", "--format", "csv", "--database-url", seeded_url)
    assert code == 0
    reader = csv.DictReader(io.StringIO(out))
    rows = list(reader)
    assert reader.fieldnames == list(RECORD_FIELDS)
    assert [row["reference"] for row in rows] == ["ISD-000003", "ISD-000002", "ISD-000001"]
    assert json.loads(rows[1]["answers"]) == {"purpose": "yes", "identifiable": "not_sure"}
    assert rows[1]["safeguarding_concern"] == "true" and rows[0]["checks"] == ""
    assert rows[2]["reasons"] == "Consent given in writing.\nSecond line <b>bold</b>"
    assert json.loads(rows[2]["answered_by"]) == ANSWERED_BY and rows[1]["answered_by"] == ""


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_to_a_file(
    seeded_url: str, capsys: pytest.CaptureFixture, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / f"records.{fmt}"
    code, out, err = run(
        capsys,
        "records",
        "export",
        "--format",
        fmt,
        "-o",
        str(target),
        "--database-url",
        seeded_url,
    )
    assert code == 0 and out == ""
    assert f"Wrote 3 record(s) to {target}" in err
    content = target.read_text(encoding="utf-8")
    if fmt == "json":
        assert len(json.loads(content)) == 3
    else:
        assert len(list(csv.DictReader(io.StringIO(content, newline="")))) == 3
    assert "👀" in content


def test_export_to_an_unwritable_place(
    seeded_url: str, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    target = tmp_path / "missing-dir" / "records.json"
    code, out, err = run(
        capsys, "records", "export", "-o", str(target), "--database-url", seeded_url
    )
    assert code == 1 and out == ""
    assert err.startswith(f"infoshare: error: cannot write {target}: ")
    assert len(err.strip().splitlines()) == 1


def test_export_of_an_empty_database(records_db_url: str, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "records", "export", "--database-url", records_db_url)
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(
        capsys, "records", "export", "--format", "csv", "--database-url", records_db_url
    )
    assert code == 0 and out.strip() == ",".join(RECORD_FIELDS)


# --- db upgrade and errors -------------------------------------------------------------------


def test_db_upgrade_then_records(blank_db_url: str, capsys: pytest.CaptureFixture) -> None:
    from bot.records.migrate import head_revision

    code, out, err = run(capsys, "records", "list", "--database-url", blank_db_url)
    assert code == 1 and out == ""
    assert err.strip() == (
        "infoshare: error: the database has no decision records table yet: "
        "run `infoshare db upgrade`"
    )

    for _ in range(2):  # idempotent
        code, out, err = run(capsys, "db", "upgrade", "--database-url", blank_db_url)
        assert code == 0 and err == ""
        assert out.strip().endswith(f"is at revision {head_revision()}.")

    code, out, _ = run(capsys, "records", "list", "--database-url", blank_db_url)
    assert code == 0 and out.strip() == "No records."


def test_db_upgrade_default_database_goes_under_var(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0
    assert (tmp_path / "var" / "infoshare.db").is_file()
    assert str(tmp_path / "var" / "infoshare.db") in out


def test_db_upgrade_hides_the_password(capsys: pytest.CaptureFixture) -> None:
    code, out, err = run(
        capsys, "db", "upgrade", "--database-url", "postgres://me:s3cret@127.0.0.1:1/x"
    )
    assert code == 1 and out == ""
    assert "s3cret" not in err and "me:***@127.0.0.1:1" in err


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "infoshare: error: invalid database URL: "),
        ("nosuchdb://somewhere/x", "infoshare: error: unsupported database URL nosuchdb://"),
        (
            "postgresql://postgres@127.0.0.1:1/infoshare",
            "infoshare: error: database postgresql://postgres@127.0.0.1:1/infoshare: ",
        ),
        ("sqlite:////nonexistent-dir/x/records.db", "infoshare: error: database sqlite:////"),
    ],
)
@pytest.mark.parametrize(
    "argv",
    [["records", "list"], ["records", "show", "ISD-1"], ["records", "export"], ["db", "upgrade"]],
)
def test_database_errors_are_one_line(
    capsys: pytest.CaptureFixture, url: str, expected: str, argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv, "--database-url", url)
    assert code == 1 and out == ""
    assert err.startswith(expected)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture) -> None:
    for argv in ([], ["records"], ["db"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 2
        assert "required" in capsys.readouterr().err


def test_other_commands_can_register(capsys: pytest.CaptureFixture) -> None:
    seen: dict[str, Any] = {}

    def handler(args: argparse.Namespace) -> int:
        seen["args"] = args
        print("hello from token")
        return 0

    @cli.command("token-test", help="a test command")
    def _configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--show", action="store_true")
        parser.set_defaults(handler=handler)

    try:
        with pytest.raises(ValueError, match="already registered"):
            cli.command("token-test", help="again")(_configure)
        code, out, _ = run(capsys, "token-test", "--show")
        assert code == 0 and out == "hello from token\n" and seen["args"].show is True
    finally:
        del cli._COMMANDS["token-test"]


# --- as a real program -----------------------------------------------------------------------


def _programs() -> list[list[str]]:
    programs = [[sys.executable, "-m", "bot.cli"]]
    script = shutil.which("infoshare", path=str(Path(sys.executable).parent))
    if script:
        programs.append([script])
    return programs


@pytest.mark.parametrize("program", _programs(), ids=lambda p: Path(p[-1]).name)
def test_the_console_program_exports_json(
    seeded_url: str, tmp_path: Path, program: list[str]
) -> None:
    env = {**os.environ, "DATABASE_URL": seeded_url, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [*program, "records", "export", "--format", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    records = json.loads(result.stdout.decode("utf-8"))
    assert [r["reference"] for r in records] == ["ISD-000003", "ISD-000002", "ISD-000001"]

    result = subprocess.run(
        [*program, "records", "show", "ISD-000404"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr == "infoshare: error: no record with reference ISD-000404\n"
