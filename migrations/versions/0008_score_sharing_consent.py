"""score sharing consent: each partner's consent to share their CSI-4 scores

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-10

One row per consent a partner gave to share their CSI-4 scores with the other partner (the
joint client report) or a referrer (the referrer report): the day it was given and, once
withdrawn, the day of the withdrawal, with who recorded each and when. Rows are never deleted;
a consent given again is a new row, and only one per partner and audience may be open.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "withdrawn_on IS NULL"


def upgrade() -> None:
    op.create_table(
        "practice_score_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawal_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawal_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "audience IN ('partner', 'referrer')",
            name=op.f("ck_practice_score_consent_audience"),
        ),
        sa.CheckConstraint(
            "withdrawn_on IS NULL OR withdrawn_on >= given_on",
            name=op.f("ck_practice_score_consent_withdrawn_after_given"),
        ),
        sa.CheckConstraint(
            "(withdrawn_on IS NULL AND withdrawal_by_id IS NULL AND withdrawal_at IS NULL) OR "
            "(withdrawn_on IS NOT NULL AND withdrawal_by_id IS NOT NULL "
            "AND withdrawal_at IS NOT NULL)",
            name=op.f("ck_practice_score_consent_withdrawal_whole"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["practice_case.id"],
            name=op.f("fk_practice_score_consent_case_id_practice_case"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["practice_partner.id"],
            name=op.f("fk_practice_score_consent_partner_id_practice_partner"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["practice_staff.id"],
            name=op.f("fk_practice_score_consent_recorded_by_id_practice_staff"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawal_by_id"],
            ["practice_staff.id"],
            name=op.f("fk_practice_score_consent_withdrawal_by_id_practice_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_score_consent")),
    )
    with op.batch_alter_table("practice_score_consent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_score_consent_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_practice_score_consent_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            "uq_practice_score_consent_open",
            ["partner_id", "audience"],
            unique=True,
            sqlite_where=sa.text(_OPEN),
            postgresql_where=sa.text(_OPEN),
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_score_consent", schema=None) as batch_op:
        batch_op.drop_index("uq_practice_score_consent_open")
        batch_op.drop_index(batch_op.f("ix_practice_score_consent_partner_id"))
        batch_op.drop_index(batch_op.f("ix_practice_score_consent_case_id"))
    op.drop_table("practice_score_consent")
