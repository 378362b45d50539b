"""Saving a finished check (bot/records/save.py): saved once, kept while the database is
unreachable, or failed — on real databases, no stand-ins."""

from __future__ import annotations

import uuid

from bot.records import RecordRepository, make_engine, upgrade
from bot.records.outbox import Outbox
from bot.records.save import Failed, Kept, Saved, save_check

FINISHED = {
    "information": "attendance and a recent injury",
    "recipient": "the school nurse",
    "purpose_text": "to arrange support",
    "purpose": "no",
    "record": "yes",
    "reasons": "No clear purpose yet",
    "answered_by": {"purpose": "word"},
}


def _slots() -> dict:
    return {**FINISHED, "check_id": uuid.uuid4().hex}


def test_a_finished_check_is_saved_once_with_its_reference(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    upgrade(url)
    repository = RecordRepository(make_engine(url))
    slots = _slots()
    first = save_check(slots, repository=repository, conversation_id="c1", channel="rest")
    again = save_check(slots, repository=repository, conversation_id="c1", channel="rest")
    assert isinstance(first, Saved) and isinstance(again, Saved)
    assert first.reference == again.reference  # idempotent per check
    assert first.record.outcome == "do_not_share"
    assert first.record.answered_by == {"purpose": "word"}
    assert len(repository.list()) == 1


def test_an_unreachable_database_keeps_the_record_in_the_outbox(tmp_path) -> None:
    # a PostgreSQL port nothing listens on: the real driver's connection error
    repository = RecordRepository(make_engine("postgresql://infoshare@127.0.0.1:9/none"))
    outbox = Outbox(tmp_path / "outbox")
    saved = save_check(
        _slots(), repository=repository, conversation_id="c2", channel="rest", outbox=outbox
    )
    assert isinstance(saved, Kept)
    assert outbox.waiting("c2")


def test_a_fault_of_ours_fails_and_keeps_nothing(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'records.db'}"
    upgrade(url)
    repository = RecordRepository(make_engine(url))
    outbox = Outbox(tmp_path / "outbox")
    unfinished = {**_slots(), "purpose": None}  # no outcome: nothing to save
    saved = save_check(
        unfinished, repository=repository, conversation_id="c3", channel="rest", outbox=outbox
    )
    assert saved == Failed("ValueError")
    assert not outbox.waiting("c3") and repository.list() == []
