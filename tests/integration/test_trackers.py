"""The cached SQL tracker store (bot/trackers.py) against Rasa's own, on a real database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.trackers import CachedSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
slots:
  colour:
    type: text
    mappings: [{type: custom}]
"""
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'trackers.db'}"
        return
    from bot.records.testing import postgres_unavailable_reason, temporary_postgres_database

    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with temporary_postgres_database("infoshare_trackers") as database:
        yield database


def _store(url: str, cls: type = CachedSQLTrackerStore) -> SQLTrackerStore:
    return cls(domain=DOMAIN, host=url)


def _turn(tracker: DialogueStateTracker, text: str) -> None:
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    tracker.update(SlotSet("colour", text))
    tracker.update(ActionExecuted("action_listen"))


async def test_a_saved_tracker_is_read_back_from_memory_and_equals_rasas_read(url: str) -> None:
    store = _store(url)
    tracker = DialogueStateTracker("alice", DOMAIN.slots)
    _turn(tracker, "red")
    await store.save(tracker)
    again = await store.retrieve("alice")
    assert again is tracker and store.hits == 1
    rasas = await _store(url, SQLTrackerStore).retrieve("alice")
    assert [e.as_dict() for e in rasas.events] == [e.as_dict() for e in again.events]
    _turn(again, "blue")
    await store.save(again)
    rasas = await _store(url, SQLTrackerStore).retrieve("alice")
    assert len(rasas.events) == len(again.events) == 6
    assert rasas.get_slot("colour") == "blue"


async def test_what_another_server_wrote_is_read_from_the_database(url: str) -> None:
    ours, theirs = _store(url), _store(url)
    tracker = DialogueStateTracker("bob", DOMAIN.slots)
    _turn(tracker, "red")
    await ours.save(tracker)
    other = await theirs.retrieve("bob")
    _turn(other, "green")
    await theirs.save(other)
    mine = await ours.retrieve("bob")
    # the tracker in memory caught up with the events the other server stored: as Rasa reads it
    assert mine is tracker and ours.caught_up == 1 and ours.misses == 0
    assert mine.get_slot("colour") == "green" and len(mine.events) == 6
    rasas = await _store(url, SQLTrackerStore).retrieve("bob")
    assert [e.as_dict() for e in rasas.events] == [e.as_dict() for e in mine.events]
    assert rasas.current_slot_values() == mine.current_slot_values()
    # and it is saved on from there: our next turn adds only its own events
    _turn(mine, "blue")
    await ours.save(mine)
    again = await theirs.retrieve("bob")
    assert again.get_slot("colour") == "blue" and len(again.events) == 9
    rasas = await _store(url, SQLTrackerStore).retrieve("bob")
    assert [e.as_dict() for e in rasas.events] == [e.as_dict() for e in again.events]


async def test_a_tracker_changed_but_not_saved_is_read_again(url: str) -> None:
    store = _store(url)
    tracker = DialogueStateTracker("carol", DOMAIN.slots)
    _turn(tracker, "red")
    await store.save(tracker)
    _turn(tracker, "lost")  # e.g. the action server failed before the save
    again = await store.retrieve("carol")
    assert again is not tracker and again.get_slot("colour") == "red"


async def test_a_new_session_is_read_like_rasa_reads_it(url: str) -> None:
    store = _store(url)
    tracker = DialogueStateTracker("dan", DOMAIN.slots)
    tracker.update(SessionStarted())
    _turn(tracker, "red")
    await store.save(tracker)
    tracker.update(SessionStarted())
    _turn(tracker, "blue")
    await store.save(tracker)
    again = await store.retrieve("dan")
    rasas = await _store(url, SQLTrackerStore).retrieve("dan")
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in rasas.events]


async def test_the_cache_is_bounded(url: str) -> None:
    store = CachedSQLTrackerStore(domain=DOMAIN, host=url, cache_size=2)
    for name in ("a", "b", "c"):
        tracker = DialogueStateTracker(name, DOMAIN.slots)
        _turn(tracker, name)
        await store.save(tracker)
    assert list(store._cache) == ["b", "c"]
    assert (await store.retrieve("a")).get_slot("colour") == "a" and store.misses == 1


async def test_an_unknown_conversation_is_none(url: str) -> None:
    assert await _store(url).retrieve("nobody") is None


# --- nothing a person typed is stored as typed ---------------------------------------------------

TYPED = (
    "Can I tell the GP about Jane Smith, NHS 943 476 5919, mobile 07700 900123, "
    "jane.smith@example.org, LS2 7EH?"
)
LEAKS = ("Jane", "Smith", "943 476 5919", "07700 900123", "jane.smith@example.org", "LS2 7EH")
FREE = Domain.from_yaml(
    """
version: "3.1"
slots:
  information:
    type: text
    mappings: [{type: custom}]
  check_id:
    type: text
    mappings: [{type: custom}]
  pending_answer:
    type: any
    mappings: [{type: custom}]
"""
)


async def test_what_a_person_typed_is_redacted_before_it_is_stored(url: str) -> None:
    """Before, the events table held every message verbatim. The turn reads it in full; the
    database, Rasa's own read and another server's catch-up get it redacted; ids stay."""
    from rasa.shared.core.events import BotUttered

    store = CachedSQLTrackerStore(domain=FREE, host=url)
    tracker = DialogueStateTracker("typed", FREE.slots)
    entity = {"entity": "information", "value": "Jane Smith's health", "start": 0, "end": 1}
    tracker.update(UserUttered(TYPED, {"name": "ask", "confidence": 1.0}, [entity]))
    tracker.update(SlotSet("information", "Jane Smith's health notes"))
    tracker.update(SlotSet("check_id", "4a07700900123b"))  # an id that looks like a number
    tracker.update(SlotSet("pending_answer", {"question": "consent", "text": TYPED}))
    tracker.update(BotUttered(f"You said: {TYPED}"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    assert tracker.latest_message.text == TYPED  # the turn in memory keeps what was typed
    with store.session_scope() as session:
        stored = " ".join(row.data for row in session.query(store.SQLEvent).all())
    for leak in LEAKS:
        assert leak not in stored, leak
    assert "[NAME]" in stored and "[PHONE]" in stored and "[EMAIL]" in stored
    read = await SQLTrackerStore(domain=FREE, host=url).retrieve("typed")  # Rasa's, elsewhere
    assert read.get_slot("check_id") == "4a07700900123b"
    assert "Smith" not in read.latest_message.text and "Smith" not in read.get_slot("information")
    assert read.get_slot("pending_answer")["question"] == "consent"
    assert read.latest_message.entities[0]["value"] == "[NAME]'s health"
