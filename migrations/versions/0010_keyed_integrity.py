"""keyed integrity: seal versions on signed notes and audit events, room for encrypted secrets

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03

Signed notes and the audit chain were sealed with an unkeyed SHA-256, which anyone who can
write the database can recompute. They are now sealed with HMAC-SHA256 under a key kept outside
the database, which a migration cannot know: existing seals are marked version 1 (unkeyed, never
shown as intact) and ``flask practice integrity reseal`` re-seals them under the key. Two-factor
secrets are now stored encrypted (a Fernet token is longer than the secret); existing plaintext
secrets are encrypted on their next use or by the same command.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On SQLite the column changes recreate their tables: the migration environment turns
    # foreign-key enforcement off for them and checks the keys before committing.
    with op.batch_alter_table("practice_session") as batch:
        batch.add_column(sa.Column("note_seal_version", sa.SmallInteger(), nullable=True))
    op.execute("UPDATE practice_session SET note_seal_version = 1 WHERE note_sha256 IS NOT NULL")
    with op.batch_alter_table("practice_audit_event") as batch:
        batch.add_column(
            sa.Column("chain_version", sa.SmallInteger(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("practice_audit_event") as batch:
        batch.alter_column("chain_version", server_default=None)
    with op.batch_alter_table("practice_account") as batch:
        for column in ("totp_secret", "totp_pending_secret"):
            batch.alter_column(
                column, existing_type=sa.String(length=64), type_=sa.String(length=255)
            )


def downgrade() -> None:
    with op.batch_alter_table("practice_account") as batch:
        for column in ("totp_secret", "totp_pending_secret"):
            batch.alter_column(
                column, existing_type=sa.String(length=255), type_=sa.String(length=64)
            )
    with op.batch_alter_table("practice_audit_event") as batch:
        batch.drop_column("chain_version")
    with op.batch_alter_table("practice_session") as batch:
        batch.drop_column("note_seal_version")
