"""The demo's appointments, written once the cases and sessions are: each active case seen in
the last three weeks has its latest session as an attended appointment and its next sessions
planned weekly at the same hour; a week that has already passed without a session is history,
cancelled or missed. The first such is a late cancellation by the withdrawing partner, the
second a no-show, so the demo always shows both.

Nothing here draws from the builder's random stream: the rest of the practice is unchanged.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from practice.appointments.models import Appointment, AppointmentStatus, CancelledBy
from practice.appointments.rules import DEFAULT_LATE_HOURS, is_late_cancellation
from practice.cases.models import Case, CaseStatus
from practice.core.database import db
from practice.demo.builder.rows import IdAllocator
from practice.sessions.models import TherapySession

# Appointments are planned up to this far ahead of the demo's "now".
PLANNED_AHEAD = timedelta(days=28)
RECENT = timedelta(days=21)
WEEK = timedelta(days=7)


def write_appointments(now: datetime) -> int:
    """Insert the demo's appointments (in bulk) and return how many."""
    latest = (
        sa.select(
            TherapySession.case_id,
            sa.func.max(TherapySession.starts_at).label("starts_at"),
        )
        .where(TherapySession.voided_at.is_(None), TherapySession.starts_at <= now)
        .group_by(TherapySession.case_id)
        .subquery()
    )
    rows = db.execute(
        sa.select(
            Case.id,
            Case.counsellor_id,
            TherapySession.id,
            TherapySession.starts_at,
            TherapySession.duration_minutes,
            TherapySession.modality,
        )
        .join(latest, latest.c.case_id == Case.id)
        .join(
            TherapySession,
            (TherapySession.case_id == Case.id) & (TherapySession.starts_at == latest.c.starts_at),
        )
        .where(Case.status == CaseStatus.ACTIVE, latest.c.starts_at >= now - RECENT)
        .order_by(Case.id)
    ).all()
    values: list[dict] = []
    missed = 0
    for case_id, counsellor_id, session_id, last, duration, mode in rows:
        common = {
            "case_id": case_id,
            "duration_minutes": duration,
            "mode": mode,
            "created_by_id": counsellor_id,
            "created_at": last - WEEK,
            "updated_at": last,
            "version": 1,
        }
        values.append(
            common
            | {
                "starts_at": last,
                "status": AppointmentStatus.ATTENDED.value,
                "session_id": session_id,
                "outcome_by_id": counsellor_id,
                "outcome_at": last,
            }
        )
        starts = last + WEEK
        while starts <= now + PLANNED_AHEAD:
            if starts > now:
                values.append(common | {"starts_at": starts, "status": "planned"})
            else:
                values.append(common | _missed(missed, starts, counsellor_id))
                missed += 1
            starts += WEEK
    if values:
        # Ids assigned here, as the builder does (``rows.IdAllocator``): the same whatever a
        # database's sequence has handed out before.
        ids = IdAllocator([Appointment])
        for row in values:
            row["id"] = ids.take(Appointment)
            for key in ("cancelled_by", "notice_at", "late", "session_id", "outcome_by_id"):
                row.setdefault(key, None)
            row.setdefault("outcome_at", None)
        db.execute(sa.insert(Appointment), values)
        ids.advance_sequences()
    return len(values)


def _missed(index: int, starts: datetime, counsellor_id: int) -> dict:
    """A week that passed without a session: a late cancellation (the withdrawing partner, the
    morning before), a no-show, or a cancellation in good time by the counsellor, in turn."""
    kind = index % 3
    if kind == 1:
        return {
            "starts_at": starts,
            "status": AppointmentStatus.NO_SHOW.value,
            "outcome_by_id": counsellor_id,
            "outcome_at": starts + timedelta(minutes=20),
        }
    if kind == 0:
        cancelled_by, notice = CancelledBy.PARTNER_B.value, starts - timedelta(hours=6)
    else:
        cancelled_by, notice = CancelledBy.COUNSELLOR.value, starts - timedelta(days=3)
    return {
        "starts_at": starts,
        "status": AppointmentStatus.CANCELLED.value,
        "cancelled_by": cancelled_by,
        "notice_at": notice,
        "late": is_late_cancellation(starts, notice, DEFAULT_LATE_HOURS),
        "outcome_by_id": counsellor_id,
        "outcome_at": notice,
    }
