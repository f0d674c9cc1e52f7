"""The JSON API's schemas of this area: requests it accepts and answers it gives."""

from __future__ import annotations

from marshmallow import fields, validate

from practice.api.schemas import (
    Choice,
    Day,
    Id,
    In,
    Items,
    Out,
    Timestamp,
    WholeNumber,
    nullable,
)
from practice.cases.models import CaseKind
from practice.cases.operations import MAX_PARTNERS
from practice.measures import csi4
from practice.measures.consent import ShareAudience
from practice.measures.csi4 import CSI4_CUTOFF, CSI4_ITEMS


class MeasureSchema(Out):
    partner_id = fields.Integer()
    measure = fields.String()
    items = fields.List(fields.Integer())
    total = fields.Integer()
    below_cutoff = fields.Boolean(
        metadata={"description": f"Whether the total is below the {CSI4_CUTOFF:g} cut-off."}
    )
    recorded_by_id = fields.Integer()
    recorded_at = Timestamp()


class MeasureListSchema(Out):
    items = fields.List(fields.Nested(MeasureSchema))


_ITEM_RANGES = ", ".join(f"{i.number}: {i.minimum}–{i.maximum}" for i in CSI4_ITEMS)


class Csi4InSchema(In):
    partner_id = Id(required=True)
    items = Items(
        WholeNumber(0, max(item.maximum for item in CSI4_ITEMS)),
        len(CSI4_ITEMS),
        len(CSI4_ITEMS),
        required=True,
        metadata={"description": f"The four CSI-4 item scores in order (ranges {_ITEM_RANGES})."},
    )


class MeasuresPutSchema(In):
    responses = Items(fields.Nested(Csi4InSchema), 1, MAX_PARTNERS, required=True)


# --- CSI-4 change from baseline ------------------------------------------------------------------


def _one_of(values) -> validate.OneOf:
    return validate.OneOf(list(values))


class Csi4PartnerChangeSchema(Out):
    partner_id = fields.Integer()
    readings = fields.Integer(
        metadata={"description": "CSI-4 readings so far; 0: never measured (the rest is null)."}
    )
    baseline = nullable(fields.Integer, metadata={"description": "The first total."})
    baseline_at = nullable(Timestamp, metadata={"description": "When the baseline was taken."})
    latest = nullable(fields.Integer, metadata={"description": "The latest total."})
    latest_at = nullable(Timestamp)
    best = nullable(fields.Integer, metadata={"description": "The highest total so far."})
    change = nullable(fields.Integer, metadata={"description": "latest − baseline."})
    category = nullable(
        fields.String,
        validate=_one_of(csi4.CHANGE_LABELS),
        metadata={"description": "Reliable change from the baseline (Jacobson & Truax)."},
    )
    label = nullable(fields.String, metadata={"description": "The category in words."})
    explanation = nullable(fields.String, metadata={"description": "The arithmetic, in words."})
    slide = nullable(
        fields.Boolean,
        metadata={"description": "Whether the latest is an index or more below the best so far."},
    )
    below_cutoff = nullable(
        fields.Boolean,
        metadata={"description": f"Whether the latest is below the {CSI4_CUTOFF:g} cut-off."},
    )


class Csi4ChangeSchema(Out):
    case_id = fields.Integer()
    kind = fields.String(validate=_one_of(kind.value for kind in CaseKind))
    reliable_change_index = fields.Float(
        metadata={"description": "The practice's reliable-change index, in CSI-4 points."}
    )
    cutoff = fields.Float(metadata={"description": "The CSI-4 cut-off (Funk & Rogge 2007)."})
    partners = fields.List(fields.Nested(Csi4PartnerChangeSchema))
    couple = nullable(
        fields.String,
        validate=_one_of(csi4.COUPLE_LABELS),
        metadata={"description": "The couple as a pair; null for individual and family cases."},
    )
    couple_label = nullable(fields.String)
    no_couple_reason = nullable(
        fields.String, metadata={"description": "Why there is no couple classification."}
    )


# --- Consent to share scores ---------------------------------------------------------------------

_AUDIENCE_DESCRIPTION = (
    "`partner`: the other partner (or the others of a family), in the joint client report; "
    "`referrer`: a referrer, in the referrer report."
)


class ScoreConsentSchema(Out):
    id = fields.Integer()
    partner_id = fields.Integer()
    audience = fields.String(
        validate=_one_of(a.value for a in ShareAudience),
        metadata={"description": _AUDIENCE_DESCRIPTION},
    )
    given_on = Day(metadata={"description": "The day the partner gave it."})
    recorded_by_id = fields.Integer()
    recorded_at = Timestamp()
    withdrawn_on = nullable(
        Day, metadata={"description": "The day the partner withdrew it; from then, not shared."}
    )
    withdrawal_by_id = nullable(
        fields.Integer, metadata={"description": "Who recorded the withdrawal."}
    )
    withdrawal_at = nullable(Timestamp)
    in_force = fields.Boolean(metadata={"description": "Whether it is in force now."})


class ScoreConsentGiveSchema(In):
    partner_id = Id(required=True)
    audience = Choice(ShareAudience, required=True, metadata={"description": _AUDIENCE_DESCRIPTION})
    given_on = Day(
        required=True,
        metadata={"description": "The day the partner gave it: not before the case opened."},
    )


class ScoreConsentWithdrawSchema(In):
    partner_id = Id(required=True)
    audience = Choice(ShareAudience, required=True, metadata={"description": _AUDIENCE_DESCRIPTION})
    withdrawn_on = Day(
        required=True,
        metadata={"description": "The day the partner withdrew it: not before it was given."},
    )
