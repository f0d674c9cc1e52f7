"""Loading one case or session through the viewer's scope: out of scope is "not found".

Views and API routes load every case and session through these functions, so a forgotten check
yields a 404 rather than a leak: ``NotFound`` (``practice.core.errors``), which pages, the API
and live mode each answer as an audited 404. Only a case's own counsellor may change it;
supervisors and administrators in scope may read it, and are answered 403 on a page or route
that would change it.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from practice.accounts.models import StaffMember
from practice.cases.models import Case
from practice.cases.queries import visible_cases
from practice.core.database import db
from practice.core.errors import NotFound
from practice.sessions.models import TherapySession
from practice.web.access import Sensitivity, may_read


def case_for_viewer(
    member: StaffMember, case_id: int, sensitivity: Sensitivity = Sensitivity.CASE
) -> Case:
    """The case if ``member`` may see it. Raises NotFound otherwise. For data more sensitive
    than the case itself (``Sensitivity.SAFETY``), answers 403 to anyone in scope who may not
    read it (``access.may_read``: an administrator, a supervisor of someone else)."""
    case = db.scalar(visible_cases(member).where(Case.id == case_id))
    if case is None:
        raise NotFound()
    if not may_read(member, case.counsellor, sensitivity):
        abort(403)
    return case


def may_read_case(member: StaffMember, case: Case, sensitivity: Sensitivity) -> bool:
    """Whether ``member``, who may see ``case``, may also read its data of ``sensitivity``
    (what the case page shows of the safety screens)."""
    return may_read(member, case.counsellor, sensitivity)


def case_for_editor(member: StaffMember, case_id: int) -> Case:
    """The case if ``member`` is its counsellor. Raises NotFound out of scope; answers 403
    when ``member`` may only read it."""
    case = case_for_viewer(member, case_id)
    _require_editor(member, case)
    return case


def session_for_viewer(member: StaffMember, session_id: int) -> TherapySession:
    """The session (not voided) if ``member`` may see its case. Raises NotFound otherwise."""
    visible = visible_cases(member).with_only_columns(Case.id)
    therapy_session = db.scalar(
        select(TherapySession).where(
            TherapySession.id == session_id,
            TherapySession.case_id.in_(visible),
            TherapySession.voided_at.is_(None),
        )
    )
    if therapy_session is None:
        raise NotFound()
    return therapy_session


def session_for_editor(member: StaffMember, session_id: int) -> TherapySession:
    """The session if ``member`` is its case's counsellor. Raises NotFound out of scope;
    answers 403 when ``member`` may only read it."""
    therapy_session = session_for_viewer(member, session_id)
    _require_editor(member, therapy_session.case)
    return therapy_session


def can_edit(member: StaffMember, case: Case) -> bool:
    """Whether ``member`` may change ``case``: its own counsellor only."""
    return case.counsellor_id == member.id


def _require_editor(member: StaffMember, case: Case) -> None:
    # Read-only is an answer about the request, not a rule an operation refuses: the page or
    # route changes what the member may only read. Every blueprint's handlers audit the 403.
    if not can_edit(member, case):
        abort(403)
