"""breaks: break episodes of a case and each teller's account of them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

A break episode is one break a partner called in a conflict (who, when); its accounts are each
partner's telling (from their check-in or in session) and the counsellor's own record, kept side
by side: who called it, whether with the assigned script, flooding and heart rate, the promised
return, when and by whom the conversation resumed (with the invitation script or not), and how
it went. ``checkin_id`` is the check-ins area's id of the check-in an account came from.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practice_break_episode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("called_by_id", sa.Integer(), nullable=False),
        sa.Column("called_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["called_by_id"],
            ["practice_partner.id"],
            name=op.f("fk_practice_break_episode_called_by_id_practice_partner"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["practice_case.id"],
            name=op.f("fk_practice_break_episode_case_id_practice_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_break_episode")),
    )
    with op.batch_alter_table("practice_break_episode", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_break_episode_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "practice_break_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("told_by_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("checkin_id", sa.Integer(), nullable=True),
        sa.Column("called_by_id", sa.Integer(), nullable=False),
        sa.Column("called_at", sa.DateTime(), nullable=False),
        sa.Column("with_script", sa.Boolean(), nullable=False),
        sa.Column("flooding", sa.Boolean(), nullable=False),
        sa.Column("heart_rate", sa.SmallInteger(), nullable=True),
        sa.Column("promised_return_at", sa.DateTime(), nullable=True),
        sa.Column("resumed_at", sa.DateTime(), nullable=True),
        sa.Column("resumed_by_id", sa.Integer(), nullable=True),
        sa.Column("with_invitation", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('calmer', 'escalated', 'not_resumed')",
            name=op.f("ck_practice_break_account_outcome"),
        ),
        sa.CheckConstraint(
            "source IN ('session', 'live', 'checkin', 'counsellor')",
            name=op.f("ck_practice_break_account_source"),
        ),
        sa.CheckConstraint(
            "heart_rate IS NULL OR heart_rate BETWEEN 30 AND 250",
            name=op.f("ck_practice_break_account_heart_rate"),
        ),
        sa.CheckConstraint(
            "resumed_at IS NULL OR resumed_at >= called_at",
            name=op.f("ck_practice_break_account_resumed_after"),
        ),
        sa.ForeignKeyConstraint(
            ["called_by_id"],
            ["practice_partner.id"],
            name=op.f("fk_practice_break_account_called_by_id_practice_partner"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["practice_case.id"],
            name=op.f("fk_practice_break_account_case_id_practice_case"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["practice_break_episode.id"],
            name=op.f("fk_practice_break_account_episode_id_practice_break_episode"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["practice_staff.id"],
            name=op.f("fk_practice_break_account_recorded_by_id_practice_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["resumed_by_id"],
            ["practice_partner.id"],
            name=op.f("fk_practice_break_account_resumed_by_id_practice_partner"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["practice_session.id"],
            name=op.f("fk_practice_break_account_session_id_practice_session"),
        ),
        sa.ForeignKeyConstraint(
            ["told_by_id"],
            ["practice_partner.id"],
            name=op.f("fk_practice_break_account_told_by_id_practice_partner"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_break_account")),
        sa.UniqueConstraint(
            "episode_id", "told_by_id", name=op.f("uq_practice_break_account_episode_id")
        ),
    )
    with op.batch_alter_table("practice_break_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_break_account_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_practice_break_account_checkin_id"), ["checkin_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_practice_break_account_episode_id"), ["episode_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_practice_break_account_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_break_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_break_account_session_id"))
        batch_op.drop_index(batch_op.f("ix_practice_break_account_episode_id"))
        batch_op.drop_index(batch_op.f("ix_practice_break_account_checkin_id"))
        batch_op.drop_index(batch_op.f("ix_practice_break_account_case_id"))

    op.drop_table("practice_break_account")
    with op.batch_alter_table("practice_break_episode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_break_episode_case_id"))

    op.drop_table("practice_break_episode")
