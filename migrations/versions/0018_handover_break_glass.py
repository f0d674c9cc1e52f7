"""hand-over and break-glass: case reassignments, administrators' time-limited reads

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

``practice_case_assignment``: one row each time a case passes from one counsellor to another
(at a deactivation or by a reassignment), with who did it and the reason; shown in the case's
history. ``practice_break_glass``: an administrator's read of one case's clinical record, with
its reason and end; the counsellor acknowledges having seen it. Rows of neither are changed
but for the acknowledgement, nor deleted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _staff_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["practice_staff.id"], name=op.f(f"fk_{table}_{column}_practice_staff")
    )


def upgrade() -> None:
    table = "practice_case_assignment"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_counsellor_id", sa.Integer(), nullable=False),
        sa.Column("to_counsellor_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["practice_case.id"], name=op.f(f"fk_{table}_case_id_practice_case")
        ),
        _staff_fk(table, "from_counsellor_id"),
        _staff_fk(table, "to_counsellor_id"),
        _staff_fk(table, "assigned_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_case_id"), ["case_id"], unique=False)

    table = "practice_break_glass"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["practice_case.id"], name=op.f(f"fk_{table}_case_id_practice_case")
        ),
        _staff_fk(table, "admin_id"),
        _staff_fk(table, "acknowledged_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{table}_admin_id"), ["admin_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("practice_break_glass", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_break_glass_admin_id"))
        batch_op.drop_index(batch_op.f("ix_practice_break_glass_case_id"))
    op.drop_table("practice_break_glass")
    with op.batch_alter_table("practice_case_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_case_assignment_case_id"))
    op.drop_table("practice_case_assignment")
