"""Supervisor flags: which active cases need a supervisor's look, how urgently, since when, and
why, in words.

One module computes every flag of DESIGN.md, from plain per-case summaries
(``practice.supervision.case_summaries``; no database, no request): the dashboard, its CSV and
PDF exports and the caseload API all call :func:`case_flags`. The clinical rules themselves
(de-escalation share and trend, adoption point, CSI-4 reliable change) come from
``practice.moments.balance``, ``practice.scripts.adoption`` and ``practice.measures.csi4``; this
module only applies them to a case's history and words the result.

Every flag has a **severity**, fixed per kind (:data:`SEVERITIES`, not a setting: a practice
tunes when a flag fires, not how much it matters), and a **since** date: the day the condition
began (the note became overdue, the last session, the first session of a run without
de-escalation, the reading that deteriorated …), never the start of the window a rule looks at.

The thresholds are defined here, once: :class:`Thresholds` holds their defaults, and a host may
override any of them with a ``PRACTICE_FLAG_*`` configuration key (:meth:`Thresholds.from_config`);
the CSI-4 reliable-change index is the practice's own (``PRACTICE_CSI4_RELIABLE_CHANGE``, read by
``practice.measures.settings``), the same the case page and the reports judge change with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from practice.breaks import rules as break_rules
from practice.core import local_time
from practice.measures import csi4
from practice.measures.alliance import split_alliance
from practice.moments import balance
from practice.supervision.case_summaries import (
    AssignmentSummary,
    CaseSummary,
    Csi4Reading,
    DraftNote,
    SessionLoad,
)
from practice.supervision.flag_kinds import (  # noqa: F401 - re-exported: flags' one face
    _UTC,
    ATTENTION,
    BREAKS_NOT_RETURNED,
    CONFIG_KEYS,
    CSI4_DETERIORATION,
    CSI4_SLIDE,
    DEESCALATION_WORSENING,
    FLAG_KINDS,
    INFO,
    NO_DEESCALATION,
    NO_RECENT_SESSION,
    RESCREEN_DUE,
    SCREEN_OVERRIDE,
    SCRIPT_NOT_ADOPTED,
    SEVERE_DISTRESS,
    SEVERITIES,
    SEVERITY_LABELS,
    SEVERITY_MEANINGS,
    SEVERITY_ORDER,
    SPLIT_ALLIANCE,
    STAGE_OVERRIDE,
    UNSIGNED_NOTE,
    URGENT,
    Flag,
    Thresholds,
    _ordinal,
    _plural,
    day,
    describe_since,
    describe_thresholds,
    severity_rank,
)

# --- The flags ----------------------------------------------------------------------------------


def _run_start(items: Sequence[Any], holds: Callable[[int], bool]) -> int | None:
    """Index of the first item of the run at the end of ``items`` for which ``holds(index)``
    is true; None if it does not hold for the last item."""
    start = None
    for index in range(len(items) - 1, -1, -1):
        if not holds(index):
            break
        start = index
    return start


def unsigned_note_flag(drafts: Sequence[DraftNote], now: datetime, t: Thresholds) -> Flag | None:
    """Notes still unsigned more than ``unsigned_hours`` after their session ended; since the
    oldest became overdue."""
    limit = timedelta(hours=t.unsigned_hours)
    late = sorted((d for d in drafts if now - d.ends_at > limit), key=lambda d: d.ends_at)
    if not late:
        return None
    hours = _plural(t.unsigned_hours, "hour")
    # The session is named by the day it began (one ending after midnight is still that day's).
    oldest = day(late[0].starts_at, t.zone)
    if len(late) == 1:
        reason = f"the note of the session of {oldest} is unsigned more than {hours} later"
    else:
        reason = (
            f"{len(late)} notes unsigned more than {hours} after their session, "
            f"the oldest from {oldest}"
        )
    return Flag(UNSIGNED_NOTE, reason, local_time.local_day(late[0].ends_at + limit, t.zone))


def no_recent_session_flag(summary: CaseSummary, today: date, t: Thresholds) -> Flag | None:
    """An active case without a session for ``no_session_days`` days or more; since its last
    session (or its opening).

    Appointments count as follows: a cancelled or missed appointment is no session (the couple
    was not seen), so it never resets the count, though the reason names how many there were
    since the last session; a case whose next planned appointment is at most
    ``no_session_days`` days away is not flagged, since the gap is already being closed. A
    session planned further out leaves the flag standing, with its date in the reason."""
    if summary.last_session_at is not None:
        since = local_time.local_day(summary.last_session_at, t.zone)
    else:
        since = summary.opened_on
    days = (today - since).days
    if days < t.no_session_days:
        return None
    upcoming = summary.next_appointment_at
    if (
        upcoming is not None
        and (local_time.local_day(upcoming, t.zone) - today).days <= t.no_session_days
    ):
        return None
    if summary.last_session_at is not None:
        reason = f"no session for {days} days"
        missed = [m for m in summary.missed_appointments if m > summary.last_session_at]
    else:
        reason = f"no session since the case opened, {days} days ago"
        missed = list(summary.missed_appointments)
    if missed:
        reason += f" ({_plural(len(missed), 'appointment')} since cancelled or missed)"
    if upcoming is not None:
        reason += f"; next planned on {day(upcoming, t.zone)}"
    return Flag(NO_RECENT_SESSION, reason, since)


def _worsening_run(shared: Sequence[SessionLoad]) -> int | None:
    """Index in ``shared`` (sessions that have a share) of the session at which the trend turned
    worsening and stayed so up to the latest; None if the latest trend is not worsening."""
    shares = [s.deescalation_share for s in shared]

    def worsening(index: int) -> bool:
        return balance.deescalation_trend(shares[: index + 1]).label == balance.WORSENING

    return _run_start(shared, worsening)


def deescalation_worsening_flag(
    sessions: Sequence[SessionLoad], zone: ZoneInfo | None = None
) -> Flag | None:
    """The de-escalation share's trend over the last sessions that have one is "worsening";
    since the session at which it turned so."""
    shared = [s for s in sessions if s.deescalation_share is not None]
    start = _worsening_run(shared)
    if start is None:
        return None
    trend = balance.deescalation_trend([s.deescalation_share for s in shared])
    points = trend.slope * 100
    return Flag(
        DEESCALATION_WORSENING,
        f"de-escalation share worsening over the last {trend.sessions_used} sessions that have "
        f"one ({points:+.1f} points per session)",
        local_time.local_day(shared[start].starts_at, zone or _UTC),
    )


def no_deescalation_flag(sessions: Sequence[SessionLoad], t: Thresholds) -> Flag | None:
    """No de-escalating moment in each of the last ``no_deescalation_sessions`` sessions with
    moments tagged (sessions without any are skipped: no evidence either way); since the first
    tagged session of the run."""
    tagged = [s for s in sessions if s.tagged]
    start = _run_start(tagged, lambda index: tagged[index].deescalating == 0)
    if start is None or len(tagged) - start < t.no_deescalation_sessions:
        return None
    run = tagged[start:]
    untagged = sum(1 for s in sessions if not s.tagged and s.starts_at > run[0].starts_at)
    reason = (
        f"no de-escalating moment in the last {_plural(len(run), 'session')} with moments tagged"
    )
    if untagged:
        reason += f" ({_plural(untagged, 'later session')} without any tagged moment left out)"
    return Flag(NO_DEESCALATION, reason, local_time.local_day(run[0].starts_at, t.zone))


def script_not_adopted_flags(assignments: Sequence[AssignmentSummary], t: Thresholds) -> list[Flag]:
    """Active assignments observed at ``script_not_adopted_sessions`` sessions, not adopted;
    since the session at which the script reached that many."""
    flags = []
    for a in assignments:
        if a.active and len(a.levels) >= t.script_not_adopted_sessions and not a.adopted:
            reached = t.script_not_adopted_sessions - 1
            since = a.observed_on[reached] if len(a.observed_on) > reached else a.assigned_on
            flags.append(
                Flag(
                    SCRIPT_NOT_ADOPTED,
                    f"Partner {a.partner_number}'s script"
                    + (f" “{a.script}”" if a.script else "")
                    + " not adopted after "
                    f"{_plural(len(a.levels), 'observed session')}, "
                    f"assigned on {day(a.assigned_on)}",
                    since,
                )
            )
    return flags


def partner_readings(readings: Sequence[Csi4Reading]) -> dict[int, list[Csi4Reading]]:
    """Each partner's CSI-4 readings in date order, by partner number (in number order)."""
    by_partner: dict[int, list[Csi4Reading]] = {}
    for reading in sorted(readings, key=lambda r: (r.partner_number, r.on)):
        by_partner.setdefault(reading.partner_number, []).append(reading)
    return by_partner


