"""Supervisor flags: which active cases need a supervisor's look, and why, in words.

One module computes every flag of DESIGN.md, from plain per-case summaries (no database, no
request): the dashboard, its CSV and PDF exports and the caseload API all call
:func:`case_flags`. The clinical rules themselves (de-escalation share and trend, adoption point,
CSI-4 reliable fall) come from ``practice.moments.balance``, ``practice.scripts.adoption`` and
``practice.measures.csi4``; this module only applies them to a case's recent history and words
the result.

The thresholds are defined here, once: :class:`Thresholds` holds their defaults, and a host may
override any of them with a ``PRACTICE_FLAG_*`` configuration key (:meth:`Thresholds.from_config`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from practice.measures import csi4
from practice.moments import balance
from practice.scripts import adoption

UNSIGNED_NOTE = "unsigned_note"
NO_RECENT_SESSION = "no_recent_session"
DEESCALATION_WORSENING = "deescalation_worsening"
NO_DEESCALATION = "no_deescalation"
SCRIPT_NOT_ADOPTED = "script_not_adopted"
CSI4_FALL = "csi4_fall"

# Every flag's key and its short name, in the order flags are shown.
FLAG_KINDS: dict[str, str] = {
    UNSIGNED_NOTE: "Unsigned note",
    NO_RECENT_SESSION: "No recent session",
    DEESCALATION_WORSENING: "De-escalation worsening",
    NO_DEESCALATION: "No de-escalation",
    SCRIPT_NOT_ADOPTED: "Script not adopted",
    CSI4_FALL: "CSI-4 fall",
}

# Configuration key of each threshold, and its type.
CONFIG_KEYS: dict[str, tuple[str, type]] = {
    "unsigned_hours": ("PRACTICE_FLAG_UNSIGNED_HOURS", float),
    "no_session_days": ("PRACTICE_FLAG_NO_SESSION_DAYS", int),
    "no_deescalation_sessions": ("PRACTICE_FLAG_NO_DEESCALATION_SESSIONS", int),
    "script_not_adopted_sessions": ("PRACTICE_FLAG_SCRIPT_NOT_ADOPTED_SESSIONS", int),
    "csi4_reliable_fall": ("PRACTICE_FLAG_CSI4_RELIABLE_FALL", float),
}


@dataclass(frozen=True)
class Thresholds:
    """When each flag fires. The defaults are DESIGN.md's, and the only definition of them:
    a ``PRACTICE_FLAG_*`` key left out of the configuration takes its default from here."""

    unsigned_hours: float = 72
    no_session_days: int = 21
    no_deescalation_sessions: int = 6
    script_not_adopted_sessions: int = 6
    csi4_reliable_fall: float = csi4.CSI4_RELIABLE_CHANGE

    def __post_init__(self) -> None:
        for name, (key, kind) in CONFIG_KEYS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"{key} must be a positive number, got {value!r}")
            if kind is int and value != int(value):
                raise ValueError(f"{key} must be a whole number, got {value!r}")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Thresholds:
        """The thresholds set in ``config`` (an ``app.config``), defaults for missing keys.

        Raises ValueError for a value that is not a positive number (or not whole, for counts).
        """
        values = {}
        for name, (key, kind) in CONFIG_KEYS.items():
            if key in config:
                raw = config[key]
                try:
                    number = float(raw)
                except (TypeError, ValueError):
                    raise ValueError(f"{key} must be a positive number, got {raw!r}") from None
                if isinstance(raw, bool):
                    raise ValueError(f"{key} must be a positive number, got {raw!r}")
                values[name] = int(number) if kind is int and number == int(number) else number
        return cls(**values)

    @property
    def trend_window(self) -> int:
        """Sessions with a de-escalation share that the trend looks at (``TREND_WINDOW``)."""
        return balance.TREND_WINDOW

    @property
    def sessions_needed(self) -> int:
        """How many of a case's latest sessions a summary must hold for the session flags."""
        return self.no_deescalation_sessions


