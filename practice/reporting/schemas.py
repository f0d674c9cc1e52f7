"""The JSON API's schemas of this area: requests it accepts and answers it gives."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import (
    Choice,
    Day,
    In,
    Out,
    Text,
    Timestamp,
)
from practice.reporting.models import Audience
from practice.reporting.operations import MAX_NARRATIVE_LENGTH

# --- Reports -------------------------------------------------------------------------------


class ReportSchema(Out):
    id = fields.Integer()
    case_id = fields.Integer()
    audience = Choice(Audience)
    period_start = fields.Date()
    period_end = fields.Date()
    generated_by_id = fields.Integer()
    generated_at = Timestamp()
    sha256 = fields.String()
    size_bytes = fields.Integer()
    page_count = fields.Integer()


class ReportCreateSchema(In):
    audience = Choice(Audience, required=True)
    period_start = Day(metadata={"description": "Default: the day the case opened."})
    period_end = Day(metadata={"description": "Default: today, or the day the case closed."})
    narrative = Text(max_length=MAX_NARRATIVE_LENGTH, load_default="")
    recommendations = Text(
        max_length=MAX_NARRATIVE_LENGTH,
        load_default="",
        metadata={
            "description": "The counsellor's recommendations: printed in the referrer report "
            "and the clinical record, not in the client report."
        },
    )


class ReportPreparingSchema(Out):
    status = fields.String(metadata={"description": "`preparing`."})
    job_id = fields.Integer(metadata={"description": "The report job preparing it."})
    job_status = fields.String(metadata={"description": "`queued` or `running`."})
