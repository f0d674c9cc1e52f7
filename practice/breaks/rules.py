"""The break-and-return rules: when a break was protective, early or unreturned, the return rate,
and when a case's breaks need a supervisor's look. Pure: no Flask, no database.

Gottman's flooding guidance: a flooded body needs at least twenty minutes to settle, and a break
that is not followed by a return within a day is a withdrawal, not a pause. So a break is

- **protective** when the conversation resumed at least ``min_break`` after the call and at most
  ``max_break`` after it (both ends included: 20:00 minutes and 24:00:00 hours are protective);
- **early** when it resumed sooner than ``min_break`` (19:59 minutes is early);
- **unreturned** when it did not resume within ``max_break`` (no return, or one 24 h + 1 s after);
- **pending** while it is younger than ``max_break`` and has not resumed: it may still be kept.

The **return rate** is the share of the decided breaks (not pending) called in the last
``rate_days`` days that were returned to (protective or early: the couple came back to talk).
The **flag** fires when ``flag_unreturned`` or more breaks called in the last ``flag_days`` days
went unreturned, or when the return rate of the last ``flag_last`` decided breaks is below
``flag_rate`` (2 of 4 = 50 % is not flagged; 1 of 4 is). Every threshold is a setting
(:class:`BreakThresholds`, ``PRACTICE_BREAK_*``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from practice.core.thresholds import check_positive, read_positive

PROTECTIVE = "protective"
EARLY = "early"
UNRETURNED = "unreturned"
PENDING = "pending"

CLASS_LABELS: dict[str, str] = {
    PROTECTIVE: "Protective",
    EARLY: "Early return",
    UNRETURNED: "Unreturned",
    PENDING: "Pending",
}

# Configuration key of each threshold, and its type.
CONFIG_KEYS: dict[str, tuple[str, type]] = {
    "min_minutes": ("PRACTICE_BREAK_MIN_MINUTES", float),
    "max_hours": ("PRACTICE_BREAK_MAX_HOURS", float),
    "rate_days": ("PRACTICE_BREAK_RATE_DAYS", int),
    "flag_days": ("PRACTICE_BREAK_FLAG_DAYS", int),
    "flag_unreturned": ("PRACTICE_BREAK_FLAG_UNRETURNED", int),
    "flag_last": ("PRACTICE_BREAK_FLAG_LAST", int),
    "flag_rate": ("PRACTICE_BREAK_FLAG_RATE", float),
    "match_hours": ("PRACTICE_BREAK_MATCH_HOURS", float),
}


@dataclass(frozen=True)
class BreakThresholds:
    """The break rules' thresholds; the defaults are the issue's and the only definition of them.

    ``match_hours``: two accounts of a break called by the same partner whose call times are at
    most this far apart are one episode (a partner's memory of "about eight" and the other's
    "half past eight" are the same break; two breaks in one evening, hours apart, are not).
    """

    min_minutes: float = 20
    max_hours: float = 24
    rate_days: int = 28
    flag_days: int = 14
    flag_unreturned: int = 2
    flag_last: int = 4
    flag_rate: float = 0.5
    match_hours: float = 2

    def __post_init__(self) -> None:
        check_positive(self, CONFIG_KEYS)
        if self.flag_rate > 1:
            raise ValueError(f"PRACTICE_BREAK_FLAG_RATE must be at most 1, got {self.flag_rate!r}")
        if self.min_minutes >= self.max_hours * 60:
            raise ValueError(
                "PRACTICE_BREAK_MIN_MINUTES must be shorter than PRACTICE_BREAK_MAX_HOURS"
            )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> BreakThresholds:
        """The thresholds set in ``config`` (an ``app.config``), defaults for missing keys.

        Raises ValueError for a value that is not a positive number (or not whole, for counts).
        """
        return cls(**read_positive(config, CONFIG_KEYS))

    @property
    def min_break(self) -> timedelta:
        return timedelta(minutes=self.min_minutes)

    @property
    def max_break(self) -> timedelta:
        return timedelta(hours=self.max_hours)


DEFAULT_THRESHOLDS = BreakThresholds()


@dataclass(frozen=True)
class BreakFacts:
    """What one account (or an episode's chosen account) says: enough for the rules."""

    called_at: datetime
    resumed_at: datetime | None = None
    with_script: bool = False
    with_invitation: bool = False
    flooding: bool = False
    called_by: int | None = None  # a partner number or id, for words only
    outcome: str | None = None


def classify(facts: BreakFacts, now: datetime, t: BreakThresholds = DEFAULT_THRESHOLDS) -> str:
    """``protective``, ``early``, ``unreturned`` or ``pending`` (see the module's words).

    ``now`` and the times must be timezone-aware. A return after ``max_break`` counts as none.
    """
    if facts.resumed_at is not None:
        gap = facts.resumed_at - facts.called_at
        if gap < t.min_break:
            return EARLY
        if gap <= t.max_break:
            return PROTECTIVE
        return UNRETURNED
    if now - facts.called_at <= t.max_break:
        return PENDING
    return UNRETURNED


def returned(kind: str) -> bool:
    """Whether a classified break was returned to (within ``max_break``)."""
    return kind in (PROTECTIVE, EARLY)


@dataclass(frozen=True)
class ReturnRate:
    """Of ``decided`` breaks (not pending), ``returned`` were returned to; ``rate`` is None
    when none was decided."""

    returned: int
    decided: int

    @property
    def rate(self) -> float | None:
        return self.returned / self.decided if self.decided else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.0f} %"


