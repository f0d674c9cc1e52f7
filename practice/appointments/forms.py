"""Forms of the appointment pages: planning or moving one, its outcome, turning it into a
session record, and the calendar feed's buttons."""

from __future__ import annotations

from datetime import UTC

from wtforms import DateTimeLocalField, HiddenField, IntegerField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from practice.appointments.models import AppointmentStatus, CancelledBy
from practice.appointments.operations import MAX_DURATION, MIN_DURATION, AppointmentDetails
from practice.appointments.rules import CANCELLED_BY_LABELS, cancelled_by_choices
from practice.sessions.forms import MODALITY_CHOICES
from practice.web.forms import PracticeForm

_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class AppointmentForm(PracticeForm):
    """When the session is planned, for how long, and how it is held."""

    starts_at = DateTimeLocalField(
        "Start (UTC)",
        format=_FORMATS,
        validators=[InputRequired("Enter the date and time the session starts.")],
    )
    duration_minutes = IntegerField(
        "Length (minutes)",
        default=50,
        validators=[
            InputRequired("Enter the length in minutes."),
            NumberRange(
                MIN_DURATION,
                MAX_DURATION,
                f"The length must be between {MIN_DURATION} and {MAX_DURATION} minutes.",
            ),
        ],
    )
    mode = SelectField("Mode", choices=MODALITY_CHOICES, default="in_person")
    version = HiddenField()

    def details(self) -> AppointmentDetails:
        """The validated entries (the start read as UTC)."""
        return AppointmentDetails(
            starts_at=self.starts_at.data.replace(tzinfo=UTC),
            duration_minutes=self.duration_minutes.data,
            mode=self.mode.data,
        )

    def version_number(self) -> int | None:
        value = self.version.data or ""
        return int(value) if value.isascii() and value.isdigit() and len(value) < 9 else None


class OutcomeForm(PracticeForm):
    """What became of a planned appointment that did not take place."""

    status = RadioField(
        "What happened",
        choices=[
            SelectChoice(AppointmentStatus.CANCELLED.value, "Cancelled"),
            SelectChoice(AppointmentStatus.NO_SHOW.value, "No-show (nobody came, no notice)"),
        ],
        validators=[InputRequired("Choose cancelled or no-show.")],
    )
    cancelled_by = SelectField("Cancelled by", choices=[], validate_choice=False)
    notice_at = DateTimeLocalField(
        "Notice received (UTC)", format=_FORMATS, validators=[Optional()]
    )
    version = HiddenField()

    def set_partners(self, partner_count: int) -> None:
        """Offer who may have cancelled, for a case of ``partner_count`` partners."""
        self.cancelled_by.choices = [SelectChoice("", "Choose…")] + [
            SelectChoice(value, CANCELLED_BY_LABELS[CancelledBy(value)])
            for value in cancelled_by_choices(partner_count)
        ]

    def notice(self):
        return self.notice_at.data.replace(tzinfo=UTC) if self.notice_at.data else None

    def version_number(self) -> int | None:
        value = self.version.data or ""
        return int(value) if value.isascii() and value.isdigit() and len(value) < 9 else None


class ConvertForm(PracticeForm):
    """The one-click button that makes the session record of a planned appointment."""

    version = HiddenField()

    def version_number(self) -> int | None:
        value = self.version.data or ""
        return int(value) if value.isascii() and value.isdigit() and len(value) < 9 else None
