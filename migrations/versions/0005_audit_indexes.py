"""audit log indexes for the admin search: (action, id), (actor_id, id), (case_id, id)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

The audit page reads newest first and filters by action, actor or case; a two-column index
serves the filter and the order together, and makes the single-column ones redundant.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("action", "actor_id", "case_id")


def upgrade() -> None:
    with op.batch_alter_table("practice_audit_event", schema=None) as batch_op:
        for column in _COLUMNS:
            batch_op.drop_index(f"ix_practice_audit_event_{column}")
            batch_op.create_index(f"ix_practice_audit_event_{column}_id", [column, "id"])


def downgrade() -> None:
    with op.batch_alter_table("practice_audit_event", schema=None) as batch_op:
        for column in _COLUMNS:
            batch_op.drop_index(f"ix_practice_audit_event_{column}_id")
            batch_op.create_index(f"ix_practice_audit_event_{column}", [column])
