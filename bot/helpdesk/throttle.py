"""Wrong sign-ins, counted by the name typed and by the source address, atomically.

Two keys are counted for every failed sign-in: ``name:<the name's SHA-256>`` — any name, known
or not, so that a name that exists is limited exactly like one that does not (the count says
nothing about which names exist; the name itself is not stored) — and ``address:<client
address>``. When a key reaches its limit it is blocked for
:data:`BLOCK_MINUTES`, and a blocked key refuses every sign-in, the right password included.

A count is one statement, ``UPDATE … SET failures = failures + 1`` (after an INSERT … ON
CONFLICT DO NOTHING for a new key), and is read back in the same transaction: PostgreSQL holds
the row's lock until the commit and SQLite the database's, so parallel guesses queue up and
none overwrites another's count (before, each read the count, added one and wrote it back).

The limits are settings (docs/deployment.md): ``INFOSHARE_SIGN_IN_NAME_LIMIT`` (5 wrong
passwords for one name) and ``INFOSHARE_SIGN_IN_ADDRESS_LIMIT`` (50 from one address, all names
together: an office behind one address has room for its people's typing errors), counted over
:data:`BLOCK_MINUTES`; a count older than that starts again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.future import Engine
from sqlalchemy.orm import Session

from bot import settings
from bot.helpdesk.models import SignInFailures

BLOCK_MINUTES = 15
DEFAULT_NAME_LIMIT = 5
DEFAULT_ADDRESS_LIMIT = 50


def _now() -> datetime:
    return datetime.now(timezone.utc)


def name_limit() -> int:
    return max(1, int(settings.number(settings.SIGN_IN_NAME_LIMIT, DEFAULT_NAME_LIMIT)))


def address_limit() -> int:
    return max(1, int(settings.number(settings.SIGN_IN_ADDRESS_LIMIT, DEFAULT_ADDRESS_LIMIT)))


def name_key(name: str) -> str:
    """The key the wrong sign-ins as ``name`` are counted under (known names and others alike):
    the name's SHA-256, not the name — what was typed in the name box may be anything (a
    password typed in the wrong box), and nothing a person typed is stored as typed."""
    digest = hashlib.sha256(name.strip().lower()[:64].encode("utf-8")).hexdigest()
    return f"name:{digest}"


def keys(name: str, address: str | None) -> dict[str, int]:
    """The keys a sign-in as ``name`` from ``address`` counts against, with their limits."""
    found = {name_key(name): name_limit()}
    if address:
        found[f"address:{address[:128]}"] = address_limit()
    return found


class Throttle:
    """The ``sign_in_failures`` table of the records database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def blocked(self, names: Iterable[str], now: datetime | None = None) -> bool:
        """Whether any of the keys ``names`` is blocked at ``now``."""
        now = now or _now()
        with Session(self.engine) as session:
            rows = session.scalars(select(SignInFailures).where(SignInFailures.key.in_(names)))
            return any(row.blocked_until and row.blocked_until > now for row in rows)

    def blocked_until(self, key: str) -> datetime | None:
        with Session(self.engine) as session:
            row = session.get(SignInFailures, key)
            return row.blocked_until if row else None

    def failed(self, limits: dict[str, int], now: datetime | None = None) -> None:
        """Count one failure against each key of ``limits`` ({key: limit}); block the keys that
        reach their limit."""
        now = now or _now()
        window = timedelta(minutes=BLOCK_MINUTES)
        for key, limit in sorted(limits.items()):  # one order everywhere: no deadlock
            with Session(self.engine) as session, session.begin():
                session.execute(self._insert(key, now))
                table = SignInFailures.__table__
                # a count older than the window starts again (in the same statement)
                session.execute(
                    update(table)
                    .where(table.c.key == key, table.c.first_at < now - window)
                    .values(failures=0, first_at=now)
                )
                session.execute(
                    update(table).where(table.c.key == key).values(failures=table.c.failures + 1)
                )
                count = session.scalar(select(table.c.failures).where(table.c.key == key))
                if count >= limit:
                    session.execute(
                        update(table)
                        .where(table.c.key == key)
                        .values(failures=0, first_at=now, blocked_until=now + window)
                    )

    def succeeded(self, name: str) -> None:
        """A right password for ``name`` (not blocked): its count starts again. The address's
        count stays: one good sign-in does not wipe out another name's guesses."""
        with Session(self.engine) as session, session.begin():
            table = SignInFailures.__table__
            session.execute(table.delete().where(table.c.key == name_key(name)))

    def _insert(self, key: str, now: datetime):  # noqa: ANN202 - a dialect's insert
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return (
            dialect.insert(SignInFailures.__table__)
            .values(key=key, failures=0, first_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
