"""referrer report fields: who referred a case and what they asked; a report's recommendations

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

The referrer report is addressed to the case's referrer (a name and an organisation) and
answers the question they referred; the counsellor's recommendations are entered with the
report's request and kept with the report as printed. Existing rows get empty values.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN, never a batch copy of the table: SQLite (3.35 and later) does both
    # in place, and copying practice_case would mean dropping a table that every case's rows
    # refer to, which its foreign keys refuse.
    op.add_column(
        "practice_case",
        sa.Column("referrer_name", sa.String(length=120), nullable=False, server_default=""),
    )
    op.add_column(
        "practice_case",
        sa.Column(
            "referrer_organisation", sa.String(length=160), nullable=False, server_default=""
        ),
    )
    op.add_column(
        "practice_case",
        sa.Column("referral_question", sa.Text(), nullable=False, server_default=""),
    )
    op.add_column(
        "practice_report",
        sa.Column("recommendations", sa.Text(), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("practice_report", "recommendations")
    op.drop_column("practice_case", "referral_question")
    op.drop_column("practice_case", "referrer_organisation")
    op.drop_column("practice_case", "referrer_name")
