"""account security: per-address login throttle, pending two-factor secret, recovery codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practice_login_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_login_throttle")),
        sa.UniqueConstraint("address", name=op.f("uq_practice_login_throttle_address")),
    )
    with op.batch_alter_table("practice_account") as batch:
        batch.add_column(sa.Column("totp_pending_secret", sa.String(length=64), nullable=True))
    op.create_table(
        "practice_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["practice_account.id"],
            name=op.f("fk_practice_recovery_code_account_id_practice_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_recovery_code")),
    )
    op.create_index(
        op.f("ix_practice_recovery_code_account_id"),
        "practice_recovery_code",
        ["account_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_practice_recovery_code_account_id"), table_name="practice_recovery_code")
    op.drop_table("practice_recovery_code")
    with op.batch_alter_table("practice_account") as batch:
        batch.drop_column("totp_pending_secret")
    op.drop_table("practice_login_throttle")
