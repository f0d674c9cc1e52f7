"""A case's change events and stage overrides in its full export (``practice.cases.export``):
every row, dismissed and voided ones included, with its evidence moments' ids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from practice.core.database import db
from practice.eft.models import ChangeEvent, StageOverride


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def case_export(case_id: int) -> dict[str, list[dict[str, Any]]]:
    """``change_events`` and ``stage_overrides`` of the case, oldest first (two statements and
    the evidence's one)."""
    events = db.scalars(
        select(ChangeEvent)
        .where(ChangeEvent.case_id == case_id)
        .options(selectinload(ChangeEvent.evidence))
        .order_by(ChangeEvent.id)
    ).all()
    overrides = db.scalars(
        select(StageOverride).where(StageOverride.case_id == case_id).order_by(StageOverride.id)
    ).all()
    return {
        "change_events": [
            {
                "id": e.id,
                "kind": e.kind,
                "decision": e.decision,
                "session_id": e.session_id,
                "occurred_on": _iso(e.occurred_on),
                "proposed": e.proposed,
                "note": e.note,
                "evidence_moment_ids": sorted(m.id for m in e.evidence),
                "decided_by_id": e.decided_by_id,
                "decided_at": _iso(e.decided_at),
                "voided_at": _iso(e.voided_at),
                "voided_by_id": e.voided_by_id,
                "void_reason": e.void_reason,
            }
            for e in events
        ],
        "stage_overrides": [
            {
                "id": o.id,
                "session_id": o.session_id,
                "stage": o.stage,
                "missing": o.missing_kinds,
                "reason": o.reason,
                "set_by_id": o.set_by_id,
                "set_at": _iso(o.set_at),
                "acknowledged_by_id": o.acknowledged_by_id,
                "acknowledged_at": _iso(o.acknowledged_at),
            }
            for o in overrides
        ],
    }
