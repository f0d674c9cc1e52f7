"""The form of a break's account (recorded from a session, by the counsellor afterwards, or
edited), and the live screen's one-tap "break called" form.

Times are entered in the practice's time zone (``PRACTICE_TIME_ZONE``) and stored in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from wtforms import (
    BooleanField,
    DateTimeLocalField,
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
from practice.breaks.queries import practice_zone
from practice.cases.models import Partner
from practice.web.forms import PracticeForm

_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
COUNSELLOR = "counsellor"
RESUMED = (BreakOutcome.RESUMED_CALMER.value, BreakOutcome.RESUMED_ESCALATED.value)


def _optional_id(value: object) -> int | None:
    if value in ("", None, COUNSELLOR):
        return None
    return int(value)  # type: ignore[arg-type]


def _teller(value: object) -> str:
    return COUNSELLOR if value in ("", None, COUNSELLOR) else str(int(value))  # type: ignore[arg-type]


def aware(value: datetime | None) -> datetime | None:
    """A time entered in the practice's zone, made aware (stored in UTC by the column)."""
    if value is None:
        return None
    return value.replace(tzinfo=practice_zone())


def as_entered(value: datetime | None) -> datetime | None:
    """A stored time as the form shows it: in the practice's zone, without its zone."""
    if value is None:
        return None
    return value.astimezone(practice_zone()).replace(tzinfo=None, second=0, microsecond=0)


class BreakAccountForm(PracticeForm):
    """One account of a break: who tells it, who called it and when, the scripts, flooding, the
    promised and actual return, and how it went."""

    told_by = SelectField("Whose account", coerce=_teller, validate_choice=True)
    called_by_id = SelectField("Who called the break", coerce=int, validate_choice=True)
    called_at = DateTimeLocalField(
        "Called at",
        format=_FORMATS,
        validators=[InputRequired("Enter when the break was called.")],
    )
    with_script = BooleanField("Called with the break script")
    flooding = BooleanField("Flooding reported")
    heart_rate = IntegerField(
        "Heart rate (beats a minute, if known)",
        validators=[
            Optional(),
            NumberRange(
                MIN_HEART_RATE,
                MAX_HEART_RATE,
                f"A heart rate is between {MIN_HEART_RATE} and {MAX_HEART_RATE} beats a minute.",
            ),
        ],
    )
    promised_return_at = DateTimeLocalField(
        "Promised return", format=_FORMATS, validators=[Optional()]
    )
    resumed_at = DateTimeLocalField("Resumed at", format=_FORMATS, validators=[Optional()])
    resumed_by_id = SelectField(
        "Who reached out to resume", coerce=_optional_id, validate_choice=True
    )
    with_invitation = BooleanField("With the invitation script")
    outcome = SelectField(
        "How it went",
        choices=[SelectChoice("", "Not known yet")]
        + [SelectChoice(value, label) for value, label in OUTCOME_LABELS.items()],
        validate_choice=True,
    )
    submit = SubmitField("Save the break")

    def __init__(self, partners: Sequence[Partner] = (), *args, with_teller: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.partners = list(partners)
        people = [SelectChoice(p.id, p.display_name) for p in self.partners]
        self.told_by.choices = [SelectChoice(COUNSELLOR, "The counsellor's own record")] + [
            SelectChoice(str(p.id), f"{p.display_name}'s account") for p in self.partners
        ]
        if not with_teller:
            del self.told_by
        self.called_by_id.choices = people
        self.resumed_by_id.choices = [SelectChoice("", "Nobody yet"), *people]

    def validate_promised_return_at(self, field) -> None:
        if field.data and self.called_at.data and field.data < self.called_at.data:
            raise ValidationError("The promised return cannot be before the break.")

    def validate_resumed_at(self, field) -> None:
        if field.data is None:
            if self.outcome.data in RESUMED:
                raise ValidationError("Say when the conversation resumed.")
            return
        if self.called_at.data and field.data < self.called_at.data:
            raise ValidationError("The conversation cannot resume before the break.")

    def validate_outcome(self, field) -> None:
        if self.resumed_at.data is not None and field.data not in RESUMED:
            raise ValidationError("Say how the conversation went when it resumed.")

    def validate_resumed_by_id(self, field) -> None:
        if self.resumed_at.data is not None and field.data is None:
            raise ValidationError("Say who reached out to resume.")
        if self.resumed_at.data is None and field.data is not None:
            raise ValidationError("Leave this as nobody until the conversation resumed.")

    def validate_with_invitation(self, field) -> None:
        if field.data and self.resumed_at.data is None:
            raise ValidationError("The invitation belongs to a resumed conversation.")

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
            called_at=aware(self.called_at.data),  # type: ignore[arg-type]
            with_script=self.with_script.data,
            flooding=self.flooding.data,
            heart_rate=self.heart_rate.data,
            promised_return_at=aware(self.promised_return_at.data),
            resumed_at=aware(self.resumed_at.data),
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

    called_by_id = SelectField("Who called it", coerce=int, validate_choice=True)
    with_script = BooleanField("With the break script")
    submit = SubmitField("Break called")

    def __init__(self, partners: Sequence[Partner] = (), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.called_by_id.choices = [SelectChoice(p.id, p.display_name) for p in partners]
