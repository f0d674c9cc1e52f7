"""Forms for the script library, assigning scripts and recording adoption levels."""

from __future__ import annotations

from wtforms import (
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from practice.cases.models import Partner
from practice.core.i18n import _, _l
from practice.scripts.adoption import (
    ADOPTION_LEVELS,
    MAX_LEVEL,
    MIN_LEVEL,
    NO_OPPORTUNITY,
    OBSERVATION_STATUSES,
    OBSERVED,
)
from practice.scripts.models import Script, ScriptRole
from practice.scripts.operations import (
    MAX_CATEGORY,
    MAX_OBSERVATION_NOTE,
    MAX_SCRIPT_TEXT,
    ObservationInput,
)
from practice.web.autosave import PayloadError, whole_number
from practice.web.forms import NUL_MESSAGE, PracticeForm, PracticeSubform, strip_whitespace

ROLE_LABELS = {
    ScriptRole.PURSUER.value: "Pursuer",
    ScriptRole.WITHDRAWER.value: "Withdrawer",
    ScriptRole.EITHER.value: "Either partner",
}
LEVEL_MESSAGE = f"Choose an adoption level from {MIN_LEVEL} to {MAX_LEVEL}, or “no opportunity”."


class ScriptForm(PracticeForm):
    """Add a script to the library or change one."""

    text = TextAreaField(
        _l("Words of the script"),
        filters=[strip_whitespace],
        validators=[
            DataRequired("Write the script's words."),
            Length(max=MAX_SCRIPT_TEXT, message=f"Keep it to {MAX_SCRIPT_TEXT} characters."),
        ],
    )
    intended_role = SelectField(
        _l("Written for"),
        choices=[SelectChoice(value, label) for value, label in ROLE_LABELS.items()],
        default=ScriptRole.EITHER.value,
        invalid_choice_message="Choose pursuer, withdrawer or either partner.",
    )
    category = StringField(
        _l("Category"),
        filters=[strip_whitespace],
        validators=[
            DataRequired("Give the script a category."),
            Length(max=MAX_CATEGORY, message=f"Keep it to {MAX_CATEGORY} characters."),
        ],
    )
    submit = SubmitField(_l("Add script"))


def _whole_number(value: object) -> int:
    """Coerce a submitted id or level; ValueError for anything but a whole number."""
    if isinstance(value, bool):
        raise ValueError(value)
    return int(value)


class AssignForm(PracticeForm):
    """Give a library script to a partner of the case, from this session on.

    Choices come from the case and the library; whether they are allowed is the operation's
    decision, so a tampered id gets its clear message rather than a generic "not a choice".
    """

    partner_id = SelectField(
        _l("Partner"),
        coerce=_whole_number,
        validate_choice=False,
        invalid_value_message="Choose a partner.",
        validators=[DataRequired("Choose a partner.")],
    )
    script_id = SelectField(
        _l("Script"),
        coerce=_whole_number,
        validate_choice=False,
        invalid_value_message="Choose a script.",
        validators=[DataRequired("Choose a script.")],
    )
    assign = SubmitField(_l("Assign script"))

    def set_choices(self, partners: list[Partner], scripts: list[Script]) -> None:
        self.partner_id.choices = [SelectChoice(0, "Choose a partner…")] + [
            SelectChoice(p.id, f"{p.display_name} ({p.cycle_role})") for p in partners
        ]
        self.script_id.choices = [SelectChoice(0, "Choose a script…")] + [
            SelectChoice(
                s.id, f"{s.text} — for {ROLE_LABELS[s.intended_role].lower()}", optgroup=s.category
            )
            for s in scripts
        ]


def _outcome(value: object) -> int | str:
    """Coerce a submitted choice: a level (a whole number), or ``NO_OPPORTUNITY``."""
    if value == NO_OPPORTUNITY:
        return NO_OPPORTUNITY
    return _whole_number(value)


def _outcome_known(form: Form, field: RadioField) -> None:
    # A value that was not even a number already carries the same message.
    if not field.errors and field.data not in ADOPTION_LEVELS and field.data != NO_OPPORTUNITY:
        raise ValidationError(LEVEL_MESSAGE)


class AdoptionEntry(PracticeSubform):
    """One assignment at this session: a level (observed), "no opportunity", or blank (nothing
    recorded). An absent partner's scripts are not entries: attendance decides those."""

    assignment_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    level = RadioField(
        _l("Adoption level"),
        coerce=_outcome,
        choices=[
            *(SelectChoice(level, f"{level} {label}") for level, label in ADOPTION_LEVELS.items()),
            SelectChoice(NO_OPPORTUNITY, OBSERVATION_STATUSES[NO_OPPORTUNITY]),
        ],
        validate_choice=False,
        invalid_value_message=LEVEL_MESSAGE,
        validators=[Optional(), _outcome_known],
    )
    note = TextAreaField(
        _l("Note (optional)"),
        filters=[strip_whitespace],
        validators=[
            Length(
                max=MAX_OBSERVATION_NOTE,
                message=f"Keep the note to {MAX_OBSERVATION_NOTE} characters or fewer.",
            )
        ],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.note.data and self.level.data is None:
            self.level.errors.append(_("Choose a level, or “no opportunity”, to go with the note."))
            return False
        return valid

    def observation(self) -> ObservationInput:
        """What this entry records (call only when it has a level or "no opportunity")."""
        note = self.note.data or ""
        if self.level.data == NO_OPPORTUNITY:
            return ObservationInput(NO_OPPORTUNITY, None, note)
        return ObservationInput(OBSERVED, self.level.data, note)


class AdoptionForm(PracticeForm):
    """What was observed at this session for every active assignment given so far whose
    partner attended."""

    observations = FieldList(FormField(AdoptionEntry), min_entries=0)
    record = SubmitField(_l("Save adoption levels"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if any(entry.assignment_id.errors for entry in self.observations):
            self.form_errors.append(
                _("The form did not match this case's scripts. Reload the page.")
            )
        return valid

    def observations_given(self) -> dict[int, ObservationInput]:
        """What to record, by assignment id, for the entries given a level or "no opportunity"."""
        return {
            entry.assignment_id.data: entry.observation()
            for entry in self.observations
            if entry.level.data is not None
        }


class RetireAssignmentForm(PracticeForm):
    """The Retire button of an assignment; carries the session it is retired at."""

    session_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    retire = SubmitField(_l("Retire"))


def adoption_autosave_payload(payload: object) -> tuple[int, ObservationInput]:
    """The assignment id and what was observed, from an adoption autosave body; raises
    PayloadError. ``level`` is a level of ``ADOPTION_LEVELS`` or ``"no_opportunity"``;
    ``note`` is optional text."""
    if not isinstance(payload, dict):
        raise PayloadError("Send a JSON object with assignment_id, level and note.")
    errors: dict[str, str] = {}
    assignment_id = payload.get("assignment_id")
    if not whole_number(assignment_id):
        errors["assignment_id"] = "The script must be given by its number."
    level = payload.get("level")
    if level != NO_OPPORTUNITY and not (whole_number(level) and level in ADOPTION_LEVELS):
        errors["level"] = LEVEL_MESSAGE
    note = payload.get("note", "")
    if not isinstance(note, str):
        errors["note"] = "The note must be text."
    elif len(note.strip()) > MAX_OBSERVATION_NOTE:
        errors["note"] = f"Keep the note to {MAX_OBSERVATION_NOTE} characters or fewer."
    elif "\x00" in note:
        errors["note"] = NUL_MESSAGE
    if errors:
        raise PayloadError(f"The level was not saved. {' '.join(errors.values())}", errors)
    if level == NO_OPPORTUNITY:
        return assignment_id, ObservationInput(NO_OPPORTUNITY, None, note)
    return assignment_id, ObservationInput(OBSERVED, level, note)
