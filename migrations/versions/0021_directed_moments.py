"""directed moments: target partner, the moment answered, outcome; the four antidote types

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04

A moment may name the partner it is aimed at, the earlier moment of its session it answers, and
how it was met (accepted, rejected, missed): ``practice.moments.interaction``. The default
vocabulary gains Gottman's four antidotes as de-escalating types, with colours and the letters
still free (``q``, ``v``); the other two get live mode's keys from the free rows. A practice
that already has a type with one of these keys keeps its own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "practice_moment"

# key, label, description, colour, shortcut: frozen here, as 0002's list is.
ANTIDOTE_TYPES = [
    (
        "gentle_startup",
        "Gentle start-up",
        "A complaint without blame: I feel … about … and I need … (antidote to criticism).",
        "#2e7d6b",
        "q",
    ),
    (
        "appreciation",
        "Appreciation",
        "Fondness or thanks said out loud (antidote to contempt).",
        "#3b7a2a",
        "v",
    ),
    (
        "taking_responsibility",
        "Taking responsibility",
        "Owning one's part, even a small one (antidote to defensiveness).",
        "#2c5f8a",
        None,
    ),
    (
        "self_soothing",
        "Self-soothing",
        "Calming one's own body before going on (antidote to stonewalling).",
        "#4a6d5c",
        None,
    ),
]

moment_type = sa.table(
    "practice_moment_type",
    sa.column("id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("label", sa.String),
    sa.column("description", sa.String),
    sa.column("valence", sa.String),
    sa.column("colour", sa.String),
    sa.column("shortcut", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("position", sa.SmallInteger),
)


def _insert_antidotes() -> None:
    bind = op.get_bind()
    keys = set(bind.scalars(sa.select(moment_type.c.key)))
    labels = {label.lower() for label in bind.scalars(sa.select(moment_type.c.label))}
    used = set(
        bind.scalars(
            sa.select(moment_type.c.shortcut).where(
                moment_type.c.active.is_(True), moment_type.c.shortcut.is_not(None)
            )
        )
    )
    last = bind.scalar(sa.select(sa.func.max(moment_type.c.position))) or 0
    rows = []
    for key, label, description, colour, shortcut in ANTIDOTE_TYPES:
        if key in keys or label.lower() in labels:
            continue
        last += 1
        rows.append(
            {
                "key": key,
                "label": label,
                "description": description,
                "valence": "de-escalating",
                "colour": colour,
                "shortcut": shortcut if shortcut not in used else None,
                "active": True,
                "position": last,
            }
        )
    if rows:
        op.bulk_insert(moment_type, rows)


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_partner_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("answers_moment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=10), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f(f"fk_{TABLE}_target_partner_id_practice_partner"),
            "practice_partner",
            ["target_partner_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f(f"fk_{TABLE}_answers_moment_id_practice_moment"),
            TABLE,
            ["answers_moment_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f(f"ix_{TABLE}_answers_moment_id"), ["answers_moment_id"], unique=False
        )
        batch_op.create_check_constraint(
            batch_op.f(f"ck_{TABLE}_outcome"),
            "outcome IN ('accepted', 'rejected', 'missed')",
        )
    _insert_antidotes()


def downgrade() -> None:
    # The antidote types stay if moments use them (types in use are retired, never deleted).
    used = sa.select(sa.literal_column("moment_type_id")).select_from(sa.table(TABLE))
    op.execute(
        moment_type.delete().where(
            moment_type.c.key.in_([row[0] for row in ANTIDOTE_TYPES]),
            moment_type.c.id.not_in(used),
        )
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(f"ck_{TABLE}_outcome"), type_="check")
        batch_op.drop_index(batch_op.f(f"ix_{TABLE}_answers_moment_id"))
        batch_op.drop_constraint(
            batch_op.f(f"fk_{TABLE}_answers_moment_id_practice_moment"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f(f"fk_{TABLE}_target_partner_id_practice_partner"), type_="foreignkey"
        )
        batch_op.drop_column("outcome")
        batch_op.drop_column("answers_moment_id")
        batch_op.drop_column("target_partner_id")
