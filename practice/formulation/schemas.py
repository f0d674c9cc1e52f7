"""The JSON API's schemas of the cycle map: a revision with its sides, the map with its
milestones, a diff, and a revision to write."""

from __future__ import annotations

from marshmallow import EXCLUDE, fields

from practice.api.schemas import (
    Flag,
    Id,
    In,
    Items,
    Out,
    QueryNumber,
    Text,
    Timestamp,
    nullable,
    version_field,
)
from practice.core.database import MAX_ID
from practice.formulation import rules
from practice.formulation.models import MAX_TEXT

_TEXTS = ", ".join(f"`{name}`" for name in rules.FIELD_NAMES)


class CycleMapSideSchema(Out):
    partner_id = fields.Integer()
    trigger = fields.String()
    action = fields.String()
    self_view = fields.String(metadata={"description": "Perception of self."})
    other_view = fields.String(metadata={"description": "Perception of the other."})
    reactive_emotion = fields.String()
    primary_emotion = fields.String()
    attachment_fear = fields.String()
    need = fields.String(metadata={"description": "Longing or need."})
    action_triggers_other = fields.Boolean(
        metadata={"description": "This partner's action sets off the other's trigger."}
    )
    evidence_moment_ids = fields.List(
        fields.Integer(),
        metadata={"description": "Tagged moments backing the primary emotion and need."},
    )


class CycleMapRevisionSchema(Out):
    id = fields.Integer()
    number = fields.Integer(metadata={"description": "1 for the first revision, by session."})
    session_id = fields.Integer()
    session_starts_at = Timestamp()
    locked = fields.Boolean(metadata={"description": "The session's note is signed: read-only."})
    version = fields.Integer()
    created_by_id = fields.Integer()
    created_at = Timestamp()
    updated_at = Timestamp()
    sides = fields.List(fields.Nested(CycleMapSideSchema))


class CycleMapRevisionSummarySchema(Out):
    id = fields.Integer()
    number = fields.Integer()
    session_id = fields.Integer()
    session_starts_at = Timestamp()
    locked = fields.Boolean()
    version = fields.Integer()


class CycleMapRevisionListSchema(Out):
    items = fields.List(fields.Nested(CycleMapRevisionSummarySchema))


class MilestoneSchema(Out):
    key = fields.String(
        metadata={"description": "`cycle_mapped`, `primary_accessed` or `misreading_revised`."}
    )
    label = fields.String()
    partner_id = nullable(fields.Integer, metadata={"description": "Per-partner milestones."})
    reached = fields.Boolean()
    revision_id = nullable(fields.Integer)
    session_id = nullable(fields.Integer)
    reached_at = nullable(Timestamp, metadata={"description": "The session's start."})


class CycleMapSchema(Out):
    case_id = fields.Integer()
    revision_count = fields.Integer()
    current = nullable(fields.Nested, CycleMapRevisionSchema)
    milestones = fields.List(fields.Nested(MilestoneSchema))


class CycleMapChangeSchema(Out):
    partner_id = fields.Integer()
    field = fields.String(metadata={"description": f"One of {_TEXTS} or `{rules.LINK}`."})
    label = fields.String()
    old = fields.String()
    new = fields.String()


class CycleMapDiffSchema(Out):
    old_revision_id = nullable(fields.Integer)
    new_revision_id = fields.Integer()
    changes = fields.List(fields.Nested(CycleMapChangeSchema))


class CycleMapDiffArgsSchema(In):
    """``?old=&new=``: revision ids; without ``new`` the current revision, without ``old`` the
    one before ``new``. Other query arguments are ignored."""

    class Meta:
        unknown = EXCLUDE

    old = QueryNumber(
        1, MAX_ID, load_default=None, metadata={"description": "The earlier revision's id."}
    )
    new = QueryNumber(
        1, MAX_ID, load_default=None, metadata={"description": "The later revision's id."}
    )


class CycleMapSideInSchema(In):
    partner_id = Id(required=True)
    trigger = Text(max_length=MAX_TEXT, load_default="")
    action = Text(max_length=MAX_TEXT, load_default="")
    self_view = Text(max_length=MAX_TEXT, load_default="")
    other_view = Text(max_length=MAX_TEXT, load_default="")
    reactive_emotion = Text(max_length=MAX_TEXT, load_default="")
    primary_emotion = Text(max_length=MAX_TEXT, load_default="")
    attachment_fear = Text(max_length=MAX_TEXT, load_default="")
    need = Text(max_length=MAX_TEXT, load_default="")
    action_triggers_other = Flag(load_default=True)
    evidence_moment_ids = Items(Id(), None, 20, load_default=list)


class CycleMapWriteSchema(In):
    version = version_field(
        allow_none=True,
        load_default=None,
        metadata={"description": "The revision's version as last read (when it exists)."},
    )
    sides = Items(fields.Nested(CycleMapSideInSchema), 1, 2, required=True)
