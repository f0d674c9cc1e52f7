"""The cycle balance of a session, its softening share, and the trend of that share.

Pure rules: no Flask, no database.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from practice.core.numbers import check_whole_number as _check_whole_number

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
