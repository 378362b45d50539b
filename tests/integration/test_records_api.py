"""The records' search (filters, paging, totals) and the append-only audit log, on SQLite and
PostgreSQL; the OpenAPI description of a record. The API through the real Rasa server, and
schemathesis running it against that description: tests/e2e/test_records_api.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from support.records import new_draft

from bot.helpdesk.audit import AuditLog
from bot.records import RecordFilter, RecordRepository

# --- the repository's search, on SQLite and PostgreSQL ----------------------------------------


def test_search_filters_pages_and_counts(engine) -> None:
    repository = RecordRepository(engine)
    day = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
    for n in range(7):
        repository.save(
            new_draft(
                outcome="seek_advice" if n % 3 == 0 else "share",
                safeguarding_concern=n == 4,
                channel="socketio" if n % 2 else "rest",
                completed_at=day + timedelta(days=n),
            )
        )
    page, total = repository.search(limit=3)
    assert total == 7 and len(page) == 3
    assert [r.completed_at.day for r in page] == [7, 6, 5]  # newest first
    page, total = repository.search(limit=3, offset=6)
    assert total == 7 and [r.completed_at.day for r in page] == [1]
    found, total = repository.search(RecordFilter(outcome="seek_advice"))
    assert total == 3 and {r.completed_at.day for r in found} == {1, 4, 7}
    found, total = repository.search(RecordFilter(safeguarding=True))
    assert [r.completed_at.day for r in found] == [5]
    found, total = repository.search(
        RecordFilter(since=day + timedelta(days=2), until=day + timedelta(days=4))
    )
    assert [r.completed_at.day for r in found] == [4, 3]
    found, total = repository.search(RecordFilter(channel="socketio", outcome="share"))
    assert {r.completed_at.day for r in found} == {2, 6}
    # a value that looks like SQL is compared as data
    assert repository.search(RecordFilter(channel="rest' OR '1'='1"))[1] == 0


def test_the_audit_log_only_grows(engine) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    log = AuditLog(engine)
    log.add("token:crm#1", "record.read", "ISD-000001", None, "127.0.0.1")
    log.add("user:jo", "advice.claim", "ISD-000002", None, "127.0.0.1")
    entries = log.list()
    assert [e.action for e in entries] == ["advice.claim", "record.read"]  # newest first
    assert [e.actor for e in log.list(reference="ISD-000001")] == ["token:crm#1"]
    with pytest.raises(ValueError, match="unknown audit action"):
        log.add("cli", "record.delete")
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert len(log.list()) == 2


def test_a_lists_references_are_in_the_audit_log_and_only_grow(engine) -> None:
    """A list or an export records what it returned: the entries for one reference include
    every list that showed it (before, only the filters and a count)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    log = AuditLog(engine)
    log.add("token:crm#1", "record.export", None, '{"rows": 2}', "127.0.0.1", ["ISD-1", "ISD-2"])
    log.add("user:jo", "advice.read", "ISD-3", None, "127.0.0.1")
    log.add("user:jo", "advice.alike", None, '{"rows": 1}', "127.0.0.1", ["ISD-2"])
    assert [e.action for e in log.list(reference="ISD-2")] == ["advice.alike", "record.export"]
    assert [e.action for e in log.list(reference="ISD-1")] == ["record.export"]
    exported = log.list(reference="ISD-1")[0]
    assert exported.shown == 2 and log.references(exported.id) == ["ISD-1", "ISD-2"]
    assert log.list(reference="ISD-3")[0].shown == 0
    for statement in (
        "UPDATE audit_references SET reference = 'ISD-9'",
        "DELETE FROM audit_references",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert log.references(exported.id) == ["ISD-1", "ISD-2"]


def test_the_openapi_record_schema_names_how_answers_were_given() -> None:
    from bot.helpdesk.openapi import spec

    record = spec()["components"]["schemas"]["Record"]
    assert "answered_by" in record["required"]
    assert record["properties"]["answered_by"] == {
        "type": "object",
        "nullable": True,
        "additionalProperties": {
            "type": "string",
            "enum": ["button", "word", "read_back", "follow_up", "helpdesk"],
        },
        "description": "How each answer was given",
    }
