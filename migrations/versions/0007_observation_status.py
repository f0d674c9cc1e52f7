"""script observations: a status (observed, no opportunity, partner absent)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10

Only observed sessions count for adoption: a partner who was absent, or a session that gave no
opportunity to use the script, says nothing either way. Until now both were written as level 0
("not used"). Every existing observation is taken as observed, as it was counted so far; the
level becomes nullable, and a CHECK keeps it set exactly when the session was observed.

Downgrading deletes the observations that are not observed: they have no level to go back to.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "practice_script_observation"
# Written out, not imported: a migration keeps the statuses of its day
# (``practice.scripts.adoption.OBSERVATION_STATUSES``).
STATUS_CHECK = "status IN ('observed', 'no_opportunity', 'absent')"
LEVEL_CHECK = (
    "(status = 'observed' AND level IS NOT NULL) OR (status <> 'observed' AND level IS NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=14), nullable=True))
    op.execute(sa.text(f"UPDATE {TABLE} SET status = 'observed'"))
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=14), nullable=False)
        batch_op.alter_column("level", existing_type=sa.SmallInteger(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_practice_script_observation_status"), STATUS_CHECK
        )
        batch_op.create_check_constraint(
            op.f("ck_practice_script_observation_level_when_observed"), LEVEL_CHECK
        )


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM {TABLE} WHERE status <> 'observed'"))
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("ck_practice_script_observation_level_when_observed"), "check"
        )
        batch_op.drop_constraint(op.f("ck_practice_script_observation_status"), "check")
        batch_op.alter_column("level", existing_type=sa.SmallInteger(), nullable=False)
        batch_op.drop_column("status")