def describe_thresholds(t: Thresholds) -> dict[str, str]:
    """When each flag fires, in words, by flag kind (for legends and reports)."""
    return {
        UNSIGNED_NOTE: f"a note still unsigned more than {t.unsigned_hours:g} hours after its "
        "session ended",
        NO_RECENT_SESSION: f"no session for {t.no_session_days} days or more",
        DEESCALATION_WORSENING: "the de-escalation share's trend over the last "
        f"{t.trend_window} sessions that have one is worsening (a slope below "
        f"−{balance.TREND_THRESHOLD * 100:g} points per session)",
        NO_DEESCALATION: "no de-escalating moment in any of the last "
        f"{t.no_deescalation_sessions} sessions",
        SCRIPT_NOT_ADOPTED: "an active script not adopted after "
        f"{t.script_not_adopted_sessions} observed sessions",
        CSI4_FALL: f"a partner's CSI-4 total {t.csi4_reliable_fall:g} points or more below "
        "their previous one",
    }


# --- Summaries: what the flags look at ------------------------------------------------------


@dataclass(frozen=True)
class SessionLoad:
    """A held session's escalating and de-escalating loads (intensity-weighted)."""

    starts_at: datetime
    escalating: int
    deescalating: int

    @property
    def deescalation_share(self) -> float | None:
        return balance.deescalation_share(self.escalating, self.deescalating)


@dataclass(frozen=True)
class DraftNote:
    """A held session whose note is still a draft."""

    starts_at: datetime
    duration_minutes: int

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True)
class AssignmentSummary:
    """A script assignment: whose (partner by number), since when, levels at observed sessions.

    ``levels`` are the adoption levels at each observed session since the assignment, in session
    order.
    """

    partner_number: int
    assigned_on: date
    active: bool
    levels: tuple[int, ...] = ()
    # The script's category in the practice's library (vocabulary, not clinical text).
    script: str = ""

    @functools.cached_property
    def adopted(self) -> bool:
        return adoption.adoption_point(list(enumerate(self.levels))) is not None


@dataclass(frozen=True)
class Csi4Reading:
    """A partner's CSI-4 total at one session."""

    partner_number: int
    total: int
    on: date


@dataclass(frozen=True)
class CaseSummary:
    """What the flags of one active case look at.

    ``sessions`` are held sessions, oldest first, ending with the case's latest: at least the last
    ``Thresholds.sessions_needed`` of them and the last ``TREND_WINDOW`` that have a de-escalation
    share (older sessions may be left out). ``csi4`` holds each partner's latest readings, oldest
    first per partner (two are enough).
    """

    opened_on: date
    last_session_at: datetime | None = None
    sessions: tuple[SessionLoad, ...] = ()
    drafts: tuple[DraftNote, ...] = ()
    assignments: tuple[AssignmentSummary, ...] = ()
    csi4: tuple[Csi4Reading, ...] = field(default_factory=tuple)

    @property
    def trend(self) -> balance.Trend:
        return balance.deescalation_trend([s.deescalation_share for s in self.sessions])


@dataclass(frozen=True)
class Flag:
    """A reason for a supervisor to look at a case: its kind and the reason in words."""

    kind: str
    reason: str

    @property
    def label(self) -> str:
        return FLAG_KINDS[self.kind]


# --- The flags --------------------------------------------------------------------------------


def day(value: date | datetime) -> str:
    """A date as the tracker shows it: ``12 Aug 2026``."""
    return value.strftime("%d %b %Y")


def _plural(count: int | float, word: str) -> str:
    return f"{count:g} {word}" if count == 1 else f"{count:g} {word}s"


def unsigned_note_flag(drafts: Sequence[DraftNote], now: datetime, t: Thresholds) -> Flag | None:
    """Notes still unsigned more than ``unsigned_hours`` after their session ended."""
    limit = timedelta(hours=t.unsigned_hours)
    late = sorted(d.ends_at for d in drafts if now - d.ends_at > limit)
    if not late:
        return None
    hours = _plural(t.unsigned_hours, "hour")
    if len(late) == 1:
        reason = f"note unsigned more than {hours} after the session of {day(late[0])}"
    else:
        reason = (
            f"{len(late)} notes unsigned more than {hours} after their session, "
            f"the oldest since {day(late[0])}"
        )
    return Flag(UNSIGNED_NOTE, reason)


