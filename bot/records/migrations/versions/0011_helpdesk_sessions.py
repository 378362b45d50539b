"""Server-side helpdesk sessions (revocable) and sign-in failures counted by name and address.

The accounts' own failure count and lock (``failed_sign_ins``, ``locked_until``) go: they were
counted per known name only, with no row lock; ``sign_in_failures`` counts every name typed and
every source address atomically (bot/helpdesk/throttle.py). Sessions signed before this
migration (cookies with the name and role in them) are no longer accepted: sign in again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.records.models import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "helpdesk_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_why", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_helpdesk_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_helpdesk_sessions_secret_hash")),
    )
    op.create_index(
        op.f("ix_helpdesk_sessions_user_name"), "helpdesk_sessions", ["user_name"], unique=False
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("blocked_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_failures")),
    )
    with op.batch_alter_table("helpdesk_users") as batch:
        batch.drop_column("failed_sign_ins")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("helpdesk_users") as batch:
        batch.add_column(sa.Column("locked_until", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("failed_sign_ins", sa.Integer(), server_default="0", nullable=False)
        )
    op.drop_table("sign_in_failures")
    op.drop_index(op.f("ix_helpdesk_sessions_user_name"), table_name="helpdesk_sessions")
    op.drop_table("helpdesk_sessions")
