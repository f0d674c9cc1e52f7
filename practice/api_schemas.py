"""Marshmallow schemas of the JSON API: they validate requests, shape responses and feed the spec.

Every constraint a request schema declares is what it enforces on load, so the OpenAPI document
(``practice.openapi``) describes exactly what the API accepts: a request that breaks a declared
constraint is refused with 422, and one that keeps them all is either carried out or refused by
a rule of the practice (409), never for its shape. Unknown fields are refused (``RAISE``, which
the spec states as ``additionalProperties: false``). Messages are the API's own words.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from practice.database import MAX_ID
from practice.metrics import ADOPTION_LEVELS, CSI4_ITEMS, MAX_INTENSITY, MIN_INTENSITY
from practice.models import (
    Audience,
    CaseKind,
    CaseStatus,
    CycleRole,
    Modality,
    NoteStatus,
    ReviewStatus,
    ScriptRole,
    Valence,
)
from practice.services.cases import (
    MAX_NAME_LENGTH,
    MAX_PARTNERS,
    MAX_PRONOUNS_LENGTH,
    MAX_REASON_LENGTH,
    MAX_TEXT_LENGTH,
)
from practice.services.moments import MAX_CONTEXT
from practice.services.reports import MAX_NARRATIVE_LENGTH
from practice.services.scripts import MAX_CATEGORY, MAX_OBSERVATION_NOTE, MAX_SCRIPT_TEXT
from practice.services.sessions import MAX_DURATION, MIN_DURATION, note_intact
from practice.services.vocabulary import MAX_DESCRIPTION, MAX_LABEL

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
MAX_PASSWORD_LENGTH = 256
# Neither database stores a NUL character in text, so the spec rules it out.
NO_NUL_PATTERN = "^[^\\u0000]*$"
# RFC 3339 dates and date-times (upper-case T and Z), from 1900 to 2099: the spec states the
# same patterns next to its formats, as JSON Schema has no ranges for dates.
_DAY = "(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_OFFSET = "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
DAY_PATTERN = f"^{_DAY}$"
DATETIME_PATTERN = f"^{_DAY}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?{_OFFSET}$"
_DAY_RE = re.compile(DAY_PATTERN)
_DATETIME_RE = re.compile(DATETIME_PATTERN)
COLOUR_PATTERN = "^#[0-9a-fA-F]{6}$"
SHORTCUT_PATTERN = "^[a-z]$"


# --- Validators with the API's messages -----------------------------------------------------------


def _range(minimum: int, maximum: int) -> validate.Range:
    return validate.Range(minimum, maximum, error=f"Send a number from {minimum} to {maximum}.")


def _length(minimum: int | None, maximum: int | None, unit: str = "characters") -> validate.Length:
    if minimum == maximum and minimum is not None:
        message = f"Send exactly {minimum} {unit}."
    elif minimum:
        message = f"Send {minimum} to {maximum} {unit}."
    else:
        message = f"Send at most {maximum} {unit}."
    return validate.Length(min=minimum, max=maximum, error=message)


class FullMatch(validate.Regexp):
    """A pattern the whole string matches, as JSON Schema's anchored ``^…$`` means (Python's
    ``$`` would also let a trailing newline through)."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def _one_of(values) -> validate.OneOf:
    values = [getattr(value, "value", value) for value in values]
    return validate.OneOf(values, error=f"Send one of: {', '.join(values)}.")


# --- Fields that refuse what the spec rules out ------------------------------------------------


class Text(fields.String):
    """A string that holds no NUL character and no lone surrogate (neither can be stored)."""

    default_error_messages = {"invalid": "Send a string."}

    def __init__(self, *, min_length: int | None = None, max_length: int | None = None, **kw):
        if min_length is not None or max_length is not None:
            kw["validate"] = _length(min_length, max_length)
        kw["metadata"] = {"pattern": NO_NUL_PATTERN, **kw.get("metadata", {})}
        super().__init__(**kw)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Text cannot hold NUL characters.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("Text must be valid Unicode.") from None
        return text


class Choice(fields.String):
    """One of a fixed set of words."""

    default_error_messages = {"invalid": "Send a string."}

    def __init__(self, values, **kw):
        super().__init__(validate=_one_of(values), **kw)


