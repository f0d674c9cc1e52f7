"""The stage gates: where every way of setting an EFT stage is checked, once.

Stage 2 may be set once a de-escalation event is confirmed, stage 3 once both stage-2 events
(withdrawer re-engaged, blamer softened) are too (``practice.eft.kinds.GATES``), unless the
counsellor gives a reason. The case page, the session form and the API all reach this module
through the cases' and sessions' operations (``check_case_stage``), so no path goes round it.

A stage only needs a reason when it rises above the case's current stage (``kinds.needs_reason``):
keeping the stage in force, re-saving a form or recording the next session at the case's stage
asks nothing again. A reason given where the gate is open is not recorded.

An override is kept (``StageOverride``, audited "eft_stage_override") and flagged to the
supervisor until its events are confirmed or the supervisor acknowledges it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import g, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from practice import audit
from practice.core import voiding
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.eft import kinds
from practice.eft.models import ChangeEvent, Decision, StageOverride

if TYPE_CHECKING:
    from practice.accounts.models import StaffMember
    from practice.cases.models import Case
    from practice.sessions.models import TherapySession

REASON_FIELD = "stage_reason"


class StageGateRefused(Refused):
    """A stage set without its gate's events and without a reason; ``fields`` names the reason."""


def confirmed_kinds(case_id: int) -> set[str]:
    """The kinds of the case's standing (confirmed, not voided) change events: one query."""
    return set(
        db.scalars(
            select(ChangeEvent.kind).where(
                ChangeEvent.case_id == case_id,
                ChangeEvent.decision == Decision.CONFIRMED,
                ChangeEvent.voided_at.is_(None),
            )
        )
    )


def refusal_message(stage: int, missing: list[str]) -> str:
    """Why a stage is refused, in the counsellor's words."""
    return _(
        "Stage %(stage)s can be set once %(events)s is confirmed as a change event. "
        "Confirm the event, or give your reason for setting the stage now (your supervisor "
        "will see it).",
        stage=stage,
        events=kinds.missing_words(missing),
    )


def check_case_stage(
    case: Case,
    stage: int | None,
    reason: str | None,
    *,
    therapy_session: TherapySession | None = None,
    actor: StaffMember | None = None,
    in_force: int | str | None = "case",
) -> StageOverride | None:
    """Check that ``stage`` may be set on ``case`` (on the case, or on ``therapy_session`` of
    it); with a reason where the gate is closed, record the override and return it.

    ``in_force``: the stage the case is at before this change (the case's stored stage unless
    given: a case being opened has none). Raises StageGateRefused (naming ``stage_reason``)
    when the gate is closed and no reason is given, or the reason is too long.
    """
    current = case.eft_stage if in_force == "case" else in_force
    assert current is None or isinstance(current, int)
    if stage is None or stage <= (current or 0):
        return None
    confirmed = confirmed_kinds(case.id) if case.id is not None else set()
    if not kinds.needs_reason(stage, current, confirmed):
        return None
    missing = kinds.missing_events(stage, confirmed)
    if not (reason or "").strip():
        message = refusal_message(stage, missing)
        raise StageGateRefused(message, fields={REASON_FIELD: message})
    try:
        reason = voiding.clean_reason(reason)
    except ValueError as error:
        raise StageGateRefused(str(error), fields={REASON_FIELD: str(error)}) from None
    if actor is None and has_request_context():
        actor = g.get("practice_staff")
    override = StageOverride(
        case_id=case.id,
        session_id=therapy_session.id if therapy_session is not None else None,
        stage=stage,
        missing=",".join(missing),
        reason=reason,
        set_by_id=actor.id if actor is not None else case.counsellor_id,
        set_at=utcnow(),
    )
    db.add(override)
    db.flush()
    # Ids and kinds only: the reason is clinical text and stays with the row.
    audit.record(
        "eft_stage_override",
        obj=override,
        case_id=case.id,
        actor=actor,
        detail={"stage": stage, "missing": missing, "session_id": override.session_id},
    )
    return override


def open_overrides(case_id: int, confirmed: set[str] | None = None) -> list[StageOverride]:
    """The case's overrides still flagged: not acknowledged, and some event of their gate still
    not confirmed (oldest first)."""
    if confirmed is None:
        confirmed = confirmed_kinds(case_id)
    rows = db.scalars(
        select(StageOverride)
        .where(StageOverride.case_id == case_id, StageOverride.acknowledged_at.is_(None))
        .options(joinedload(StageOverride.set_by))
        .order_by(StageOverride.set_at, StageOverride.id)
    ).all()
    return [o for o in rows if kinds.missing_events(o.stage, confirmed)]
