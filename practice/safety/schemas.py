"""The JSON API's schemas of safety screens: requests it accepts and answers it gives."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import Choice, Day, Flag, Id, In, Items, Out, Timestamp, WholeNumber
from practice.safety.screening import (
    FEAR_QUESTION,
    HITS_CUT_OFF,
    HITS_ITEM_MAX,
    HITS_ITEM_MIN,
    HITS_ITEMS,
    RescreenReason,
    ScreenDecision,
)

_DECISIONS = (
    "`joint_ok`: joint work fine; `joint_with_plan`: joint with a safety plan; "
    "`individual_only`: individual sessions only; `refer`: refer on."
)
_ITEMS = (
    f"The four HITS answers in order ({', '.join(HITS_ITEMS)}), each {HITS_ITEM_MIN} (never) "
    f"to {HITS_ITEM_MAX} (frequently)."
)


class SafetyScreenSchema(Out):
    id = fields.Integer()
    partner_id = fields.Integer()
    screened_on = Day(metadata={"description": "The day the partner was screened, alone."})
    items = fields.List(fields.Integer(), metadata={"description": _ITEMS})
    total = fields.Integer(metadata={"description": "The HITS total, 4–20."})
    positive = fields.Boolean(
        metadata={"description": f"Whether the HITS total is above {HITS_CUT_OFF} (positive)."}
    )
    afraid = fields.Boolean(metadata={"description": f"The answer to “{FEAR_QUESTION}”"})
    decision = fields.String(metadata={"description": _DECISIONS})
    recorded_by_id = fields.Integer()
    recorded_at = Timestamp()


class RescreenDueSchema(Out):
    id = fields.Integer()
    partner_id = fields.Integer()
    reason = fields.String(
        metadata={"description": "A code: " + ", ".join(f"`{r.value}`" for r in RescreenReason)}
    )
    due_since = Timestamp()


class SafetyScreenListSchema(Out):
    items = fields.List(fields.Nested(SafetyScreenSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    open_rescreens = fields.List(
        fields.Nested(RescreenDueSchema),
        metadata={"description": "Rescreens due and not yet closed by a screen."},
    )


class SafetyScreenInSchema(In):
    partner_id = Id(required=True)
    screened_on = Day(
        required=True,
        metadata={"description": "The day of the screen: not before the case opened."},
    )
    items = Items(
        WholeNumber(HITS_ITEM_MIN, HITS_ITEM_MAX),
        len(HITS_ITEMS),
        len(HITS_ITEMS),
        required=True,
        metadata={"description": _ITEMS},
    )
    afraid = Flag(required=True, metadata={"description": f"“{FEAR_QUESTION}”"})
    decision = Choice(ScreenDecision, required=True, metadata={"description": _DECISIONS})
