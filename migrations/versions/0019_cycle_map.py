"""cycle map: a couple's cycle map, one revision per session, each partner's side of the loop

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04

``practice_cycle_map_revision``: the map as it stood at one session (read-only once that
session's note is signed). ``practice_cycle_map_side``: one partner's trigger, action, views of
self and other, reactive and primary emotion, attachment fear and need, and whether their action
sets off the other's trigger. ``practice_cycle_map_evidence``: the tagged moments that back a
partner's primary emotion and need.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practice_cycle_map_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["practice_case.id"],
            name=op.f("fk_practice_cycle_map_revision_case_id_practice_case"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["practice_staff.id"],
            name=op.f("fk_practice_cycle_map_revision_created_by_id_practice_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["practice_session.id"],
            name=op.f("fk_practice_cycle_map_revision_session_id_practice_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_cycle_map_revision")),
        sa.UniqueConstraint("session_id", name=op.f("uq_practice_cycle_map_revision_session_id")),
    )
    with op.batch_alter_table("practice_cycle_map_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_cycle_map_revision_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "practice_cycle_map_side",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=300), nullable=False),
        sa.Column("action", sa.String(length=300), nullable=False),
        sa.Column("self_view", sa.String(length=300), nullable=False),
        sa.Column("other_view", sa.String(length=300), nullable=False),
        sa.Column("reactive_emotion", sa.String(length=300), nullable=False),
        sa.Column("primary_emotion", sa.String(length=300), nullable=False),
        sa.Column("attachment_fear", sa.String(length=300), nullable=False),
        sa.Column("need", sa.String(length=300), nullable=False),
        sa.Column("action_triggers_other", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["practice_case.id"],
            name=op.f("fk_practice_cycle_map_side_case_id_practice_case"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["practice_partner.id"],
            name=op.f("fk_practice_cycle_map_side_partner_id_practice_partner"),
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["practice_cycle_map_revision.id"],
            name=op.f("fk_practice_cycle_map_side_revision_id_practice_cycle_map_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_cycle_map_side")),
        sa.UniqueConstraint(
            "revision_id", "partner_id", name=op.f("uq_practice_cycle_map_side_revision_id")
        ),
    )
    with op.batch_alter_table("practice_cycle_map_side", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_cycle_map_side_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_practice_cycle_map_side_revision_id"), ["revision_id"], unique=False
        )

    op.create_table(
        "practice_cycle_map_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("side_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("moment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["practice_case.id"],
            name=op.f("fk_practice_cycle_map_evidence_case_id_practice_case"),
        ),
        sa.ForeignKeyConstraint(
            ["moment_id"],
            ["practice_moment.id"],
            name=op.f("fk_practice_cycle_map_evidence_moment_id_practice_moment"),
        ),
        sa.ForeignKeyConstraint(
            ["side_id"],
            ["practice_cycle_map_side.id"],
            name=op.f("fk_practice_cycle_map_evidence_side_id_practice_cycle_map_side"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_cycle_map_evidence")),
        sa.UniqueConstraint(
            "side_id", "moment_id", name=op.f("uq_practice_cycle_map_evidence_side_id")
        ),
    )
    with op.batch_alter_table("practice_cycle_map_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_cycle_map_evidence_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_practice_cycle_map_evidence_side_id"), ["side_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_cycle_map_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_cycle_map_evidence_side_id"))
        batch_op.drop_index(batch_op.f("ix_practice_cycle_map_evidence_case_id"))

    op.drop_table("practice_cycle_map_evidence")
    with op.batch_alter_table("practice_cycle_map_side", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_cycle_map_side_revision_id"))
        batch_op.drop_index(batch_op.f("ix_practice_cycle_map_side_case_id"))

    op.drop_table("practice_cycle_map_side")
    with op.batch_alter_table("practice_cycle_map_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_cycle_map_revision_case_id"))

    op.drop_table("practice_cycle_map_revision")
