"""goals: structured treatment goals of a case and each partner's 0-10 ratings of them

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04

``practice_treatment_goal``: a case's goal (title, description, whose: shared or one partner's,
opened on, status active/achieved/dropped with its day); never deleted, retired by its status.
``practice_goal_rating``: one partner's 0-10 rating of a goal at a session (editable until the
note is signed) or in their check-in (``checkin_id``, the check-ins area's id; append-only).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    table = "practice_treatment_goal"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("status_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'achieved', 'dropped')", name=op.f(f"ck_{table}_status")
        ),
        sa.CheckConstraint(
            "(status = 'active') = (status_on IS NULL)",
            name=op.f(f"ck_{table}_status_on_when_retired"),
        ),
        _fk(table, "case_id", "practice_case"),
        _fk(table, "owner_id", "practice_partner"),
        _fk(table, "created_by_id", "practice_staff"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_case_id"), ["case_id"], unique=False)

    table = "practice_goal_rating"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("checkin_id", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 0 AND 10", name=op.f(f"ck_{table}_rating")),
        sa.CheckConstraint("source IN ('session', 'checkin')", name=op.f(f"ck_{table}_source")),
        sa.CheckConstraint(
            "(session_id IS NULL) <> (checkin_id IS NULL)",
            name=op.f(f"ck_{table}_session_or_checkin"),
        ),
        _fk(table, "goal_id", "practice_treatment_goal"),
        _fk(table, "case_id", "practice_case"),
        _fk(table, "partner_id", "practice_partner"),
        _fk(table, "session_id", "practice_session"),
        _fk(table, "recorded_by_id", "practice_staff"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(
            "session_id", "goal_id", "partner_id", name=op.f(f"uq_{table}_session_id")
        ),
        sa.UniqueConstraint(
            "checkin_id", "goal_id", "partner_id", name=op.f(f"uq_{table}_checkin_id")
        ),
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{table}_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{table}_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{table}_checkin_id"), ["checkin_id"], unique=False)


def downgrade() -> None:
    table = "practice_goal_rating"
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in ("checkin_id", "session_id", "case_id", "goal_id"):
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
    op.drop_table(table)
    table = "practice_treatment_goal"
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{table}_case_id"))
    op.drop_table(table)
