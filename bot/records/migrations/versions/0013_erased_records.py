"""Erasure on request: decision_records.erased_at, erased_by and erased_why.

``infoshare records erase REFERENCE --reason "…"`` (a lead's decision) removes a record's content
and keeps a tombstone: the reference, that it was erased, when, by whom and why. Null on every
record not erased.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.records.models import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("decision_records") as batch:
        batch.add_column(sa.Column("erased_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("erased_by", sa.String(length=96), nullable=True))
        batch.add_column(sa.Column("erased_why", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decision_records") as batch:
        batch.drop_column("erased_why")
        batch.drop_column("erased_by")
        batch.drop_column("erased_at")
