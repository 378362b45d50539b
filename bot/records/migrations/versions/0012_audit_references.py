"""The references each audited list, export or alike-cases panel returned, linked to its entry.

Append-only like ``audit_log`` (revision 0005): triggers refuse UPDATE and DELETE on SQLite and
PostgreSQL alike.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

_REFUSE = "the audit log is append-only"


def upgrade() -> None:
    op.create_table(
        "audit_references",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["audit_log.id"], name=op.f("fk_audit_references_entry_id_audit_log")
        ),
        sa.PrimaryKeyConstraint("entry_id", "reference", name=op.f("pk_audit_references")),
    )
    op.create_index(
        op.f("ix_audit_references_reference"), "audit_references", ["reference"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        # the function made by revision 0005 raises the same refusal
        op.execute(
            "CREATE TRIGGER audit_references_append_only BEFORE UPDATE OR DELETE ON "
            "audit_references FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_references_no_{event.lower()} BEFORE {event} ON "
                f"audit_references BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_references_append_only ON audit_references")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_references_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_references_no_delete")
    op.drop_index(op.f("ix_audit_references_reference"), table_name="audit_references")
    op.drop_table("audit_references")
