"""How long what the assistant stores is kept, and the job that deletes it when its time is up.

Each kind of data has a period, a setting with a safe default (docs/data-protection.md):

- **conversations** (Rasa's tracker store, the ``events`` table): all of a conversation's events,
  ``INFOSHARE_RETAIN_CONVERSATIONS_DAYS`` (30) after its last event;
- **advice requests** (``advice_requests``): ``INFOSHARE_RETAIN_ADVICE_DAYS`` (90) after closing;
- **training** (``cohorts``, ``training_runs``, ``training_answers``): a cohort with its runs and
  answers ``INFOSHARE_RETAIN_TRAINING_DAYS`` (365) after the cohort was created; a run outside
  any cohort that long after the run;
- **decision records** (``decision_records``): per local policy, ``INFOSHARE_RETAIN_RECORDS_DAYS``
  after completion; 0 (the default) keeps them;
- **sign-ins** (``helpdesk_sessions``, ``sign_in_failures``: names typed, client addresses): a
  helpdesk session ``INFOSHARE_RETAIN_SIGN_INS_DAYS`` (30) after it was last used, a wrong-sign-in
  counter that long after its window began (unless it blocks now).

A period of 0 keeps that kind. The audit log is never deleted (its tables refuse DELETE): it is
kept at least as long as the records it describes. :func:`due` says what would go (nothing
deleted: ``infoshare retention show``); :func:`run` deletes it and writes one ``retention.run``
audit entry with the counts, never the content (``infoshare retention run``, and the action
server once an hour: :func:`start_hourly`). Every function takes ``now`` so that the rules are
tested on a moved clock.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.future import Engine
from sqlalchemy.orm import Session

from bot import settings
from bot.helpdesk.audit import AuditLog
from bot.helpdesk.models import AdviceRequestRow, HelpdeskSession, SignInFailures
from bot.records.db import make_engine, normalise_url
from bot.records.models import DecisionRecordRow
from bot.records.outbox import Outbox
from bot.records.outbox import _file_stem as outbox_stem
from bot.records.repository import RecordRepository
from bot.training.cohorts import CohortRow, TrainingAnswerRow
from bot.training.runs import TrainingRunRow

logger = logging.getLogger(__name__)

HOUR = 3600.0
EVENTS_TABLE = "events"  # Rasa's SQLTrackerStore
_BATCH = 500  # conversations deleted per statement


class Kind(str, Enum):
    CONVERSATIONS = "conversations"
    ADVICE_REQUESTS = "advice requests"
    TRAINING = "training"
    RECORDS = "decision records"
    SIGN_INS = "sign-ins"


# The setting and its default, per kind (0: kept).
PERIODS: dict[Kind, tuple[str, int]] = {
    Kind.CONVERSATIONS: (settings.RETAIN_CONVERSATIONS_DAYS, 30),
    Kind.ADVICE_REQUESTS: (settings.RETAIN_ADVICE_DAYS, 90),
    Kind.TRAINING: (settings.RETAIN_TRAINING_DAYS, 365),
    Kind.RECORDS: (settings.RETAIN_RECORDS_DAYS, 0),
    Kind.SIGN_INS: (settings.RETAIN_SIGN_INS_DAYS, 30),
}


@dataclass(frozen=True)
class Policy:
    """Days each kind is kept (0: kept for ever)."""

    days: dict[Kind, int]

    @classmethod
    def from_settings(cls) -> Policy:
        days = {}
        for kind, (name, default) in PERIODS.items():
            value = settings.get(name, str(default))
            try:
                days[kind] = int(value)
            except ValueError:
                raise ValueError(f"{name} must be a whole number of days, not {value!r}") from None
            if days[kind] < 0:
                raise ValueError(f"{name} must be 0 (keep) or more days, not {value!r}")
        return cls(days)

    @classmethod
    def defaults(cls) -> Policy:
        return cls({kind: default for kind, (_, default) in PERIODS.items()})


@dataclass(frozen=True)
class Due:
    """What one kind has past its period: how many, and the oldest (for a person to check)."""

    kind: Kind
    days: int  # 0: kept
    count: int
    oldest: datetime | None

    @property
    def kept(self) -> bool:
        return self.days == 0


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc)


def _events(tracker: Engine) -> sa.Table | None:
    """Rasa's events table, or None when the tracker store has not made it yet."""
    if not inspect(tracker).has_table(EVENTS_TABLE):
        return None
    table = sa.Table(
        EVENTS_TABLE,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255)),
        sa.Column("timestamp", sa.Float),
    )
    return table


