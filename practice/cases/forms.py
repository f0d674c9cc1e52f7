"""Forms for opening and editing cases, their partners and their status."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
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

from practice.cases import eft
from practice.cases.models import CaseKind, CycleRole
from practice.cases.operations import (
    MAX_NAME_LENGTH,
    MAX_PARTNERS,
    MAX_PRONOUNS_LENGTH,
    MAX_REASON_LENGTH,
    MAX_REFERRER_NAME_LENGTH,
    MAX_REFERRER_ORGANISATION_LENGTH,
    MAX_TEXT_LENGTH,
    PARTNER_LIMITS,
    CaseEdit,
    NewCase,
    PartnerDetails,
    latest_opening_date,
    partner_count_problem,
    today,
)
from practice.cases.queries import (
    DEFAULT_SORT,
    DEFAULT_STATUS_FILTER,
    SORT_KEYS,
    STATUS_FILTERS,
    CaseListQuery,
)
from practice.core.i18n import _, _l
from practice.core.voiding import MAX_VOID_REASON
from practice.web.forms import PracticeForm, PracticeSubform, strip_whitespace

KIND_CHOICES = [
    SelectChoice(CaseKind.COUPLE.value, "Couple"),
    SelectChoice(CaseKind.INDIVIDUAL.value, "Individual"),
    SelectChoice(CaseKind.FAMILY.value, "Family"),
]
ROLE_CHOICES = [SelectChoice(r.value, r.value.capitalize()) for r in CycleRole]
STAGE_CHOICES = [SelectChoice("", eft.NOT_ASSESSED)] + [
    SelectChoice(number, label) for number, label in eft.choices()
]
STATUS_ACTIONS = {
    "pause": "Pause the case",
    "close": "Close the case",
    "reopen": "Reopen the case",
}


def _optional_int(value) -> int | None:
    """Blank means none; anything else must be a whole number (raises ValueError)."""
    if value is None or value == "":
        return None
    return int(value)


def _text(label: str) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[strip_whitespace],
        validators=[
            Length(max=MAX_TEXT_LENGTH, message=f"Keep this to {MAX_TEXT_LENGTH:,} characters.")
        ],
    )


def _stage() -> SelectField:
    return SelectField(_l("Current EFT stage"), choices=STAGE_CHOICES, coerce=_optional_int)


def stage_reason_field() -> StringField:
    """Why a stage is set before its change events are confirmed (``practice.eft.gates``)."""
    return StringField(
        _l("Reason for the stage (only if its change events are not confirmed)"),
        filters=[strip_whitespace],
        validators=[
            Optional(),
            Length(max=MAX_VOID_REASON, message=_l("Keep this to 200 characters.")),
        ],
    )


class PartnerForm(PracticeSubform):
    """One person in a case (a row of a case form, or the add-a-partner form)."""

    display_name = StringField(
        _l("First name or initials"),
        filters=[strip_whitespace],
        validators=[
            DataRequired("Enter a first name or initials."),
            Length(max=MAX_NAME_LENGTH, message=f"Keep the name to {MAX_NAME_LENGTH} characters."),
        ],
    )
    pronouns = StringField(
        _l("Pronouns (optional)"),
        filters=[strip_whitespace],
        validators=[
            Optional(),
            Length(
                max=MAX_PRONOUNS_LENGTH, message=f"Keep this to {MAX_PRONOUNS_LENGTH} characters."
            ),
        ],
    )
    cycle_role = SelectField(
        _l("Cycle role"), choices=ROLE_CHOICES, default=CycleRole.UNCLEAR.value
    )

    def details(self) -> PartnerDetails:
        return PartnerDetails(
            display_name=self.display_name.data,
            pronouns=self.pronouns.data or None,
            cycle_role=self.cycle_role.data,
        )


class PartnerEditForm(PartnerForm):
    """A row of the edit form: an existing partner, identified by id."""

    partner_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class NewCaseForm(PracticeForm):
    """Open a case: its kind, date, concerns, goals, stage and the people in it."""

    kind = SelectField(_l("Kind of case"), choices=KIND_CHOICES, default=CaseKind.COUPLE.value)
    opened_on = DateField(
        _l("Opened on"),
        default=today,
        validators=[InputRequired("Enter the date the case opened.")],
    )
    presenting_concerns = _text("Presenting concerns")
    goals = _text("Goals")
    eft_stage = _stage()
    stage_reason = stage_reason_field()
    # One more than any kind allows, so an over-long list is reported rather than cut short.
    partners = FieldList(FormField(PartnerForm), min_entries=1, max_entries=MAX_PARTNERS + 1)
    submit = SubmitField(_l("Open case"))

    def validate_opened_on(self, field) -> None:
        if field.data and field.data > latest_opening_date():
            raise ValidationError(_("The opening date cannot be in the future."))
        if field.data and field.data < date(1900, 1, 1):
            raise ValidationError(_("Enter a date after 1900."))

    def validate_partners(self, field) -> None:
        if self.kind.data in PARTNER_LIMITS:
            problem = partner_count_problem(self.kind.data, len(field.entries))
            if problem:
                raise ValidationError(problem)

    def new_case(self) -> NewCase:
        return NewCase(
            kind=self.kind.data,
            opened_on=self.opened_on.data,
            presenting_concerns=self.presenting_concerns.data or "",
            goals=self.goals.data or "",
            eft_stage=self.eft_stage.data,
            partners=[entry.form.details() for entry in self.partners],
            stage_reason=self.stage_reason.data or "",
        )


def _line(label: str, most: int) -> StringField:
    return StringField(
        label,
        filters=[strip_whitespace],
        validators=[Optional(), Length(max=most, message=f"Keep this to {most} characters.")],
    )


class EditCaseForm(PracticeForm):
    """Edit a case's concerns, goals, stage, referral and partners, at the version it was
    loaded."""

    presenting_concerns = _text("Presenting concerns")
    goals = _text("Goals")
    eft_stage = _stage()
    stage_reason = stage_reason_field()
    referrer_name = _line("Referred by", MAX_REFERRER_NAME_LENGTH)
    referrer_organisation = _line("Referrer's organisation", MAX_REFERRER_ORGANISATION_LENGTH)
    referral_question = _text("Referral question")
    partners = FieldList(FormField(PartnerEditForm), min_entries=0, max_entries=MAX_PARTNERS + 1)
    # A string field, so that after a conflict the page can carry the new version.
    version = HiddenField(filters=[_optional_int], validators=[DataRequired()])
    submit = SubmitField(_l("Save changes"))

    def changes(self) -> CaseEdit:
        return CaseEdit(
            presenting_concerns=self.presenting_concerns.data or "",
            goals=self.goals.data or "",
            eft_stage=self.eft_stage.data,
            partners={entry.form.partner_id.data: entry.form.details() for entry in self.partners},
            referrer_name=self.referrer_name.data or "",
            referrer_organisation=self.referrer_organisation.data or "",
            referral_question=self.referral_question.data or "",
            stage_reason=self.stage_reason.data or "",
        )


class AddPartnerForm(PracticeForm, PartnerForm):
    """Add a person to a case."""

    submit = SubmitField(_l("Add to case"))


class StatusForm(PracticeForm):
    """Pause, close or reopen a case, with the reason."""

    action = RadioField(
        _l("Change"),
        choices=[SelectChoice(action, label) for action, label in STATUS_ACTIONS.items()],
        validators=[InputRequired("Choose a change.")],
    )
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_whitespace],
        validators=[
            DataRequired("Give a reason for the change."),
            Length(
                max=MAX_REASON_LENGTH, message=f"Keep the reason to {MAX_REASON_LENGTH} characters."
            ),
        ],
    )
    submit = SubmitField(_l("Change status"))


def list_query(args: Mapping[str, str]) -> CaseListQuery:
    """The case list's filters from query-string arguments; anything invalid falls back."""
    status = args.get("status", DEFAULT_STATUS_FILTER)
    sort = args.get("sort", DEFAULT_SORT)
    descending = sort.startswith("-")
    sort = sort.removeprefix("-")
    page = args.get("page", "1")
    return CaseListQuery(
        # NUL cannot reach PostgreSQL; no reference holds one anyway.
        q=args.get("q", "").replace("\x00", "").strip()[:50],
        status=status if status in STATUS_FILTERS else DEFAULT_STATUS_FILTER,
        sort=sort if sort in SORT_KEYS else DEFAULT_SORT,
        descending=descending and sort in SORT_KEYS,
        page=int(page) if page.isascii() and page.isdigit() and len(page) < 9 else 1,
    )
