"""Rasa's SQL tracker store, without re-reading the whole conversation for every message.

Rasa 3.6's ``SQLTrackerStore`` rebuilds the tracker from every stored event of the conversation on
each message (a query, a JSON decode and an ``Event`` lookup per event), and counts the stored
events again before each save: the longer the check, the slower each message. This store keeps the
trackers it saved in memory (a bounded LRU) and, on each message, asks the database only for the
conversation's newest event id. The same id means nothing was added since — by this server or any
other sharing the database — and the tracker in memory is the stored one. A newer id means another
server took the messages since (several Rasa servers take a conversation's messages in turn): the
events after ours are read and applied to the tracker in memory, as Rasa's read would apply them,
unless a new session began among them. Anything else (the process restarted, the tracker in memory
was changed but not saved) falls back to Rasa's own read. The events table and its rows are
Rasa's.

**Nothing a person typed is stored as typed** (:func:`at_rest`): before an event is written, the
words a practitioner typed go through the one redaction (:func:`bot.nlp.redact`: names, numbers,
e-mails, postcodes, addresses) — a user message's ``text``, its ``parse_data`` text and entity
values, the bot's messages (which may repeat an answer back), and the values of the slots that
hold free text (:data:`FREE_TEXT_SLOTS`). The assistant reads the message in full for the turn it
arrives in (and this server's trackers in memory keep it while the conversation goes on); what
any later read, another server's catch-up, Rasa's HTTP API, ``rasa export`` and the lead's report
get from the database is the redacted form.

``endpoints.yml``: ``tracker_store: {type: bot.trackers.CachedSQLTrackerStore, url: …}``.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.nlp.redaction import redact

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 2000
# The slots that hold what a practitioner typed (every string inside them is redacted at rest;
# the others hold answers, ids and flags, stored as they are: an id must not change).
FREE_TEXT_SLOTS = frozenset(
    {
        "information",
        "recipient",
        "purpose_text",
        "reasons",
        "public_interest_reason",
        "question",
        "helpdesk_question",
        "answer_notes",
        "pending_answer",
        "unusable_answer",
        "training_notes",
    }
)


def _redacted(value: Any) -> Any:
    """Every string in ``value`` (dicts' values, lists' items) redacted; keys and the rest kept."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def at_rest(data: dict[str, Any]) -> dict[str, Any]:
    """An event's dict (``Event.as_dict()``) as it is stored: what a person typed redacted."""
    kind = data.get("event")
    if kind == "user":
        data = {**data, "text": _redacted(data.get("text"))}
        parse = data.get("parse_data")
        if isinstance(parse, dict):
            entities = [
                {**entity, "value": _redacted(entity.get("value"))}
                if isinstance(entity, dict)
                else entity
                for entity in parse.get("entities") or []
            ]
            text = _redacted(parse.get("text"))
            data["parse_data"] = {**parse, "text": text, "entities": entities}
    elif kind == "bot":
        data = {**data, "text": _redacted(data.get("text"))}
    elif kind == "slot" and data.get("name") in FREE_TEXT_SLOTS:
        data = {**data, "value": _redacted(data.get("value"))}
    return data


_NEWEST_EVENT = sa.text("SELECT max(id) FROM events WHERE sender_id = :sender_id")
_EVENTS_AFTER = sa.text(
    "SELECT id, type_name, data FROM events WHERE sender_id = :sender_id AND id > :after "
    "ORDER BY id"
)


@dataclass
class _Cached:
    tracker: DialogueStateTracker
    last_event_id: int  # the conversation's newest stored event
    stored_events: int  # how many of the tracker's events are stored (its latest session)


class CachedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with the trackers it saved kept in memory, checked against the
    database's newest event id on every read."""

    def __init__(self, *args: Any, cache_size: int = DEFAULT_CACHE_SIZE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._cache_size = int(cache_size)
        self._lock = threading.Lock()
        self.hits = 0
        self.caught_up = 0
        self.misses = 0

    # --- reading --------------------------------------------------------------------------

    def _newest_event_id(self, session: Any, sender_id: str) -> int | None:
        # Plain SQL: this runs twice per message, and the ORM's query building cost more than
        # the query (an index lookup on sender_id).
        return session.execute(_NEWEST_EVENT, {"sender_id": sender_id}).scalar()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        with self._lock:
            cached = self._cache.get(sender_id)
        if cached is not None and len(cached.tracker.events) == cached.stored_events:
            with self.session_scope() as session:
                newest = self._newest_event_id(session, sender_id)
                if newest is not None and newest > cached.last_event_id:
                    later = session.execute(
                        _EVENTS_AFTER, {"sender_id": sender_id, "after": cached.last_event_id}
                    ).all()
                    if self._catch_up(cached, later):
                        self.caught_up += 1
                        return cached.tracker
            if newest == cached.last_event_id:
                with self._lock:
                    self._cache.move_to_end(sender_id)
                self.hits += 1
                return cached.tracker
        self.misses += 1
        self._forget(sender_id)
        return await super().retrieve(sender_id)

    def _catch_up(self, cached: _Cached, later: list[Any]) -> bool:
        """Apply the events another server stored after ours to the tracker in memory; False
        (read it all again) if a new session began among them."""
        if not later or any(row.type_name == SessionStarted.type_name for row in later):
            return False
        for event in deserialise_events([json.loads(row.data) for row in later]):
            cached.tracker.update(event)
        cached.last_event_id = later[-1].id
        cached.stored_events = len(cached.tracker.events)
        with self._lock:
            self._cache.move_to_end(cached.tracker.sender_id)
        return True

    # --- writing --------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save (the same rows), remembering the tracker and the newest event id."""
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        with self._lock:
            cached = self._cache.get(sender_id)
        with self.session_scope() as session:
            known = cached is not None and cached.tracker is tracker
            if known and self._newest_event_id(session, sender_id) == cached.last_event_id:
                stored = cached.stored_events  # nobody else wrote: no need to count again
            else:
                stored = self._stored_in_latest_session(session, sender_id)
            rows = [self._row(tracker.sender_id, event) for event in self._new(tracker, stored)]
            session.add_all(rows)
            session.flush()
            newest = rows[-1].id if rows else self._newest_event_id(session, sender_id)
            session.commit()
        if sum(1 for e in tracker.events if isinstance(e, SessionStarted)) > 1:
            # A new session began: Rasa reads back only the latest session; so do we.
            self._forget(sender_id)
        else:
            self._remember(tracker, newest, len(tracker.events))
        logger.debug(f"Tracker with sender_id '{sender_id}' stored to database")

    def _stored_in_latest_session(self, session: Any, sender_id: str) -> int:
        return self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()

    @staticmethod
    def _new(tracker: DialogueStateTracker, stored: int) -> Iterator[Any]:
        return itertools.islice(tracker.events, stored, len(tracker.events))

    def _row(self, sender_id: str, event: Any) -> Any:
        data = at_rest(event.as_dict())
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    # --- the cache ------------------------------------------------------------------------

    def _remember(self, tracker: DialogueStateTracker, newest: int | None, events: int) -> None:
        if newest is None:
            return
        with self._lock:
            self._cache[tracker.sender_id] = _Cached(tracker, newest, events)
            self._cache.move_to_end(tracker.sender_id)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _forget(self, sender_id: str) -> None:
        with self._lock:
            self._cache.pop(sender_id, None)
