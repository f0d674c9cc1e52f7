"""default vocabulary: the cycle moments and scripts of DESIGN.md

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Seeded by migration so that every new practice starts with a usable vocabulary; administrators
change it afterwards. The data is frozen here on purpose: later edits go in new revisions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ESC, DE, NEU = "escalating", "de-escalating", "neutral"

# key, label, description, valence, colour, shortcut
MOMENT_TYPES = [
    ("pursue", "Pursue / protest", "Criticism or a demand for a response.", ESC, "#b03a2e", "p"),
    (
        "withdraw",
        "Withdraw / shut down",
        "Turning away, going quiet, leaving the exchange.",
        ESC,
        "#7b3f99",
        "w",
    ),
    ("escalation", "Escalation", "Intensity climbs between the partners.", ESC, "#c0392b", "e"),
    (
        "criticism",
        "Criticism",
        "An attack on the partner's character rather than a complaint.",
        ESC,
        "#a04000",
        "c",
    ),
    (
        "contempt",
        "Contempt",
        "Mockery, sarcasm, eye-rolling: speaking from above.",
        ESC,
        "#922b21",
        "t",
    ),
    (
        "defensiveness",
        "Defensiveness",
        "Counter-attack or innocent-victim stance.",
        ESC,
        "#9a6a00",
        "d",
    ),
    ("stonewalling", "Stonewalling", "No response; a wall goes up.", ESC, "#5d4037", "n"),
    (
        "flooding",
        "Flooding",
        "Physiological overwhelm: racing heart, no access to thought.",
        ESC,
        "#b9770e",
        "f",
    ),
    (
        "urge_to_leave",
        "Urge to leave",
        "The withdrawer's impulse to walk out.",
        ESC,
        "#6e2c00",
        "l",
    ),
    (
        "threat_to_end",
        "Threat to end the relationship",
        '"Sink the boat": ending is put on the table.',
        ESC,
        "#641e16",
        "x",
    ),
    (
        "misreading",
        "Misreading",
        "Withdrawal read as not caring; reaching read as accusation.",
        ESC,
        "#7e5109",
        "m",
    ),
    ("softening", "Softening", "A softer tone; vulnerability shown.", DE, "#1f6f5c", "s"),
    (
        "de_escalation",
        "De-escalation",
        "Intensity falls; the partners steady together.",
        DE,
        "#117864",
        "o",
    ),
    (
        "repair_attempt",
        "Repair attempt",
        "A move to mend the exchange, taken up or not.",
        DE,
        "#1a5276",
        "r",
    ),
    (
        "withdrawer_reengagement",
        "Withdrawer re-engagement",
        "The withdrawing partner turns back toward the other.",
        DE,
        "#186a3b",
        "g",
    ),
    ("soft_bid", "Soft bid for connection", "Reaching without blame.", DE, "#0e6655", "b"),
    (
        "naming_cycle",
        "Naming the cycle",
        "The dance, not the partner, is named as the problem.",
        DE,
        "#1b4f72",
        "y",
    ),
    (
        "break_returned",
        "Break taken and returned",
        "A time-out taken and the conversation resumed.",
        DE,
        "#145a32",
        "k",
    ),
    (
        "empathic_response",
        "Empathic response",
        "One partner reflects the other's feeling.",
        DE,
        "#0b5345",
        "h",
    ),
    (
        "trigger_identified",
        "Trigger identified",
        "What set the cycle off is recognised.",
        NEU,
        "#34495e",
        "i",
    ),
    (
        "underlying_fear",
        "Underlying fear named",
        "Fear of failing or of being left is put into words.",
        NEU,
        "#2e4053",
        "u",
    ),
    (
        "attachment_need",
        "Attachment need expressed",
        "A need for closeness, safety or reassurance is said.",
        NEU,
        "#424949",
        "a",
    ),
]

# text, intended role, category
SCRIPTS = [
    (
        "I need time to process this, but I'm open to talk soon.",
        "withdrawer",
        "Time-out and return",
    ),
    ("When would be a good time for us to sit with this together?", "pursuer", "Soft bid"),
    (
        "I'm getting flooded. Can we stop for twenty minutes and come back to this at eight?",
        "either",
        "Time-out and return",
    ),
    ("I feel … about … and I need …", "either", "Gentle start-up"),
    ("Let me try that again.", "either", "Repair"),
    ("I can see this matters to you.", "either", "Validation"),
    ("This is our dance again, not you and not me.", "either", "Naming the cycle"),
]

moment_type = sa.table(
    "practice_moment_type",
    sa.column("key", sa.String),
    sa.column("label", sa.String),
    sa.column("description", sa.String),
    sa.column("valence", sa.String),
    sa.column("colour", sa.String),
    sa.column("shortcut", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("position", sa.SmallInteger),
)
script = sa.table(
    "practice_script",
    sa.column("text", sa.String),
    sa.column("intended_role", sa.String),
    sa.column("category", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("position", sa.SmallInteger),
)


def upgrade() -> None:
    op.bulk_insert(
        moment_type,
        [
            {
                "key": key,
                "label": label,
                "description": description,
                "valence": valence,
                "colour": colour,
                "shortcut": shortcut,
                "active": True,
                "position": position,
            }
            for position, (key, label, description, valence, colour, shortcut) in enumerate(
                MOMENT_TYPES
            )
        ],
    )
    op.bulk_insert(
        script,
        [
            {
                "text": text,
                "intended_role": role,
                "category": category,
                "active": True,
                "position": i,
            }
            for i, (text, role, category) in enumerate(SCRIPTS)
        ],
    )


def downgrade() -> None:
    op.execute(script.delete())
    op.execute(moment_type.delete())
