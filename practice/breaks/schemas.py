"""The JSON API's schemas of breaks: an episode with its accounts, and an account to record or
correct."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import (
    Choice,
    Flag,
    Id,
    In,
    Out,
    Timestamp,
    WholeNumber,
    nullable,
    one_of,
    version_field,
)
from practice.breaks import rules
from practice.breaks.models import MAX_HEART_RATE, MIN_HEART_RATE, AccountSource, BreakOutcome

_OUTCOME = (
    "`calmer`: resumed calmer; `escalated`: resumed escalated; `not_resumed`; null: not known yet."
)
_KINDS = (
    "`protective`: resumed after at least PRACTICE_BREAK_MIN_MINUTES (20) and at most "
    "PRACTICE_BREAK_MAX_HOURS (24 h); `early`: sooner; `unreturned`: no return within the "
    "hours; `pending`: younger than that, not yet resumed."
)


class BreakAccountSchema(Out):
    id = fields.Integer()
    told_by_id = nullable(
        fields.Integer, metadata={"description": "The partner telling it; null: the counsellor."}
    )
    source = fields.String(validate=one_of(s.value for s in AccountSource))
    session_id = nullable(fields.Integer)
    checkin_id = nullable(fields.Integer)
    called_by_id = fields.Integer()
    called_at = Timestamp()
    with_script = fields.Boolean()
    flooding = fields.Boolean()
    heart_rate = nullable(fields.Integer)
    promised_return_at = nullable(Timestamp)
    resumed_at = nullable(Timestamp)
    resumed_by_id = nullable(fields.Integer)
    with_invitation = fields.Boolean()
    outcome = nullable(
        fields.String,
        validate=one_of(o.value for o in BreakOutcome),
        metadata={"description": _OUTCOME},
    )
    classification = fields.String(
        validate=one_of(rules.CLASS_LABELS), metadata={"description": _KINDS}
    )
    recorded_by_id = nullable(fields.Integer)
    recorded_at = Timestamp()
    updated_at = Timestamp()
    version = fields.Integer()


class BreakEpisodeSchema(Out):
    id = fields.Integer()
    called_by_id = fields.Integer()
    called_at = Timestamp()
    classification = fields.String(
        validate=one_of(rules.CLASS_LABELS),
        metadata={"description": "By the chosen account. " + _KINDS},
    )
    chosen_account_id = fields.Integer(
        metadata={
            "description": "The account the episode is judged by: the counsellor's own record, "
            "else the first partner's account reporting a return, else the first."
        }
    )
    differing = fields.List(
        fields.String(),
        metadata={"description": "The fields on which the accounts disagree."},
    )
    accounts = fields.List(fields.Nested(BreakAccountSchema))


class _AccountFields(In):
    called_by_id = Id(required=True)
    called_at = Timestamp(required=True)
    with_script = Flag(load_default=False)
    flooding = Flag(load_default=False)
    heart_rate = WholeNumber(MIN_HEART_RATE, MAX_HEART_RATE, allow_none=True, load_default=None)
    promised_return_at = nullable(Timestamp, load_default=None)
    resumed_at = nullable(
        Timestamp,
        load_default=None,
        metadata={"description": "Required with `calmer` or `escalated`; not before `called_at`."},
    )
    resumed_by_id = Id(allow_none=True, load_default=None)
    with_invitation = Flag(load_default=False)
    outcome = Choice(
        [o.value for o in BreakOutcome],
        allow_none=True,
        load_default=None,
        metadata={"description": _OUTCOME},
    )


class BreakCreateSchema(_AccountFields):
    told_by_id = Id(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "The partner telling it; null: the counsellor's own record. A "
            "partner's second telling of the same break edits their account."
        },
    )
    session_id = Id(
        allow_none=True,
        load_default=None,
        metadata={"description": "The session it was told in, if any (source `session`)."},
    )


class BreakUpdateSchema(_AccountFields):
    version = version_field(
        required=True, metadata={"description": "The account's version, as last read."}
    )