def _stale_conversations(tracker: Engine, cutoff: datetime) -> list[tuple[str, float]]:
    table = _events(tracker)
    if table is None:
        return []
    last = func.max(table.c.timestamp)
    query = (
        select(table.c.sender_id, last)
        .group_by(table.c.sender_id)
        .having(last < cutoff.timestamp())
    )
    with tracker.connect() as connection:
        return [(sender, float(stamp)) for sender, stamp in connection.execute(query)]


def _stamp(value: float) -> datetime:
    return datetime.fromtimestamp(value, timezone.utc)


def _cutoff(policy: Policy, kind: Kind, now: datetime) -> datetime | None:
    days = policy.days[kind]
    return None if days == 0 else now - timedelta(days=days)


def _expired_cohorts(session: Session, cutoff: datetime) -> list[str]:
    return list(session.scalars(select(CohortRow.code).where(CohortRow.created_at < cutoff)))


def _training_runs(codes: Sequence[str], cutoff: datetime) -> Any:
    """The runs of the expired cohorts, and runs outside any cohort older than the cutoff."""
    return sa.or_(
        TrainingRunRow.cohort.in_(codes) if codes else sa.false(),
        sa.and_(TrainingRunRow.cohort.is_(None), TrainingRunRow.created_at < cutoff),
    )


def due(
    records: Engine, tracker: Engine, now: datetime | None = None, policy: Policy | None = None
) -> list[Due]:
    """What :func:`run` would delete now, per kind (nothing is deleted)."""
    now = _now(now)
    policy = policy or Policy.from_settings()
    found: list[Due] = []

    cutoff = _cutoff(policy, Kind.CONVERSATIONS, now)
    stale = _stale_conversations(tracker, cutoff) if cutoff else []
    oldest = min((stamp for _, stamp in stale), default=None)
    found.append(
        Due(
            Kind.CONVERSATIONS,
            policy.days[Kind.CONVERSATIONS],
            len(stale),
            _stamp(oldest) if oldest is not None else None,
        )
    )
    with Session(records) as session:
        cutoff = _cutoff(policy, Kind.ADVICE_REQUESTS, now)
        count, oldest = (0, None)
        if cutoff:
            condition = AdviceRequestRow.closed_at < cutoff
            count, oldest = session.execute(
                select(func.count(), func.min(AdviceRequestRow.closed_at)).where(condition)
            ).one()
        found.append(
            Due(Kind.ADVICE_REQUESTS, policy.days[Kind.ADVICE_REQUESTS], count, _utc(oldest))
        )

        cutoff = _cutoff(policy, Kind.TRAINING, now)
        count, oldest = (0, None)
        if cutoff:
            codes = _expired_cohorts(session, cutoff)
            count, oldest = session.execute(
                select(func.count(), func.min(TrainingRunRow.created_at)).where(
                    _training_runs(codes, cutoff)
                )
            ).one()
            first_cohort = session.scalar(
                select(func.min(CohortRow.created_at)).where(CohortRow.created_at < cutoff)
            )
            oldest = min((_utc(d) for d in (oldest, first_cohort) if d), default=None)
            count += len(codes)  # the cohorts themselves
        found.append(Due(Kind.TRAINING, policy.days[Kind.TRAINING], count, _utc(oldest)))

        cutoff = _cutoff(policy, Kind.RECORDS, now)
        count, oldest = (0, None)
        if cutoff:
            count, oldest = session.execute(
                select(func.count(), func.min(DecisionRecordRow.completed_at)).where(
                    DecisionRecordRow.completed_at < cutoff
                )
            ).one()
        found.append(Due(Kind.RECORDS, policy.days[Kind.RECORDS], count, _utc(oldest)))

        cutoff = _cutoff(policy, Kind.SIGN_INS, now)
        count, oldest = (0, None)
        if cutoff:
            sessions, first_session = session.execute(
                select(func.count(), func.min(HelpdeskSession.last_seen_at)).where(
                    _old_sessions(cutoff)
                )
            ).one()
            failures, first_failure = session.execute(
                select(func.count(), func.min(SignInFailures.first_at)).where(
                    _old_failures(cutoff, now)
                )
            ).one()
            count = sessions + failures
            oldest = min((_utc(d) for d in (first_session, first_failure) if d), default=None)
        found.append(Due(Kind.SIGN_INS, policy.days[Kind.SIGN_INS], count, oldest))
    return found


