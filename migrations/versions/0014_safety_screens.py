"""safety screens: each partner's screen before joint work, rescreens due, signing overrides

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

``practice_safety_screen``: one partner's HITS answers (four items, 1–5), the fear question and
the counsellor's decision, never changed. ``practice_rescreen_due``: a rescreen that fell due
(a reason code, never clinical text), closed by the next screen of that partner.
``practice_screen_override``: a joint note signed without a current screen, with the reason,
flagged to the supervisor.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    screen = "practice_safety_screen"
    op.create_table(
        screen,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("screened_on", sa.Date(), nullable=False),
        sa.Column("hurt", sa.SmallInteger(), nullable=False),
        sa.Column("insult", sa.SmallInteger(), nullable=False),
        sa.Column("threaten", sa.SmallInteger(), nullable=False),
        sa.Column("scream", sa.SmallInteger(), nullable=False),
        sa.Column("afraid", sa.Boolean(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        *(
            sa.CheckConstraint(f"{item} BETWEEN 1 AND 5", name=op.f(f"ck_{screen}_{item}"))
            for item in ("hurt", "insult", "threaten", "scream")
        ),
        sa.CheckConstraint(
            "decision IN ('joint_ok', 'joint_with_plan', 'individual_only', 'refer')",
            name=op.f(f"ck_{screen}_decision"),
        ),
        _fk(screen, "case_id", "practice_case"),
        _fk(screen, "partner_id", "practice_partner"),
        _fk(screen, "recorded_by_id", "practice_staff"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{screen}")),
    )
    with op.batch_alter_table(screen, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{screen}_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            f"ix_{screen}_partner_day", ["partner_id", "screened_on"], unique=False
        )

    due = "practice_rescreen_due"
    op.create_table(
        due,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("due_since", sa.DateTime(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by_screen_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "reason IN ('checkin_fear', 'threat_moment', 'contempt_moment', 'counsellor')",
            name=op.f(f"ck_{due}_reason"),
        ),
        _fk(due, "case_id", "practice_case"),
        _fk(due, "partner_id", "practice_partner"),
        _fk(due, "raised_by_id", "practice_staff"),
        _fk(due, "closed_by_screen_id", screen),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{due}")),
    )
    with op.batch_alter_table(due, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{due}_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            f"ix_{due}_partner_open", ["partner_id", "closed_by_screen_id"], unique=False
        )

    override = "practice_screen_override"
    op.create_table(
        override,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("signed_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk(override, "case_id", "practice_case"),
        _fk(override, "session_id", "practice_session"),
        _fk(override, "signed_by_id", "practice_staff"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{override}")),
        sa.UniqueConstraint("session_id", name=op.f(f"uq_{override}_session_id")),
    )
    with op.batch_alter_table(override, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{override}_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("practice_screen_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_screen_override_case_id"))
    op.drop_table("practice_screen_override")
    with op.batch_alter_table("practice_rescreen_due", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_rescreen_due_partner_open")
        batch_op.drop_index(batch_op.f("ix_practice_rescreen_due_case_id"))
    op.drop_table("practice_rescreen_due")
    with op.batch_alter_table("practice_safety_screen", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_safety_screen_partner_day")
        batch_op.drop_index(batch_op.f("ix_practice_safety_screen_case_id"))
    op.drop_table("practice_safety_screen")
