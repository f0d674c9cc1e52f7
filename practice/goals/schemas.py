"""The JSON API's schemas of treatment goals and their ratings."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import (
    Choice,
    Day,
    Id,
    In,
    Out,
    Text,
    Timestamp,
    WholeNumber,
    nullable,
    one_of,
    version_field,
)
from practice.goals.models import (
    MAX_DESCRIPTION,
    MAX_RATING,
    MAX_TITLE,
    MIN_RATING,
    GoalStatus,
    RatingSource,
)

_STATUS = "`active`; `achieved` or `dropped`: retired (kept, no longer rated)."


class GoalAttainmentSchema(Out):
    partner_id = fields.Integer()
    ratings = fields.Integer(metadata={"description": "How many ratings the partner gave."})
    first = nullable(fields.Integer)
    latest = nullable(fields.Integer)
    change = nullable(fields.Integer, metadata={"description": "latest - first."})
    statement = nullable(
        fields.String,
        metadata={
            "description": "moved forward / moved back / about the same / first rating only, "
            "with '; largely met' when the latest rating reaches PRACTICE_GOAL_MET_RATING."
        },
    )


class GoalSchema(Out):
    id = fields.Integer()
    case_id = fields.Integer()
    title = fields.String()
    description = fields.String()
    owner_id = nullable(fields.Integer, metadata={"description": "null: the couple's shared goal."})
    opened_on = fields.Date()
    status = fields.String(
        validate=one_of(s.value for s in GoalStatus), metadata={"description": _STATUS}
    )
    status_on = nullable(
        fields.Date, metadata={"description": "The day it was achieved or dropped."}
    )
    created_at = Timestamp()
    updated_at = Timestamp()
    version = fields.Integer()
    attainment = fields.List(fields.Nested(GoalAttainmentSchema))


class GoalRatingSchema(Out):
    id = fields.Integer()
    goal_id = fields.Integer()
    partner_id = fields.Integer()
    rating = fields.Integer()
    source = fields.String(validate=one_of(s.value for s in RatingSource))
    session_id = nullable(fields.Integer)
    checkin_id = nullable(fields.Integer)
    rated_at = Timestamp(metadata={"description": "The session's start or the check-in's time."})


class _GoalFields(In):
    title = Text(required=True, min_length=1, max_length=MAX_TITLE)
    description = Text(load_default="", max_length=MAX_DESCRIPTION)
    owner_id = Id(
        allow_none=True, load_default=None, metadata={"description": "null: a shared goal."}
    )
    opened_on = Day(required=True, metadata={"description": "Not in the future."})
    status = Choice(
        [s.value for s in GoalStatus],
        load_default=GoalStatus.ACTIVE.value,
        metadata={"description": _STATUS},
    )
    status_on = nullable(Day, load_default=None)


class GoalCreateSchema(_GoalFields):
    pass


class GoalUpdateSchema(_GoalFields):
    version = version_field(
        required=True, metadata={"description": "The goal's version, as last read."}
    )


class GoalRatingCreateSchema(In):
    session_id = Id(required=True)
    partner_id = Id(required=True, metadata={"description": "A partner present at the session."})
    rating = WholeNumber(MIN_RATING, MAX_RATING, required=True)