def _old_sessions(cutoff: datetime) -> Any:
    """Helpdesk sessions not used since the cutoff (long ended: a session lasts hours)."""
    return HelpdeskSession.last_seen_at < cutoff


def _old_failures(cutoff: datetime, now: datetime) -> Any:
    """Wrong-sign-in counters whose window began before the cutoff and that block nothing now."""
    return sa.and_(
        SignInFailures.first_at < cutoff,
        sa.or_(SignInFailures.blocked_until.is_(None), SignInFailures.blocked_until < now),
    )


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite's min() of a text column
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def run(
    records: Engine,
    tracker: Engine,
    actor: str,
    now: datetime | None = None,
    policy: Policy | None = None,
    source: str | None = None,
    audit_empty: bool = True,
) -> dict[Kind, int]:
    """Delete what is past its period; how many per kind (a conversation counts once, whatever
    its events; training counts runs and cohorts, a cohort's answers going with it). One
    ``retention.run`` audit entry says how many of each (and the periods), never what they
    held; with ``audit_empty`` False (the hourly job) a run that deleted nothing writes none."""
    now = _now(now)
    policy = policy or Policy.from_settings()
    deleted = {kind: 0 for kind in Kind}

    cutoff = _cutoff(policy, Kind.CONVERSATIONS, now)
    table = _events(tracker) if cutoff else None
    if cutoff and table is not None:
        senders = [sender for sender, _ in _stale_conversations(tracker, cutoff)]
        for start in range(0, len(senders), _BATCH):
            batch = senders[start : start + _BATCH]
            with tracker.begin() as connection:
                # the last event is checked again: a conversation that went on since stays
                still_stale = (
                    select(table.c.sender_id)
                    .where(table.c.sender_id.in_(batch))
                    .group_by(table.c.sender_id)
                    .having(func.max(table.c.timestamp) < cutoff.timestamp())
                )
                gone = list(connection.scalars(still_stale))
                if gone:
                    connection.execute(delete(table).where(table.c.sender_id.in_(gone)))
                deleted[Kind.CONVERSATIONS] += len(gone)

    with Session(records) as session, session.begin():
        cutoff = _cutoff(policy, Kind.ADVICE_REQUESTS, now)
        if cutoff:
            result = session.execute(
                delete(AdviceRequestRow).where(AdviceRequestRow.closed_at < cutoff)
            )
            deleted[Kind.ADVICE_REQUESTS] = result.rowcount or 0
        cutoff = _cutoff(policy, Kind.TRAINING, now)
        if cutoff:
            codes = _expired_cohorts(session, cutoff)
            result = session.execute(
                delete(TrainingRunRow)
                .where(_training_runs(codes, cutoff))
                .execution_options(synchronize_session=False)
            )
            deleted[Kind.TRAINING] = result.rowcount or 0
            if codes:
                session.execute(
                    delete(TrainingAnswerRow)
                    .where(TrainingAnswerRow.cohort.in_(codes))
                    .execution_options(synchronize_session=False)
                )
                session.execute(
                    delete(CohortRow)
                    .where(CohortRow.code.in_(codes))
                    .execution_options(synchronize_session=False)
                )
                deleted[Kind.TRAINING] += len(codes)
        cutoff = _cutoff(policy, Kind.RECORDS, now)
        if cutoff:
            result = session.execute(
                delete(DecisionRecordRow).where(DecisionRecordRow.completed_at < cutoff)
            )
            deleted[Kind.RECORDS] = result.rowcount or 0
        cutoff = _cutoff(policy, Kind.SIGN_INS, now)
        if cutoff:
            sessions = session.execute(delete(HelpdeskSession).where(_old_sessions(cutoff)))
            failures = session.execute(delete(SignInFailures).where(_old_failures(cutoff, now)))
            deleted[Kind.SIGN_INS] = (sessions.rowcount or 0) + (failures.rowcount or 0)

    if not audit_empty and not any(deleted.values()):
        return deleted
    detail = {
        "deleted": {kind.value: deleted[kind] for kind in Kind},
        "days": {kind.value: policy.days[kind] for kind in Kind},
    }
    AuditLog(records).add(
        actor, "retention.run", None, json.dumps(detail, sort_keys=True), source or actor
    )
    return deleted