class WholeNumber(fields.Integer):
    """A JSON integer within ``minimum``..``maximum``: ``3`` or ``3.0`` (JSON Schema's integers),
    never ``"3"``, ``3.5`` or ``true``."""

    default_error_messages = {"invalid": "Send a whole number."}

    def __init__(self, minimum: int, maximum: int, **kw):
        super().__init__(strict=True, validate=_range(minimum, maximum), **kw)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


class Id(WholeNumber):
    """The id of a stored record."""

    def __init__(self, **kw):
        super().__init__(1, MAX_ID, **kw)


class QueryNumber(fields.Integer):
    """A whole number in a query string."""

    default_error_messages = {"invalid": "Send a whole number."}

    def __init__(self, minimum: int, maximum: int, **kw):
        super().__init__(validate=_range(minimum, maximum), **kw)


class Flag(fields.Boolean):
    """A JSON ``true`` or ``false``; ``1``, ``"yes"`` and the like are refused."""

    default_error_messages = {"invalid": "Send true or false."}

    def _deserialize(self, value: Any, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Items(fields.List):
    """A list of ``minimum``..``maximum`` items."""

    default_error_messages = {"invalid": "Send a list."}

    def __init__(self, inner: fields.Field, minimum: int | None, maximum: int, **kw):
        super().__init__(inner, validate=_length(minimum, maximum, "items"), **kw)


class Timestamp(fields.AwareDateTime):
    """An RFC 3339 date-time with its offset, 1900 to 2099; written out in ISO 8601."""

    def __init__(self, **kw):
        kw["metadata"] = {"pattern": DATETIME_PATTERN, **kw.get("metadata", {})}
        super().__init__(format="iso", **kw)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str) or not _DATETIME_RE.fullmatch(value):
            raise ValidationError(
                "Send a date and time from 1900 to 2099 with its offset, such as "
                "2026-08-12T15:00:00Z or 2026-08-12T17:00:00+02:00."
            )
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError("This date does not exist.") from None


class Day(fields.Date):
    """An RFC 3339 full date, ``YYYY-MM-DD``, 1900 to 2099."""

    def __init__(self, **kw):
        kw["metadata"] = {"pattern": DAY_PATTERN, **kw.get("metadata", {})}
        super().__init__(**kw)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> date:
        if not isinstance(value, str) or not _DAY_RE.fullmatch(value):
            raise ValidationError("Send a date from 1900 to 2099 as YYYY-MM-DD.")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValidationError("This date does not exist.") from None


class NoteIntact(fields.Boolean):
    """Whether a signed note still matches the digest taken when it was signed; ``null`` for a
    draft. Worked out from the session on every answer, never stored."""

    _CHECK_ATTRIBUTE = False

    def _serialize(self, value: Any, attr, obj, **kwargs) -> bool | None:
        return note_intact(obj) if obj.is_signed else None


def _nullable(field_class, *args, **kw):
    return field_class(*args, allow_none=True, **kw)


# --- Requests and responses --------------------------------------------------------------------


_COMMON_MESSAGES = {
    "required": "This field is required.",
    "null": "This field cannot be null.",
    "type": "Send an object.",
}


class In(Schema):
    """A request body; every message in the API's own words."""

    error_messages = {
        "unknown": "This field is not part of the request.",
        "type": "Send a JSON object.",
    }

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        field_obj.error_messages = {**field_obj.error_messages, **_COMMON_MESSAGES}
        if isinstance(field_obj, fields.List):
            inner = field_obj.inner
            inner.error_messages = {**inner.error_messages, **_COMMON_MESSAGES}


class Out(Schema):
    """A response: every field is always present (``null`` where it may be empty)."""

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        field_obj.required = True


class ErrorBodySchema(Out):
    code = fields.String(metadata={"description": "A short machine-readable reason."})
    message = fields.String(metadata={"description": "What went wrong, in words for a person."})
    # Named ``fields`` on the wire; ``fields`` itself is taken by marshmallow's Schema.
    field_messages = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        data_key="fields",
        metadata={"description": "Messages per input at fault (dotted paths into the body)."},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)
    current_version = fields.Integer(
        metadata={"description": "On a version conflict: the version to send to save over."}
    )


class PageArgsSchema(In):
    """``?page=1&per_page=50``; other query arguments are ignored."""

    class Meta:
        unknown = EXCLUDE

    page = QueryNumber(1, MAX_ID, load_default=1, metadata={"description": "Page number, from 1."})
    per_page = QueryNumber(
        1,
        MAX_PER_PAGE,
        load_default=DEFAULT_PER_PAGE,
        metadata={"description": f"Items per page, at most {MAX_PER_PAGE}."},
    )


