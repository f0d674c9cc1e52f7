"""measure registry: decimal totals

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04

Measures are defined as data (``practice.measures.registry``); some (the ORS and SRS) are
answered on visual-analogue lines with one decimal, so ``practice_measure_response.total`` holds
a number with two decimals instead of a small whole number (its items are JSON and take
decimals already). Whole totals such as the CSI-4's read back as whole numbers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("practice_measure_response") as batch:
        batch.alter_column(
            "total",
            existing_type=sa.SmallInteger(),
            type_=sa.Numeric(7, 2),
            existing_nullable=False,
        )


def downgrade() -> None:
    # Decimal totals are rounded to whole numbers on the way down.
    op.execute("UPDATE practice_measure_response SET total = ROUND(total)")
    with op.batch_alter_table("practice_measure_response") as batch:
        batch.alter_column(
            "total",
            existing_type=sa.Numeric(7, 2),
            type_=sa.SmallInteger(),
            existing_nullable=False,
        )
