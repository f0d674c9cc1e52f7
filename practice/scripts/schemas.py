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
from practice.scripts.adoption import (
    ADOPTION_LEVELS,
    ADOPTION_STATES,
    MAX_LEVEL,
    MIN_LEVEL,
    NO_OPPORTUNITY,
    OBSERVATION_STATUSES,
    OBSERVED,
)
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
    adopted_on = nullable(fields.Date, metadata={"description": "The (UTC) date of that session."})
    adoption_state = Choice(
        ADOPTION_STATES,
        metadata={
            "description": "Where adoption stands over the whole history, observed sessions "
            "only: " + "; ".join(f"{k} ({v.lower()})" for k, v in ADOPTION_STATES.items())
        },
    )
    adoption_state_label = fields.String()
    observed_sessions = fields.Integer(
        metadata={"description": "Sessions at which the script was observed (with a level)."}
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
    status = Choice(
        OBSERVATION_STATUSES,
        metadata={
            "description": "Only observed sessions count for adoption; absent is set from the "
            "session's attendance."
        },
    )
    status_label = fields.String()
    level = nullable(fields.Integer, metadata={"description": "Set exactly when observed."})
    level_label = nullable(fields.String)
    note = fields.String()
    recorded_at = Timestamp()


class ObservationListSchema(Out):
    items = fields.List(fields.Nested(ObservationSchema))


class ObservationInSchema(In):
    assignment_id = Id(required=True)
    status = Choice(
        (OBSERVED, NO_OPPORTUNITY),
        load_default=OBSERVED,
        metadata={
            "description": "observed (send a level) or no_opportunity (send no level). A "
            "partner who did not attend is recorded as absent from the attendance, never sent."
        },
    )
    level = WholeNumber(
        MIN_LEVEL,
        MAX_LEVEL,
        allow_none=True,
        load_default=None,
        metadata={
            "description": "Required when observed, left out or null otherwise: "
            + "; ".join(f"{k} {v}" for k, v in ADOPTION_LEVELS.items())
        },
    )
    note = Text(max_length=MAX_OBSERVATION_NOTE, load_default="")


class ObservationsPutSchema(In):
    levels = Items(fields.Nested(ObservationInSchema), 1, 50, required=True)
