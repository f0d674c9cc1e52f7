"""The CSI-4 (Couples Satisfaction Index, 4 items; Funk & Rogge 2007): items, total, cut-off,
reliable change.

The one home of DESIGN.md's CSI-4 rules: pages, the API, reports, charts, flags and the demo all
read them from here. Pure rules: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from practice.core.numbers import check_whole_number as _check_whole_number

# The name a response is stored under (``MeasureResponse.measure``).
CSI4_MEASURE = "CSI-4"


@dataclass(frozen=True)
class Csi4Item:
    """One CSI-4 item: its number, a short paraphrase of the question and its score range."""

    number: int
    prompt: str
    minimum: int
    maximum: int


CSI4_ITEMS: tuple[Csi4Item, ...] = (
    Csi4Item(1, "Happiness with the relationship, all things considered", 0, 6),
    Csi4Item(2, "A warm and comfortable relationship with my partner", 0, 5),
    Csi4Item(3, "How rewarding the relationship with my partner is", 0, 5),
    Csi4Item(4, "Overall satisfaction with the relationship", 0, 5),
)
CSI4_MIN_TOTAL = sum(item.minimum for item in CSI4_ITEMS)
CSI4_MAX_TOTAL = sum(item.maximum for item in CSI4_ITEMS)
# Totals below this suggest notable relationship dissatisfaction (Funk & Rogge 2007).
CSI4_CUTOFF = 13.5
# Conservative practice default, not a published cut-off: a Jacobson-Truax index computed from the
# CSI-4's high reported reliability (alpha about .94) and typical score spread is smaller, so a
# 5-point change errs against false alarms. The practice may set its own
# (PRACTICE_CSI4_RELIABLE_CHANGE), used alike by pages, reports and flags.
CSI4_RELIABLE_CHANGE = 5
# At or below this total, distress is severe enough to flag on its own (a practice default).
CSI4_SEVERE_DISTRESS = 6


def csi4_total(items: Sequence[int]) -> int:
    """Return the CSI-4 total (0-21) of four item scores given in item order.

    Raises ValueError if there are not exactly 4 scores, or a score is not a whole number or is
    outside its item's range.
    """
    if len(items) != len(CSI4_ITEMS):
        raise ValueError(f"CSI-4 needs {len(CSI4_ITEMS)} item scores, got {len(items)}")
    for item, score in zip(CSI4_ITEMS, items, strict=True):
        _check_whole_number(score, item.minimum, item.maximum, f"CSI-4 item {item.number}")
    return sum(items)


def csi4_below_cutoff(total: float) -> bool:
    """Return whether a CSI-4 total is below the cut-off for notable dissatisfaction."""
    return total < CSI4_CUTOFF


def csi4_reading(total: float) -> str:
    """The total read against the cut-off, in words a counsellor would use."""
    if csi4_below_cutoff(total):
        return f"{total} — below the {CSI4_CUTOFF} cut-off: notable relationship dissatisfaction"
    return f"{total} — at or above the {CSI4_CUTOFF} cut-off"


# --- Reliable change (Jacobson & Truax 1991) ----------------------------------------------------

RECOVERED = "recovered"
IMPROVED = "improved"
UNCHANGED = "unchanged"
DETERIORATED = "deteriorated"
BASELINE_ONLY = "baseline_only"
CHANGE_LABELS: dict[str, str] = {
    RECOVERED: "Recovered",
    IMPROVED: "Reliably improved",
    UNCHANGED: "No reliable change",
    DETERIORATED: "Reliably deteriorated",
    BASELINE_ONLY: "Baseline only",
}


@dataclass(frozen=True)
class Csi4Change:
    """One partner's CSI-4 judged against their own baseline.

    ``baseline`` is the first total, ``latest`` the last, ``best`` the highest so far;
    ``change`` = latest - baseline; ``category`` one of ``CHANGE_LABELS``; ``slide``: the latest
    is at least one reliable-change index below the best so far.
    """

    baseline: float
    latest: float
    best: float
    change: float
    category: str
    slide: bool
    readings: int

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self.category]

    @property
    def below_cutoff(self) -> bool:
        return csi4_below_cutoff(self.latest)


def csi4_change(totals: Sequence[float], rci: float = CSI4_RELIABLE_CHANGE) -> Csi4Change:
    """Classify a partner's CSI-4 totals (in session order) by reliable change from the first.

    Recovered: up by at least ``rci`` and crossed from below the cut-off to at or above it.
    Improved: up by at least ``rci``. Deteriorated: down by at least ``rci``. Otherwise
    unchanged; a single reading is the baseline only. A slide: the latest is at least ``rci``
    below the best so far. Raises ValueError for no totals, a total outside 0-21, or an
    ``rci`` that is not positive.
    """
    if not totals:
        raise ValueError("Reliable change needs at least one CSI-4 total")
    if rci <= 0:
        raise ValueError(f"The reliable-change index must be positive, got {rci!r}")
    for total in totals:
        if not CSI4_MIN_TOTAL <= total <= CSI4_MAX_TOTAL:
            raise ValueError(f"A CSI-4 total is between 0 and 21, got {total!r}")
    baseline, latest, best = totals[0], totals[-1], max(totals)
    change = latest - baseline
    if len(totals) == 1:
        category = BASELINE_ONLY
    elif change >= rci:
        crossed = csi4_below_cutoff(baseline) and not csi4_below_cutoff(latest)
        category = RECOVERED if crossed else IMPROVED
    elif change <= -rci:
        category = DETERIORATED
    else:
        category = UNCHANGED
    return Csi4Change(
        baseline=baseline,
        latest=latest,
        best=best,
        change=change,
        category=category,
        slide=len(totals) > 1 and best - latest >= rci,
        readings=len(totals),
    )


BOTH_IMPROVED = "both_improved"
ONE_IMPROVED = "one_improved"
BOTH_UNCHANGED = "both_unchanged"
ONE_DETERIORATED = "one_deteriorated"
BOTH_DETERIORATED = "both_deteriorated"
DIVERGENT = "divergent"
NOT_ENOUGH_READINGS = "not_enough_readings"
COUPLE_LABELS: dict[str, str] = {
    BOTH_IMPROVED: "Both partners reliably improved",
    ONE_IMPROVED: "One partner reliably improved, the other unchanged",
    BOTH_UNCHANGED: "No reliable change for either partner",
    ONE_DETERIORATED: "One partner reliably deteriorated, the other unchanged",
    BOTH_DETERIORATED: "Both partners reliably deteriorated",
    DIVERGENT: "Divergent: one partner improved, the other deteriorated",
    NOT_ENOUGH_READINGS: "Not enough readings from both partners",
}


def couple_change(first: Csi4Change | None, second: Csi4Change | None) -> str:
    """The couple's CSI-4 course from each partner's (``COUPLE_LABELS`` key).

    Needs two readings or more from each partner; recovered counts as improved.
    """
    if first is None or second is None:
        return NOT_ENOUGH_READINGS
    if BASELINE_ONLY in (first.category, second.category):
        return NOT_ENOUGH_READINGS
    up = sum(c.category in (RECOVERED, IMPROVED) for c in (first, second))
    down = sum(c.category == DETERIORATED for c in (first, second))
    if up and down:
        return DIVERGENT
    if up == 2:
        return BOTH_IMPROVED
    if down == 2:
        return BOTH_DETERIORATED
    if up == 1:
        return ONE_IMPROVED
    if down == 1:
        return ONE_DETERIORATED
    return BOTH_UNCHANGED
