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
# 5-point fall errs against false alarms. Supervisor-flag configuration can override it.
CSI4_RELIABLE_CHANGE = 5


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


def csi4_reliable_fall(earlier: int, later: int, threshold: float = CSI4_RELIABLE_CHANGE) -> bool:
    """Return whether the CSI-4 total fell by at least ``threshold`` from ``earlier`` to ``later``.

    Raises ValueError if either total is not a whole number in 0..21. ``threshold`` defaults to
    ``CSI4_RELIABLE_CHANGE``; the supervisor flags pass their configured one.
    """
    _check_whole_number(earlier, CSI4_MIN_TOTAL, CSI4_MAX_TOTAL, "Earlier CSI-4 total")
    _check_whole_number(later, CSI4_MIN_TOTAL, CSI4_MAX_TOTAL, "Later CSI-4 total")
    return earlier - later >= threshold
