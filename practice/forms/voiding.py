"""Voiding a clinical row: the reason is required (checked by ``practice.services.voiding``)."""

from wtforms import StringField, SubmitField

from practice.forms import PracticeForm
from practice.services.voiding import MAX_VOID_REASON


class VoidForm(PracticeForm):
    """The reason for taking a record back; kept with the record, shown in its history."""

    reason = StringField("Reason (required, kept with the record)")
    submit = SubmitField("Remove")

    max_length = MAX_VOID_REASON
