"""Forms of the session pages: details, the DAP note, signing, addenda, and autosave's JSON."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from practice.cases import eft
from practice.cases.forms import stage_reason_field
from practice.cases.models import Partner
from practice.core.i18n import _, _l
from practice.safety.screening import MAX_OVERRIDE_REASON
from practice.sessions.models import Modality
from practice.sessions.operations import (
    MAX_ADDENDUM_LENGTH,
    MAX_DURATION,
    MIN_DURATION,
    NOTE_FIELDS,
    SessionDetails,
    max_note_length,
)
from practice.web.autosave import PayloadError
from practice.web.forms import (
    NUL_MESSAGE,
    LocalDateTimeField,
    PracticeForm,
    refuse_nul,
    strip_whitespace,
)

MODALITY_CHOICES = [
    SelectChoice(Modality.IN_PERSON.value, "In person"),
    SelectChoice(Modality.VIDEO.value, "Video"),
    SelectChoice(Modality.PHONE.value, "Phone"),
]
EFT_STAGE_CHOICES = [SelectChoice("", "Not set")] + [
    SelectChoice(str(number), label) for number, label in eft.choices()
]


def _optional_int(value: Any) -> int | None:
    if value in ("", None):
        return None
    return int(value)


def _at_least_one(form, field) -> None:
    if not field.data:
        raise ValidationError(_("Tick at least one partner who attended."))


def _note_length(form, field) -> None:
    limit = max_note_length()
    if field.data and len(field.data) > limit:
        raise ValidationError(
            f"This part has {len(field.data):,} characters; the limit is {limit:,}. "
            "Shorten it, then save."
        )


class SessionDetailsForm(PracticeForm):
    """When a session took place, how, who came, and the EFT stage."""

    starts_at = LocalDateTimeField(
        _l("Start"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired("Enter the date and time the session started.")],
    )
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        default=50,
        validators=[
            InputRequired("Enter the duration in minutes."),
            NumberRange(
                MIN_DURATION,
                MAX_DURATION,
                f"The duration must be between {MIN_DURATION} and {MAX_DURATION} minutes.",
            ),
        ],
    )
    modality = SelectField(
        _l("Modality"), choices=MODALITY_CHOICES, default=Modality.IN_PERSON.value
    )
    attendance = SelectMultipleField(
        _l("Who attended"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[_at_least_one],
    )
    eft_stage = SelectField(_l("EFT stage"), choices=EFT_STAGE_CHOICES, coerce=_optional_int)
    stage_reason = stage_reason_field()
    submit = SubmitField(_l("Save session"))

    def set_partners(self, partners: list[Partner]) -> None:
        """Offer the case's partners as attendance choices."""
        self.attendance.choices = [SelectChoice(p.id, p.display_name) for p in partners]

    def details(self) -> SessionDetails:
        """The validated entries as SessionDetails (the start, entered in local time, in UTC)."""
        return SessionDetails(
            starts_at=self.starts_at.data,
            duration_minutes=self.duration_minutes.data,
            modality=self.modality.data,
            attendee_ids=list(self.attendance.data or []),
            eft_stage=self.eft_stage.data,
            stage_reason=self.stage_reason.data or "",
        )


def _surface_hidden_errors(form: PracticeForm) -> None:
    """Errors of hidden fields have nowhere to show: list them with the form's own errors."""
    for field in form:
        if field.errors and isinstance(field.widget, HiddenInput) and field.name != "csrf_token":
            form.form_errors.extend(field.errors)


class EditSessionForm(SessionDetailsForm):
    """Session details with the version they were loaded at."""

    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired("The form lost its version. Reload the page and try again.")],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        _surface_hidden_errors(self)
        return valid


# A draft_digest: 64 lowercase hex characters.
DIGEST_PATTERN = r"^[0-9a-f]{64}$"
_BASE_LOST = "The form lost track of the note it started from. Copy your text and reload."


