"""What the script pages and the API read: the library, a case's assignments with their adoption
history, and the levels recorded at a session.

Each function runs a fixed number of queries, however many scripts and sessions there are. The
course of adoption itself is ``practice.scripts.adoption.adoption_course``; this module only
gathers the observations, with their status, in session order and hands them over.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased, joinedload

from practice.cases.models import Case
from practice.checkins.queries import home_reports
from practice.core.database import db
from practice.scripts.adoption import (
    ADOPTION_LEVELS,
    HOME_LEVEL,
    OBSERVATION_STATUSES,
    OBSERVED,
    AdoptionCourse,
    Observation,
    adoption_course,
    with_home_reports,
)
from practice.scripts.models import AssignmentStatus, Script, ScriptAssignment, ScriptObservation
from practice.scripts.operations import role_mismatch
from practice.sessions.models import TherapySession

# --- The library -------------------------------------------------------------------------------


def library() -> list[tuple[str, list[Script]]]:
    """Every script, active or retired, grouped by category in alphabetical order."""
    scripts = db.scalars(
        select(Script).order_by(func.lower(Script.category), Script.position, Script.id)
    )
    return [(category, list(group)) for category, group in groupby(scripts, _category_key)]


def active_scripts() -> list[Script]:
    """The scripts a counsellor may assign, grouped by category."""
    return list(
        db.scalars(
            select(Script)
            .where(Script.active.is_(True))
            .order_by(func.lower(Script.category), Script.position, Script.id)
        )
    )


def library_query() -> Select:
    """Every script, by category as written, for the API's pages of the library."""
    return select(Script).order_by(Script.category, Script.position, Script.id)


def _category_key(script: Script) -> str:
    return script.category


# --- A case's assignments and their adoption history (the "Scripts & adoption" tab) -------------


@dataclass(frozen=True)
class ObservationPoint:
    """An assignment at one session: observed (with a level), no opportunity, or partner absent;
    or (``from_checkin``, no session) the other partner's check-in saying it was used at home."""

    session_id: int | None
    starts_at: datetime
    status: str
    level: int | None
    note: str
    from_checkin: bool = False

    @property
    def observed(self) -> bool:
        return self.status == OBSERVED

    @property
    def level_label(self) -> str:
        """The level in words, or the status for a session that was not observed."""
        if self.level is None:
            return OBSERVATION_STATUSES[self.status]
        return ADOPTION_LEVELS[self.level]


@dataclass(frozen=True)
class AssignmentRow:
    """One assignment with its script, partner, observations in session order and the course of
    its adoption over them (``adoption_course``, keyed by the observations themselves)."""

    assignment: ScriptAssignment
    assigned_at: datetime
    retired_session_at: datetime | None
    observations: list[ObservationPoint]
    course: AdoptionCourse[ObservationPoint]

    @property
    def adopted(self) -> ObservationPoint | None:
        """The observation the script counts as adopted at, if it is."""
        return self.course.adopted_at

    @property
    def is_active(self) -> bool:
        return self.assignment.status == AssignmentStatus.ACTIVE

    @property
    def role_mismatch(self) -> bool:
        return role_mismatch(self.assignment.script, self.assignment.partner)

    def observation_at(self, session_id: int) -> ObservationPoint | None:
        return next((o for o in self.observations if o.session_id == session_id), None)

    def recordable_at(self, therapy_session: TherapySession) -> bool:
        """Whether an adoption level can be recorded for this assignment at ``therapy_session``."""
        return self.is_active and self.assigned_at <= therapy_session.starts_at


def assignment_rows(case: Case) -> list[AssignmentRow]:
    """Every assignment of the case, active first, each with its adoption history (home reports
    from check-ins included); three queries."""
    assigned = aliased(TherapySession)
    retired = aliased(TherapySession)
    results = db.execute(
        select(ScriptAssignment, assigned.starts_at, retired.starts_at)
        .join(assigned, ScriptAssignment.assigned_session_id == assigned.id)
        .outerjoin(retired, ScriptAssignment.retired_session_id == retired.id)
        .options(joinedload(ScriptAssignment.script), joinedload(ScriptAssignment.partner))
        .where(ScriptAssignment.case_id == case.id)
        .order_by(assigned.starts_at, ScriptAssignment.id)
    ).all()
    observed: dict[int, list[ObservationPoint]] = defaultdict(list)
    for assignment_id, point in _observations_of(case):
        observed[assignment_id].append(point)
    # The other partner's word in a check-in that the script was used at home counts as the
    # case page, reports and dashboard count it (``with_home_reports``): one rule everywhere.
    home = home_reports([assignment.id for assignment, _, _ in results])
    rows = []
    for assignment, assigned_at, retired_at in results:
        points = observed[assignment.id]
        reports = [
            (at, ObservationPoint(None, at, OBSERVED, HOME_LEVEL, "", from_checkin=True))
            for at, _checkin_id in home.get(assignment.id, [])
        ]
        course = adoption_course(
            with_home_reports(
                [(p.starts_at, Observation(p, p.status, p.level)) for p in points], reports
            )
        )
        rows.append(AssignmentRow(assignment, assigned_at, retired_at, points, course))
    rows.sort(key=lambda row: not row.is_active)  # stable: keeps assignment order within each
    return rows


def _observations_of(case: Case) -> list[tuple[int, ObservationPoint]]:
    """(assignment id, observation) for the case's assignments, in session order."""
    rows = db.execute(
        select(
            ScriptObservation.assignment_id,
            ScriptObservation.session_id,
            TherapySession.starts_at,
            ScriptObservation.status,
            ScriptObservation.level,
            ScriptObservation.note,
        )
        .join(TherapySession, ScriptObservation.session_id == TherapySession.id)
        .join(ScriptAssignment, ScriptObservation.assignment_id == ScriptAssignment.id)
        .where(ScriptAssignment.case_id == case.id, TherapySession.voided_at.is_(None))
        .order_by(TherapySession.starts_at, ScriptObservation.id)
    )
    return [
        (assignment_id, ObservationPoint(session_id, starts_at, status, level, note))
        for assignment_id, session_id, starts_at, status, level, note in rows
    ]


# --- The levels recorded at one session ----------------------------------------------------------


@dataclass(frozen=True)
class RecordedLevel:
    """What was recorded for an assignment at a session, as the API lists it."""

    assignment_id: int
    session_id: int
    status: str
    level: int | None
    note: str
    recorded_at: datetime

    @property
    def status_label(self) -> str:
        return OBSERVATION_STATUSES[self.status]

    @property
    def level_label(self) -> str | None:
        return ADOPTION_LEVELS[self.level] if self.level is not None else None


def session_levels(therapy_session: TherapySession) -> list[RecordedLevel]:
    """The adoption levels recorded at this session for its case's assignments, by assignment."""
    rows = db.execute(
        select(
            ScriptObservation.assignment_id,
            ScriptObservation.session_id,
            ScriptObservation.status,
            ScriptObservation.level,
            ScriptObservation.note,
            ScriptObservation.recorded_at,
        )
        .join(ScriptAssignment, ScriptObservation.assignment_id == ScriptAssignment.id)
        .where(
            ScriptObservation.session_id == therapy_session.id,
            ScriptAssignment.case_id == therapy_session.case_id,
        )
        .order_by(ScriptObservation.assignment_id)
    )
    return [RecordedLevel(*row) for row in rows]
