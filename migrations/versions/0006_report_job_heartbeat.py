"""report jobs: a heartbeat and a count of attempts, for the task queue's take-over

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

The runner of a report job touches ``heartbeat_at`` as it claims the job and with every case
it counts; a job whose heartbeat has gone stale is handed to a new queue task. ``attempts``
counts the runs that claimed it, so a job that keeps stopping its worker is failed with its
reason rather than handed over for ever.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("practice_report_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("practice_report_job", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("heartbeat_at")
