"""api tokens: an expiry and an optional read-only scope; anonymous sign-in failures counted

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-03

Every token now ends (``expires_at``, at most a year after it was made) and may be read-only
(``read_only``: any request but GET, HEAD and OPTIONS refused).

Tokens made before this revision get the default lifetime, 90 days from when they were made,
but never less than 14 days from the upgrade: no token lives for ever (the point of the change:
a forgotten, leaked token stops working by itself), while a program still using an old one gets
two weeks to be given a new one instead of failing the moment the upgrade runs. They keep their
full (read and write) scope, as they had it when they were made.

The login throttle's row of an address also counts its failed sign-ins that named no account
(``anonymous_failures``) since the one audit row of its current window
(``anonymous_audited_at``): such guesses are audited once per window with their count, not one
row each.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_LIFETIME = timedelta(days=90)
GRACE_AFTER_UPGRADE = timedelta(days=14)


def upgrade() -> None:
    with op.batch_alter_table("practice_api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("read_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    tokens = sa.table(
        "practice_api_token",
        sa.column("id", sa.Integer()),
        sa.column("created_at", sa.DateTime()),
        sa.column("expires_at", sa.DateTime()),
    )
    connection = op.get_bind()
    # Naive UTC, as the column stores it.
    earliest = datetime.now(UTC).replace(tzinfo=None) + GRACE_AFTER_UPGRADE
    for token_id, created_at in connection.execute(sa.select(tokens.c.id, tokens.c.created_at)):
        if isinstance(created_at, str):  # SQLite hands back text in a lightweight table
            created_at = datetime.fromisoformat(created_at)
        if created_at is not None and created_at.tzinfo is not None:
            created_at = created_at.astimezone(UTC).replace(tzinfo=None)
        expires = max(created_at + DEFAULT_LIFETIME, earliest) if created_at else earliest
        connection.execute(
            tokens.update().where(tokens.c.id == token_id).values(expires_at=expires)
        )
    with op.batch_alter_table("practice_api_token", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)
    with op.batch_alter_table("practice_login_throttle", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymous_audited_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("anonymous_failures", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_login_throttle", schema=None) as batch_op:
        batch_op.drop_column("anonymous_failures")
        batch_op.drop_column("anonymous_audited_at")
    with op.batch_alter_table("practice_api_token", schema=None) as batch_op:
        batch_op.drop_column("read_only")
        batch_op.drop_column("expires_at")