def csi4_changes(
    readings: Sequence[Csi4Reading], reliable_change: float
) -> list[tuple[int, csi4.Csi4Change]]:
    """Each partner's CSI-4 change from their baseline (``csi4.csi4_change``), by number.

    Raises ValueError as ``csi4_change`` does.
    """
    return [
        (number, csi4.csi4_change([r.total for r in series], reliable_change))
        for number, series in partner_readings(readings).items()
    ]


def _csi4_change_flag(number: int, series: Sequence[Csi4Reading], t: Thresholds) -> Flag | None:
    """One partner's reliable deterioration or, failing that, slide (see ``csi4_change_flags``)."""
    totals = [r.total for r in series]

    def change(index: int) -> csi4.Csi4Change:
        return csi4.csi4_change(totals[: index + 1], t.reliable_change)

    latest = change(len(totals) - 1)
    if latest.category == csi4.DETERIORATED:
        start = _run_start(series, lambda i: change(i).category == csi4.DETERIORATED)
        reason = (
            f"Partner {number}'s CSI-4 is {latest.latest:g}, {-latest.change:g} points below "
            f"their baseline of {latest.baseline:g}"
        )
        return Flag(CSI4_DETERIORATION, reason, series[start].on)
    if latest.slide:
        start = _run_start(series, lambda i: change(i).slide)
        reason = (
            f"Partner {number}'s CSI-4 is {latest.latest:g}, {latest.best - latest.latest:g} "
            f"points below their best of {latest.best:g} (baseline {latest.baseline:g})"
        )
        return Flag(CSI4_SLIDE, reason, series[start].on)
    return None


