"""The ``decision_records`` table (schema changes go through Alembic: ``migrations/versions``)."""

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


class DecisionRecordRow(Base):
    """One finished check (or one check that ended in "seek advice"), as stored."""

    __tablename__ = "decision_records"
    __table_args__ = (UniqueConstraint("conversation_id", "check_id"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    # ISD-000123, derived from ``id`` in the inserting transaction (NULL only inside it).
    reference = Column(String(32), unique=True, nullable=True)
    conversation_id = Column(String(512), nullable=False)
    check_id = Column(String(128), nullable=False)
    channel = Column(String(64), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    completed_at = Column(UTCDateTime(), nullable=False, index=True)
    protocol = Column(String(32), nullable=False)
    outcome = Column(String(32), nullable=False, index=True)
    path = Column(JSON, nullable=False)
    answers = Column(JSON, nullable=False)
    information = Column(Text, nullable=True)
    recipient = Column(Text, nullable=True)
    purpose_text = Column(Text, nullable=True)
    public_interest_reason = Column(Text, nullable=True)
    checks = Column(JSON(none_as_null=True), nullable=True)
    advice_needed_at = Column(String(64), nullable=True)
    safeguarding_concern = Column(Boolean, nullable=False, default=False, server_default=false())
    reasons = Column(Text, nullable=True)
    golden_rules = Column(JSON, nullable=False)

    def __repr__(self) -> str:
        return f"<DecisionRecordRow {self.reference or self.id} {self.outcome}>"
