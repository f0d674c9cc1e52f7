"""API: a case's change events, the tracker's proposals and the stage gates; confirming and
voiding an event. Setting a stage beyond its gate goes through the cases' and sessions' own
routes with a ``stage_reason`` (``practice.eft.gates``).

The same rules, scope and audit as the pages: read by whoever may see the case, written only by
its counsellor, refusals answered 409 with the fields at fault."""

from __future__ import annotations

from practice.api.routing import ID, body, bp, operation, read, saved
from practice.cases.scoping import case_for_editor, case_for_viewer
from practice.core.database import db
from practice.core.errors import NotFound
from practice.eft import operations, queries
from practice.eft.models import ChangeEvent
from practice.eft.schemas import (
    ChangeEventCreateSchema,
    ChangeEventSchema,
    ChangeEventsSchema,
    ChangeEventVoidSchema,
    ProposalListSchema,
)
from practice.web import access


def _event(event: ChangeEvent) -> dict:
    """The event's fields, for a schema to write out."""
    return {
        "id": event.id,
        "kind": event.kind,
        "label": event.label,
        "session_id": event.session_id,
        "occurred_on": event.occurred_on,
        "proposed": event.proposed,
        "note": event.note,
        "evidence_ids": sorted(m.id for m in event.evidence),
        "confirmed_by_id": event.decided_by_id,
        "confirmed_at": event.decided_at,
        "voided_at": event.voided_at,
        "void_reason": event.void_reason,
    }


def _event_body(event: ChangeEvent) -> dict:
    return ChangeEventSchema().dump(_event(event))


def _proposals(view: queries.CaseChangeEvents) -> list[dict]:
    return [
        {
            "kind": p.proposal.kind,
            "label": p.label,
            "session_id": p.proposal.session_id,
            "evidence_ids": list(p.proposal.evidence),
            "reason": p.proposal.reason,
        }
        for p in view.proposals
    ]


@bp.route(f"/cases/<{ID}:case_id>/change-events")
@access.staff
@operation(
    "List a case's EFT change events",
    tag="Change events",
    description=(
        "The confirmed events (voided ones too, with their reason) with their evidence moments, "
        "the tracker's open proposals, and each stage gate: stage 2 opens with a confirmed "
        "de-escalation, stage 3 with both stage-2 events (withdrawer re-engaged, blamer softened)."
    ),
    returns=ChangeEventsSchema,
)
def change_events_list(case_id: int):
    case = case_for_viewer(access.current_staff(), case_id)
    view = queries.case_change_events(case)
    answer = ChangeEventsSchema().dump(
        {
            "events": [_event(e) for e in [*view.confirmed, *view.voided]],
            "proposals": _proposals(view),
            "gates": [{"stage": g.stage, "open": g.open, "missing": g.missing} for g in view.gates],
        }
    )
    return read(answer, "api_change_events_read", obj=case)


@bp.route(f"/cases/<{ID}:case_id>/change-events/proposals")
@access.staff
@operation(
    "List the change events the tracker proposes",
    tag="Change events",
    description=(
        "Proposed from the moments (PRACTICE_EFT_* thresholds): de-escalated (share ≥ 60 % in "
        "3 consecutive tagged sessions, both partners named the cycle, no threat to end), "
        "withdrawer re-engaged (2 of 3 consecutive tagged sessions), blamer softened (the "
        "pursuer's need or soft bid answered within 10 minutes by the withdrawer's empathic "
        "response). Confirm one by posting it to the case's change events."
    ),
    returns=ProposalListSchema,
)
def change_event_proposals(case_id: int):
    case = case_for_viewer(access.current_staff(), case_id)
    view = queries.case_change_events(case)
    answer = ProposalListSchema().dump({"proposals": _proposals(view)})
    return read(answer, "api_change_event_proposals_read", obj=case)


@bp.route(f"/cases/<{ID}:case_id>/change-events", methods=["POST"])
@access.staff
@operation(
    "Confirm a change event",
    tag="Change events",
    description=(
        "Only the case's counsellor: a proposal (send `proposed`: true) or their own record. "
        "Refused (409) for a session or moment of another case, a date before the case opened "
        "or to come, a de-escalated, re-engaged or softened event without evidence moments, "
        "or a kind already confirmed and not voided."
    ),
    body=ChangeEventCreateSchema,
    status=201,
    returns=ChangeEventSchema,
    errors=(409,),
)
def change_event_confirm(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    data = body()
    event = operations.confirm_event(
        case,
        member,
        operations.EventData(
            kind=data["kind"],
            session_id=data["session_id"],
            occurred_on=data["occurred_on"],
            evidence_ids=data["evidence_ids"],
            note=data["note"],
            proposed=data["proposed"],
        ),
    )
    return saved(_event_body(event), 201)


@bp.route(f"/change-events/<{ID}:event_id>/void", methods=["POST"])
@access.staff
@operation(
    "Void a confirmed change event",
    tag="Change events",
    description="Only the case's counsellor, with the `reason`; the event stays in the record.",
    body=ChangeEventVoidSchema,
    returns=ChangeEventSchema,
    errors=(409,),
)
def change_event_void(event_id: int):
    member = access.current_staff()
    event = db.get(ChangeEvent, event_id)
    if event is None:
        raise NotFound()
    case_for_editor(member, event.case_id)
    operations.void_event(event, member, body()["reason"])
    return saved(_event_body(event))
