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

from practice.cases import eft
from practice.core.database import MAX_ID
from practice.core.voiding import MAX_VOID_REASON
from practice.sessions.signed_notes import note_intact

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


def number_range(minimum: int, maximum: int) -> validate.Range:
    return validate.Range(minimum, maximum, error=f"Send a number from {minimum} to {maximum}.")


def text_length(
    minimum: int | None, maximum: int | None, unit: str = "characters"
) -> validate.Length:
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


def one_of(values) -> validate.OneOf:
    values = [getattr(value, "value", value) for value in values]
    return validate.OneOf(values, error=f"Send one of: {', '.join(values)}.")


# --- Fields that refuse what the spec rules out ------------------------------------------------


class Text(fields.String):
    """A string that holds no NUL character and no lone surrogate (neither can be stored)."""

    default_error_messages = {"invalid": "Send a string."}

    def __init__(self, *, min_length: int | None = None, max_length: int | None = None, **kw):
        if min_length is not None or max_length is not None:
            kw["validate"] = text_length(min_length, max_length)
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
        super().__init__(validate=one_of(values), **kw)


class WholeNumber(fields.Integer):
    """A JSON integer within ``minimum``..``maximum``: ``3`` or ``3.0`` (JSON Schema's integers),
    never ``"3"``, ``3.5`` or ``true``."""

    default_error_messages = {"invalid": "Send a whole number."}

    def __init__(self, minimum: int, maximum: int, **kw):
        super().__init__(strict=True, validate=number_range(minimum, maximum), **kw)

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
        super().__init__(validate=number_range(minimum, maximum), **kw)


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
        super().__init__(inner, validate=text_length(minimum, maximum, "items"), **kw)


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


def nullable(field_class, *args, **kw):
    return field_class(*args, allow_none=True, **kw)


# --- Requests and responses --------------------------------------------------------------------


COMMON_MESSAGES = {
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
        field_obj.error_messages = {**field_obj.error_messages, **COMMON_MESSAGES}
        if isinstance(field_obj, fields.List):
            inner = field_obj.inner
            inner.error_messages = {**inner.error_messages, **COMMON_MESSAGES}


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


def eft_stage_field(**kw) -> WholeNumber:
    """An EFT stage (``practice.cases.eft``: consecutive numbers) or null."""
    return WholeNumber(eft.FIRST, eft.LAST, allow_none=True, **kw)


def stage_reason_field() -> Text:
    """Why a stage is set before its change events are confirmed (``practice.eft.gates``)."""
    return Text(
        max_length=MAX_VOID_REASON,
        load_default="",
        metadata={
            "description": "Why the EFT stage is set before the change events its gate names "
            "are confirmed (stage 2: cycle de-escalated; stage 3: also withdrawer re-engaged "
            "and blamer softened). Without it such a stage is refused (409, field "
            "`stage_reason`); with it the override is recorded and flagged to the supervisor."
        },
    )


def version_field(**kw) -> WholeNumber:
    return WholeNumber(1, MAX_ID, **kw)
