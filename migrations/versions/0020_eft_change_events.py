"""eft change events: a case's change events with their evidence moments, and stage overrides

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04

A change event (cycle de-escalated, withdrawer re-engaged, blamer softened, attachment injury
resolved, new cycle consolidated) is the counsellor's decision, tied to a session of the case and
dated: confirmed (with its evidence moments) or a dismissed proposal; voided, never deleted. A
stage override is a stage set without its gate's events, with the reason, flagged to the
supervisor until the events are confirmed or the supervisor acknowledges it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    t = "practice_eft_event"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("proposed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("voided_at", sa.DateTime(), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.Column("void_reason", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "kind IN ('deescalated', 'reengaged', 'softened', 'injury_resolved', 'consolidated')",
            name=op.f(f"ck_{t}_kind"),
        ),
        sa.CheckConstraint("decision IN ('confirmed', 'dismissed')", name=op.f(f"ck_{t}_decision")),
        _fk(t, "case_id", "practice_case"),
        _fk(t, "session_id", "practice_session"),
        _fk(t, "decided_by_id", "practice_staff"),
        _fk(t, "voided_by_id", "practice_staff"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    with op.batch_alter_table(t, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{t}_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f(f"ix_{t}_session_id"), ["session_id"], unique=False)

    m = "practice_eft_event_moment"
    op.create_table(
        m,
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("moment_id", sa.Integer(), nullable=False),
        _fk(m, "event_id", "practice_eft_event"),
        _fk(m, "moment_id", "practice_moment"),
        sa.PrimaryKeyConstraint("event_id", "moment_id", name=op.f(f"pk_{m}")),
    )

    o = "practice_eft_stage_override"
    op.create_table(
        o,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        sa.Column("missing", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("stage IS NULL OR stage BETWEEN 1 AND 3", name=op.f(f"ck_{o}_stage")),
        _fk(o, "case_id", "practice_case"),
        _fk(o, "session_id", "practice_session"),
        _fk(o, "set_by_id", "practice_staff"),
        _fk(o, "acknowledged_by_id", "practice_staff"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{o}")),
    )
    with op.batch_alter_table(o, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{o}_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("practice_eft_stage_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_eft_stage_override_case_id"))
    op.drop_table("practice_eft_stage_override")
    op.drop_table("practice_eft_event_moment")
    with op.batch_alter_table("practice_eft_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_eft_event_session_id"))
        batch_op.drop_index(batch_op.f("ix_practice_eft_event_case_id"))
    op.drop_table("practice_eft_event")