class PageSchema(Out):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(metadata={"description": "Items on all pages together."})


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """The schema of one page of ``item`` records, named ``<name>PageSchema``."""
    return type(f"{name}PageSchema", (PageSchema,), {"items": fields.List(fields.Nested(item))})


# --- Cases and partners ----------------------------------------------------------------------


class PartnerSchema(Out):
    id = fields.Integer()
    display_name = fields.String()
    pronouns = _nullable(fields.String)
    cycle_role = Choice(CycleRole)
    position = fields.Integer()


def _partner_name(**kw) -> Text:
    return Text(min_length=1, max_length=MAX_NAME_LENGTH, **kw)


def _pronouns(**kw) -> Text:
    return Text(max_length=MAX_PRONOUNS_LENGTH, allow_none=True, **kw)


class PartnerCreateSchema(In):
    display_name = _partner_name(required=True)
    pronouns = _pronouns(load_default=None)
    cycle_role = Choice(CycleRole, load_default=CycleRole.UNCLEAR.value)


class PartnerEditSchema(In):
    """A partner of the case, by id; fields left out keep their values."""

    id = Id(required=True)
    display_name = _partner_name()
    pronouns = _pronouns()
    cycle_role = Choice(CycleRole)


class CaseSummarySchema(Out):
    id = fields.Integer()
    reference = fields.String()
    kind = Choice(CaseKind)
    status = Choice(CaseStatus)
    opened_on = fields.Date()
    closed_on = _nullable(fields.Date)
    eft_stage = _nullable(fields.Integer)
    counsellor_id = fields.Integer()


class CaseSchema(CaseSummarySchema):
    status_reason = _nullable(fields.String)
    presenting_concerns = fields.String()
    goals = fields.String()
    version = fields.Integer(metadata={"description": "Send it back with a PATCH."})
    created_at = Timestamp()
    updated_at = Timestamp()
    partners = fields.List(fields.Nested(PartnerSchema))


def _case_text(**kw) -> Text:
    return Text(max_length=MAX_TEXT_LENGTH, **kw)


def _stage(**kw) -> WholeNumber:
    return WholeNumber(1, 3, allow_none=True, **kw)


def _version(**kw) -> WholeNumber:
    return WholeNumber(1, MAX_ID, **kw)


class CaseCreateSchema(In):
    kind = Choice(CaseKind, load_default=CaseKind.COUPLE.value)
    opened_on = Day(required=True, metadata={"description": "Not in the future."})
    presenting_concerns = _case_text(load_default="")
    goals = _case_text(load_default="")
    eft_stage = _stage(load_default=None)
    partners = Items(
        fields.Nested(PartnerCreateSchema),
        1,
        MAX_PARTNERS,
        required=True,
        metadata={"description": "A couple has two partners, an individual one, a family 2–6."},
    )


class CaseUpdateSchema(In):
    """Fields left out keep their values; ``status`` changes need a ``status_reason``."""

    version = _version(required=True)
    presenting_concerns = _case_text()
    goals = _case_text()
    eft_stage = _stage()
    partners = Items(fields.Nested(PartnerEditSchema), None, MAX_PARTNERS)
    status = Choice(CaseStatus, metadata={"description": "Pause, close or reopen the case."})
    status_reason = Text(min_length=1, max_length=MAX_REASON_LENGTH)


class CaseListArgsSchema(PageArgsSchema):
    status = Choice([*CaseStatus, "all"], load_default="all")


# --- Sessions ------------------------------------------------------------------------------


class SessionSummarySchema(Out):
    id = fields.Integer()
    case_id = fields.Integer()
    starts_at = Timestamp()
    duration_minutes = fields.Integer()
    modality = Choice(Modality)
    eft_stage = _nullable(fields.Integer)
    status = Choice(NoteStatus)
    review_status = Choice(ReviewStatus)
    signed_at = _nullable(Timestamp)
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
    signed_by_id = _nullable(fields.Integer)
    note_sha256 = _nullable(fields.String)
    note_intact = _nullable(
        NoteIntact,
        metadata={
            "description": "Whether the note still matches `note_sha256`; null for a draft. "
            "False: it was changed after signing, and each read of it is audited as such."
        },
    )
    cosigned_by_id = _nullable(fields.Integer)
    cosigned_at = _nullable(Timestamp)
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
    eft_stage = _stage(load_default=None)


