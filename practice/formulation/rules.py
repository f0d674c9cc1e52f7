"""The cycle map's rules: what a side holds, what changed between two revisions, and when the
map's milestones were reached. Pure functions over frozen facts: no Flask, no database.

Milestones (each dated by the first revision, in session order, at which it holds):

- **cycle mapped**: every partner's side has a trigger, an action and a reactive emotion;
- **primary emotions accessed**: every partner's side has a primary emotion and a need, each
  side backed by at least one evidence moment of one of :data:`EVIDENCE_TYPES`;
- **misreading revised** (per partner): a revision changes the partner's perception of the
  other from what the previous revision said (a first writing is not a revision), and a
  "naming the cycle" moment by that partner (or tagged for both partners) supports it: tagged
  in the revision's session, or in a session after the previous revision's and before this one.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

# (name, clinical label, the clients' words)
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("trigger", "Trigger", "What sets it off"),
    ("action", "Action", "What follows"),
    ("self_view", "Perception of self", "Feeling about myself"),
    ("other_view", "Perception of the other", "How the other looks"),
    ("reactive_emotion", "Reactive emotion", "On the surface"),
    ("primary_emotion", "Primary emotion", "Felt underneath"),
    ("attachment_fear", "Attachment fear", "The fear"),
    ("need", "Longing or need", "The longing"),
)
FIELD_NAMES = tuple(name for name, _, _ in FIELDS)
LABELS = {name: label for name, label, _ in FIELDS}
CLIENT_LABELS = {name: words for name, _, words in FIELDS}
LINK = "action_triggers_other"
LINK_LABEL = "Action sets off the other's trigger"

MAPPED_FIELDS = ("trigger", "action", "reactive_emotion")
ACCESSED_FIELDS = ("primary_emotion", "need")
# Moment types that can back a partner's primary emotion and need.
EVIDENCE_TYPES = ("underlying_fear", "attachment_need", "softening")
NAMING_CYCLE = "naming_cycle"

CYCLE_MAPPED = "cycle_mapped"
PRIMARY_ACCESSED = "primary_accessed"
MISREADING_REVISED = "misreading_revised"
MILESTONE_LABELS = {
    CYCLE_MAPPED: "Cycle mapped",
    PRIMARY_ACCESSED: "Primary emotions accessed",
    MISREADING_REVISED: "Misreading revised",
}
MILESTONE_RULES = {
    CYCLE_MAPPED: "Both partners have a trigger, an action and a reactive emotion.",
    PRIMARY_ACCESSED: (
        "Both partners have a primary emotion and a need, each backed by a tagged moment "
        "(underlying fear named, attachment need expressed or softening)."
    ),
    MISREADING_REVISED: (
        "A later revision changes the partner's perception of the other, and a 'naming the "
        "cycle' moment by that partner, in that session or since the previous revision, "
        "supports it."
    ),
}


@dataclass(frozen=True)
class SideFacts:
    """One partner's side in a revision: the texts, the link, the evidence moments' types."""

    partner_id: int
    values: Mapping[str, str]
    triggers_other: bool = True
    evidence_types: tuple[str, ...] = ()

    def text(self, name: str) -> str:
        return (self.values.get(name) or "").strip()


@dataclass(frozen=True)
class RevisionFacts:
    """A revision as the rules see it: its session's start and each partner's side."""

    revision_id: int
    session_id: int
    starts_at: datetime
    sides: Mapping[int, SideFacts] = field(default_factory=dict)


@dataclass(frozen=True)
class MomentFacts:
    """A tagged moment of the case: whose, what type, in which session, when it started."""

    partner_id: int | None
    type_key: str
    session_id: int
    starts_at: datetime


@dataclass(frozen=True)
class Milestone:
    """A milestone, reached at a revision (or not yet: ``revision_id`` None)."""

    key: str
    partner_id: int | None
    revision_id: int | None = None
    session_id: int | None = None
    starts_at: datetime | None = None

    @property
    def label(self) -> str:
        return MILESTONE_LABELS[self.key]

    @property
    def reached(self) -> bool:
        return self.revision_id is not None


@dataclass(frozen=True)
class Change:
    """One field of one partner's side that differs between two revisions."""

    partner_id: int
    name: str
    old: str
    new: str

    @property
    def label(self) -> str:
        return LINK_LABEL if self.name == LINK else LABELS[self.name]


