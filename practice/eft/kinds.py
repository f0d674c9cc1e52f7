"""The EFT change events, their words, and which stage each opens: defined once.

A change event is a shift EFT names in the couple's work (Johnson): the cycle de-escalated
(stage 1's end), the withdrawer re-engaged and the blamer softened (stage 2's two events), an
attachment injury resolved, and the new cycle consolidated (stage 3). The stage gates read
:data:`GATES`: a stage may be set once every event it names is confirmed.

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class EventKind(StrEnum):
    """The kinds of change event; the values are stored (and checked by the table)."""

    DEESCALATED = "deescalated"
    REENGAGED = "reengaged"
    SOFTENED = "softened"
    INJURY_RESOLVED = "injury_resolved"
    CONSOLIDATED = "consolidated"


LABELS: dict[str, str] = {
    EventKind.DEESCALATED: "Cycle de-escalated",
    EventKind.REENGAGED: "Withdrawer re-engaged",
    EventKind.SOFTENED: "Blamer softened",
    EventKind.INJURY_RESOLVED: "Attachment injury resolved",
    EventKind.CONSOLIDATED: "New cycle consolidated",
}

# The kinds the tracker proposes from the moments; the others are recorded by the counsellor.
PROPOSED_KINDS: tuple[str, ...] = (EventKind.DEESCALATED, EventKind.REENGAGED, EventKind.SOFTENED)

# Each stage and the events that must be confirmed before it is set. Stage 3 needs stage 2's
# gate too: consolidation follows restructuring, which follows de-escalation.
GATES: dict[int, tuple[str, ...]] = {
    2: (EventKind.DEESCALATED,),
    3: (EventKind.DEESCALATED, EventKind.REENGAGED, EventKind.SOFTENED),
}


def label(kind: str) -> str:
    """The event's name in words (``Cycle de-escalated``)."""
    return LABELS.get(kind, kind)


def missing_events(stage: int | None, confirmed: Iterable[str]) -> list[str]:
    """The kinds of event (in :data:`GATES` order) still to be confirmed before ``stage`` may be
    set; empty when it may (stage 1, blank, or every event confirmed)."""
    have = set(confirmed)
    return [kind for kind in GATES.get(stage or 0, ()) if kind not in have]


def allowed_stage(confirmed: Iterable[str]) -> int:
    """The highest stage the confirmed events open (1 with none)."""
    have = set(confirmed)
    return max([1, *(stage for stage, kinds in GATES.items() if set(kinds) <= have)])


def needs_reason(stage: int | None, in_force: int | None, confirmed: Iterable[str]) -> bool:
    """Whether setting ``stage`` needs a reason: it rises above the stage ``in_force`` (the
    case's current stage) and an event its gate names is not confirmed. Keeping a stage already
    in force (re-saving a form, a new session at the case's stage) never does."""
    if stage is None or stage <= (in_force or 0):
        return False
    return bool(missing_events(stage, confirmed))


def missing_words(kinds: Iterable[str]) -> str:
    """``Cycle de-escalated and Blamer softened`` (for refusals and flags)."""
    names = [label(kind) for kind in kinds]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
