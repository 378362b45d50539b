"""Decision records: storage, migrations and export.

Importing this package creates nothing: engines come from :func:`make_engine`, the schema from
:func:`upgrade` (Alembic), and a :class:`RecordRepository` is built around an engine by the caller.
"""

from bot.records.db import database_url, make_engine
from bot.records.export import to_csv, to_json
from bot.records.migrate import NotMigratedError, ensure_migrated, upgrade
from bot.records.repository import (
    OUTCOMES,
    DecisionRecord,
    RecordDraft,
    RecordRepository,
    normalise_reference,
)

__all__ = [
    "OUTCOMES",
    "DecisionRecord",
    "NotMigratedError",
    "RecordDraft",
    "RecordRepository",
    "database_url",
    "ensure_migrated",
    "make_engine",
    "normalise_reference",
    "to_csv",
    "to_json",
    "upgrade",
]