def _has(side: SideFacts | None, names: Sequence[str]) -> bool:
    return side is not None and all(side.text(name) for name in names)


def cycle_mapped(revision: RevisionFacts, partner_ids: Sequence[int]) -> bool:
    """Every partner has a trigger, an action and a reactive emotion."""
    return bool(partner_ids) and all(
        _has(revision.sides.get(p), MAPPED_FIELDS) for p in partner_ids
    )


def primary_accessed(revision: RevisionFacts, partner_ids: Sequence[int]) -> bool:
    """Every partner has a primary emotion and a need, backed by an evidence moment."""

    def backed(side: SideFacts | None) -> bool:
        return side is not None and any(t in EVIDENCE_TYPES for t in side.evidence_types)

    return bool(partner_ids) and all(
        _has(revision.sides.get(p), ACCESSED_FIELDS) and backed(revision.sides.get(p))
        for p in partner_ids
    )


def misreading_revised(
    previous: RevisionFacts,
    revision: RevisionFacts,
    partner_id: int,
    moments: Sequence[MomentFacts],
) -> bool:
    """The partner's perception of the other changed from a written one at ``previous`` to a
    different one at ``revision``, supported by the partner's "naming the cycle" moment in a
    session after ``previous``'s and up to ``revision``'s (both by session start). A moment
    tagged for both partners (no partner) is both partners' naming of the cycle."""
    old_side, new_side = previous.sides.get(partner_id), revision.sides.get(partner_id)
    if old_side is None or new_side is None:
        return False
    old, new = old_side.text("other_view"), new_side.text("other_view")
    if not old or not new or old == new:
        return False
    return any(
        m.partner_id in (partner_id, None)
        and m.type_key == NAMING_CYCLE
        and previous.starts_at < m.starts_at <= revision.starts_at
        for m in moments
    )


def in_order(revisions: Sequence[RevisionFacts]) -> list[RevisionFacts]:
    """Revisions in the order of their sessions (the order every rule reads them in)."""
    return sorted(revisions, key=lambda r: (r.starts_at, r.revision_id))


def _at(key: str, partner_id: int | None, revision: RevisionFacts | None) -> Milestone:
    if revision is None:
        return Milestone(key, partner_id)
    return Milestone(key, partner_id, revision.revision_id, revision.session_id, revision.starts_at)


def milestones(
    revisions: Sequence[RevisionFacts],
    partner_ids: Sequence[int],
    moments: Sequence[MomentFacts],
) -> list[Milestone]:
    """Each milestone with the first revision it was reached at: cycle mapped, primary
    emotions accessed, then misreading revised for each partner in ``partner_ids``' order."""
    ordered = in_order(revisions)
    mapped = next((r for r in ordered if cycle_mapped(r, partner_ids)), None)
    accessed = next((r for r in ordered if primary_accessed(r, partner_ids)), None)
    found = [_at(CYCLE_MAPPED, None, mapped), _at(PRIMARY_ACCESSED, None, accessed)]
    for partner_id in partner_ids:
        revised = next(
            (
                later
                for earlier, later in itertools.pairwise(ordered)
                if misreading_revised(earlier, later, partner_id, moments)
            ),
            None,
        )
        found.append(_at(MISREADING_REVISED, partner_id, revised))
    return found


def diff(old: RevisionFacts | None, new: RevisionFacts, partner_ids: Sequence[int]) -> list[Change]:
    """What changed from ``old`` to ``new`` (``old`` None: everything ``new`` says), field by
    field, per partner in ``partner_ids``' order; the link reads "yes"/"no"."""
    changes = []
    for partner_id in partner_ids:
        before = old.sides.get(partner_id) if old is not None else None
        after = new.sides.get(partner_id)
        for name in FIELD_NAMES:
            was = before.text(name) if before else ""
            now = after.text(name) if after else ""
            if was != now:
                changes.append(Change(partner_id, name, was, now))
        was_link = before.triggers_other if before else None
        now_link = after.triggers_other if after else None
        if was_link != now_link and not (before is None and now_link):
            changes.append(Change(partner_id, LINK, _yes(was_link), _yes(now_link)))
    return changes


def _yes(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")