def return_rate(
    breaks: Sequence[BreakFacts], now: datetime, t: BreakThresholds = DEFAULT_THRESHOLDS
) -> ReturnRate:
    """The return rate of the breaks called in the last ``rate_days`` days (``now`` included,
    a break called exactly ``rate_days`` days ago included), pending ones left out."""
    start = now - timedelta(days=t.rate_days)
    kinds = [classify(b, now, t) for b in breaks if start <= b.called_at <= now]
    decided = [k for k in kinds if k != PENDING]
    return ReturnRate(sum(1 for k in decided if returned(k)), len(decided))


@dataclass(frozen=True)
class BreakFlag:
    """Why a case's breaks need a supervisor's look, in words, and since when."""

    reason: str
    since: datetime


@dataclass(frozen=True)
class BreakSummary:
    """A case's breaks judged at ``now``: each one's class (in the order given), the return rate
    and the flag, if any."""

    kinds: list[str] = field(default_factory=list)
    rate: ReturnRate = ReturnRate(0, 0)
    flag: BreakFlag | None = None


def break_flag(
    breaks: Sequence[BreakFacts], now: datetime, t: BreakThresholds = DEFAULT_THRESHOLDS
) -> BreakFlag | None:
    """The flag of a case's breaks, or None (see the module's words). ``since``: the call of the
    earliest unreturned break in the window, or of the oldest of the last ``flag_last``."""
    ordered = sorted(breaks, key=lambda b: b.called_at)
    judged = [(b, classify(b, now, t)) for b in ordered if b.called_at <= now]
    window_start = now - timedelta(days=t.flag_days)
    unreturned = [b for b, kind in judged if kind == UNRETURNED and b.called_at >= window_start]
    if len(unreturned) >= t.flag_unreturned:
        return BreakFlag(
            f"{len(unreturned)} breaks not returned to within {t.max_hours:g} hours in the last "
            f"{t.flag_days} days",
            unreturned[0].called_at,
        )
    decided = [(b, kind) for b, kind in judged if kind != PENDING]
    last = decided[-t.flag_last :]
    if len(last) == t.flag_last:
        back = sum(1 for _, kind in last if returned(kind))
        if back / t.flag_last < t.flag_rate:
            return BreakFlag(
                f"only {back} of the last {t.flag_last} breaks returned to within "
                f"{t.max_hours:g} hours ({back / t.flag_last * 100:.0f} %, under "
                f"{t.flag_rate * 100:g} %)",
                last[0][0].called_at,
            )
    return None


def summarise(
    breaks: Sequence[BreakFacts], now: datetime, t: BreakThresholds = DEFAULT_THRESHOLDS
) -> BreakSummary:
    """Every break's class, the return rate and the flag, at ``now``."""
    return BreakSummary(
        kinds=[classify(b, now, t) for b in breaks],
        rate=return_rate(breaks, now, t),
        flag=break_flag(breaks, now, t),
    )


def same_episode(
    called_by_a: int,
    called_at_a: datetime,
    called_by_b: int,
    called_at_b: datetime,
    t: BreakThresholds = DEFAULT_THRESHOLDS,
) -> bool:
    """Whether two tellings are of the same break: the same partner called it, at call times at
    most ``match_hours`` apart (both ends included)."""
    return called_by_a == called_by_b and abs(called_at_a - called_at_b) <= timedelta(
        hours=t.match_hours
    )


# Fields compared between accounts, and their labels (the timeline shows those that differ).
COMPARED_FIELDS: dict[str, str] = {
    "called_at": "Called at",
    "with_script": "With the break script",
    "flooding": "Flooding",
    "heart_rate": "Heart rate",
    "promised_return_at": "Promised return",
    "resumed_at": "Resumed at",
    "resumed_by_id": "Resumed by",
    "with_invitation": "With the invitation script",
    "outcome": "Outcome",
}


def differing_fields(accounts: Sequence[Mapping[str, Any]]) -> list[str]:
    """The compared fields (in ``COMPARED_FIELDS`` order) on which the accounts disagree."""
    if len(accounts) < 2:
        return []
    return [
        name for name in COMPARED_FIELDS if len({account.get(name) for account in accounts}) > 1
    ]


def chosen_account(accounts: Sequence[Mapping[str, Any]]) -> int:
    """Index of the account an episode is judged by: the counsellor's own record if there is
    one (they heard both partners; the latest such), else the partners' account that reports a
    return (a return one partner remembers and the other does not is still a return, and the
    other account stays shown beside it), else the first recorded. Raises ValueError when empty.
    """
    if not accounts:
        raise ValueError("an episode has at least one account")
    own = [i for i, a in enumerate(accounts) if a.get("told_by_id") is None]
    if own:
        return own[-1]
    with_return = [i for i, a in enumerate(accounts) if a.get("resumed_at") is not None]
    if with_return:
        return with_return[0]
    return 0
