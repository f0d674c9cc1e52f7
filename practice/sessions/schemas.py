"""The JSON API's schemas of this area: requests it accepts and answers it gives."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import (
    MAX_PASSWORD_LENGTH,
    Choice,
    Id,
    In,
    Items,
    NoteIntact,
    Out,
    Text,
    Timestamp,
    WholeNumber,
    eft_stage_field,
    nullable,
    stage_reason_field,
    version_field,
)
from practice.cases.operations import (
    MAX_PARTNERS,
)
from practice.cases.schemas import PartnerSchema
from practice.safety.screening import MAX_OVERRIDE_REASON
from practice.sessions.models import Modality, NoteStatus, ReviewStatus
from practice.sessions.operations import MAX_DURATION, MIN_DURATION

# --- Sessions ------------------------------------------------------------------------------


class SessionSummarySchema(Out):
    id = fields.Integer()
    case_id = fields.Integer()
    starts_at = Timestamp()
    duration_minutes = fields.Integer()
    modality = Choice(Modality)
    eft_stage = nullable(fields.Integer)
    status = Choice(NoteStatus)
    review_status = Choice(ReviewStatus)
    signed_at = nullable(Timestamp)
    version = fields.Integer()


class AddendumSchema(Out):
    id = fields.Integer()
    author_id = fields.Integer()
    created_at = Timestamp()
    text = fields.String()


class SessionSchema(SessionSummarySchema):
    attendees = fields.Pluck(PartnerSchema, "id", many=True, data_key="attendee_ids")
    note_data = fields.String()
    note_assessment = fields.String()
    note_plan = fields.String()
    signed_by_id = nullable(fields.Integer)
    note_sha256 = nullable(
        fields.String,
        metadata={
            "description": "The signed note's seal: HMAC-SHA256 under a key the server keeps "
            "outside the database (it cannot be recomputed from the note alone)."
        },
    )
    note_intact = nullable(
        NoteIntact,
        metadata={
            "description": "Whether the note still matches its keyed seal; null for a draft. "
            "False: it was changed after signing (or sealed without the key and not yet "
            "re-sealed), and each read of it is audited as such."
        },
    )
    cosigned_by_id = nullable(fields.Integer)
    cosigned_at = nullable(Timestamp)
    created_at = Timestamp()
    updated_at = Timestamp()
    addenda = fields.List(fields.Nested(AddendumSchema))


def _duration(**kw) -> WholeNumber:
    return WholeNumber(MIN_DURATION, MAX_DURATION, **kw)


def _attendees(**kw) -> Items:
    return Items(Id(), 1, MAX_PARTNERS, **kw)


class SessionCreateSchema(In):
    starts_at = Timestamp(required=True, metadata={"description": "At most a day from now."})
    duration_minutes = _duration(load_default=50)
    modality = Choice(Modality, load_default=Modality.IN_PERSON.value)
    attendee_ids = _attendees(
        load_default=None, metadata={"description": "Partners who came; all when left out."}
    )
    eft_stage = eft_stage_field(load_default=None)
    stage_reason = stage_reason_field()


def _note(**kw) -> Text:
    limit = "PRACTICE_MAX_NOTE_LENGTH (by default 20,000)"
    return Text(metadata={"description": f"Each part holds at most {limit} characters."}, **kw)


class SessionUpdateSchema(In):
    """Details and DAP note of a draft; fields left out keep their values."""

    version = version_field(required=True)
    starts_at = Timestamp()
    duration_minutes = _duration()
    modality = Choice(Modality)
    attendee_ids = _attendees()
    eft_stage = eft_stage_field()
    stage_reason = stage_reason_field()
    note_data = _note()
    note_assessment = _note()
    note_plan = _note()


class SignSchema(In):
    password = Text(min_length=1, max_length=MAX_PASSWORD_LENGTH, required=True)
    version = version_field(metadata={"description": "Sign only the note as read at this version."})
    override_reason = Text(
        min_length=1,
        max_length=MAX_OVERRIDE_REASON,
        metadata={
            "description": (
                "Only for a joint note without a current safety screen of each partner (or "
                "with a rescreen due): why it is signed anyway. Recorded and flagged to the "
                "supervisor."
            )
        },
    )


class MissingItemSchema(Out):
    kind = fields.String(
        metadata={"description": "Which tab records it: `csi4`, `adoption` or `note`."}
    )
    text = fields.String(metadata={"description": "What is missing, in the counsellor's words."})


class BeforeSigningSchema(Out):
    missing = fields.List(
        fields.Nested(MissingItemSchema),
        metadata={
            "description": "What the draft has not recorded (the sign page's list); none of it "
            "refuses signing."
        },
    )
    screen_problems = fields.List(
        fields.String(),
        metadata={
            "description": "Why a joint note cannot be signed without `override_reason` "
            "(no current safety screen of a partner, or a rescreen due); empty when it can."
        },
    )
