"""appointments: planned sessions, their outcomes, and each counsellor's calendar feed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

``practice_appointment`` holds sessions planned with a case (start, length, mode) and what
became of each: attended (linked to the session record made from it), cancelled (by whom, when
the notice came, whether late) or a no-show. ``practice_calendar_feed`` keeps the SHA-256 of each
counsellor's private calendar feed secret, never the secret itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practice_calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["practice_staff.id"],
            name=op.f("fk_practice_calendar_feed_staff_id_practice_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_calendar_feed")),
        sa.UniqueConstraint("staff_id", name=op.f("uq_practice_calendar_feed_staff_id")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_practice_calendar_feed_token_sha256")),
    )
    op.create_table(
        "practice_appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("duration_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("cancelled_by", sa.String(length=10), nullable=True),
        sa.Column("notice_at", sa.DateTime(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("outcome_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome_at", sa.DateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'cancelled' AND cancelled_by IS NOT NULL AND late IS NOT NULL "
            "AND notice_at IS NOT NULL) OR (status <> 'cancelled' AND cancelled_by IS NULL "
            "AND late IS NULL AND notice_at IS NULL)",
            name=op.f("ck_practice_appointment_cancellation"),
        ),
        sa.CheckConstraint(
            "cancelled_by IS NULL OR "
            "cancelled_by IN ('partner_a', 'partner_b', 'both', 'counsellor')",
            name=op.f("ck_practice_appointment_cancelled_by"),
        ),
        sa.CheckConstraint(
            "mode IN ('in_person', 'video', 'phone')", name=op.f("ck_practice_appointment_mode")
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'attended', 'cancelled', 'no_show')",
            name=op.f("ck_practice_appointment_status"),
        ),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 1 AND 600", name=op.f("ck_practice_appointment_duration")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["practice_case.id"],
            name=op.f("fk_practice_appointment_case_id_practice_case"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["practice_staff.id"],
            name=op.f("fk_practice_appointment_created_by_id_practice_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["outcome_by_id"],
            ["practice_staff.id"],
            name=op.f("fk_practice_appointment_outcome_by_id_practice_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["practice_session.id"],
            name=op.f("fk_practice_appointment_session_id_practice_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_appointment")),
        sa.UniqueConstraint("session_id", name=op.f("uq_practice_appointment_session_id")),
    )
    with op.batch_alter_table("practice_appointment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_practice_appointment_case_starts", ["case_id", "starts_at"], unique=False
        )
        batch_op.create_index(
            "ix_practice_appointment_status_starts", ["status", "starts_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_appointment_status_starts")
        batch_op.drop_index("ix_practice_appointment_case_starts")

    op.drop_table("practice_appointment")
    op.drop_table("practice_calendar_feed")
