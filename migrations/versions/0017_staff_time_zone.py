"""staff: each member's own time zone and locale

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

Times are stored in UTC and shown and entered in local time: the practice's zone
(``PRACTICE_TIMEZONE``) unless a member chose their own on the account page. ``time_zone`` is an
IANA name ("Australia/Sydney"), ``locale`` a Babel locale ("en_GB"); both empty for everyone
until they choose, which keeps the practice's settings.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("practice_staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("locale", sa.String(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("practice_staff", schema=None) as batch_op:
        batch_op.drop_column("locale")
        batch_op.drop_column("time_zone")
