"""The audit log: who read or changed which record or advice request, when, from where.

Every surface that shows or changes records writes here — the API, the helpdesk pages, the
printable summary, the CLI's ``records show`` and ``records export`` — and ``infoshare audit list``
and the lead's helpdesk page read it. There is no way to change or delete an entry: this module
only adds and lists, and the table refuses UPDATE and DELETE (Alembic revision 0005).

A list, an export or a panel of alike cases records the references it returned, in
``audit_references`` linked to its entry (:meth:`AuditLog.add`'s ``references``): the entries
for one reference (:meth:`AuditLog.list`) include every list that showed it.

A failure to write the audit entry refuses the read: what cannot be logged is not shown.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.future import Engine
from sqlalchemy.orm import Session

from bot.helpdesk.models import AuditEntry, AuditReference
from bot.records.models import as_utc

ACTIONS = (
    "record.read",
    "record.list",
    "record.export",
    "advice.read",
    "advice.list",
    "advice.alike",  # the answered requests shown beside one (its references linked)
    "advice.claim",
    "advice.answer",
    "report.read",
    "audit.read",
    # Rasa's HTTP API on a conversation (INFOSHARE_HTTP_API=on): bot/web/api.py
    "conversation.read",
    "conversation.change",
    # helpdesk accounts changed from the command line (each ends the account's sessions)
    "user.disable",
    "user.enable",
    "user.password",
    "user.role",
    "user.sign-out",
    # data protection (bot/retention.py, bot/cli.py): counts and references, never content
    "retention.run",
    "conversation.erase",
    "record.erase",
)
MAX_DETAIL = 2000


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    action: str
    reference: str | None
    detail: str | None
    source: str | None
    shown: int = 0  # how many references the entry's list showed (AuditLog.references)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "at": self.at.isoformat()}


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "cli"


def describe(filters: Mapping[str, Any], count: int | None = None) -> str:
    """A list's filters (and how many rows it gave) as the entry's detail."""
    shown = {k: v for k, v in filters.items() if v not in (None, "")}
    if count is not None:
        shown["rows"] = count
    return json.dumps(shown, default=str, ensure_ascii=False, sort_keys=True)


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(
        self,
        actor: str,
        action: str,
        reference: str | None = None,
        detail: str | None = None,
        source: str | None = None,
        references: Iterable[str] = (),
    ) -> None:
        """Log one read or change; ``references``: what a list, an export or a panel showed."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        entry = AuditEntry(
            actor=actor[:96],
            action=action,
            reference=(reference or None) and reference[:32],
            detail=(detail or None) and detail[:MAX_DETAIL],
            source=(source or None) and source[:128],
        )
        shown = sorted({str(r)[:32] for r in references if r})
        with Session(self.engine) as session, session.begin():
            session.add(entry)
            if shown:
                session.flush()
                session.execute(
                    insert(AuditReference),
                    [{"entry_id": entry.id, "reference": r} for r in shown],
                )

    def references(self, entry_id: int) -> list[str]:
        """The references entry ``entry_id``'s list showed."""
        query = select(AuditReference.reference).where(AuditReference.entry_id == entry_id)
        with Session(self.engine) as session:
            return list(session.scalars(query.order_by(AuditReference.reference)))

    def list(
        self,
        reference: str | None = None,
        since: datetime | None = None,
        actor: str | None = None,
        limit: int = 200,
    ) -> list[Entry]:
        """Entries, newest first; for a ``reference``, those about it and every list, export or
        panel that showed it."""
        shown = (
            select(func.count())
            .where(AuditReference.entry_id == AuditEntry.id)
            .correlate(AuditEntry)
            .scalar_subquery()
        )
        query = select(AuditEntry, shown)
        if reference:
            listed = select(AuditReference.entry_id).where(AuditReference.reference == reference)
            query = query.where(or_(AuditEntry.reference == reference, AuditEntry.id.in_(listed)))
        if since is not None:
            query = query.where(AuditEntry.at >= as_utc(since))
        if actor:
            query = query.where(AuditEntry.actor == actor)
        query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(max(limit, 1))
        with Session(self.engine) as session:
            return [
                Entry(r.id, r.at, r.actor, r.action, r.reference, r.detail, r.source, count)
                for r, count in session.execute(query)
            ]
