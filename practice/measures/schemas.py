"""The JSON API's schemas of this area: requests it accepts and answers it gives."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import Id, In, Items, Out, Timestamp, WholeNumber
from practice.cases.operations import MAX_PARTNERS
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
