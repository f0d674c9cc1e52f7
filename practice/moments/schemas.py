"""The JSON API's schemas of this area: requests it accepts and answers it gives."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import (
    COLOUR_PATTERN,
    SHORTCUT_PATTERN,
    Choice,
    Flag,
    FullMatch,
    Id,
    In,
    Out,
    Text,
    Timestamp,
    WholeNumber,
    nullable,
)
from practice.moments.balance import MAX_INTENSITY, MIN_INTENSITY, Valence
from practice.moments.interaction import Outcome
from practice.moments.operations import DEFAULT_INTENSITY, MAX_CONTEXT
from practice.moments.vocabulary import MAX_DESCRIPTION, MAX_LABEL
from practice.sessions.operations import MAX_DURATION

# --- Moments and their vocabulary -----------------------------------------------------------


class MomentSchema(Out):
    id = fields.Integer()
    session_id = fields.Integer()
    moment_type_id = fields.Integer()
    partner_id = nullable(fields.Integer, metadata={"description": "null: both (or all)."})
    minute = fields.Integer()
    intensity = fields.Integer()
    context = fields.String()
    target_partner_id = nullable(
        fields.Integer, metadata={"description": "The partner it is aimed at; null: no one."}
    )
    answers_moment_id = nullable(
        fields.Integer, metadata={"description": "The earlier moment it answers; null: none."}
    )
    outcome = nullable(
        Choice, Outcome, metadata={"description": "How it was met; null: not recorded."}
    )
    created_by_id = fields.Integer()
    created_at = Timestamp()


class InteractionSchema(Out):
    """A session's interaction metrics (``practice.moments.interaction``); a fraction is null
    when undefined."""

    session_id = fields.Integer()
    pursue = fields.Integer(metadata={"description": "Pursue moments by one partner."})
    coupled = fields.Integer(
        metadata={"description": "Of them, met by the other's withdraw within 3 minutes."}
    )
    coupling_index = nullable(fields.Float)
    repairs = fields.Integer()
    repairs_rated = fields.Integer(metadata={"description": "Repair attempts with an outcome."})
    repairs_accepted = fields.Integer()
    repair_success = nullable(fields.Float)
    antidotes = fields.Integer()
    horsemen = fields.Integer()
    antidote_ratio = nullable(
        fields.Float, metadata={"description": "null when there are no horsemen."}
    )


def _minute(**kw) -> WholeNumber:
    return WholeNumber(
        0, MAX_DURATION, metadata={"description": "At most the session's duration."}, **kw
    )


def _intensity(**kw) -> WholeNumber:
    return WholeNumber(MIN_INTENSITY, MAX_INTENSITY, **kw)


class MomentCreateSchema(In):
    moment_type_id = Id(required=True)
    partner_id = Id(allow_none=True, load_default=None)
    minute = _minute(required=True)
    intensity = _intensity(load_default=DEFAULT_INTENSITY)
    context = Text(max_length=MAX_CONTEXT, load_default="")
    target_partner_id = Id(allow_none=True, load_default=None)
    answers_moment_id = Id(allow_none=True, load_default=None)
    outcome = Choice(Outcome, allow_none=True, load_default=None)


class MomentUpdateSchema(In):
    moment_type_id = Id()
    partner_id = Id(allow_none=True)
    minute = _minute()
    intensity = _intensity()
    context = Text(max_length=MAX_CONTEXT)
    target_partner_id = Id(allow_none=True)
    answers_moment_id = Id(allow_none=True)
    outcome = Choice(Outcome, allow_none=True)


class MomentTypeSchema(Out):
    id = fields.Integer()
    key = fields.String()
    label = fields.String()
    description = fields.String()
    valence = Choice(Valence)
    colour = fields.String()
    shortcut = nullable(fields.String)
    active = fields.Boolean()
    position = fields.Integer()


def _colour(**kw) -> fields.String:
    check = FullMatch(COLOUR_PATTERN, error="Send a colour as #rrggbb.")
    return fields.String(validate=check, **kw)


def _shortcut(**kw) -> fields.String:
    check = FullMatch(SHORTCUT_PATTERN, error="Send one lowercase letter.")
    return fields.String(validate=check, allow_none=True, **kw)


class MomentTypeCreateSchema(In):
    label = Text(min_length=1, max_length=MAX_LABEL, required=True)
    description = Text(max_length=MAX_DESCRIPTION, load_default="")
    valence = Choice(Valence, required=True)
    colour = _colour(required=True)
    shortcut = _shortcut(load_default=None)


class MomentTypeUpdateSchema(In):
    label = Text(min_length=1, max_length=MAX_LABEL)
    description = Text(max_length=MAX_DESCRIPTION)
    valence = Choice(Valence)
    colour = _colour()
    shortcut = _shortcut()
    active = Flag(metadata={"description": "false retires the type; true brings it back."})
