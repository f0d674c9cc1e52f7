"""Reading appointments: one through the viewer's scope, a case's, a counsellor's day or week,
and the figures the caseload list and the flags need for many cases at once (one statement
each, whatever the number of cases)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from practice.accounts.models import StaffMember
from practice.appointments.models import Appointment, AppointmentStatus
from practice.appointments.rules import MISSED
from practice.cases.models import Case
from practice.cases.queries import visible_cases
from practice.core.database import db
from practice.core.errors import NotFound


def appointment_for_viewer(member: StaffMember, appointment_id: int) -> Appointment:
    """The appointment if ``member`` may see its case. Raises NotFound otherwise."""
    visible = visible_cases(member).with_only_columns(Case.id)
    appointment = db.scalar(
        select(Appointment).where(
            Appointment.id == appointment_id, Appointment.case_id.in_(visible)
        )
    )
    if appointment is None:
        raise NotFound()
    return appointment


@dataclass(frozen=True)
class CaseAppointments:
    """A case's appointments: those still planned (soonest first, including any whose time
    has passed without an outcome) and the rest (latest first)."""

    planned: list[Appointment]
    past: list[Appointment]


def case_appointments(case: Case) -> CaseAppointments:
    """Every appointment of ``case``, split into planned and the rest (one statement)."""
    rows = db.scalars(
        select(Appointment)
        .where(Appointment.case_id == case.id)
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()
    planned = [a for a in rows if a.status == AppointmentStatus.PLANNED]
    past = [a for a in reversed(rows) if a.status != AppointmentStatus.PLANNED]
    return CaseAppointments(planned, past)


@dataclass(frozen=True)
class AgendaLine:
    """One appointment in a counsellor's day or week: the case by reference, never a name."""

    id: int
    case_id: int
    reference: str
    starts_at: datetime
    duration_minutes: int
    mode: str
    status: str
    late: bool | None
    session_id: int | None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


def agenda(member: StaffMember, start: datetime, end: datetime) -> list[AgendaLine]:
    """The appointments of the cases ``member`` carries, starting in [start, end), in order
    (one statement)."""
    rows = db.execute(
        select(
            Appointment.id,
            Appointment.case_id,
            Case.reference,
            Appointment.starts_at,
            Appointment.duration_minutes,
            Appointment.mode,
            Appointment.status,
            Appointment.late,
            Appointment.session_id,
        )
        .join(Case, Case.id == Appointment.case_id)
        .where(
            Case.counsellor_id == member.id,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return [AgendaLine(*row) for row in rows]


def next_planned(case_ids: list[int], now: datetime) -> dict[int, datetime]:
    """Per case: the start of its next planned appointment from ``now`` on (one statement)."""
    if not case_ids:
        return {}
    return dict(
        db.execute(
            select(Appointment.case_id, func.min(Appointment.starts_at))
            .where(
                Appointment.case_id.in_(case_ids),
                Appointment.status == AppointmentStatus.PLANNED,
                Appointment.starts_at >= now,
            )
            .group_by(Appointment.case_id)
        ).all()
    )


def missed_starts(case_ids: list[int], now: datetime) -> dict[int, list[datetime]]:
    """Per case: the starts of its cancelled and missed appointments up to ``now``, oldest
    first (one statement)."""
    missed: dict[int, list[datetime]] = defaultdict(list)
    if not case_ids:
        return missed
    for case_id, starts_at in db.execute(
        select(Appointment.case_id, Appointment.starts_at)
        .where(
            Appointment.case_id.in_(case_ids),
            Appointment.status.in_(sorted(MISSED)),
            Appointment.starts_at <= now,
        )
        .order_by(Appointment.case_id, Appointment.starts_at)
    ):
        missed[case_id].append(starts_at)
    return missed