def engines(records_url: str | None = None) -> tuple[Engine, Engine]:
    """The records' engine and the tracker store's (``TRACKER_DATABASE_URL``, else the same)."""
    records = make_engine(records_url)
    configured = settings.get(settings.TRACKER_DATABASE_URL)
    if not configured or make_url(normalise_url(configured)) == records.url:
        return records, records
    return records, make_engine(normalise_url(configured))


def start_hourly(
    engines: Callable[[], tuple[Engine, Engine]],
    interval: float = HOUR,
    stop: threading.Event | None = None,
) -> threading.Thread:
    """A daemon thread running :func:`run` every ``interval`` seconds (the first run at once),
    as ``system:retention``, until ``stop`` is set. A failed run is logged and tried again at
    the next hour."""
    stop = stop or threading.Event()

    def job() -> None:
        while True:
            try:
                records, tracker = engines()
                deleted = run(
                    records,
                    tracker,
                    "system:retention",
                    source="action-server",
                    audit_empty=False,
                )
                logger.info(
                    "retention: deleted %s",
                    ", ".join(f"{n} {kind.value}" for kind, n in deleted.items()),
                )
            except Exception:  # noqa: BLE001 - never let the thread die
                logger.exception("retention: the run failed; trying again in an hour")
            if stop.wait(interval):
                return

    thread = threading.Thread(target=job, name="retention", daemon=True)
    thread.start()
    return thread


# --- erasure on request -------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationErased:
    events: int  # the tracker store's rows deleted
    outbox_files: int  # drafts (and saved markers) of its records waiting in the outbox
    advice_requests: int  # its requests that lost their way back to it


def erase_conversation(
    records: Engine, tracker: Engine, sender: str, actor: str, outbox: Outbox | None = None
) -> ConversationErased:
    """Erase conversation ``sender``: its events in the tracker store, its drafts waiting in
    the outbox, and the way back to it from its advice requests (``conversation_id`` emptied,
    ``reply_to`` nulled; the de-identified request stays). Audited as ``conversation.erase`` with
    the counts, the conversation itself not named (the entry would keep what was erased)."""
    if not sender or not sender.strip():
        raise ValueError("which conversation? (the sender id)")
    events = 0
    table = _events(tracker)
    if table is not None:
        with tracker.begin() as connection:
            events = connection.execute(delete(table).where(table.c.sender_id == sender)).rowcount
    outbox = outbox or Outbox()
    stem = [*outbox.waiting(sender)]
    if outbox.directory.is_dir():
        stem += sorted(outbox.directory.glob(f"{outbox_stem(sender)}-*.saved"))
    for path in stem:
        path.unlink(missing_ok=True)
    with Session(records) as session, session.begin():
        requests = session.execute(
            sa.update(AdviceRequestRow)
            .where(AdviceRequestRow.conversation_id == sender)
            .values(conversation_id="", reply_to=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    erased = ConversationErased(events or 0, len(stem), requests or 0)
    detail = {"events": erased.events, "outbox_files": erased.outbox_files}
    detail["advice_requests"] = erased.advice_requests
    AuditLog(records).add(actor, "conversation.erase", None, json.dumps(detail), "cli")
    return erased


def erase_record(records: Engine, reference: str, actor: str, why: str) -> Any:
    """A lead's decision: record ``reference`` erased (a tombstone kept:
    :meth:`RecordRepository.erase`), its advice request deleted (it holds the same case), and
    the erasure audited as ``record.erase`` with the reason. None for an unknown reference."""
    repository = RecordRepository(records)
    record = repository.erase(reference, actor, why)
    if record is None:
        return None
    with Session(records) as session, session.begin():
        session.execute(
            delete(AdviceRequestRow).where(AdviceRequestRow.reference == record.reference)
        )
    AuditLog(records).add(actor, "record.erase", record.reference, record.erased_why, "cli")
    return record
