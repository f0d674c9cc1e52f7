"""The JSON API's schemas of check-ins: links (never their tokens, but once, in the address
given when a link is issued) and what partners sent."""

from __future__ import annotations

from marshmallow import fields, validate

from practice.api.schemas import Id, In, Out, Timestamp, nullable
from practice.checkins.models import BreakCaller, BreakReturn

LINK_STATES = ("open", "used", "revoked", "expired")


class CheckinLinkSchema(Out):
    id = fields.Integer()
    partner_id = fields.Integer()
    issued_by_id = fields.Integer()
    issued_at = Timestamp()
    expires_at = Timestamp()
    used_at = nullable(Timestamp)
    revoked_at = nullable(Timestamp)
    state = fields.String(
        validate=validate.OneOf(LINK_STATES),
        metadata={"description": "Whether the link still takes a check-in, or why not."},
    )


class IssuedCheckinLinkSchema(CheckinLinkSchema):
    url = fields.String(
        metadata={
            "description": "The address to hand to the partner. Given this once: the tracker "
            "keeps only the SHA-256 of its token."
        }
    )


class CheckinLinkIssueSchema(In):
    partner_id = Id(required=True)


class CheckinBreakSchema(Out):
    called_by = fields.String(
        validate=validate.OneOf([c.value for c in BreakCaller]),
        metadata={"description": "`me`: the partner writing; `partner`: the other."},
    )
    with_script = nullable(fields.Boolean)
    returned = fields.String(validate=validate.OneOf([r.value for r in BreakReturn]))


class CheckinScriptSchema(Out):
    assignment_id = fields.Integer()
    used_by_me = nullable(fields.Boolean)
    used_by_partner = nullable(fields.Boolean)


class CheckinSchema(Out):
    id = fields.Integer()
    partner_id = fields.Integer()
    number = fields.Integer(metadata={"description": "The partner's how-manieth check-in."})
    submitted_at = Timestamp()
    pattern_count = fields.Integer()
    hardest_moment = fields.Integer(metadata={"description": "0 (not hard) to 10."})
    felt_afraid = nullable(
        fields.Boolean,
        metadata={
            "description": "Since we last met, have you felt afraid of your partner? Null for "
            "readers other than the case's counsellor and their supervisor."
        },
    )
    csi4_response_id = nullable(fields.Integer)
    breaks = fields.List(fields.Nested(CheckinBreakSchema))
    scripts = fields.List(fields.Nested(CheckinScriptSchema))