def csi4_change_flags(readings: Sequence[Csi4Reading], t: Thresholds) -> list[Flag]:
    """Per partner: a reliable deterioration from the baseline or, failing that, a slide from
    the best so far (``csi4.csi4_change`` with the practice's index); since the reading from
    which it has held."""
    flags = (
        _csi4_change_flag(number, series, t)
        for number, series in partner_readings(readings).items()
    )
    return [flag for flag in flags if flag is not None]


def severe_distress_flags(readings: Sequence[Csi4Reading], t: Thresholds) -> list[Flag]:
    """Per partner: the latest CSI-4 total at or below ``severe_distress``; since the reading
    from which it has stayed there."""
    flags = []
    for number, series in partner_readings(readings).items():
        start = _run_start(series, lambda i, s=series: s[i].total <= t.severe_distress)
        if start is None:
            continue
        latest = series[-1].total
        flags.append(
            Flag(
                SEVERE_DISTRESS,
                f"Partner {number}'s latest CSI-4 is {latest} of {csi4.CSI4_MAX_TOTAL}, at or "
                f"below {t.severe_distress}",
                series[start].on,
            )
        )
    return flags


def breaks_flag(summary: CaseSummary, now: datetime, t: Thresholds) -> Flag | None:
    """The couple's breaks are not being returned to (``practice.breaks.rules.break_flag``)."""
    found = break_rules.break_flag(summary.breaks, now, t.breaks)
    if found is None:
        return None
    return Flag(BREAKS_NOT_RETURNED, found.reason, local_time.local_day(found.since, t.zone))


