"""The ``decision_records`` table, built from the declared fields (bot/records/fields.py).

Schema changes go through Alembic (``migrations/versions``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base

from bot.records.fields import FIELDS, FieldKind, RecordField

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
Base = declarative_base(metadata=metadata)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on PostgreSQL (timestamptz) and SQLite (naive text) alike.

    Naive datetimes given by callers are taken to be UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _column(field: RecordField) -> Column:
    """The column of one declared field (bot/records/fields.py)."""
    kind = field.kind
    if kind is FieldKind.IDENTIFIER or kind is FieldKind.OUTCOME or kind is FieldKind.KEY:
        return Column(
            String(field.max_length or 64),
            nullable=field.nullable and not field.required,
            unique=not field.stored,  # the reference
            index=field.index,
        )
    if kind is FieldKind.WHEN:
        return Column(UTCDateTime(), nullable=False, index=field.index)
    if kind is FieldKind.TEXT:
        return Column(Text, nullable=True)
    if kind is FieldKind.FLAG:
        return Column(Boolean, nullable=False, default=False, server_default=false())
    if kind in (FieldKind.KEYS, FieldKind.ANSWERS, FieldKind.RULES):
        return Column(JSON, nullable=False)
    return Column(JSON(none_as_null=True), nullable=True)  # CHECKS, NOTES, ADVICE, ANSWERED_BY


def _row_class() -> type:
    namespace: dict[str, Any] = {
        "__tablename__": "decision_records",
        "__table_args__": (UniqueConstraint("conversation_id", "check_id"),),
        "__doc__": "One finished check (or one that ended in seek advice), as stored.",
        "id": Column(Integer, primary_key=True, autoincrement=True),
        "__repr__": lambda self: f"<DecisionRecordRow {self.reference or self.id} {self.outcome}>",
    }
    for field in FIELDS:
        namespace[field.name] = _column(field)
    # Erased on request (infoshare records erase; revision 0013): the content is removed, the row
    # kept as a tombstone saying when, by whom and why. Not record fields: an erased record's
    # to_dict() says so instead of giving its content (repository.py).
    namespace["erased_at"] = Column(UTCDateTime(), nullable=True)
    namespace["erased_by"] = Column(String(96), nullable=True)
    namespace["erased_why"] = Column(Text, nullable=True)
    return type("DecisionRecordRow", (Base,), namespace)


# The reference (ISD-000123) is derived from ``id`` in the inserting transaction (NULL only
# inside it).
DecisionRecordRow: Any = _row_class()
