"""Which cases a staff member may see, and the rows of their caseload list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, false, func, or_, select

from practice.database import db_session
from practice.models import Case, Role, StaffMember, TherapySession


def visible_cases(member: StaffMember) -> Select[tuple[Case]]:
    """A query for the cases ``member`` may see: their own, their supervisees', or all (admin)."""
    query = select(Case)
    if member.role == Role.ADMIN:
        return query
    if member.role == Role.SUPERVISOR:
        supervisees = select(StaffMember.id).where(StaffMember.supervisor_id == member.id)
        return query.where(
            or_(Case.counsellor_id == member.id, Case.counsellor_id.in_(supervisees))
        )
    if member.role == Role.COUNSELLOR:
        return query.where(Case.counsellor_id == member.id)
    return query.where(false())


@dataclass(frozen=True)
class CaseRow:
    """One line of a caseload list: a reference, never a name."""

    id: int
    reference: str
    kind: str
    status: str
    opened_on: date
    session_count: int
    last_session_at: datetime | None


def own_caseload(member: StaffMember) -> list[CaseRow]:
    """The cases ``member`` carries as counsellor, with session counts, in one query."""
    stats = (
        select(
            TherapySession.case_id,
            func.count(TherapySession.id).label("n"),
            func.max(TherapySession.starts_at).label("last"),
        )
        .where(TherapySession.voided_at.is_(None))
        .group_by(TherapySession.case_id)
        .subquery()
    )
    rows = db_session().execute(
        select(
            Case.id,
            Case.reference,
            Case.kind,
            Case.status,
            Case.opened_on,
            func.coalesce(stats.c.n, 0),
            stats.c.last,
        )
        .outerjoin(stats, stats.c.case_id == Case.id)
        .where(Case.counsellor_id == member.id)
        .order_by(Case.status, Case.reference)
    )
    return [CaseRow(*row) for row in rows]
