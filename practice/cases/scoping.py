"""Loading clinical objects through the viewer's scope: out of scope is "not found".

Views load every case and session through these functions, so a forgotten check yields a
404 rather than a leak. Only a case's own counsellor may change it; supervisors and admins
in scope may read it.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from practice.accounts.models import StaffMember
from practice.cases.models import Case
from practice.cases.queries import visible_cases
from practice.core.database import db
from practice.sessions.models import TherapySession


def case_for_viewer(member: StaffMember, case_id: int) -> Case:
    """The case if ``member`` may see it; 404 otherwise."""
    case = db.scalar(visible_cases(member).where(Case.id == case_id))
    if case is None:
        abort(404)
    return case


def case_for_editor(member: StaffMember, case_id: int) -> Case:
    """The case if ``member`` is its counsellor; 404 out of scope, 403 if read-only."""
    case = case_for_viewer(member, case_id)
    if case.counsellor_id != member.id:
        abort(403)
    return case


def session_for_viewer(member: StaffMember, session_id: int) -> TherapySession:
    """The session if ``member`` may see its case; 404 otherwise."""
    visible = visible_cases(member).with_only_columns(Case.id)
    therapy_session = db.scalar(
        select(TherapySession).where(
            TherapySession.id == session_id,
            TherapySession.case_id.in_(visible),
            TherapySession.voided_at.is_(None),
        )
    )
    if therapy_session is None:
        abort(404)
    return therapy_session


def session_for_editor(member: StaffMember, session_id: int) -> TherapySession:
    """The session if ``member`` is its case's counsellor; 404 out of scope, 403 read-only."""
    therapy_session = session_for_viewer(member, session_id)
    if therapy_session.case.counsellor_id != member.id:
        abort(403)
    return therapy_session


def can_edit(member: StaffMember, case: Case) -> bool:
    return case.counsellor_id == member.id
