"""The forms of progress reports: one report (period, audience, narrative, recommendations)
and a report job."""

from __future__ import annotations

from datetime import date

from wtforms import DateField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from practice.core.i18n import _, _l
from practice.reporting.jobs import BatchParams
from practice.reporting.operations import MAX_NARRATIVE_LENGTH
from practice.web.forms import PracticeForm

AUDIENCE_CHOICES = [
    SelectChoice("clinical", "Clinical record: the full record, with session notes"),
    SelectChoice("client", "For the clients: plain language, no notes or clinical labels"),
    SelectChoice("referrer", "For the referrer: a letter of one or two pages, no session notes"),
]


def _after_start(form, field) -> None:
    if form.period_start.data and field.data and field.data < form.period_start.data:
        raise ValidationError(_("The period must end on or after the day it starts."))


def _narrative_length(form, field) -> None:
    if field.data and len(field.data) > MAX_NARRATIVE_LENGTH:
        raise ValidationError(
            f"The {field.label.text.lower()} has {len(field.data):,} characters; the limit is "
            f"{MAX_NARRATIVE_LENGTH:,}. Nothing was lost: shorten it and try again."
        )


class ReportForm(PracticeForm):
    """What a progress report covers; the buttons are plain <button>s in the template."""

    period_start = DateField(_l("From"), validators=[InputRequired("Enter the first day.")])
    period_end = DateField(
        _l("To"), validators=[InputRequired("Enter the last day."), _after_start]
    )
    audience = RadioField(
        _l("Audience"),
        choices=AUDIENCE_CHOICES,
        default="clinical",
        validators=[InputRequired("Choose who the report is for.")],
    )
    narrative = TextAreaField(_l("Narrative"), validators=[_narrative_length])
    recommendations = TextAreaField(_l("Recommendations"), validators=[_narrative_length])

    def request(self) -> tuple[date, date, str, str]:
        """(start, end, audience, narrative) as the operations take them."""
        return (
            self.period_start.data,
            self.period_end.data,
            self.audience.data,
            self.narrative.data or "",
        )


class ReportBatchForm(PracticeForm):
    """Audience and (optional) period of every report of a report job."""

    audience = RadioField(
        _l("Audience"),
        choices=AUDIENCE_CHOICES,
        default="clinical",
        validators=[InputRequired("Choose who the reports are for.")],
    )
    period_start = DateField(_l("From (optional)"), validators=[Optional()])
    period_end = DateField(_l("To (optional)"), validators=[Optional(), _after_start])

    def params(self) -> BatchParams:
        return BatchParams(self.audience.data, self.period_start.data, self.period_end.data)
