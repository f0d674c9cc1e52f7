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
    with op.batch_alter_table("practice_case", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("referrer_name", sa.String(length=120), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "referrer_organisation", sa.String(length=160), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column("referral_question", sa.Text(), nullable=False, server_default="")
        )
    with op.batch_alter_table("practice_report", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recommendations", sa.Text(), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_report", schema=None) as batch_op:
        batch_op.drop_column("recommendations")
    with op.batch_alter_table("practice_case", schema=None) as batch_op:
        batch_op.drop_column("referral_question")
        batch_op.drop_column("referrer_organisation")
        batch_op.drop_column("referrer_name")
