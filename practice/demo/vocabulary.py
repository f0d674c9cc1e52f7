"""The demo's vocabulary: which cycle moments each partner shows, how often, and the scripts.

The moment types and scripts themselves are the practice's default vocabulary, seeded by the
migrations; the demo looks them up by key and text (:meth:`Vocabulary.read`) and only adds how
often each one is tagged. Valences come from the database, never from here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import sqlalchemy as sa

from practice.core.database import db
from practice.moments.models import MomentType
from practice.scripts.models import Script, ScriptRole

# A pool is (moment type key, weight) pairs; a key is drawn with its weight (``weighted_key``).
Pool = tuple[tuple[str, int], ...]

# Moment types by who shows them: the pursuing partner (P), the withdrawing one (W), or both.
ESCALATING_P: Pool = (("pursue", 6), ("criticism", 3), ("escalation", 1), ("misreading", 2))
ESCALATING_P_RARE: Pool = (("contempt", 1),)
ESCALATING_W: Pool = (
    ("withdraw", 6),
    ("defensiveness", 3),
    ("stonewalling", 2),
    ("flooding", 2),
    ("urge_to_leave", 2),
    ("misreading", 1),
)
ESCALATING_W_RARE: Pool = (("threat_to_end", 1),)
ESCALATING_BOTH: Pool = (("escalation", 3), ("misreading", 1))
DEESCALATING_P: Pool = (
    ("soft_bid", 4),
    ("softening", 3),
    ("repair_attempt", 2),
    ("empathic_response", 2),
)
DEESCALATING_W: Pool = (
    ("withdrawer_reengagement", 4),
    ("break_returned", 3),
    ("softening", 2),
    ("repair_attempt", 2),
    ("empathic_response", 1),
)
DEESCALATING_BOTH: Pool = (("naming_cycle", 3), ("de_escalation", 3))
NEUTRAL: Pool = (("trigger_identified", 3), ("underlying_fear", 3), ("attachment_need", 3))
# Neutral moments that may belong to the couple rather than to one partner.
NEUTRAL_BOTH = ("trigger_identified",)
POOLS = (
    ESCALATING_P,
    ESCALATING_P_RARE,
    ESCALATING_W,
    ESCALATING_W_RARE,
    ESCALATING_BOTH,
    DEESCALATING_P,
    DEESCALATING_W,
    DEESCALATING_BOTH,
    NEUTRAL,
)

# The two scripts of the design, seeded by the migrations; every couple's plan starts from them.
WITHDRAWER_SCRIPT = "I need time to process this, but I'm open to talk soon."
PURSUER_SCRIPT = "When would be a good time for us to sit with this together?"


def weighted_key(rng: random.Random, pool: Pool) -> str:
    """A moment type key drawn from ``pool`` with its weight."""
    return rng.choices([key for key, _ in pool], [weight for _, weight in pool])[0]


class MissingVocabulary(LookupError):
    """The database lacks (or has retired) part of the default vocabulary the demo uses."""


@dataclass(frozen=True)
class ScriptRow:
    """A script of the practice's library, as the demo needs it."""

    id: int
    text: str
    role: str


@dataclass(frozen=True)
class Vocabulary:
    """The practice's active moment types (id and valence by key) and scripts (by role)."""

    moment_type: dict[str, int]
    valence: dict[str, str]
    by_role: dict[str, list[ScriptRow]]
    withdrawer_script: ScriptRow
    pursuer_script: ScriptRow

    @classmethod
    def read(cls) -> Vocabulary:
        """Look the vocabulary up in the database.

        Raises MissingVocabulary if a moment type of the pools or one of the two default
        scripts is missing or retired.
        """
        rows = db.execute(
            sa.select(MomentType.key, MomentType.id, MomentType.valence).where(MomentType.active)
        ).all()
        moment_type = {key: type_id for key, type_id, _ in rows}
        missing = sorted({key for pool in POOLS for key, _ in pool} - moment_type.keys())
        if missing:
            raise MissingVocabulary(
                "The default moment types are missing or retired "
                f"({', '.join(missing)}); seed the demo into a freshly migrated database."
            )
        scripts = [
            ScriptRow(*row)
            for row in db.execute(
                sa.select(Script.id, Script.text, Script.intended_role)
                .where(Script.active)
                .order_by(Script.position, Script.id)
            )
        ]
        by_text = {script.text: script for script in scripts}
        withdrawer_script = by_text.get(WITHDRAWER_SCRIPT)
        pursuer_script = by_text.get(PURSUER_SCRIPT)
        if withdrawer_script is None or pursuer_script is None:
            raise MissingVocabulary(
                "The two default scripts are missing or retired; seed the demo into a freshly "
                "migrated database."
            )
        return cls(
            moment_type=moment_type,
            valence={key: valence for key, _, valence in rows},
            by_role={
                role: [script for script in scripts if script.role == role]
                for role in (ScriptRole.PURSUER, ScriptRole.WITHDRAWER, ScriptRole.EITHER)
            },
            withdrawer_script=withdrawer_script,
            pursuer_script=pursuer_script,
        )
