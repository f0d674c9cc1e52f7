"""Reading a case's check-in links and check-ins, for the case page, the check-ins page, the
API and the progress figures. Each function is one or two queries, whatever the history."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from practice.cases.models import Case
from practice.checkins import rules
from practice.checkins.models import Checkin, CheckinLink, CheckinScriptAnswer
from practice.core.database import db
from practice.scripts.models import ScriptAssignment


def links_of_case(case: Case) -> list[CheckinLink]:
    """Every link issued in ``case``, newest first, with the partner it is for."""
    return list(
        db.scalars(
            select(CheckinLink)
            .where(CheckinLink.case_id == case.id)
            .options(selectinload(CheckinLink.partner))
            .order_by(CheckinLink.issued_at.desc(), CheckinLink.id.desc())
        )
    )


def checkins_of_case(case: Case) -> list[Checkin]:
    """Every check-in of ``case``, newest first, with its breaks and script answers."""
    return list(
        db.scalars(
            select(Checkin)
            .where(Checkin.case_id == case.id)
            .options(
                selectinload(Checkin.partner),
                selectinload(Checkin.breaks),
                selectinload(Checkin.script_answers),
            )
            .order_by(Checkin.submitted_at.desc(), Checkin.id.desc())
        )
    )


def checkin_count(case: Case) -> int:
    """How many check-ins ``case`` has."""
    return db.scalar(select(func.count()).where(Checkin.case_id == case.id)) or 0


def home_reports(assignment_ids: list[int]) -> dict[int, list[tuple[datetime, int]]]:
    """For each assignment, the check-ins in which the other partner said its owner used it
    (``rules.corroborates``): (when, check-in id), oldest first. One query."""
    if not assignment_ids:
        return {}
    rows = db.execute(
        select(
            CheckinScriptAnswer.assignment_id,
            Checkin.id,
            Checkin.partner_id,
            Checkin.submitted_at,
            ScriptAssignment.partner_id,
            CheckinScriptAnswer.used_by_partner,
        )
        .join(Checkin, CheckinScriptAnswer.checkin_id == Checkin.id)
        .join(ScriptAssignment, CheckinScriptAnswer.assignment_id == ScriptAssignment.id)
        .where(CheckinScriptAnswer.assignment_id.in_(assignment_ids))
        .order_by(Checkin.submitted_at, Checkin.id)
    )
    reports: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for assignment_id, checkin_id, writer, at, owner, used_by_partner in rows:
        if rules.corroborates(writer, owner, used_by_partner):
            reports[assignment_id].append((at, checkin_id))
    return dict(reports)
