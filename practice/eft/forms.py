"""The forms of change events: confirm (or record) one with its evidence, dismiss a proposal,
void a confirmed event, and acknowledge a stage override."""

from __future__ import annotations

from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from practice.core.i18n import _l
from practice.core.voiding import MAX_VOID_REASON
from practice.eft.kinds import LABELS, EventKind
from practice.eft.models import MAX_NOTE
from practice.eft.operations import EventData
from practice.eft.queries import CaseChangeEvents
from practice.web.forms import PracticeForm, strip_whitespace


def _id(value: object) -> int | None:
    if value in ("", None):
        return None
    return int(value)  # type: ignore[arg-type]


class ChangeEventForm(PracticeForm):
    """A change event: its kind, session, date, evidence moments and a note."""

    kind = SelectField(
        _l("Change event"), choices=[SelectChoice(k.value, LABELS[k]) for k in EventKind]
    )
    session_id = SelectField(
        _l("Session"), coerce=_id, validators=[InputRequired(_l("Choose the session."))]
    )
    occurred_on = DateField(
        _l("Date of the change"), validators=[InputRequired(_l("Enter the date of the change."))]
    )
    evidence = SelectMultipleField(
        _l("Evidence moments"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
    note = TextAreaField(
        _l("Note (optional)"),
        filters=[strip_whitespace],
        validators=[Optional(), Length(max=MAX_NOTE)],
    )
    proposed = HiddenField()
    submit = SubmitField(_l("Confirm the change event"))

    def offer(self, view: CaseChangeEvents) -> None:
        """The case's sessions and standing moments as the choices."""
        self.session_id.choices = [SelectChoice("", "—")] + [
            SelectChoice(session_id, f"{on:%d %b %Y}") for session_id, on in reversed(view.sessions)
        ]
        # Newest session first (the change is recent), each session's moments in time order.
        newest_first = sorted(view.moments, key=lambda m: (-m.session_on.toordinal(), m.minute))
        self.evidence.choices = [
            SelectChoice(m.id, f"min {m.minute}: {m.label} ({m.partner})") for m in newest_first
        ]

    def data_of(self) -> EventData:
        return EventData(
            kind=self.kind.data,
            session_id=self.session_id.data,
            occurred_on=self.occurred_on.data,
            evidence_ids=list(self.evidence.data or []),
            note=self.note.data or "",
            proposed=self.proposed.data == "1",
        )


class DismissProposalForm(PracticeForm):
    """Turn down a proposal: which event, at which session."""

    kind = HiddenField(validators=[InputRequired()])
    session_id = HiddenField(validators=[InputRequired()])
    submit = SubmitField(_l("Dismiss"))


class VoidEventForm(PracticeForm):
    """Take back a confirmed event, with the reason."""

    reason = StringField(
        _l("Reason"),
        filters=[strip_whitespace],
        validators=[
            InputRequired(_l("Give the reason; it is kept with the record.")),
            Length(max=MAX_VOID_REASON),
        ],
    )
    submit = SubmitField(_l("Void the change event"))


class AcknowledgeOverrideForm(PracticeForm):
    """A supervisor has seen a stage set without its events."""

    submit = SubmitField(_l("Acknowledge"))
