"""A case's progress session by session: the one builder of the figures behind the case page,
its charts and the PDF reports.

It gathers what the rules need in six queries, whatever the number of sessions, and leaves every
judgement to the rules' own modules: the cycle balance, its de-escalation share and trend
(``practice.moments.balance``), the course of a script's adoption
(``practice.scripts.adoption``). CSI-4 totals are passed on as recorded; their reading against
the cut-off is ``practice.measures.csi4``'s. Voided sessions and moments count nowhere.

A period's figures are those of its sessions, except adoption: it is worked out over the whole
history up to the period's end, then shown for the period, so a report that starts after a
script was adopted gives the same adoption date as the case page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import Row, literal, select, union_all

from practice.cases.models import Case, Partner
from practice.checkins.models import Checkin
from practice.checkins.queries import home_reports
from practice.core.database import UTCDateTime, db
from practice.measures.csi4 import CSI4_MEASURE
from practice.measures.models import MeasureResponse
from practice.measures.queries import CHECKIN_SOURCE
from practice.moments import balance
from practice.moments.models import Moment, MomentType
from practice.scripts import adoption
from practice.scripts.models import Script, ScriptAssignment, ScriptObservation
from practice.sessions.models import TherapySession


@dataclass(frozen=True)
class SessionPoint:
    """One session on the timeline, with its cycle balance."""

    session_id: int
    starts_at: datetime
    status: str
    eft_stage: int | None
    moment_count: int
    balance: balance.CycleBalance

    @property
    def deescalation_share(self) -> float | None:
        return self.balance.deescalation_share


@dataclass(frozen=True)
class AdoptionLine:
    """One script assignment: what was recorded at the period's sessions, and the course of its
    adoption over the whole history up to the period's end."""

    assignment_id: int
    script_text: str
    partner_name: str
    status: str
    assigned_session_id: int
    levels: dict[int, int]  # period's observed sessions: session id -> level, in session order
    not_observed: dict[int, str]  # period's sessions without opportunity or with partner absent
    course: adoption.AdoptionCourse[int]  # keyed by session id
    adopted_on: date | None  # the (UTC) date of the adopting session, in the period or before
    partner_id: int | None = None

    @property
    def adopted_session_id(self) -> int | None:
        return self.course.adopted_at

    @property
    def state(self) -> str:
        """One of ``adoption.ADOPTION_STATES``, at the period's end."""
        return self.course.state

    @property
    def state_label(self) -> str:
        return self.course.label


@dataclass(frozen=True)
class Csi4Line:
    """One partner's CSI-4 totals by session, and those they sent in check-ins in the period,
    by the check-in's time (marked "from a check-in" wherever they are drawn)."""

    partner_id: int
    partner_name: str
    totals: dict[int, int]  # session id -> total
    checkins: dict[datetime, int] = field(default_factory=dict)  # submitted at -> total


@dataclass
class CaseProgress:
    """A case's figures over its sessions (oldest first), its partners in their order."""

    case: Case
    partners: list[Partner]
    sessions: list[SessionPoint]
    adoption: list[AdoptionLine] = field(default_factory=list)
    csi4: list[Csi4Line] = field(default_factory=list)

    @property
    def trend(self) -> balance.Trend:
        """The trend of the de-escalation share over the sessions (``deescalation_trend``)."""
        return balance.deescalation_trend([point.deescalation_share for point in self.sessions])

    @property
    def latest_share(self) -> float | None:
        """The de-escalation share of the latest session that has one."""
        shares = [p.deescalation_share for p in self.sessions if p.deescalation_share is not None]
        return shares[-1] if shares else None

    def partner_position(self, partner_id: int | None) -> int | None:
        """The partner's place in the case (``Partner.position``), which fixes their colour."""
        return next((p.position for p in self.partners if p.id == partner_id), None)

    def session_date(self, session_id: int) -> date | None:
        """The (UTC) date of a session shown here, or None for one outside the period."""
        for point in self.sessions:
            if point.session_id == session_id:
                return point.starts_at.date()
        return None


def case_progress(case: Case, start: date | None = None, end: date | None = None) -> CaseProgress:
    """The progress of ``case`` over its sessions from ``start`` to ``end`` (UTC dates, both
    included; either may be left open)."""
    therapy_sessions = _therapy_sessions(case, start, end)
    session_ids = [row.id for row in therapy_sessions]
    partners = list(
        db.scalars(select(Partner).where(Partner.case_id == case.id).order_by(Partner.position))
    )
    moments = _moments(session_ids)
    points = [
        SessionPoint(
            session_id=row.id,
            starts_at=row.starts_at,
            status=row.status,
            eft_stage=row.eft_stage,
            moment_count=len(moments[row.id]),
            balance=balance.cycle_balance(moments[row.id]),
        )
        for row in therapy_sessions
    ]
    names = {p.id: p.display_name for p in partners}
    return CaseProgress(
        case=case,
        partners=partners,
        sessions=points,
        adoption=_adoption_lines(case, session_ids, end, names),
        csi4=_csi4_lines(session_ids, partners, start, end),
    )


def _therapy_sessions(case: Case, start: date | None, end: date | None) -> list[Row]:
    """The case's sessions in the period, oldest first: only the columns the figures need."""
    query = select(
        TherapySession.id, TherapySession.starts_at, TherapySession.status, TherapySession.eft_stage
    ).where(TherapySession.case_id == case.id, TherapySession.voided_at.is_(None))
    if start is not None:
        query = query.where(TherapySession.starts_at >= datetime.combine(start, time.min, UTC))
    if end is not None:
        query = query.where(TherapySession.starts_at <= _end_of(end))
    return list(db.execute(query.order_by(TherapySession.starts_at, TherapySession.id)))


