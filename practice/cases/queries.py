"""Which cases a staff member may see, and the rows of their caseload and of the case list.

Every list and every single case a member loads is drawn from ``visible_cases``: their own, their
supervisees', or, for an administrator, none but those they opened by break-glass
(``practice.cases.break_glass``) while the opening runs. Lists show references, never names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy import case as when
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from practice.accounts.models import Role, StaffMember
from practice.cases.models import BreakGlass, Case, CaseStatus
from practice.core.database import db, utcnow
from practice.core.pagination import Page, window
from practice.sessions.models import TherapySession

PAGE_SIZE = 50
STATUS_FILTERS = ("active", "paused", "closed", "all")
DEFAULT_STATUS_FILTER = "active"
SORT_KEYS = ("reference", "kind", "status", "counsellor", "opened", "sessions", "last")
DEFAULT_SORT = "reference"


def visible_cases(member: StaffMember) -> Select[tuple[Case]]:
    """A query for the cases ``member`` may see: their own, their supervisees', or (an
    administrator, who reads no clinical record otherwise) those of their running break-glass
    openings."""
    query = select(Case)
    if member.role == Role.ADMIN:
        now = utcnow()
        opened = select(BreakGlass.case_id).where(
            BreakGlass.admin_id == member.id,
            BreakGlass.opened_at <= now,
            BreakGlass.expires_at > now,
        )
        return query.where(Case.id.in_(opened))
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
    # The counsellor's display name, in lists that span several caseloads.
    counsellor: str | None = None


@dataclass(frozen=True)
class CaseListQuery:
    """What a case list asks for; built from validated input."""

    q: str = ""
    status: str = DEFAULT_STATUS_FILTER
    sort: str = DEFAULT_SORT
    descending: bool = False
    page: int = 1


def _session_stats() -> Subquery:
    """Per case: the number of sessions and the start of the latest (voided ones left out)."""
    return (
        select(
            TherapySession.case_id,
            func.count(TherapySession.id).label("n"),
            func.max(TherapySession.starts_at).label("last"),
        )
        .where(TherapySession.voided_at.is_(None))
        .group_by(TherapySession.case_id)
        .subquery()
    )


def _status_rank() -> ColumnElement[int]:
    """Active first, then paused, then closed."""
    return when(
        (Case.status == CaseStatus.ACTIVE, 0), (Case.status == CaseStatus.PAUSED, 1), else_=2
    )


def own_caseload(member: StaffMember) -> list[CaseRow]:
    """The cases ``member`` carries as counsellor, active first, with session counts (one query)."""
    stats = _session_stats()
    rows = db.execute(
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
        .order_by(_status_rank(), Case.reference)
    )
    return [CaseRow(*row) for row in rows]


def _like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def case_list(member: StaffMember, query: CaseListQuery) -> Page[CaseRow]:
    """One page of the cases ``member`` may see, filtered and sorted, in two queries (the count,
    then the page's rows). A page number past the end gives the last page."""
    filtered = visible_cases(member)
    if query.status != "all":
        filtered = filtered.where(Case.status == query.status)
    if query.q:
        filtered = filtered.where(Case.reference.ilike(_like_pattern(query.q), escape="\\"))

    shown = window(filtered.with_only_columns(Case.id), query.page, PAGE_SIZE)

    stats = _session_stats()
    # An alias, so the supervisees subquery of ``visible_cases`` is not correlated with it.
    counsellor = aliased(StaffMember)
    session_count = func.coalesce(stats.c.n, 0)
    sort_columns = {
        "reference": Case.reference,
        "kind": Case.kind,
        "status": _status_rank(),
        "counsellor": counsellor.display_name,
        "opened": Case.opened_on,
        "sessions": session_count,
        "last": stats.c.last,
    }
    order = sort_columns.get(query.sort, Case.reference)
    order = order.desc() if query.descending else order.asc()
    rows = db.execute(
        filtered.with_only_columns(
            Case.id,
            Case.reference,
            Case.kind,
            Case.status,
            Case.opened_on,
            session_count,
            stats.c.last,
            counsellor.display_name,
        )
        .join(counsellor, counsellor.id == Case.counsellor_id)
        .outerjoin(stats, stats.c.case_id == Case.id)
        .order_by(order.nulls_last(), Case.reference, Case.id)
        .limit(shown.per_page)
        .offset(shown.offset)
    )
    return Page([CaseRow(*row) for row in rows], shown)
