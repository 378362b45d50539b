"""docs/data-protection.md tells the truth about what is stored: every table it lists exists and
every table that exists is listed (the records database migrated from nothing, and Rasa's tracker
store), on SQLite and PostgreSQL; and the same for the files the servers write under var/."""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import inspect, text
from sqlalchemy.future import Engine
from support.records import make_draft

from bot import retention, server
from bot.cluster import nginx_config
from bot.records import RecordRepository, make_engine, upgrade
from bot.records.outbox import Outbox

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "data-protection.md"


def listed(section: str) -> set[str]:
    """The names in the first column of the table under ``## section``."""
    page = PAGE.read_text(encoding="utf-8")
    body = page.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in body.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 5 and not set(cells[0]) <= {"-", " "}:
            names.update(re.findall(r"`([^`]+)`", cells[0]))
    return names


def test_the_page_lists_both_sections() -> None:
    assert "events" in listed("Tables") and "decision_records" in listed("Tables")
    assert "secret_key" in listed("Files")


def test_every_table_is_listed_and_every_listed_table_exists(engine: Engine) -> None:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        store = SQLTrackerStore(dialect="sqlite", db=url.database)
    else:
        store = SQLTrackerStore(
            dialect="postgresql", host=url.render_as_string(hide_password=False)
        )
    store.engine.dispose()
    tables = set(inspect(engine).get_table_names())
    assert {"events", "decision_records", "audit_log"} <= tables
    assert listed("Tables") == tables


def test_the_retention_job_covers_the_kinds_the_page_names() -> None:
    page = PAGE.read_text(encoding="utf-8")
    for setting, default in retention.PERIODS.values():
        assert f"`{setting}`" in page, setting
        assert re.search(rf"`{setting}` \| {default}\b", page), (setting, default)


def test_every_file_under_var_is_listed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What make run, the action server and make run-cluster write into var/."""
    var = tmp_path / "var"
    for name in ("INFOSHARE_API_TOKEN", "INFOSHARE_ACTIONS_TOKEN", "INFOSHARE_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INFOSHARE_VAR_DIR", str(var))
    server.make_private(var)
    server.api_token(var)
    server.actions_token(var)
    server.secret_key(var)
    url = f"sqlite:///{var / 'infoshare.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:  # open: SQLite's -wal and -shm files exist
        connection.execute(text("SELECT 1"))
        outbox = Outbox(var / "outbox")
        outbox.put(make_draft(check_id="saved"))
        outbox.flush(RecordRepository(engine))  # leaves a .saved marker
        outbox.put(make_draft(check_id="waiting"))
        found = {str(p.relative_to(var)) for p in var.rglob("*") if p.is_file()}
    engine.dispose()
    # make shell's log (Makefile) and make run-cluster's files (bot/cluster.py, bot/server.py)
    cluster = var / "cluster"
    config = nginx_config([5005, 5006], 8080, cluster)
    found |= {
        str(Path(p).relative_to(var))
        for p in re.findall(rf"{re.escape(str(cluster))}/[\w./-]+", config)
        if not p.endswith("/")
    }
    made = re.findall(r">\s*var/([\w.-]+\.log)", (ROOT / "Makefile").read_text(encoding="utf-8"))
    found |= set(made) | {"cluster/actions.log", "cluster/rasa-5005.log", "cluster/nginx.conf"}
    assert {"infoshare.db-wal", "api_token", "actions-shell.log"} <= found

    patterns = listed("Files")
    unlisted = sorted(f for f in found if not any(fnmatch(f, p) for p in patterns))
    assert not unlisted, f"files under var/ not in {PAGE.name}: {unlisted}"
    unmade = sorted(p for p in patterns if not any(fnmatch(f, p) for f in found))
    assert not unmade, f"listed in {PAGE.name} but never made: {unmade}"
