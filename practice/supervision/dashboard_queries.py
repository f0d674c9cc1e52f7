"""The statements behind the caseload dashboard: a FIXED number, whatever the caseload's size.

Each covers every active case in scope at once (grouped, with a window function keeping only
each case's latest sessions) and returns plain per-case summaries (``CaseSummary`` of
``practice.supervision.case_summaries``); ``practice.supervision.dashboard`` words them into lines
and flags. The sessions' cycle balance is summed in SQL beside the rule it must equal, in
``practice.supervision.dashboard_figures``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Boolean, Integer, literal, select, union_all
from sqlalchemy.orm import aliased

from practice.accounts.models import StaffMember
from practice.appointments.queries import missed_starts, next_planned
from practice.breaks.queries import facts_by_case, flag_lookback
from practice.cases.models import Case, CaseStatus, Partner
from practice.cases.queries import visible_cases
from practice.checkins.models import Checkin, CheckinScriptAnswer
from practice.checkins.rules import corroborates
from practice.core.database import db
from practice.eft.flag_queries import open_override_days
from practice.measures.csi4 import CSI4_MEASURE
from practice.measures.models import MeasureResponse
from practice.measures.queries import CHECKIN_SOURCE
from practice.measures.registry_queries import alliance_readings
from practice.safety.models import RescreenDue, ScreenOverride
from practice.scripts.adoption import OBSERVED
from practice.scripts.models import AssignmentStatus, Script, ScriptAssignment, ScriptObservation
from practice.sessions.models import NoteStatus, ReviewStatus, TherapySession
from practice.supervision.case_summaries import (
    AssignmentSummary,
    CaseSummary,
    Csi4Reading,
    DraftNote,
)
from practice.supervision.dashboard_figures import recent_session_loads
from practice.supervision.flags import Thresholds


@dataclass(frozen=True)
class ActiveCase:
    """An active case in scope, with what its dashboard line and flags are made of."""

    case_id: int
    reference: str
    eft_stage: int | None
    counsellor_id: int
    counsellor: str
    session_count: int
    summary: CaseSummary


def active_cases(member: StaffMember, thresholds: Thresholds, now: datetime) -> list[ActiveCase]:
    """Every active case ``member`` may see, with its summary, in fourteen statements
    (fifteen when a stage override is open).

    Scope is ``practice.cases.queries.visible_cases``: a supervisor sees their own cases and
    their supervisees', an admin every case.
    """
    counsellor = aliased(StaffMember)
    query = (
        visible_cases(member)
        .where(Case.status == CaseStatus.ACTIVE)
        .with_only_columns(
            Case.id,
            Case.reference,
            Case.opened_on,
            Case.eft_stage,
            Case.counsellor_id,
            counsellor.display_name,
            counsellor.supervisor_id,
        )
        .join(counsellor, counsellor.id == Case.counsellor_id)
    )
    cases = db.execute(query).all()
    # Safety flags only where the member may read the screens: their own cases, their
    # supervisees' (``Sensitivity.SAFETY``), never an administrator's view of everyone's.
    safety_readable = [
        row[0] for row in cases if member.id in (row.counsellor_id, row.supervisor_id)
    ]
    # The ids themselves, not the scope's subquery: its OR over the supervisees makes
    # PostgreSQL overestimate it tenfold and scan every moment of the practice.
    summaries = case_summaries(
        {row[0]: row[2] for row in cases}, thresholds, now, safety_readable=set(safety_readable)
    )
    found = []
    for case_id, reference, _opened_on, eft_stage, counsellor_id, counsellor_name, _ in cases:
        summary, session_count = summaries[case_id]
        found.append(
            ActiveCase(
                case_id=case_id,
                reference=reference,
                eft_stage=eft_stage,
                counsellor_id=counsellor_id,
                counsellor=counsellor_name,
                session_count=session_count,
                summary=summary,
            )
        )
    return found


def case_summaries(
    opened: dict[int, date],
    thresholds: Thresholds,
    now: datetime,
    safety_readable: Collection[int] = frozenset(),
) -> dict[int, tuple[CaseSummary, int]]:
    """Per case (id -> opening day): its summary and its number of held sessions, in nine
    statements whatever the number of cases. The caller has checked the scope; safety
    figures only for the cases in ``safety_readable`` (``Sensitivity.SAFETY``)."""
    visible = list(opened)
    sessions, counts = recent_session_loads(visible, thresholds, now)
    unsigned = _drafts(visible, now)
    numbers = _partner_numbers(visible)
    scripts = _assignments(visible, numbers)
    readings = _csi4_readings(numbers)
    upcoming = next_planned(visible, now)
    missed = missed_starts(visible, now)
    breaks = facts_by_case(visible, now - flag_lookback(thresholds.breaks))
    dues, overrides = _safety([case_id for case_id in visible if case_id in safety_readable])
    stage_overrides = open_override_days(visible, thresholds.zone)
    # One more statement only when the practice uses an alliance measure (the SRS, say).
    alliance = alliance_readings(numbers, dict(thresholds.alliance))
    found = {}
    for case_id, opened_on in opened.items():
        loads = sessions.get(case_id, [])
        summary = CaseSummary(
            opened_on=opened_on,
            last_session_at=loads[-1].starts_at if loads else None,
            sessions=tuple(loads),
            drafts=tuple(unsigned.get(case_id, ())),
            assignments=tuple(scripts.get(case_id, ())),
            csi4=tuple(readings.get(case_id, ())),
            next_appointment_at=upcoming.get(case_id),
            missed_appointments=tuple(missed.get(case_id, ())),
            breaks=tuple(sorted(breaks.get(case_id, ()), key=lambda b: b.called_at)),
            rescreens_due=tuple(dues.get(case_id, ())),
            screen_overrides=tuple(overrides.get(case_id, ())),
            stage_overrides=tuple(stage_overrides.get(case_id, ())),
            alliance=tuple(alliance.get(case_id, ())),
        )
        found[case_id] = (summary, counts.get(case_id, 0))
    return found


def _safety(readable: list[int]) -> tuple[dict[int, list[date]], dict[int, list[date]]]:
    """Per case: the days its open rescreens fell due, and the days of its joint notes signed
    without a current screen and not yet co-signed (two statements)."""
    dues: dict[int, list[date]] = defaultdict(list)
    overrides: dict[int, list[date]] = defaultdict(list)
    for case_id, due_since in db.execute(
        select(RescreenDue.case_id, RescreenDue.due_since).where(
            RescreenDue.case_id.in_(readable), RescreenDue.closed_by_screen_id.is_(None)
        )
    ):
        dues[case_id].append(due_since.date())
    for case_id, starts_at in db.execute(
        select(ScreenOverride.case_id, TherapySession.starts_at)
        .join(TherapySession, TherapySession.id == ScreenOverride.session_id)
        .where(
            ScreenOverride.case_id.in_(readable),
            TherapySession.review_status != ReviewStatus.COSIGNED,
            TherapySession.voided_at.is_(None),
        )
    ):
        overrides[case_id].append(starts_at.date())
    return dues, overrides


def _drafts(visible: list[int], now: datetime) -> dict[int, list[DraftNote]]:
    """Per case: held sessions whose note is still a draft."""
    drafts: dict[int, list[DraftNote]] = defaultdict(list)
    for case_id, starts_at, duration in db.execute(
        select(TherapySession.case_id, TherapySession.starts_at, TherapySession.duration_minutes)
        .where(
            TherapySession.case_id.in_(visible),
            TherapySession.status == NoteStatus.DRAFT,
            TherapySession.voided_at.is_(None),
            TherapySession.starts_at <= now,
        )
        .order_by(TherapySession.starts_at)
    ):
        drafts[case_id].append(DraftNote(starts_at, duration))
    return drafts


def _partner_numbers(visible: list[int]) -> dict[int, tuple[int, int]]:
    """Partner id -> (case id, number): partners numbered 1, 2, … by position within their case,
    so that lists never show a name."""
    numbers: dict[int, tuple[int, int]] = {}
    count: dict[int, int] = defaultdict(int)
    for partner_id, case_id in db.execute(
        select(Partner.id, Partner.case_id)
        .where(Partner.case_id.in_(visible))
        .order_by(Partner.case_id, Partner.position, Partner.id)
    ):
        count[case_id] += 1
        numbers[partner_id] = (case_id, count[case_id])
    return numbers


def _assignments(
    visible: list[int], numbers: dict[int, tuple[int, int]]
) -> dict[int, list[AssignmentSummary]]:
    """Per case: its script assignments with the levels at the (unvoided) sessions at which
    they were observed; a session without opportunity or with the partner absent is no
    observation, so it never counts towards "not adopted after N observed sessions"."""
    assignments = db.execute(
        select(
            ScriptAssignment.id,
            ScriptAssignment.case_id,
            ScriptAssignment.partner_id,
            ScriptAssignment.status,
            Script.category,
            TherapySession.starts_at,
        )
        .join(Script, Script.id == ScriptAssignment.script_id)
        .join(TherapySession, TherapySession.id == ScriptAssignment.assigned_session_id)
        .where(ScriptAssignment.case_id.in_(visible))
        .order_by(ScriptAssignment.id)
    ).all()
    levels: dict[int, list[int]] = defaultdict(list)
    observed_on: dict[int, list[date]] = defaultdict(list)
    observed_at: dict[int, list[datetime]] = defaultdict(list)
    home: dict[int, list[datetime]] = defaultdict(list)
    assignment_ids = [row[0] for row in assignments]
    sessions = (
        select(
            ScriptObservation.assignment_id,
            ScriptObservation.level,
            TherapySession.starts_at.label("at"),
            literal(None, Integer).label("writer"),
            literal(None, Integer).label("owner"),
            literal(None, Boolean).label("used"),
        )
        .join(TherapySession, TherapySession.id == ScriptObservation.session_id)
        .where(
            ScriptObservation.assignment_id.in_(assignment_ids),
            # Redundant for the result, but it lets PostgreSQL reach the sessions through the
            # case index instead of scanning the whole (wide) session table.
            TherapySession.case_id.in_(visible),
            TherapySession.voided_at.is_(None),
            ScriptObservation.status == OBSERVED,
        )
    )
    # The other partner's word in a check-in that the script was used at home: home
    # corroboration, counted as the case page counts it (``adoption.with_home_reports``). In
    # the same statement, so the dashboard's number of statements does not grow.
    reports = (
        select(
            CheckinScriptAnswer.assignment_id,
            literal(None, Integer).label("level"),
            Checkin.submitted_at.label("at"),
            Checkin.partner_id.label("writer"),
            ScriptAssignment.partner_id.label("owner"),
            CheckinScriptAnswer.used_by_partner.label("used"),
        )
        .join(Checkin, CheckinScriptAnswer.checkin_id == Checkin.id)
        .join(ScriptAssignment, CheckinScriptAnswer.assignment_id == ScriptAssignment.id)
        .where(
            CheckinScriptAnswer.assignment_id.in_(assignment_ids),
            CheckinScriptAnswer.used_by_partner.is_(True),
        )
    )
    both = union_all(sessions, reports).subquery()
    for assignment_id, level, at, writer, owner, used in db.execute(
        select(both).order_by(both.c.assignment_id, both.c.at)
    ):
        if level is None:
            if corroborates(writer, owner, used):
                home[assignment_id].append(at)
            continue
        levels[assignment_id].append(level)
        observed_on[assignment_id].append(at.date())
        observed_at[assignment_id].append(at)
    by_case: dict[int, list[AssignmentSummary]] = defaultdict(list)
    for assignment_id, case_id, partner_id, status, category, assigned_at in assignments:
        by_case[case_id].append(
            AssignmentSummary(
                partner_number=numbers.get(partner_id, (case_id, 0))[1],
                assigned_on=assigned_at.date(),
                active=status == AssignmentStatus.ACTIVE,
                levels=tuple(levels[assignment_id]),
                script=category,
                observed_on=tuple(observed_on[assignment_id]),
                observed_at=tuple(observed_at[assignment_id]),
                home_reported_at=tuple(home[assignment_id]),
            )
        )
    return by_case


def _csi4_readings(numbers: dict[int, tuple[int, int]]) -> dict[int, list[Csi4Reading]]:
    """Per case: every CSI-4 total of each partner by date, at unvoided sessions and in
    check-ins (dated by the check-in, as ``practice.measures.queries.csi4_history`` has them;
    from the partners' index, not a scan): reliable change is judged from the first, the
    baseline. One statement."""
    readings: dict[int, list[Csi4Reading]] = defaultdict(list)
    partner_ids = list(numbers)
    sessions = (
        select(
            MeasureResponse.partner_id,
            MeasureResponse.total,
            TherapySession.starts_at.label("at"),
            literal(0).label("from_checkin"),
            TherapySession.id.label("tie"),
        )
        .join(TherapySession, TherapySession.id == MeasureResponse.session_id)
        .where(
            MeasureResponse.partner_id.in_(partner_ids),
            MeasureResponse.measure == CSI4_MEASURE,
            TherapySession.voided_at.is_(None),
        )
    )
    checkins = (
        select(
            MeasureResponse.partner_id,
            MeasureResponse.total,
            Checkin.submitted_at.label("at"),
            literal(1).label("from_checkin"),
            Checkin.id.label("tie"),
        )
        .join(Checkin, Checkin.csi4_response_id == MeasureResponse.id)
        .where(
            MeasureResponse.partner_id.in_(partner_ids),
            MeasureResponse.measure == CSI4_MEASURE,
            MeasureResponse.source == CHECKIN_SOURCE,
        )
    )
    both = union_all(sessions, checkins).subquery()
    for partner_id, total, at, from_checkin in db.execute(
        select(both.c.partner_id, both.c.total, both.c.at, both.c.from_checkin).order_by(
            both.c.partner_id, both.c.at, both.c.from_checkin, both.c.tie
        )
    ):
        case_id, number = numbers[partner_id]
        readings[case_id].append(Csi4Reading(number, total, at.date(), bool(from_checkin)))
    return readings


def supervisee_names(member: StaffMember) -> dict[int, str]:
    """Staff id -> display name of ``member``'s active supervisees (one statement)."""
    return dict(
        db.execute(
            select(StaffMember.id, StaffMember.display_name).where(
                StaffMember.supervisor_id == member.id, StaffMember.active.is_(True)
            )
        ).all()
    )
