"""The audit log's search form: read from the query string, so it carries no CSRF token."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, Regexp, ValidationError

from practice.accounts.models import StaffMember
from practice.audit.search import KNOWN_OUTCOMES, AuditFilters
from practice.core.database import MAX_ID
from practice.core.i18n import _, _l
from practice.web.forms import PracticeForm
from practice.web.localisation import current_zone

_ID = Regexp(r"^\d{1,10}$", message="Enter a number, such as 42.")
_DATE_FORMATS = ["%Y-%m-%d"]
_DATE_MESSAGE = "Enter a date as YYYY-MM-DD."


def _id_in_range(form, field) -> None:
    if field.data and field.data.isdigit() and not 1 <= int(field.data) <= MAX_ID:
        raise ValidationError(_("No record has that id."))


def _choices_with_current(values: list[str], current: str | None, blank: str) -> list:
    """``values`` as choices after a blank one; a current value not among them stays offered."""
    choices = [SelectChoice("", blank)] + [SelectChoice(v, v) for v in values]
    if current and current not in values:
        choices.append(SelectChoice(current, current))
    return choices


class _DayField(DateField):
    """A date field whose error says which format it wants."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_DATE_MESSAGE) from error


class AuditFilterForm(PracticeForm):
    """Filters of the audit log; every field is optional."""

    class Meta:
        csrf = False  # a GET search changes nothing

    actor_id = SelectField(_l("Staff member"), validators=[Optional(), _ID], validate_choice=False)
    actor = StringField(
        _l("Actor email contains"),
        filters=[lambda v: v.strip().lower() if v else v],
        validators=[Optional(), Length(max=254)],
    )
    action = SelectField(
        _l("Action"), validators=[Optional(), Length(max=40)], validate_choice=False
    )
    object_type = SelectField(
        _l("Object type"),
        validators=[Optional(), Regexp(r"^\w{1,30}$", message="Choose an object type.")],
        validate_choice=False,
    )
    object_id = StringField(
        _l("Object id"), filters=[lambda v: v.strip() if v else v], validators=[Optional(), _ID]
    )
    case_id = StringField(
        _l("Case id"),
        filters=[lambda v: v.strip() if v else v],
        validators=[Optional(), _ID, _id_in_range],
    )
    outcome = SelectField(
        _l("Outcome"),
        validators=[Optional(), Regexp(r"^[a-z_]{1,10}$", message="Choose an outcome.")],
        validate_choice=False,
    )
    remote_addr = StringField(
        _l("Address starts with"),
        filters=[lambda v: v.strip() if v else v],
        validators=[
            Optional(),
            Length(max=45),
            Regexp(r"^[0-9A-Fa-f:.]+$", message="Enter an IP address or its start, e.g. 10.0."),
        ],
    )
    start = _DayField(_l("From"), format=_DATE_FORMATS, validators=[Optional()], name="from")
    end = _DayField(_l("To"), format=_DATE_FORMATS, validators=[Optional()], name="to")

    def set_choices(
        self, staff: list[StaffMember], actions: list[str], object_types: list[str]
    ) -> None:
        """Offer the staff, actions and object types there are (before validating)."""
        self.actor_id.choices = [SelectChoice("", "Anyone")] + [
            SelectChoice(str(m.id), f"{m.display_name} ({m.email})") for m in staff
        ]
        self.action.choices = _choices_with_current(actions, self.action.data, "Any action")
        self.object_type.choices = _choices_with_current(
            object_types, self.object_type.data, "Any type"
        )
        self.outcome.choices = _choices_with_current(
            list(KNOWN_OUTCOMES), self.outcome.data, "Any outcome"
        )

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_("The “to” date is before the “from” date."))

    def filters(self) -> AuditFilters:
        """The validated filters; only call after ``validate()`` returned True."""

        def number(value: str | None) -> int | None:
            return int(value) if value else None

        return AuditFilters(
            actor_id=number(self.actor_id.data),
            actor=self.actor.data or "",
            action=self.action.data or "",
            object_type=self.object_type.data or "",
            object_id=str(int(self.object_id.data)) if self.object_id.data else "",
            case_id=number(self.case_id.data),
            outcome=self.outcome.data or "",
            remote_addr=self.remote_addr.data or "",
            start=self.start.data,
            end=self.end.data,
            zone=current_zone().key,
        )