def no_recent_session_flag(summary: CaseSummary, today: date, t: Thresholds) -> Flag | None:
    """An active case without a session for ``no_session_days`` days or more."""
    if summary.last_session_at is not None:
        since = summary.last_session_at.date()
        what = "last session"
    else:
        since = summary.opened_on
        what = "no session since the case opened"
    days = (today - since).days
    if days < t.no_session_days:
        return None
    if summary.last_session_at is not None:
        return Flag(NO_RECENT_SESSION, f"no session for {days} days, {what} on {day(since)}")
    return Flag(NO_RECENT_SESSION, f"{what} on {day(since)}, {days} days ago")


def deescalation_worsening_flag(sessions: Sequence[SessionLoad]) -> Flag | None:
    """The de-escalation share's trend over the last sessions that have one is "worsening"."""
    trend = balance.deescalation_trend([s.deescalation_share for s in sessions])
    if trend.label != balance.WORSENING or trend.slope is None:
        return None
    shared = [s for s in sessions if s.deescalation_share is not None][-trend.sessions_used :]
    points = trend.slope * 100
    return Flag(
        DEESCALATION_WORSENING,
        f"de-escalation share worsening over the last {trend.sessions_used} sessions "
        f"({points:+.1f} points per session), since {day(shared[0].starts_at)}",
    )


def no_deescalation_flag(sessions: Sequence[SessionLoad], t: Thresholds) -> Flag | None:
    """No de-escalating moment in each of the last ``no_deescalation_sessions`` sessions."""
    n = t.no_deescalation_sessions
    if len(sessions) < n:
        return None
    last = sessions[-n:]
    if any(s.deescalating > 0 for s in last):
        return None
    return Flag(
        NO_DEESCALATION,
        f"no de-escalating moment in the last {_plural(n, 'session')}, "
        f"since {day(last[0].starts_at)}",
    )


def script_not_adopted_flags(assignments: Sequence[AssignmentSummary], t: Thresholds) -> list[Flag]:
    """Active assignments observed at ``script_not_adopted_sessions`` sessions, not adopted."""
    flags = []
    for a in assignments:
        if a.active and len(a.levels) >= t.script_not_adopted_sessions and not a.adopted:
            flags.append(
                Flag(
                    SCRIPT_NOT_ADOPTED,
                    f"Partner {a.partner_number}'s script"
                    + (f" “{a.script}”" if a.script else "")
                    + " not adopted after "
                    f"{_plural(len(a.levels), 'observed session')}, "
                    f"assigned on {day(a.assigned_on)}",
                )
            )
    return flags


def csi4_fall_flags(readings: Sequence[Csi4Reading], t: Thresholds) -> list[Flag]:
    """A fall of reliable-change size between a partner's two latest CSI-4 totals."""
    by_partner: dict[int, list[Csi4Reading]] = {}
    for reading in readings:
        by_partner.setdefault(reading.partner_number, []).append(reading)
    flags = []
    for number in sorted(by_partner):
        ordered = sorted(by_partner[number], key=lambda r: r.on)
        if len(ordered) < 2:
            continue
        earlier, later = ordered[-2], ordered[-1]
        if csi4.csi4_reliable_fall(earlier.total, later.total, t.csi4_reliable_fall):
            flags.append(
                Flag(
                    CSI4_FALL,
                    f"CSI-4 of Partner {number} fell by {earlier.total - later.total} points "
                    f"({earlier.total} to {later.total}), on {day(later.on)}",
                )
            )
    return flags


def case_flags(summary: CaseSummary, now: datetime, thresholds: Thresholds) -> list[Flag]:
    """Every flag of an active case, in the order of ``FLAG_KINDS``.

    ``now`` must be timezone-aware. Raises ValueError if a summary holds values the rules
    refuse (an adoption level outside 0-3, a CSI-4 total outside 0-21).
    """
    flags: list[Flag | None] = [
        unsigned_note_flag(summary.drafts, now, thresholds),
        no_recent_session_flag(summary, now.date(), thresholds),
        deescalation_worsening_flag(summary.sessions),
        no_deescalation_flag(summary.sessions, thresholds),
        *script_not_adopted_flags(summary.assignments, thresholds),
        *csi4_fall_flags(summary.csi4, thresholds),
    ]
    return [flag for flag in flags if flag is not None]
