"""Decision records: storage, migrations and export.

Importing this package creates nothing: engines come from :func:`make_engine`, the schema from
:func:`upgrade` (Alembic), and a :class:`RecordRepository` is built around an engine by the caller.
"""

from functools import lru_cache

from bot.records.db import database_url, make_engine
from bot.records.export import to_csv, to_json
from bot.records.migrate import NotMigratedError, ensure_migrated, upgrade
from bot.records.repository import (
    OUTCOMES,
    DecisionRecord,
    RecordDraft,
    RecordFilter,
    RecordRepository,
    normalise_reference,
)


def draft_from_check(*args, **kwargs):  # noqa: ANN002, ANN003 - see bot.records.draft
    """The record draft of a finished check (bot/records/draft.py)."""
    from bot.records.draft import draft_from_check as build

    return build(*args, **kwargs)


@lru_cache(maxsize=1)
def default_repository() -> RecordRepository:
    """The process's repository on ``DATABASE_URL``, created on first use (never at import)."""
    return RecordRepository(make_engine())


__all__ = [
    "OUTCOMES",
    "DecisionRecord",
    "NotMigratedError",
    "RecordDraft",
    "RecordFilter",
    "RecordRepository",
    "database_url",
    "default_repository",
    "draft_from_check",
    "ensure_migrated",
    "make_engine",
    "normalise_reference",
    "to_csv",
    "to_json",
    "upgrade",
]
