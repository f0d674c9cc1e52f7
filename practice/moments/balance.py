"""The moment valences, a session's cycle balance and tally, its de-escalation share, and the
trend of that share: DESIGN.md's rules, written once.

Pure rules: no Flask, no database. Pages, reports, flags and the API all compute them here.

The cycle balance is stated so that SQL computing it for many sessions at once (the supervisor
dashboard's) can mirror it term by term and be checked against it:

- each standing (not voided) moment of a session contributes ``moment_load(valence, intensity)``:
  its intensity (1..5) to the escalating load E if its type is escalating, to the de-escalating
  load D if de-escalating, and nothing if neutral;
- ``cycle_balance`` sums those contributions over the session's standing moments; in SQL, over
  the moments joined to their types, ``SUM(CASE WHEN valence = 'escalating' THEN intensity
  ELSE 0 END)`` for E and the same with ``'de-escalating'`` for D (0 for a session without
  moments);
- ``deescalation_share(E, D)`` is D / (E + D), undefined (None) when the session's load E + D
  is below ``MIN_SHARE_LOAD``: a single moment would read as 0 % or 100 %.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from practice.core.numbers import check_whole_number as _check_whole_number

__all__ = [
    "HIGH_SHARE",
    "IMPROVING",
    "MAX_INTENSITY",
    "MIN_INTENSITY",
    "MIN_SHARE_LOAD",
    "NOT_ENOUGH_SESSIONS",
    "STEADY",
    "TREND_THRESHOLD",
    "TREND_WINDOW",
    "VALENCE_LABELS",
    "WORSENING",
    "CycleBalance",
    "SessionTally",
    "Trend",
    "Valence",
    "cycle_balance",
    "deescalation_share",
    "deescalation_trend",
    "least_squares_slope",
    "moment_load",
    "session_tally",
]

# --- Valences ----------------------------------------------------------------------------------


class Valence(StrEnum):
    """How a type of moment bears on the couple's cycle; the one definition of the values
    (the moment type's column and its CHECK constraint use them too)."""

    ESCALATING = "escalating"
    DEESCALATING = "de-escalating"
    NEUTRAL = "neutral"


# The valences in words, in the fixed order every list and form shows them.
VALENCE_LABELS: dict[Valence, str] = {
    Valence.ESCALATING: "Escalating",
    Valence.DEESCALATING: "De-escalating",
    Valence.NEUTRAL: "Neutral",
}


def _valence(value: str) -> Valence:
    try:
        return Valence(value)
    except ValueError:
        expected = ", ".join(Valence)
        raise ValueError(f"Unknown valence {value!r}; expected one of {expected}") from None


# --- Cycle balance -----------------------------------------------------------------------------

MIN_INTENSITY = 1
MAX_INTENSITY = 5
# A session's share counts only with at least this load (E + D, intensity-weighted): two moments
# of middling intensity, say. Below it one moment would decide between 0 % and 100 %.
MIN_SHARE_LOAD = 4


@dataclass(frozen=True)
class CycleBalance:
    """A session's escalating and de-escalating loads (moment counts weighted by intensity)."""

    escalating: int
    deescalating: int

    @property
    def deescalation_share(self) -> float | None:
        """D / (E + D), or None when the session's load is too small to say (see
        ``deescalation_share``)."""
        return deescalation_share(self.escalating, self.deescalating)


def deescalation_share(escalating: float, deescalating: float) -> float | None:
    """Return D / (E + D), or None when the load E + D is below ``MIN_SHARE_LOAD`` (0 included).

    Raises ValueError if either load is negative.
    """
    if escalating < 0 or deescalating < 0:
        raise ValueError(f"Loads cannot be negative (E={escalating}, D={deescalating})")
    total = escalating + deescalating
    if total < MIN_SHARE_LOAD:
        return None
    return deescalating / total


def moment_load(valence: str, intensity: int) -> tuple[int, int]:
    """One moment's contribution to (E, D): its intensity on the side of its valence; a neutral
    moment adds to neither.

    Raises ValueError for an unknown valence or an intensity outside 1..5.
    """
    valence = _valence(valence)
    _check_whole_number(intensity, MIN_INTENSITY, MAX_INTENSITY, "Moment intensity")
    if valence == Valence.ESCALATING:
        return intensity, 0
    if valence == Valence.DEESCALATING:
        return 0, intensity
    return 0, 0


def cycle_balance(moments: Iterable[tuple[str, int]]) -> CycleBalance:
    """Sum the moment loads of a session's standing moments into its cycle balance.

    Each moment is (valence, intensity). Raises ValueError as ``moment_load`` does.
    """
    escalating = deescalating = 0
    for valence, intensity in moments:
        e, d = moment_load(valence, intensity)
        escalating += e
        deescalating += d
    return CycleBalance(escalating=escalating, deescalating=deescalating)


@dataclass(frozen=True)
class SessionTally:
    """A session's standing moments counted per valence, and its cycle balance: what the
    Moments tab and live mode show."""

    escalating: int
    deescalating: int
    neutral: int
    balance: CycleBalance

    @property
    def deescalation_share(self) -> float | None:
        return self.balance.deescalation_share


def session_tally(moments: Iterable[tuple[str, int]]) -> SessionTally:
    """Count a session's standing moments, each (valence, intensity), per valence, and weigh
    them into its cycle balance.

    Raises ValueError as ``moment_load`` does.
    """
    moments = list(moments)
    counts = dict.fromkeys(Valence, 0)
    for valence, _intensity in moments:
        counts[_valence(valence)] += 1
    return SessionTally(
        escalating=counts[Valence.ESCALATING],
        deescalating=counts[Valence.DEESCALATING],
        neutral=counts[Valence.NEUTRAL],
        balance=cycle_balance(moments),
    )


# --- Trend of the de-escalation share ------------------------------------------------------------

TREND_WINDOW = 4
# Change in de-escalation share per session. Pages and reports state this threshold next to the
# label, so a counsellor can see what "steady" means.
TREND_THRESHOLD = 0.05
# A window whose median share is at least this is steady whatever its slope: one difficult
# session after many calm ones is not a couple getting worse.
HIGH_SHARE = 0.8

IMPROVING = "improving"
STEADY = "steady"
WORSENING = "worsening"
NOT_ENOUGH_SESSIONS = "not enough sessions"

# Float noise must not move a slope that is exactly at the threshold (e.g. 0.0499999...) across it.
_SLOPE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Trend:
    """Direction of the de-escalation share over recent sessions."""

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


def deescalation_trend(
    shares: Sequence[float | None],
    window: int = TREND_WINDOW,
    threshold: float = TREND_THRESHOLD,
) -> Trend:
    """Label the trend of the de-escalation share over the last ``window`` sessions that have one.

    ``shares`` are per session in session order; sessions without a share (None: no moments, or
    too little load to say) are skipped. Fewer than ``window`` such sessions gives "not enough
    sessions". A window whose median share is ``HIGH_SHARE`` or more is "steady": the share stays
    high. Otherwise a least-squares slope beyond +/-threshold is "improving"/"worsening", and
    anything within it, boundaries included, "steady". Raises ValueError if ``window`` is below
    2 or ``threshold`` is negative.
    """
    if window < 2:
        raise ValueError(f"Trend window must be at least 2 sessions, got {window}")
    if threshold < 0:
        raise ValueError(f"Trend threshold cannot be negative, got {threshold}")
    known = [share for share in shares if share is not None]
    if len(known) < window:
        return Trend(slope=None, label=NOT_ENOUGH_SESSIONS, sessions_used=len(known))
    recent = known[-window:]
    slope = least_squares_slope(recent)
    if statistics.median(recent) >= HIGH_SHARE - _SLOPE_TOLERANCE:
        label = STEADY
    elif slope > threshold + _SLOPE_TOLERANCE:
        label = IMPROVING
    elif slope < -threshold - _SLOPE_TOLERANCE:
        label = WORSENING
    else:
        label = STEADY
    return Trend(slope=slope, label=label, sessions_used=window)
