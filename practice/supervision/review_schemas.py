"""The JSON API's schemas of co-signature, comments and hand-over."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import (
    MAX_PASSWORD_LENGTH,
    Choice,
    Id,
    In,
    Items,
    Out,
    Text,
    Timestamp,
    WholeNumber,
    nullable,
    version_field,
)
from practice.cases import handover
from practice.core.database import MAX_ID
from practice.sessions.models import ReviewStatus
from practice.supervision.comments import MAX_COMMENT_LENGTH
from practice.supervision.cosign import QUEUE_PAGE_SIZE


class CosignSchema(In):
    password = Text(min_length=1, max_length=MAX_PASSWORD_LENGTH, required=True)
    version = version_field(metadata={"description": "Co-sign only the note at this version."})
    addenda_seen = WholeNumber(
        0, MAX_ID, metadata={"description": "Co-sign only with this many addenda."}
    )
    comment = Text(
        min_length=1,
        max_length=MAX_COMMENT_LENGTH,
        metadata={"description": "A comment added to the session's discussion with it."},
    )


class BatchNoteSchema(In):
    session_id = Id(required=True)
    version = version_field(required=True)
    addenda_seen = WholeNumber(0, MAX_ID, required=True)


class BatchCosignSchema(In):
    password = Text(min_length=1, max_length=MAX_PASSWORD_LENGTH, required=True)
    notes = Items(fields.Nested(BatchNoteSchema), 1, QUEUE_PAGE_SIZE, required=True)


class ReviewStateSchema(Out):
    session_id = fields.Integer()
    review_status = Choice(ReviewStatus)
    cosigned_by_id = nullable(fields.Integer)
    cosigned_at = nullable(Timestamp)
    version = fields.Integer()


class BatchResultSchema(Out):
    cosigned = fields.List(fields.Nested(ReviewStateSchema))


class CommentSchema(Out):
    id = fields.Integer()
    author_id = fields.Integer()
    author = fields.String()
    body = fields.String()
    created_at = Timestamp()
    returns_note = fields.Boolean()
    replies = fields.List(fields.Nested(lambda: CommentSchema()))


class CommentListSchema(Out):
    items = fields.List(fields.Nested(CommentSchema))


class CommentCreateSchema(In):
    body = Text(min_length=1, max_length=MAX_COMMENT_LENGTH, required=True)
    parent_id = Id(metadata={"description": "The top-level comment this one answers."})


class CommentCreatedSchema(Out):
    id = fields.Integer()
    session_id = nullable(fields.Integer)
    case_id = fields.Integer()


class ReassignSchema(In):
    to_counsellor_id = Id(required=True)
    reason = Text(min_length=1, max_length=handover.MAX_REASON_LENGTH, required=True)


class AssignmentSchema(Out):
    id = fields.Integer()
    case_id = fields.Integer()
    from_counsellor_id = fields.Integer()
    to_counsellor_id = fields.Integer()
    assigned_by_id = fields.Integer()
    reason = fields.String()
    assigned_at = Timestamp()
