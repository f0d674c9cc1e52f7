"""The change-events part of the clinical report: the EFT change events confirmed up to the
period's end with their evidence moments, and any stage set before its events (with the
counsellor's reason). Clinical only: the clients' and the referrer's reports leave it out.

Two statements: the events with their evidence, and the overrides.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from practice.cases.models import Case
from practice.core.database import db
from practice.eft import kinds
from practice.eft.models import ChangeEvent, Decision, StageOverride
from practice.moments.models import Moment


def _evidence(moment: Moment, names: dict[int, str], zone: tzinfo) -> str:
    day = moment.therapy_session.starts_at.astimezone(zone).strftime("%d %b %Y")
    who = names.get(moment.partner_id or 0, "both")
    return f"{day}, min {moment.minute}: {moment.moment_type.label} ({who})"


def change_events_report(case: Case, end: date, zone: tzinfo) -> dict:
    """``events`` confirmed (and not voided) on or before ``end``, oldest first, each with its
    evidence in words; ``overrides`` of the stage set by then; ``gates`` at the period's end."""
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
    events = db.scalars(
        select(ChangeEvent)
        .where(
            ChangeEvent.case_id == case.id,
            ChangeEvent.decision == Decision.CONFIRMED,
            ChangeEvent.voided_at.is_(None),
            ChangeEvent.occurred_on <= end,
        )
        .options(
            selectinload(ChangeEvent.evidence).options(
                selectinload(Moment.moment_type), selectinload(Moment.therapy_session)
            )
        )
        .order_by(ChangeEvent.occurred_on, ChangeEvent.id)
    ).all()
    names = {p.id: p.display_name for p in case.partners}
    confirmed = {e.kind for e in events}
    overrides = db.scalars(
        select(StageOverride)
        .where(StageOverride.case_id == case.id, StageOverride.set_at < until)
        .order_by(StageOverride.set_at, StageOverride.id)
    ).all()
    return {
        "events": [
            {
                "label": e.label,
                "on": e.occurred_on.strftime("%d %b %Y"),
                "evidence": [
                    _evidence(m, names, zone)
                    for m in sorted(
                        e.evidence, key=lambda m: (m.therapy_session.starts_at, m.minute, m.id)
                    )
                ],
                "note": e.note,
                "proposed": e.proposed,
            }
            for e in events
        ],
        "gates": [
            {
                "stage": stage,
                "missing": kinds.missing_words(kinds.missing_events(stage, confirmed)),
            }
            for stage in kinds.GATES
        ],
        "overrides": [
            {
                "stage": o.stage,
                "on": o.set_at.astimezone(zone).strftime("%d %b %Y"),
                "missing": kinds.missing_words(o.missing_kinds),
                "reason": o.reason,
                "acknowledged": o.acknowledged_at is not None,
            }
            for o in overrides
        ],
    }
