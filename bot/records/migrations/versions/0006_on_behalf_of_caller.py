"""Checks run by helpdesk staff for a caller: decision_records.made_by, on_behalf_of_caller.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("decision_records") as batch:
        batch.add_column(sa.Column("made_by", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column(
                "on_behalf_of_caller", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("decision_records") as batch:
        batch.drop_column("on_behalf_of_caller")
        batch.drop_column("made_by")
