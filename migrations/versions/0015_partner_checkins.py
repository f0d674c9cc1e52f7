"""partner check-ins: one-use links per partner, what partners send through them, and CSI-4
answers that come from a check-in rather than a session

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

A link stores the SHA-256 of its token only. A check-in is append-only: its breaks and its
answers about each assigned script hang off it. ``practice_measure_response`` gains ``source``
("session", as every existing row is, or "check-in"); a check-in's CSI-4 has no session.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practice_checkin_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("emailed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["practice_case.id"],
            name=op.f("fk_practice_checkin_link_case_id_practice_case"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["practice_staff.id"],
            name=op.f("fk_practice_checkin_link_issued_by_id_practice_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["practice_partner.id"],
            name=op.f("fk_practice_checkin_link_partner_id_practice_partner"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["practice_staff.id"],
            name=op.f("fk_practice_checkin_link_revoked_by_id_practice_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_checkin_link")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_practice_checkin_link_token_sha256")),
    )
    with op.batch_alter_table("practice_checkin_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_checkin_link_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_practice_checkin_link_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "practice_checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("pattern_count", sa.SmallInteger(), nullable=False),
        sa.Column("hardest_moment", sa.SmallInteger(), nullable=False),
        sa.Column("felt_afraid", sa.Boolean(), nullable=False),
        sa.Column("csi4_response_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "hardest_moment BETWEEN 0 AND 10", name=op.f("ck_practice_checkin_hardest_moment")
        ),
        sa.CheckConstraint(
            "pattern_count BETWEEN 0 AND 99", name=op.f("ck_practice_checkin_pattern_count")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["practice_case.id"],
            name=op.f("fk_practice_checkin_case_id_practice_case"),
        ),
        sa.ForeignKeyConstraint(
            ["csi4_response_id"],
            ["practice_measure_response.id"],
            name=op.f("fk_practice_checkin_csi4_response_id_practice_measure_response"),
        ),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["practice_checkin_link.id"],
            name=op.f("fk_practice_checkin_link_id_practice_checkin_link"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["practice_partner.id"],
            name=op.f("fk_practice_checkin_partner_id_practice_partner"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_checkin")),
        sa.UniqueConstraint("link_id", name=op.f("uq_practice_checkin_link_id")),
    )
    with op.batch_alter_table("practice_checkin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_checkin_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_practice_checkin_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "practice_checkin_break",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("days_ago", sa.SmallInteger(), nullable=False),
        sa.Column("called_by", sa.String(length=8), nullable=False),
        sa.Column("with_script", sa.Boolean(), nullable=True),
        sa.Column("returned", sa.String(length=12), nullable=False),
        sa.Column("resumed_by", sa.String(length=8), nullable=True),
        sa.Column("with_invitation", sa.Boolean(), nullable=True),
        sa.Column("outcome", sa.String(length=8), nullable=True),
        sa.CheckConstraint(
            "called_by IN ('me', 'partner')", name=op.f("ck_practice_checkin_break_called_by")
        ),
        sa.CheckConstraint(
            "returned IN ('early', 'within_day', 'later', 'not_yet')",
            name=op.f("ck_practice_checkin_break_returned"),
        ),
        sa.CheckConstraint(
            "days_ago BETWEEN 0 AND 6", name=op.f("ck_practice_checkin_break_days_ago")
        ),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["practice_checkin.id"],
            name=op.f("fk_practice_checkin_break_checkin_id_practice_checkin"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_checkin_break")),
    )
    with op.batch_alter_table("practice_checkin_break", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_checkin_break_checkin_id"), ["checkin_id"], unique=False
        )

    op.create_table(
        "practice_checkin_script_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("used_by_me", sa.Boolean(), nullable=True),
        sa.Column("used_by_partner", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["practice_script_assignment.id"],
            name=op.f("fk_practice_checkin_script_answer_assignment_id_practice_script_assignment"),
        ),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["practice_checkin.id"],
            name=op.f("fk_practice_checkin_script_answer_checkin_id_practice_checkin"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_checkin_script_answer")),
        sa.UniqueConstraint(
            "checkin_id", "assignment_id", name=op.f("uq_practice_checkin_script_answer_checkin_id")
        ),
    )
    with op.batch_alter_table("practice_checkin_script_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_checkin_script_answer_assignment_id"),
            ["assignment_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_practice_checkin_script_answer_checkin_id"), ["checkin_id"], unique=False
        )

    with op.batch_alter_table("practice_measure_response", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=10), server_default="session", nullable=False)
        )
        batch_op.alter_column("session_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_practice_measure_response_source"),
            "(source = 'session' AND session_id IS NOT NULL) OR "
            "(source = 'check-in' AND session_id IS NULL)",
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_checkin_script_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_checkin_script_answer_checkin_id"))
        batch_op.drop_index(batch_op.f("ix_practice_checkin_script_answer_assignment_id"))

    op.drop_table("practice_checkin_script_answer")
    with op.batch_alter_table("practice_checkin_break", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_checkin_break_checkin_id"))

    op.drop_table("practice_checkin_break")
    with op.batch_alter_table("practice_checkin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_checkin_partner_id"))
        batch_op.drop_index(batch_op.f("ix_practice_checkin_case_id"))

    op.drop_table("practice_checkin")
    with op.batch_alter_table("practice_checkin_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_checkin_link_partner_id"))
        batch_op.drop_index(batch_op.f("ix_practice_checkin_link_case_id"))

    op.drop_table("practice_checkin_link")
    # CSI-4 answers sent through check-ins have no session: they cannot outlive the check-ins.
    op.execute("DELETE FROM practice_measure_response WHERE source = 'check-in'")
    with op.batch_alter_table("practice_measure_response", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_practice_measure_response_source"), type_="check")
        batch_op.alter_column("session_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("source")
