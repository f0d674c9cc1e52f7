"""The JSON API's schemas of this area: requests it accepts and answers it gives."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import (
    Out,
    Timestamp,
    nullable,
)

# --- The supervisor's caseload -----------------------------------------------------------------


class TrendSchema(Out):
    label = fields.String()
    slope = nullable(fields.Float)
    sessions_used = fields.Integer()


class Csi4LatestSchema(Out):
    partner_number = fields.Integer()
    total = fields.Integer()


class FlagSchema(Out):
    kind = fields.String()
    label = fields.String()
    reason = fields.String()


class CaseloadLineSchema(Out):
    case_id = fields.Integer()
    reference = fields.String()
    counsellor_id = fields.Integer()
    counsellor = fields.String()
    session_count = fields.Integer()
    last_session_at = nullable(Timestamp)
    eft_stage = nullable(fields.Integer)
    trend = fields.Nested(TrendSchema)
    scripts_adopted = fields.Integer()
    scripts_total = fields.Integer()
    csi4 = fields.List(fields.Nested(Csi4LatestSchema))
    unsigned = fields.Integer()
    flags = fields.List(fields.Nested(FlagSchema))
