"""Create decision_records.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "decision_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=True),
        sa.Column("conversation_id", sa.String(length=512), nullable=False),
        sa.Column("check_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("protocol", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("information", sa.Text(), nullable=True),
        sa.Column("recipient", sa.Text(), nullable=True),
        sa.Column("purpose_text", sa.Text(), nullable=True),
        sa.Column("public_interest_reason", sa.Text(), nullable=True),
        sa.Column("checks", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("advice_needed_at", sa.String(length=64), nullable=True),
        sa.Column("safeguarding_concern", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("golden_rules", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_records")),
        sa.UniqueConstraint("reference", name=op.f("uq_decision_records_reference")),
        sa.UniqueConstraint(
            "conversation_id", "check_id", name=op.f("uq_decision_records_conversation_id_check_id")
        ),
    )
    op.create_index(op.f("ix_decision_records_completed_at"), "decision_records", ["completed_at"])
    op.create_index(op.f("ix_decision_records_outcome"), "decision_records", ["outcome"])


def downgrade() -> None:
    op.drop_index(op.f("ix_decision_records_outcome"), table_name="decision_records")
    op.drop_index(op.f("ix_decision_records_completed_at"), table_name="decision_records")
    op.drop_table("decision_records")