def rescreen_due_flag(due_days: Sequence[date]) -> Flag | None:
    """A safety rescreen due and not yet done; since the oldest fell due. Words without
    clinical detail: the reason is on the case's safety page, for its readers only."""
    if not due_days:
        return None
    oldest = min(due_days)
    count = len(due_days)
    reason = f"a safety rescreen is due since {day(oldest)}"
    if count > 1:
        reason = f"{count} safety rescreens are due, the oldest since {day(oldest)}"
    return Flag(RESCREEN_DUE, reason, oldest)


def screen_override_flag(override_days: Sequence[date]) -> Flag | None:
    """Joint notes signed without a current safety screen, not yet co-signed; since the oldest."""
    if not override_days:
        return None
    oldest = min(override_days)
    if len(override_days) == 1:
        reason = f"the joint note of {day(oldest)} was signed without a current safety screen"
    else:
        reason = (
            f"{len(override_days)} joint notes signed without a current safety screen, "
            f"the oldest from {day(oldest)}"
        )
    return Flag(SCREEN_OVERRIDE, reason, oldest)


def stage_override_flag(override_days: Sequence[date]) -> Flag | None:
    """EFT stages set before their change events were confirmed (with a reason), neither
    resolved by the events nor acknowledged by the supervisor; since the oldest."""
    if not override_days:
        return None
    oldest = min(override_days)
    if len(override_days) == 1:
        reason = f"an EFT stage was set on {day(oldest)} before its change events were confirmed"
    else:
        reason = (
            f"{len(override_days)} EFT stages set before their change events were confirmed, "
            f"the oldest on {day(oldest)}"
        )
    return Flag(STAGE_OVERRIDE, reason, oldest)


def split_alliance_flag(summary: CaseSummary, t: Thresholds) -> Flag | None:
    """An alliance measure under its threshold for either partner, or split between them by
    the practice's gap or more (``practice.measures.alliance``); since the earliest reading
    that raised it. Partners by number: no names in flags."""
    concerns = split_alliance(summary.alliance, t.alliance_gap)
    if not concerns:
        return None
    reason = "; ".join(concern.words() for concern in concerns)
    return Flag(SPLIT_ALLIANCE, reason, min(concern.since for concern in concerns))


def case_flags(summary: CaseSummary, now: datetime, thresholds: Thresholds) -> list[Flag]:
    """Every flag of an active case, most severe first (then in the order of ``FLAG_KINDS``).

    ``now`` must be timezone-aware. Raises ValueError if a summary holds values the rules
    refuse (an adoption level outside 0-3, a CSI-4 total outside 0-21).
    """
    flags: list[Flag | None] = [
        *severe_distress_flags(summary.csi4, thresholds),
        *csi4_change_flags(summary.csi4, thresholds),
        rescreen_due_flag(summary.rescreens_due),
        screen_override_flag(summary.screen_overrides),
        split_alliance_flag(summary, thresholds),
        no_recent_session_flag(summary, local_time.today_in(thresholds.zone, now), thresholds),
        deescalation_worsening_flag(summary.sessions, thresholds.zone),
        no_deescalation_flag(summary.sessions, thresholds),
        unsigned_note_flag(summary.drafts, now, thresholds),
        breaks_flag(summary, now, thresholds),
        stage_override_flag(summary.stage_overrides),
        *script_not_adopted_flags(summary.assignments, thresholds),
    ]
    return sorted((flag for flag in flags if flag is not None), key=lambda flag: flag.rank)


def needs_earlier_sessions(sessions: Sequence[SessionLoad], t: Thresholds) -> bool:
    """Whether sessions before the first of ``sessions`` (a case's latest, oldest first) could
    change a flag, its since date or the trend: too few shares for the trend, a worsening that
    may have begun earlier, or a run without de-escalation that reaches back to the first."""
    shared = [s for s in sessions if s.deescalation_share is not None]
    if len(shared) < t.trend_window:
        return True
    if _worsening_run(shared) == t.trend_window - 1:
        return True
    tagged = [s for s in sessions if s.tagged]
    return all(s.deescalating == 0 for s in tagged)
