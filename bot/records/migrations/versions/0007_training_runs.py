"""Training runs: trainees' practice of scenarios, apart from the decision records.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.records.models import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "training_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=True),
        sa.Column("scenario", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.String(length=64), nullable=False),
        sa.Column("trainee", sa.String(length=64), nullable=False),
        sa.Column("cohort", sa.String(length=32), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("model_path", sa.JSON(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_runs")),
        sa.UniqueConstraint("reference", name=op.f("uq_training_runs_reference")),
    )
    op.create_index(op.f("ix_training_runs_scenario"), "training_runs", ["scenario"])
    op.create_index(op.f("ix_training_runs_cohort"), "training_runs", ["cohort"])


def downgrade() -> None:
    op.drop_index(op.f("ix_training_runs_cohort"), table_name="training_runs")
    op.drop_index(op.f("ix_training_runs_scenario"), table_name="training_runs")
    op.drop_table("training_runs")
