"""reports: the digest of a prepared default report's inputs

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

A case's default report (clinical, from the day the case opened to today) is rendered in the
background when what it shows changes; ``inputs_digest`` is the SHA-256 of the report's HTML as
rendered, with its "generated on" time left out. Asking for the default report serves the stored
copy whose digest matches the current inputs, instead of rendering again. Reports made before
this revision, and every report asked for with a period, audience or text of its own, have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("practice_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inputs_digest", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_practice_report_case_digest", ["case_id", "inputs_digest"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_report", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_report_case_digest")
        batch_op.drop_column("inputs_digest")
