"""The CSI-4 (Couples Satisfaction Index, 4 items; Funk & Rogge 2007): items, total, cut-off,
reliable change, as the CSI-4 code paths name them.

The CSI-4 is defined as data in the measure registry (``practice.measures.shipped.CSI4``) and
scored and judged by the registry's rules (``practice.measures.registry``); these are thin names
over them, plus the couple's classification. Pure rules: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from practice.core.numbers import check_whole_number as _check_whole_number
from practice.measures import registry
from practice.measures.registry import (  # noqa: F401 (the names the CSI-4 code paths import)
    BASELINE_ONLY,
    CHANGE_LABELS,
    DETERIORATED,
    IMPROVED,
    RECOVERED,
    UNCHANGED,
)
from practice.measures.registry import MeasureChange as Csi4Change
from practice.measures.shipped import CSI4

# The name a response is stored under (``MeasureResponse.measure``).
CSI4_MEASURE = CSI4.key


@dataclass(frozen=True)
class Csi4Item:
    """One CSI-4 item: its number, a short paraphrase of the question and its score range."""

    number: int
    prompt: str
    minimum: int
    maximum: int


# Read from the registry's definition (``practice.measures.shipped.CSI4``).
CSI4_ITEMS: tuple[Csi4Item, ...] = tuple(
    Csi4Item(i.number, i.wording, int(i.minimum), int(i.maximum)) for i in CSI4.items
)
CSI4_MIN_TOTAL = CSI4.min_total
CSI4_MAX_TOTAL = CSI4.max_total
# Totals below this suggest notable relationship dissatisfaction (Funk & Rogge 2007).
CSI4_CUTOFF = CSI4.cutoff
# The practice default (see ``shipped.CSI4``); PRACTICE_CSI4_RELIABLE_CHANGE sets the practice's.
CSI4_RELIABLE_CHANGE = CSI4.reliable_change
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
    return registry.score(CSI4, items)


def csi4_below_cutoff(total: float) -> bool:
    """Return whether a CSI-4 total is below the cut-off for notable dissatisfaction."""
    return registry.in_concern(CSI4, total)


def csi4_reading(total: float) -> str:
    """The total read against the cut-off, in words a counsellor would use."""
    if csi4_below_cutoff(total):
        return f"{total} — below the {CSI4_CUTOFF} cut-off: notable relationship dissatisfaction"
    return f"{total} — at or above the {CSI4_CUTOFF} cut-off"


def csi4_change(totals: Sequence[float], rci: float = CSI4_RELIABLE_CHANGE) -> Csi4Change:
    """Classify a partner's CSI-4 totals (in session order) by reliable change from the first
    (``registry.judge_change`` on the CSI-4's definition).

    Recovered: up by at least ``rci`` and crossed from below the cut-off to at or above it.
    Improved: up by at least ``rci``. Deteriorated: down by at least ``rci``. Otherwise
    unchanged; a single reading is the baseline only. A slide: the latest is at least ``rci``
    below the best so far. Raises ValueError for no totals, a total outside 0-21, or an
    ``rci`` that is not positive.
    """
    return registry.judge_change(CSI4, totals, rci)


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
