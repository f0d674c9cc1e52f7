"""integrity: who voided a session or a moment

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Clinical rows are voided with a reason, never deleted; these record who voided them.
TABLES = ("practice_session", "practice_moment")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("voided_by_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                f"fk_{table}_voided_by_id_practice_staff",
                "practice_staff",
                ["voided_by_id"],
                ["id"],
            )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_voided_by_id_practice_staff", type_="foreignkey")
            batch_op.drop_column("voided_by_id")
