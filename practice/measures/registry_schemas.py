"""The JSON API's schemas of the measure registry: the definitions, and responses to any
measure."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import Id, In, Items, Out, Timestamp, nullable

MAX_ITEMS = 64


class AnchorSchema(Out):
    value = fields.Float()
    label = fields.String()


class MeasureItemSchema(Out):
    number = fields.Integer()
    wording = nullable(
        fields.String,
        metadata={"description": "Null when the measure's wording is under licence."},
    )
    minimum = fields.Float()
    maximum = fields.Float()
    reverse = fields.Boolean()
    anchors = fields.List(fields.Nested(AnchorSchema))


class MeasureDefinitionSchema(Out):
    key = fields.String(metadata={"description": "The name responses are stored under."})
    name = fields.String()
    stem = fields.String()
    items = fields.List(fields.Nested(MeasureItemSchema))
    scoring = fields.String(metadata={"description": "sum or mean (reverse items turned round)."})
    direction = fields.String(metadata={"description": "higher_better or higher_worse."})
    min_total = fields.Float()
    max_total = fields.Float()
    cutoff = nullable(fields.Float)
    cutoff_meaning = fields.String()
    reliable_change = nullable(fields.Float)
    respondent = fields.String(metadata={"description": "partner or counsellor."})
    decimals = fields.Integer(metadata={"description": "Decimal places an answer may have."})
    use = fields.String(metadata={"description": "session (measures tab) or safety (screen)."})
    alliance_threshold = nullable(fields.Float)
    at_checkins = fields.Boolean()
    licence = fields.String()
    wording_licensed = fields.Boolean()
    citation = fields.String()
    shipped = fields.Boolean()


class MeasureRegistrySchema(Out):
    items = fields.List(fields.Nested(MeasureDefinitionSchema))


class MeasureResponseSchema(Out):
    partner_id = fields.Integer()
    measure = fields.String()
    items = fields.List(fields.Float())
    total = fields.Float()
    reading = fields.String(metadata={"description": "The total read against the cut-off."})
    in_concern = fields.Boolean(
        metadata={"description": "Beyond the cut-off on the worse side (false without one)."}
    )
    recorded_by_id = fields.Integer()
    recorded_at = Timestamp()


class MeasureResponseListSchema(Out):
    items = fields.List(fields.Nested(MeasureResponseSchema))


class MeasureResponseInSchema(In):
    measure = fields.String(
        required=True, metadata={"description": "A key of the registry (GET /measures/registry)."}
    )
    partner_id = Id(required=True)
    items = Items(
        fields.Float(allow_nan=False),
        1,
        MAX_ITEMS,
        required=True,
        metadata={"description": "The answers in item order, within each item's range."},
    )
