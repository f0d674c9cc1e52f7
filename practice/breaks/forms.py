"""The form of a break's account (recorded from a session, by the counsellor afterwards, or
edited), and the live screen's one-tap "break called" form.

Times are entered in the viewer's local time (their own zone, else the practice's) and stored in
UTC (``LocalDateTimeField``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from practice.breaks.models import (
    MAX_HEART_RATE,
    MIN_HEART_RATE,
    OUTCOME_LABELS,
    BreakAccount,
    BreakOutcome,
)
from practice.breaks.operations import AccountData
from practice.cases.models import Partner
from practice.core.i18n import _, _l
from practice.web.forms import LocalDateTimeField, PracticeForm

_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
COUNSELLOR = "counsellor"
RESUMED = (BreakOutcome.RESUMED_CALMER.value, BreakOutcome.RESUMED_ESCALATED.value)


def _optional_id(value: object) -> int | None:
    if value in ("", None, COUNSELLOR):
        return None
    return int(value)  # type: ignore[arg-type]


def _teller(value: object) -> str:
    return COUNSELLOR if value in ("", None, COUNSELLOR) else str(int(value))  # type: ignore[arg-type]


def as_entered(value: datetime | None) -> datetime | None:
    """A stored time as the form starts from: to the minute (the input shows it in local time)."""
    if value is None:
        return None
    return value.replace(second=0, microsecond=0)


class BreakAccountForm(PracticeForm):
    """One account of a break: who tells it, who called it and when, the scripts, flooding, the
    promised and actual return, and how it went."""

    told_by = SelectField(_l("Whose account"), coerce=_teller, validate_choice=True)
    called_by_id = SelectField(_l("Who called the break"), coerce=int, validate_choice=True)
    called_at = LocalDateTimeField(
        _l("Called at"),
        format=_FORMATS,
        validators=[InputRequired(_l("Enter when the break was called."))],
    )
    with_script = BooleanField(_l("Called with the break script"))
    flooding = BooleanField(_l("Flooding reported"))
    heart_rate = IntegerField(
        _l("Heart rate (beats a minute, if known)"),
        validators=[
            Optional(),
            NumberRange(
                MIN_HEART_RATE,
                MAX_HEART_RATE,
                _l(
                    "A heart rate is between %(low)s and %(high)s beats a minute.",
                    low=MIN_HEART_RATE,
                    high=MAX_HEART_RATE,
                ),
            ),
        ],
    )
    promised_return_at = LocalDateTimeField(
        _l("Promised return"), format=_FORMATS, validators=[Optional()]
    )
    resumed_at = LocalDateTimeField(_l("Resumed at"), format=_FORMATS, validators=[Optional()])
    resumed_by_id = SelectField(
        _l("Who reached out to resume"), coerce=_optional_id, validate_choice=True
    )
    with_invitation = BooleanField(_l("With the invitation script"))
    outcome = SelectField(
        _l("How it went"),
        choices=[SelectChoice("", _l("Not known yet"))]
        + [SelectChoice(value, label) for value, label in OUTCOME_LABELS.items()],
        validate_choice=True,
    )
    submit = SubmitField(_l("Save the break"))

    def __init__(self, partners: Sequence[Partner] = (), *args, with_teller: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.partners = list(partners)
        people = [SelectChoice(p.id, p.display_name) for p in self.partners]
        self.told_by.choices = [SelectChoice(COUNSELLOR, _("The counsellor's own record"))] + [
            SelectChoice(str(p.id), _("%(name)s's account", name=p.display_name))
            for p in self.partners
        ]
        if not with_teller:
            del self.told_by
        self.called_by_id.choices = people
        self.resumed_by_id.choices = [SelectChoice("", _("Nobody yet")), *people]

    def validate_promised_return_at(self, field) -> None:
        if field.data and self.called_at.data and field.data < self.called_at.data:
            raise ValidationError(_l("The promised return cannot be before the break."))

    def validate_resumed_at(self, field) -> None:
        if field.data is None:
            if self.outcome.data in RESUMED:
                raise ValidationError(_l("Say when the conversation resumed."))
            return
        if self.called_at.data and field.data < self.called_at.data:
            raise ValidationError(_l("The conversation cannot resume before the break."))

    def validate_outcome(self, field) -> None:
        if self.resumed_at.data is not None and field.data not in RESUMED:
            raise ValidationError(_l("Say how the conversation went when it resumed."))

    def validate_resumed_by_id(self, field) -> None:
        if self.resumed_at.data is not None and field.data is None:
            raise ValidationError(_l("Say who reached out to resume."))
        if self.resumed_at.data is None and field.data is not None:
            raise ValidationError(_l("Leave this as nobody until the conversation resumed."))

    def validate_with_invitation(self, field) -> None:
        if field.data and self.resumed_at.data is None:
            raise ValidationError(_l("The invitation belongs to a resumed conversation."))

    def partner(self, partner_id: int | None) -> Partner | None:
        return next((p for p in self.partners if p.id == partner_id), None)

    def teller(self) -> Partner | None:
        value = self.told_by.data if hasattr(self, "told_by") else COUNSELLOR
        return None if value == COUNSELLOR else self.partner(int(value))

    def data_of(self) -> AccountData:
        """The account as the operations take it."""
        called_by = self.partner(self.called_by_id.data)
        assert called_by is not None  # validate_choice
        return AccountData(
            called_by=called_by,
            called_at=self.called_at.data,  # type: ignore[arg-type]
            with_script=self.with_script.data,
            flooding=self.flooding.data,
            heart_rate=self.heart_rate.data,
            promised_return_at=self.promised_return_at.data,
            resumed_at=self.resumed_at.data,
            resumed_by=self.partner(self.resumed_by_id.data),
            with_invitation=self.with_invitation.data,
            outcome=self.outcome.data or None,
        )

    @staticmethod
    def prefill(account: BreakAccount) -> dict:
        return {
            "told_by": COUNSELLOR if account.told_by_id is None else str(account.told_by_id),
            "called_by_id": account.called_by_id,
            "called_at": as_entered(account.called_at),
            "with_script": account.with_script,
            "flooding": account.flooding,
            "heart_rate": account.heart_rate,
            "promised_return_at": as_entered(account.promised_return_at),
            "resumed_at": as_entered(account.resumed_at),
            "resumed_by_id": account.resumed_by_id,
            "with_invitation": account.with_invitation,
            "outcome": account.outcome or "",
        }


class LiveBreakForm(PracticeForm):
    """Live mode: a partner called a break now (the rest is completed afterwards)."""

    called_by_id = SelectField(_l("Who called it"), coerce=int, validate_choice=True)
    with_script = BooleanField(_l("With the break script"))
    submit = SubmitField(_l("Break called"))

    def __init__(self, partners: Sequence[Partner] = (), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.called_by_id.choices = [SelectChoice(p.id, p.display_name) for p in partners]
