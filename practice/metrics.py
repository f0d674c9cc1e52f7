"""The clinical rules of the practice, defined once.

Pages, PDF reports, the API and supervisor flags all call these functions, so a rule changes in one
place only. Standard library only: no Flask, no database.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TypeVar

K = TypeVar("K")

# --- Script adoption -------------------------------------------------------------------------

ADOPTION_LEVELS: dict[int, str] = {
    0: "Not observed",
    1: "Used when prompted in session",
    2: "Used spontaneously in session",
    3: "Reported used at home",
}
ADOPTED_LEVEL = 2


def adoption_point(observations: Sequence[tuple[K, int]]) -> K | None:
    """Return the key of the session at which a script was adopted, or None if it has not been.

    ``observations`` are (session key, level) in session order, for observed sessions only. The
    script is adopted at the first session that starts a pair of consecutive observations both at
    level >= ``ADOPTED_LEVEL``. Raises ValueError for a level outside ``ADOPTION_LEVELS``.
    """
    for key, level in observations:
        _check_whole_number(level, 0, max(ADOPTION_LEVELS), f"Adoption level at session {key!r}")
    for (key, level), (_, next_level) in pairwise(observations):
        if level >= ADOPTED_LEVEL and next_level >= ADOPTED_LEVEL:
            return key
    return None


# --- Cycle balance ---------------------------------------------------------------------------

ESCALATING = "escalating"
DEESCALATING = "de-escalating"
NEUTRAL = "neutral"
VALENCES = (ESCALATING, DEESCALATING, NEUTRAL)
MIN_INTENSITY = 1
MAX_INTENSITY = 5


@dataclass(frozen=True)
class CycleBalance:
    """A session's escalating and de-escalating loads (moment counts weighted by intensity)."""

    escalating: int
    deescalating: int

    @property
    def softening_share(self) -> float | None:
        """D / (E + D), or None when the session had no escalating or de-escalating moment."""
        return softening_share(self.escalating, self.deescalating)


def softening_share(escalating: float, deescalating: float) -> float | None:
    """Return D / (E + D), or None when both loads are 0.

    Raises ValueError if either load is negative.
    """
    if escalating < 0 or deescalating < 0:
        raise ValueError(f"Loads cannot be negative (E={escalating}, D={deescalating})")
    total = escalating + deescalating
    if total == 0:
        return None
    return deescalating / total


def cycle_balance(moments: Iterable[tuple[str, int]]) -> CycleBalance:
    """Sum the intensities of a session's moments into escalating and de-escalating loads.

    Each moment is (valence, intensity); neutral moments count in neither load. Raises ValueError
    for an unknown valence or an intensity outside 1..5.
    """
    escalating = deescalating = 0
    for valence, intensity in moments:
        if valence not in VALENCES:
            raise ValueError(f"Unknown valence {valence!r}; expected one of {', '.join(VALENCES)}")
        _check_whole_number(intensity, MIN_INTENSITY, MAX_INTENSITY, "Moment intensity")
        if valence == ESCALATING:
            escalating += intensity
        elif valence == DEESCALATING:
            deescalating += intensity
    return CycleBalance(escalating=escalating, deescalating=deescalating)


# --- Trend of the softening share ------------------------------------------------------------

TREND_WINDOW = 4
# Change in softening share per session. Pages and reports state this threshold next to the label,
# so a counsellor can see what "steady" means.
TREND_THRESHOLD = 0.05

IMPROVING = "improving"
STEADY = "steady"
WORSENING = "worsening"
NOT_ENOUGH_SESSIONS = "not enough sessions"

# Float noise must not move a slope that is exactly at the threshold (e.g. 0.0499999...) across it.
_SLOPE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Trend:
    """Direction of the softening share over recent sessions."""

    slope: float | None
    label: str
    sessions_used: int


def least_squares_slope(ys: Sequence[float]) -> float:
    """Return the least-squares slope of ``ys`` against positions 0..n-1.

    Raises ValueError with fewer than two values.
    """
    if len(ys) < 2:
        raise ValueError(f"A slope needs at least 2 values, got {len(ys)}")
    return statistics.linear_regression(range(len(ys)), ys).slope


def softening_trend(
    shares: Sequence[float | None],
    window: int = TREND_WINDOW,
    threshold: float = TREND_THRESHOLD,
) -> Trend:
    """Label the trend of the softening share over the last ``window`` sessions that have one.

    ``shares`` are per session in session order; sessions without a share (None) are skipped.
    Fewer than ``window`` such sessions gives "not enough sessions". A slope beyond +/-threshold is
    "improving"/"worsening"; anything within it, boundaries included, is "steady". Raises
    ValueError if ``window`` is below 2 or ``threshold`` is negative.
    """
    if window < 2:
        raise ValueError(f"Trend window must be at least 2 sessions, got {window}")
    if threshold < 0:
        raise ValueError(f"Trend threshold cannot be negative, got {threshold}")
    known = [share for share in shares if share is not None]
    if len(known) < window:
        return Trend(slope=None, label=NOT_ENOUGH_SESSIONS, sessions_used=len(known))
    slope = least_squares_slope(known[-window:])
    if slope > threshold + _SLOPE_TOLERANCE:
        label = IMPROVING
    elif slope < -threshold - _SLOPE_TOLERANCE:
        label = WORSENING
    else:
        label = STEADY
    return Trend(slope=slope, label=label, sessions_used=window)


# --- CSI-4 (Couples Satisfaction Index, 4 items; Funk & Rogge 2007) ---------------------------


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


def csi4_reliable_fall(earlier: int, later: int, threshold: float = CSI4_RELIABLE_CHANGE) -> bool:
    """Return whether the CSI-4 total fell by at least ``threshold`` from ``earlier`` to ``later``.

    Raises ValueError if either total is not a whole number in 0..21.
    """
    _check_whole_number(earlier, CSI4_MIN_TOTAL, CSI4_MAX_TOTAL, "Earlier CSI-4 total")
    _check_whole_number(later, CSI4_MIN_TOTAL, CSI4_MAX_TOTAL, "Later CSI-4 total")
    return earlier - later >= threshold


def _check_whole_number(value: object, minimum: int, maximum: int, what: str) -> None:
    # bool is an int subclass, but True/False in a score is a data error, not a 1/0.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    if not minimum <= value <= maximum:
        raise ValueError(f"{what} must be between {minimum} and {maximum}, got {value}")
