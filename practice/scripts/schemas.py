"""The JSON API's schemas of this area: requests it accepts and answers it gives."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import (
    Choice,
    Id,
    In,
    Items,
    Out,
    Text,
    Timestamp,
    WholeNumber,
    nullable,
)
from practice.scripts.adoption import ADOPTION_LEVELS, MAX_LEVEL, MIN_LEVEL
from practice.scripts.models import ScriptRole
from practice.scripts.operations import MAX_CATEGORY, MAX_OBSERVATION_NOTE, MAX_SCRIPT_TEXT

# --- Scripts, assignments and adoption ---------------------------------------------------------


class ScriptSchema(Out):
    id = fields.Integer()
    text = fields.String()
    intended_role = Choice(ScriptRole)
    category = fields.String()
    active = fields.Boolean()
    position = fields.Integer()


class ScriptCreateSchema(In):
    text = Text(min_length=1, max_length=MAX_SCRIPT_TEXT, required=True)
    intended_role = Choice(ScriptRole, load_default=ScriptRole.EITHER.value)
    category = Text(min_length=1, max_length=MAX_CATEGORY, required=True)


class AssignmentSchema(Out):
    id = fields.Integer()
    case_id = fields.Integer()
    partner_id = fields.Integer()
    script_id = fields.Integer()
    script_text = fields.String()
    status = fields.String()
    assigned_session_id = fields.Integer()
    retired_session_id = nullable(fields.Integer)
    retired_at = nullable(Timestamp)
    created_at = Timestamp()
    adopted_session_id = nullable(
        fields.Integer,
        metadata={"description": "The session from which the script counts as adopted."},
    )


class AssignmentCreateSchema(In):
    session_id = Id(required=True, metadata={"description": "A draft session of this case."})
    partner_id = Id(required=True)
    script_id = Id(required=True)


class RetireSchema(In):
    session_id = Id(required=True, metadata={"description": "Retired from this session on."})


class ObservationSchema(Out):
    assignment_id = fields.Integer()
    session_id = fields.Integer()
    level = fields.Integer()
    level_label = fields.String()
    note = fields.String()
    recorded_at = Timestamp()


class ObservationListSchema(Out):
    items = fields.List(fields.Nested(ObservationSchema))


class ObservationInSchema(In):
    assignment_id = Id(required=True)
    level = WholeNumber(
        MIN_LEVEL,
        MAX_LEVEL,
        required=True,
        metadata={"description": "; ".join(f"{k} {v}" for k, v in ADOPTION_LEVELS.items())},
    )
    note = Text(max_length=MAX_OBSERVATION_NOTE, load_default="")


class ObservationsPutSchema(In):
    levels = Items(fields.Nested(ObservationInSchema), 1, 50, required=True)
