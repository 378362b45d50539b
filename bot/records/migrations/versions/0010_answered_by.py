"""Add decision_records.answered_by: how each answer was reached, by step key.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Null on the records saved before: they read as "not recorded".
    with op.batch_alter_table("decision_records") as batch:
        batch.add_column(sa.Column("answered_by", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decision_records") as batch:
        batch.drop_column("answered_by")
