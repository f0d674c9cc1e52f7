"""The JSON API's schemas of change events: an event with its evidence, a proposal, the gates,
and an event to confirm or void."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import (
    Choice,
    Day,
    Id,
    In,
    Items,
    Out,
    Text,
    Timestamp,
    nullable,
    one_of,
)
from practice.core.voiding import MAX_VOID_REASON
from practice.eft.kinds import PROPOSED_KINDS, EventKind
from practice.eft.models import MAX_NOTE

_KINDS = (
    "`deescalated`: cycle de-escalated; `reengaged`: withdrawer re-engaged; `softened`: blamer "
    "softened; `injury_resolved`: attachment injury resolved; `consolidated`: new cycle "
    "consolidated."
)
MAX_EVIDENCE = 50


class ChangeEventSchema(Out):
    id = fields.Integer()
    kind = fields.String(
        validate=one_of(k.value for k in EventKind), metadata={"description": _KINDS}
    )
    label = fields.String()
    session_id = fields.Integer()
    occurred_on = fields.Date()
    proposed = fields.Boolean(metadata={"description": "Whether the tracker proposed it."})
    note = fields.String()
    evidence_ids = fields.List(fields.Integer(), metadata={"description": "Its moments' ids."})
    confirmed_by_id = fields.Integer()
    confirmed_at = Timestamp()
    voided_at = nullable(Timestamp)
    void_reason = nullable(fields.String)


class ProposalSchema(Out):
    kind = fields.String(validate=one_of(PROPOSED_KINDS))
    label = fields.String()
    session_id = fields.Integer()
    evidence_ids = fields.List(fields.Integer())
    reason = fields.String()


class GateSchema(Out):
    stage = fields.Integer()
    open = fields.Boolean()
    missing = fields.List(fields.String(), metadata={"description": "Kinds still to confirm."})


class ChangeEventsSchema(Out):
    events = fields.List(fields.Nested(ChangeEventSchema))
    proposals = fields.List(fields.Nested(ProposalSchema))
    gates = fields.List(fields.Nested(GateSchema))


class ProposalListSchema(Out):
    proposals = fields.List(fields.Nested(ProposalSchema))


class ChangeEventCreateSchema(In):
    kind = Choice(EventKind, required=True, metadata={"description": _KINDS})
    session_id = Id(required=True)
    occurred_on = Day(required=True)
    evidence_ids = Items(
        Id(),
        None,
        MAX_EVIDENCE,
        load_default=list,
        metadata={"description": "Moments of the case; at least one for the first three kinds."},
    )
    note = Text(max_length=MAX_NOTE, load_default="")
    proposed = fields.Boolean(load_default=False)


class ChangeEventVoidSchema(In):
    reason = Text(min_length=1, max_length=MAX_VOID_REASON, required=True)
