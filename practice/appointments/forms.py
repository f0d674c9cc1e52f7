"""Forms of the appointment pages: planning or moving one, its outcome, turning it into a
session record, and the calendar feed's buttons."""

from __future__ import annotations

from datetime import datetime

from wtforms import HiddenField, IntegerField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from practice.appointments.models import AppointmentStatus, CancelledBy
from practice.appointments.operations import MAX_DURATION, MIN_DURATION, AppointmentDetails
from practice.appointments.rules import CANCELLED_BY_LABELS, cancelled_by_choices
from practice.core.i18n import _l
from practice.sessions.forms import MODALITY_CHOICES
from practice.web.forms import LocalDateTimeField, PracticeForm

_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class AppointmentForm(PracticeForm):
    """When the session is planned, for how long, and how it is held."""

    starts_at = LocalDateTimeField(
        _l("Start"),
        format=_FORMATS,
        validators=[InputRequired(_l("Enter the date and time the session starts."))],
    )
    duration_minutes = IntegerField(
        _l("Length (minutes)"),
        default=50,
        validators=[
            InputRequired(_l("Enter the length in minutes.")),
            NumberRange(
                MIN_DURATION,
                MAX_DURATION,
                _l(
                    "The length must be between %(low)s and %(high)s minutes.",
                    low=MIN_DURATION,
                    high=MAX_DURATION,
                ),
            ),
        ],
    )
    mode = SelectField(_l("Mode"), choices=MODALITY_CHOICES, default="in_person")
    version = HiddenField()

    def details(self) -> AppointmentDetails:
        """The validated entries (the start, entered in local time, in UTC)."""
        return AppointmentDetails(
            starts_at=self.starts_at.data,
            duration_minutes=self.duration_minutes.data,
            mode=self.mode.data,
        )

    def version_number(self) -> int | None:
        value = self.version.data or ""
        return int(value) if value.isascii() and value.isdigit() and len(value) < 9 else None


class OutcomeForm(PracticeForm):
    """What became of a planned appointment that did not take place."""

    status = RadioField(
        _l("What happened"),
        choices=[
            SelectChoice(AppointmentStatus.CANCELLED.value, _l("Cancelled")),
            SelectChoice(AppointmentStatus.NO_SHOW.value, _l("No-show (nobody came, no notice)")),
        ],
        validators=[InputRequired(_l("Choose cancelled or no-show."))],
    )
    cancelled_by = SelectField(_l("Cancelled by"), choices=[], validate_choice=False)
    notice_at = LocalDateTimeField(_l("Notice received"), format=_FORMATS, validators=[Optional()])
    version = HiddenField()

    def set_partners(self, partner_count: int) -> None:
        """Offer who may have cancelled, for a case of ``partner_count`` partners."""
        self.cancelled_by.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(value, CANCELLED_BY_LABELS[CancelledBy(value)])
            for value in cancelled_by_choices(partner_count)
        ]

    def notice(self) -> datetime | None:
        """When the notice came (entered in local time, in UTC), or None for "now"."""
        return self.notice_at.data or None

    def version_number(self) -> int | None:
        value = self.version.data or ""
        return int(value) if value.isascii() and value.isdigit() and len(value) < 9 else None


class ConvertForm(PracticeForm):
    """The one-click button that makes the session record of a planned appointment."""

    version = HiddenField()

    def version_number(self) -> int | None:
        value = self.version.data or ""
        return int(value) if value.isascii() and value.isdigit() and len(value) < 9 else None