def _end_of(day: date) -> datetime:
    """The last moment of a UTC day: a period's end includes the whole of its last day."""
    return datetime.combine(day, time.max, UTC)


def _moments(session_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """(valence, intensity) of each session's moments (voided ones left out), by session id."""
    moments: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for session_id, valence, intensity in db.execute(
        select(Moment.session_id, MomentType.valence, Moment.intensity)
        .join(MomentType, Moment.moment_type_id == MomentType.id)
        .where(Moment.session_id.in_(session_ids), Moment.voided_at.is_(None))
        .order_by(Moment.id)
    ):
        moments[session_id].append((valence, intensity))
    return moments


def _adoption_lines(
    case: Case, session_ids: list[int], end: date | None, names: dict[int, str]
) -> list[AdoptionLine]:
    """Each script assignment of the case given by ``end``, with its course over every
    (unvoided) session up to ``end`` and what was recorded at the period's sessions given
    (two queries)."""
    assigned = (
        select(ScriptAssignment, Script.text, TherapySession.starts_at)
        .join(Script, ScriptAssignment.script_id == Script.id)
        .join(TherapySession, ScriptAssignment.assigned_session_id == TherapySession.id)
        .where(ScriptAssignment.case_id == case.id)
    )
    if end is not None:
        assigned = assigned.where(TherapySession.starts_at <= _end_of(end))
    assignments = db.execute(assigned.order_by(ScriptAssignment.id)).all()
    if not assignments:
        return []
    history = (
        select(
            ScriptObservation.assignment_id,
            ScriptObservation.session_id,
            TherapySession.starts_at,
            ScriptObservation.status,
            ScriptObservation.level,
        )
        .join(TherapySession, ScriptObservation.session_id == TherapySession.id)
        .where(
            ScriptObservation.assignment_id.in_([a.id for a, _, _ in assignments]),
            TherapySession.voided_at.is_(None),
        )
    )
    if end is not None:
        history = history.where(TherapySession.starts_at <= _end_of(end))
    observations: dict[int, list[tuple[datetime, adoption.Observation]]] = defaultdict(list)
    dates: dict[object, date] = {}
    for assignment_id, session_id, starts_at, status, level in db.execute(
        history.order_by(TherapySession.starts_at, TherapySession.id)
    ):
        observations[assignment_id].append(
            (starts_at, adoption.Observation(session_id, status, level))
        )
        dates[session_id] = starts_at.date()
    # The other partner's word in a check-in that the script was used at home counts too
    # (level 3, "reported used at home"), in time order with the sessions.
    home = home_reports([a.id for a, _, _ in assignments])
    in_period = set(session_ids)
    lines = []
    for assignment, text, _assigned_at in assignments:
        reports = [
            (at, ("checkin", checkin_id))
            for at, checkin_id in home.get(assignment.id, [])
            if end is None or at <= _end_of(end)
        ]
        for at, key in reports:
            dates[key] = at.date()
        timed = observations[assignment.id]
        history_of = adoption.with_home_reports(timed, reports)
        course = adoption.adoption_course(history_of)
        shown = [o for o in history_of if o.key in in_period]
        lines.append(
            AdoptionLine(
                assignment_id=assignment.id,
                script_text=text,
                partner_name=names.get(assignment.partner_id, "?"),
                status=assignment.status,
                assigned_session_id=assignment.assigned_session_id,
                levels={o.key: o.level for o in shown if o.status == adoption.OBSERVED},
                not_observed={o.key: o.status for o in shown if o.status != adoption.OBSERVED},
                course=course,
                adopted_on=dates.get(course.adopted_at) if course.adopted else None,
                partner_id=assignment.partner_id,
            )
        )
    return lines


def _csi4_lines(
    session_ids: list[int], partners: list[Partner], start: date | None, end: date | None
) -> list[Csi4Line]:
    """Each partner's CSI-4 totals at the sessions given, and in their check-ins from ``start``
    to ``end``; partners without one left out. One statement."""
    sessions = select(
        MeasureResponse.partner_id,
        MeasureResponse.session_id,
        literal(None, UTCDateTime()).label("at"),
        MeasureResponse.total,
    ).where(MeasureResponse.session_id.in_(session_ids), MeasureResponse.measure == CSI4_MEASURE)
    checkins = (
        select(
            MeasureResponse.partner_id,
            MeasureResponse.session_id,
            Checkin.submitted_at.label("at"),
            MeasureResponse.total,
        )
        .join(Checkin, Checkin.csi4_response_id == MeasureResponse.id)
        .where(
            MeasureResponse.partner_id.in_([p.id for p in partners]),
            MeasureResponse.measure == CSI4_MEASURE,
            MeasureResponse.source == CHECKIN_SOURCE,
        )
    )
    if start is not None:
        checkins = checkins.where(Checkin.submitted_at >= datetime.combine(start, time.min, UTC))
    if end is not None:
        checkins = checkins.where(Checkin.submitted_at <= _end_of(end))
    totals: dict[int, dict[int, int]] = defaultdict(dict)
    from_checkins: dict[int, dict[datetime, int]] = defaultdict(dict)
    both = union_all(sessions, checkins).subquery()
    for partner_id, session_id, at, total in db.execute(select(both)):
        if session_id is None:
            from_checkins[partner_id][at] = total
        else:
            totals[partner_id][session_id] = total
    return [
        Csi4Line(
            partner_id=p.id,
            partner_name=p.display_name,
            totals=totals[p.id],
            checkins=dict(sorted(from_checkins[p.id].items())),
        )
        for p in partners
        if totals[p.id] or from_checkins[p.id]
    ]