def _note(**kw) -> Text:
    limit = "PRACTICE_MAX_NOTE_LENGTH (by default 20,000)"
    return Text(metadata={"description": f"Each part holds at most {limit} characters."}, **kw)


class SessionUpdateSchema(In):
    """Details and DAP note of a draft; fields left out keep their values."""

    version = _version(required=True)
    starts_at = Timestamp()
    duration_minutes = _duration()
    modality = Choice(Modality)
    attendee_ids = _attendees()
    eft_stage = _stage()
    note_data = _note()
    note_assessment = _note()
    note_plan = _note()


class SignSchema(In):
    password = Text(min_length=1, max_length=MAX_PASSWORD_LENGTH, required=True)
    version = _version(metadata={"description": "Sign only the note as read at this version."})


# --- Moments and their vocabulary -----------------------------------------------------------


class MomentSchema(Out):
    id = fields.Integer()
    session_id = fields.Integer()
    moment_type_id = fields.Integer()
    partner_id = _nullable(fields.Integer, metadata={"description": "null: both (or all)."})
    minute = fields.Integer()
    intensity = fields.Integer()
    context = fields.String()
    created_by_id = fields.Integer()
    created_at = Timestamp()


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
    intensity = _intensity(load_default=3)
    context = Text(max_length=MAX_CONTEXT, load_default="")


class MomentUpdateSchema(In):
    moment_type_id = Id()
    partner_id = Id(allow_none=True)
    minute = _minute()
    intensity = _intensity()
    context = Text(max_length=MAX_CONTEXT)


class MomentTypeSchema(Out):
    id = fields.Integer()
    key = fields.String()
    label = fields.String()
    description = fields.String()
    valence = Choice(Valence)
    colour = fields.String()
    shortcut = _nullable(fields.String)
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
    retired_session_id = _nullable(fields.Integer)
    retired_at = _nullable(Timestamp)
    created_at = Timestamp()
    adopted_session_id = _nullable(
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
        min(ADOPTION_LEVELS),
        max(ADOPTION_LEVELS),
        required=True,
        metadata={"description": "; ".join(f"{k} {v}" for k, v in ADOPTION_LEVELS.items())},
    )
    note = Text(max_length=MAX_OBSERVATION_NOTE, load_default="")


class ObservationsPutSchema(In):
    levels = Items(fields.Nested(ObservationInSchema), 1, 50, required=True)


# --- Measures ------------------------------------------------------------------------------


class MeasureSchema(Out):
    partner_id = fields.Integer()
    measure = fields.String()
    items = fields.List(fields.Integer())
    total = fields.Integer()
    below_cutoff = fields.Boolean()
    recorded_by_id = fields.Integer()
    recorded_at = Timestamp()


class MeasureListSchema(Out):
    items = fields.List(fields.Nested(MeasureSchema))


_ITEM_RANGES = ", ".join(f"{i.number}: {i.minimum}–{i.maximum}" for i in CSI4_ITEMS)


class Csi4InSchema(In):
    partner_id = Id(required=True)
    items = Items(
        WholeNumber(0, max(item.maximum for item in CSI4_ITEMS)),
        len(CSI4_ITEMS),
        len(CSI4_ITEMS),
        required=True,
        metadata={"description": f"The four CSI-4 item scores in order (ranges {_ITEM_RANGES})."},
    )


class MeasuresPutSchema(In):
    responses = Items(fields.Nested(Csi4InSchema), 1, MAX_PARTNERS, required=True)


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


# --- The supervisor's caseload -----------------------------------------------------------------


class TrendSchema(Out):
    label = fields.String()
    slope = _nullable(fields.Float)
    sessions_used = fields.Integer()


class Csi4LatestSchema(Out):
    partner_number = fields.Integer()
    total = fields.Integer()


class FlagSchema(Out):
    kind = fields.String()
    label = fields.String()
    reason = fields.String()


class CaseloadLineSchema(Out):
    case_id = fields.Integer()
    reference = fields.String()
    counsellor_id = fields.Integer()
    counsellor = fields.String()
    session_count = fields.Integer()
    last_session_at = _nullable(Timestamp)
    eft_stage = _nullable(fields.Integer)
    trend = fields.Nested(TrendSchema)
    scripts_adopted = fields.Integer()
    scripts_total = fields.Integer()
    csi4 = fields.List(fields.Nested(Csi4LatestSchema))
    unsigned = fields.Integer()
    flags = fields.List(fields.Nested(FlagSchema))
