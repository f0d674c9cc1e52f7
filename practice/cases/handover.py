"""Hand-over: a case passes from one counsellor to another, recorded with its reason.

A counsellor who leaves (is deactivated) must not leave cases behind without one: the
deactivation is refused while they carry open cases (``practice.accounts.operations.set_active``),
and the staff page asks where each goes (``hand_over_and_deactivate``). A single case is handed
over by an administrator, or by the supervisor of its counsellor, with ``reassign_case``. Every
hand-over is a ``CaseAssignment`` row (who, from whom, to whom, by whom, why, when) and an audited
``case_reassigned`` event; the case's page lists them in its history. The new counsellor sees
the whole record, as it belongs to the case, not to who wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from practice import audit
from practice.accounts import operations as accounts
from practice.accounts.models import Role, StaffMember
from practice.cases.models import Case, CaseAssignment, CaseStatus
from practice.cases.queries import visible_cases
from practice.core.database import db, utcnow
from practice.core.errors import NotFound, Refused
from practice.core.i18n import _
from practice.core.unit_of_work import atomic

MAX_REASON_LENGTH = 500
# Roles that carry a caseload, and so may receive a case.
CASELOAD_ROLES = (Role.COUNSELLOR, Role.SUPERVISOR)


class HandoverError(Refused):
    """A hand-over that is refused; the message says why."""


def open_cases_of(member: StaffMember) -> list[Case]:
    """The cases ``member`` carries that are not closed (active or paused), by reference."""
    return list(
        db.scalars(
            select(Case)
            .where(Case.counsellor_id == member.id, Case.status != CaseStatus.CLOSED)
            .order_by(Case.reference)
        )
    )


def may_reassign(actor: StaffMember, case: Case) -> bool:
    """Administrators hand any case over; a supervisor, their supervisees' cases and their own."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.SUPERVISOR:
        return case.counsellor_id == actor.id or case.counsellor.supervisor_id == actor.id
    return False


def case_to_reassign(member: StaffMember, case_id: int) -> Case:
    """The case ``member`` may hand over: any case for an administrator (who sees its reference
    and counsellor, not its record), a case in scope for a supervisor. Raises NotFound else."""
    if member.role == Role.ADMIN:
        case = db.get(Case, case_id)
    else:
        case = db.scalar(visible_cases(member).where(Case.id == case_id))
    if case is None or not may_reassign(member, case):
        raise NotFound()
    return case


def targets(actor: StaffMember, leaving: StaffMember) -> list[StaffMember]:
    """Whom ``actor`` may hand ``leaving``'s cases to: active staff who carry a caseload (for a
    supervisor, themselves and their supervisees), never ``leaving``; by name."""
    query = (
        select(StaffMember)
        .where(
            StaffMember.active.is_(True),
            StaffMember.role.in_(CASELOAD_ROLES),
            StaffMember.id != leaving.id,
        )
        .order_by(StaffMember.display_name, StaffMember.id)
    )
    if actor.role != Role.ADMIN:
        query = query.where((StaffMember.id == actor.id) | (StaffMember.supervisor_id == actor.id))
    return list(db.scalars(query))


def check_reason(reason: str | None) -> str:
    """The reason, trimmed; raises HandoverError when it is empty or too long."""
    text = (reason or "").strip()
    if not text:
        raise HandoverError(
            _("Say why the case is handed over."), fields={"reason": _("A reason is required.")}
        )
    if len(text) > MAX_REASON_LENGTH:
        raise HandoverError(
            _("Keep the reason under %(limit)s characters.", limit=MAX_REASON_LENGTH),
            fields={"reason": _("Too long.")},
        )
    return text


@atomic
def reassign_case(
    case: Case, to: StaffMember | None, by: StaffMember, reason: str | None
) -> CaseAssignment:
    """Hand ``case`` to ``to``, recorded and audited with ``reason``.

    Raises HandoverError when ``by`` may not hand it over, ``to`` may not receive it (missing,
    inactive, without a caseload, outside a supervisor's team, or already its counsellor), or
    the reason is missing.
    """
    if not may_reassign(by, case):
        raise HandoverError(_("Only an administrator or the counsellor's supervisor hands over."))
    text = check_reason(reason)
    allowed = {member.id for member in targets(by, case.counsellor)}
    if to is None or to.id not in allowed:
        raise HandoverError(
            _("Choose an active counsellor to take the case over."),
            fields={"to_counsellor_id": _("Choose who takes the case over.")},
        )
    previous = case.counsellor
    record = CaseAssignment(
        case_id=case.id,
        from_counsellor_id=previous.id,
        to_counsellor_id=to.id,
        assigned_by_id=by.id,
        reason=text,
        assigned_at=utcnow().replace(microsecond=0),
    )
    case.counsellor = to
    db.add(record)
    db.flush()
    audit.record(
        "case_reassigned",
        obj=case,
        detail={
            "assignment_id": record.id,
            "from_counsellor_id": previous.id,
            "to_counsellor_id": to.id,
            "reason": text,
        },
    )
    return record


@atomic
def hand_over_and_deactivate(
    leaving: StaffMember, moves: Mapping[int, int], by: StaffMember, reason: str | None
) -> list[CaseAssignment]:
    """Hand each open case of ``leaving`` to the counsellor ``moves`` names for it (case id →
    staff id), then deactivate ``leaving``: all of it, or (any refusal) none of it.

    Raises HandoverError when a case has no destination, AccountError as ``set_active`` does.
    """
    text = check_reason(reason)
    records = []
    for case in open_cases_of(leaving):
        destination = moves.get(case.id)
        to = db.get(StaffMember, destination) if destination else None
        if to is None:
            raise HandoverError(
                _("Choose who takes over %(reference)s.", reference=case.reference),
                fields={f"case-{case.id}": _("Choose who takes this case over.")},
            )
        records.append(reassign_case(case, to, by, text))
    accounts.set_active(leaving, False, by=by)
    return records


def history(case: Case) -> list[CaseAssignment]:
    """The case's hand-overs, oldest first, with the staff named (one query)."""
    return list(
        db.scalars(
            select(CaseAssignment)
            .where(CaseAssignment.case_id == case.id)
            .options(
                joinedload(CaseAssignment.from_counsellor),
                joinedload(CaseAssignment.to_counsellor),
                joinedload(CaseAssignment.assigned_by),
            )
            .order_by(CaseAssignment.assigned_at, CaseAssignment.id)
        )
    )
