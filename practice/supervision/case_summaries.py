"""What the supervisor flags look at: frozen, plain summaries of one active case.

Built from the database by ``practice.supervision.dashboard_queries`` (or by hand, in tests) and
read by the pure rules of ``practice.supervision.flags``: no database, no request here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from practice.breaks.rules import BreakFacts
from practice.measures.alliance import AllianceReading
from practice.moments import balance
from practice.scripts import adoption


@dataclass(frozen=True)
class SessionLoad:
    """A held session's escalating and de-escalating loads (intensity-weighted), and how many
    neutral moments it holds: a session with none of the three has no moments tagged."""

    starts_at: datetime
    escalating: int
    deescalating: int
    neutral_moments: int = 0

    @property
    def deescalation_share(self) -> float | None:
        return balance.deescalation_share(self.escalating, self.deescalating)

    @property
    def tagged(self) -> bool:
        """Whether any standing moment was tagged at the session (else it is no evidence)."""
        return self.escalating + self.deescalating + self.neutral_moments > 0


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
    order; ``observed_on`` the days of those sessions, when known; ``observed_at`` their start
    times and ``home_reported_at`` the times of the other partner's check-ins saying the script
    was used at home (home corroboration, ``adoption.with_home_reports``: the same rule as the
    case page). A home report counts towards adoption, not towards the number of observed
    sessions the "not adopted" flag waits for.
    """

    partner_number: int
    assigned_on: date
    active: bool
    levels: tuple[int, ...] = ()
    # The script's category in the practice's library (vocabulary, not clinical text).
    script: str = ""
    observed_on: tuple[date, ...] = ()
    observed_at: tuple[datetime, ...] = ()
    home_reported_at: tuple[datetime, ...] = ()

    @functools.cached_property
    def course(self) -> adoption.AdoptionCourse[object]:
        """The assignment's adoption course over its observed sessions and home reports."""
        sessions = [
            (self._session_time(i), adoption.Observation(i, adoption.OBSERVED, level))
            for i, level in enumerate(self.levels)
        ]
        reports = [(at, ("home", i)) for i, at in enumerate(self.home_reported_at)]
        return adoption.adoption_course(adoption.with_home_reports(sessions, reports))

    def _session_time(self, index: int) -> datetime:
        """When the ``index``-th observed session was, to order it with the home reports: its
        start, else its day, else (no times known) the order of the sessions alone."""
        if index < len(self.observed_at):
            return self.observed_at[index]
        if index < len(self.observed_on):
            return datetime.combine(self.observed_on[index], time.min, tzinfo=UTC)
        return datetime.min.replace(tzinfo=UTC)

    @property
    def adopted(self) -> bool:
        return self.course.adopted

    @property
    def lapsed(self) -> bool:
        """Adopted once, but not used at the latest two observed sessions."""
        return self.course.state == adoption.LAPSED


@dataclass(frozen=True)
class Csi4Reading:
    """A partner's CSI-4 total at one session, or (``from_checkin``) in a check-in."""

    partner_number: int
    total: int
    on: date
    from_checkin: bool = False


@dataclass(frozen=True)
class CaseSummary:
    """What the flags of one active case look at.

    ``sessions`` are held sessions, oldest first, ending with the case's latest: all of them, or
    the latest ones as long as ``flags.needs_earlier_sessions`` says no earlier one could change a
    flag. ``csi4`` holds every reading of each partner (the first is their baseline).
    """

    opened_on: date
    last_session_at: datetime | None = None
    sessions: tuple[SessionLoad, ...] = ()
    drafts: tuple[DraftNote, ...] = ()
    assignments: tuple[AssignmentSummary, ...] = ()
    csi4: tuple[Csi4Reading, ...] = field(default_factory=tuple)
    # The start of the next planned appointment, if one is planned (``practice.appointments``),
    # and the starts of the appointments cancelled or missed so far: neither is a session.
    next_appointment_at: datetime | None = None
    missed_appointments: tuple[datetime, ...] = ()
    # The case's breaks (each episode by its chosen account), oldest first: those the break flag
    # may look at (``practice.breaks.queries.flag_lookback``).
    breaks: tuple[BreakFacts, ...] = ()
    # Safety (only in summaries for the case's counsellor and their supervisor): the days the
    # open rescreens fell due, and the days of joint notes signed without a current screen
    # that the supervisor has not co-signed yet.
    rescreens_due: tuple[date, ...] = ()
    screen_overrides: tuple[date, ...] = ()
    # The days of EFT stages set before their change events, still open (``practice.eft.gates``).
    stage_overrides: tuple[date, ...] = ()
    # Each partner's totals on the practice's alliance measures (``practice.measures.alliance``).
    alliance: tuple[AllianceReading, ...] = ()

    @property
    def trend(self) -> balance.Trend:
        return balance.deescalation_trend([s.deescalation_share for s in self.sessions])
