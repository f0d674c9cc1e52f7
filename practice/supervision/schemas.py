"""The JSON API's schemas of this area: requests it accepts and answers it gives."""

from __future__ import annotations

from marshmallow import fields, validate

from practice.api.schemas import Day, Out, Timestamp, nullable
from practice.measures.csi4 import CHANGE_LABELS
from practice.supervision.flags import FLAG_KINDS, SEVERITY_ORDER

# --- The supervisor's caseload -----------------------------------------------------------------


class TrendSchema(Out):
    label = fields.String()
    slope = nullable(fields.Float)
    sessions_used = fields.Integer()


class Csi4LatestSchema(Out):
    """A partner's CSI-4: the latest total, and its change judged from their baseline."""

    partner_number = fields.Integer()
    total = fields.Integer(metadata={"description": "The partner's latest CSI-4 total (0-21)."})
    baseline = fields.Integer(metadata={"description": "Their first CSI-4 total."})
    best = fields.Integer(metadata={"description": "Their highest CSI-4 total so far."})
    change = fields.Integer(metadata={"description": "Latest total minus the baseline."})
    category = fields.String(
        validate=validate.OneOf(CHANGE_LABELS),
        metadata={"description": "Reliable change from the baseline (Jacobson & Truax)."},
    )
    category_label = fields.String(metadata={"description": "The category in words."})
    slide = fields.Boolean(
        metadata={"description": "Whether the latest total is a reliable change below the best."}
    )
    readings = fields.Integer()


class FlagSchema(Out):
    kind = fields.String(validate=validate.OneOf(FLAG_KINDS))
    label = fields.String()
    severity = fields.String(validate=validate.OneOf(SEVERITY_ORDER))
    severity_label = fields.String()
    reason = fields.String()
    since = Day(metadata={"description": "The day the flagged condition began."})


class CaseloadLineSchema(Out):
    case_id = fields.Integer()
    reference = fields.String()
    counsellor_id = fields.Integer()
    counsellor = fields.String()
    session_count = fields.Integer()
    last_session_at = nullable(Timestamp)
    eft_stage = nullable(fields.Integer)
    trend = fields.Nested(TrendSchema)
    scripts_adopted = fields.Integer(
        metadata={"description": "Scripts adopted and still in use (lapsed ones not counted)."}
    )
    scripts_total = fields.Integer()
    scripts_lapsed = fields.Integer(
        metadata={"description": "Scripts adopted once, not used at the latest two observations."}
    )
    csi4 = fields.List(fields.Nested(Csi4LatestSchema))
    unsigned = fields.Integer()
    severity = nullable(
        fields.String,
        validate=validate.OneOf(SEVERITY_ORDER),
        metadata={"description": "The severity of the case's most severe flag; null without."},
    )
    flags = fields.List(fields.Nested(FlagSchema), metadata={"description": "Most severe first."})
