"""Checks continued after the helpdesk's advice, and the answer's way back.

- ``decision_records.continues``: the ``seek_advice`` record a check continues;
- ``decision_records.advice``: the helpdesk's advice it was given;
- ``advice_requests.reply_to``: where a proactive answer goes (a Teams conversation reference);
- ``advice_requests.delivered_at``: when the answer was shown to the practitioner.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.records.models import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("decision_records") as batch:
        batch.add_column(sa.Column("continues", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("advice", sa.JSON(none_as_null=True), nullable=True))
        batch.create_index("ix_decision_records_continues", ["continues"])
    with op.batch_alter_table("advice_requests") as batch:
        batch.add_column(sa.Column("reply_to", sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("delivered_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("advice_requests") as batch:
        batch.drop_column("delivered_at")
        batch.drop_column("reply_to")
    with op.batch_alter_table("decision_records") as batch:
        batch.drop_index("ix_decision_records_continues")
        batch.drop_column("advice")
        batch.drop_column("continues")