class NoteForm(PracticeForm):
    """The DAP note of a draft, with the version it was loaded at."""

    note_data = TextAreaField(_l("Data"), validators=[_note_length])
    note_assessment = TextAreaField(_l("Assessment"), validators=[_note_length])
    note_plan = TextAreaField(_l("Plan"), validators=[_note_length])
    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired("The form lost its version. Copy your text and reload.")],
    )
    # draft_digest of the note this editor started from (sessions.operations.save_note).
    note_base = HiddenField(validators=[Optional(), Regexp(DIGEST_PATTERN, message=_BASE_LOST)])
    submit = SubmitField(_l("Save note"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        _surface_hidden_errors(self)
        return valid

    def fields(self) -> dict[str, str]:
        return {name: getattr(self, name).data or "" for name in NOTE_FIELDS}


class SignForm(PracticeForm):
    """Signing asks for the password again."""

    password = PasswordField(
        _l("Enter your password to sign"),
        validators=[DataRequired("Enter your password to sign."), Length(max=256)],
    )
    # Asked only when the page lists something missing (``before_signing``).
    confirm_missing = BooleanField(
        _l("I have read what is missing above and sign the note as it is")
    )
    # Asked only when a joint note lacks a current safety screen (``practice.safety``).
    override_reason = TextAreaField(
        _l("Reason to sign without a current safety screen (your supervisor is told)"),
        filters=[strip_whitespace, refuse_nul],
        validators=[Length(max=MAX_OVERRIDE_REASON)],
    )
    # The version of the note shown: a note changed meanwhile is not signed unread.
    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired("The form lost its version. Reload the page and try again.")],
    )
    submit = SubmitField(_l("Sign note"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        _surface_hidden_errors(self)
        return valid


class AddendumForm(PracticeForm):
    """A correction or addition to a signed note."""

    text = TextAreaField(
        _l("Addendum"),
        validators=[
            DataRequired("Write the addendum before adding it."),
            Length(
                max=MAX_ADDENDUM_LENGTH,
                message=f"An addendum can hold at most {MAX_ADDENDUM_LENGTH:,} characters.",
            ),
        ],
    )
    submit = SubmitField(_l("Add addendum"))


_LABELS = {
    "version": "version",
    "base": "base",
    "note_data": "Data",
    "note_assessment": "Assessment",
    "note_plan": "Plan",
}


class AutosavePayload(NamedTuple):
    version: int
    fields: dict[str, str]
    base: str | None  # draft_digest of the note the editor started from, if sent


def autosave_payload(payload: Any) -> AutosavePayload:
    """The version, note fields and base digest of an autosave body; raises PayloadError."""
    if not isinstance(payload, dict):
        raise PayloadError(
            "Send a JSON object with version, note_data, note_assessment and note_plan."
        )
    errors: dict[str, str] = {}
    version = payload.get("version")
    # bool is an int subclass in Python; a version is never true/false.
    if not isinstance(version, int) or isinstance(version, bool):
        errors["version"] = "The version must be a whole number."
    limit = max_note_length()
    fields: dict[str, str] = {}
    for name in NOTE_FIELDS:
        value = payload.get(name)
        if not isinstance(value, str):
            errors[name] = "Missing, or not text."
        elif len(value) > limit:
            errors[name] = f"{len(value):,} characters; the limit is {limit:,}."
        elif "\x00" in value:
            errors[name] = NUL_MESSAGE
        else:
            fields[name] = value
    base = payload.get("base")
    if base is not None and not (isinstance(base, str) and re.fullmatch(DIGEST_PATTERN, base)):
        errors["base"] = "The base must be the digest the page was given."
    if errors:
        problems = "; ".join(f"{_LABELS[name]}: {message}" for name, message in errors.items())
        raise PayloadError(f"The note was not saved. {problems}", errors)
    return AutosavePayload(version, fields, base)
