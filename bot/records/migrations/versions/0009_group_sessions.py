"""Group mode: a cohort's live scenario and its trainees' answers as they are given.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.records.models import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("cohorts") as batch:
        batch.add_column(sa.Column("live_scenario", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("revealed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "training_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cohort", sa.String(length=16), nullable=False),
        sa.Column("scenario", sa.Integer(), nullable=False),
        sa.Column("trainee", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_answers")),
        sa.UniqueConstraint(
            "cohort",
            "scenario",
            "trainee",
            "key",
            name=op.f("uq_training_answers_cohort_scenario_trainee_key"),
        ),
    )


def downgrade() -> None:
    op.drop_table("training_answers")
    with op.batch_alter_table("cohorts") as batch:
        batch.drop_column("revealed")
        batch.drop_column("live_scenario")
