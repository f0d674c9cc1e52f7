"""The supervisor flag's batch: the days of each case's open stage overrides, in two statements
whatever the number of cases (``practice.supervision.dashboard_queries`` calls it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from practice.core import local_time
from practice.core.database import db
from practice.eft import kinds
from practice.eft.models import ChangeEvent, Decision, StageOverride


def open_override_days(case_ids: Iterable[int], zone: ZoneInfo) -> dict[int, list[date]]:
    """Per case: the local days its overrides were set that are neither acknowledged nor
    resolved by the events since confirmed (``kinds.missing_events``)."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = db.execute(
        select(StageOverride.case_id, StageOverride.stage, StageOverride.set_at).where(
            StageOverride.case_id.in_(ids), StageOverride.acknowledged_at.is_(None)
        )
    ).all()
    if not rows:
        return {}
    confirmed: dict[int, set[str]] = defaultdict(set)
    for case_id, kind in db.execute(
        select(ChangeEvent.case_id, ChangeEvent.kind).where(
            ChangeEvent.case_id.in_({row.case_id for row in rows}),
            ChangeEvent.decision == Decision.CONFIRMED,
            ChangeEvent.voided_at.is_(None),
        )
    ):
        confirmed[case_id].add(kind)
    days: dict[int, list[date]] = defaultdict(list)
    for case_id, stage, set_at in rows:
        if kinds.missing_events(stage, confirmed[case_id]):
            days[case_id].append(local_time.local_day(set_at, zone))
    return dict(days)
