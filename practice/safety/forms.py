"""The safety screen form: one partner at a time, taken alone (HITS, the fear question, the
decision and the day)."""

from __future__ import annotations

from wtforms import DateField, RadioField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from practice.core.i18n import _l
from practice.safety.screening import (
    DECISION_LABELS,
    FEAR_QUESTION,
    HITS_ANSWERS,
    HITS_ITEMS,
    HITS_QUESTIONS,
)
from practice.web.forms import PracticeForm


def _hits_item(name: str) -> RadioField:
    return RadioField(
        HITS_QUESTIONS[name],
        choices=[
            SelectChoice(value, _l("%(value)s · %(label)s", value=value, label=label))
            for value, label in HITS_ANSWERS.items()
        ],
        coerce=int,
        validators=[InputRequired(message=_l("Choose how often, from 1 (never) to 5."))],
    )


class ScreenForm(PracticeForm):
    """One partner's safety screen."""

    screened_on = DateField(
        _l("Screened on"), validators=[InputRequired(message=_l("Enter the day of the screen."))]
    )
    hurt = _hits_item("hurt")
    insult = _hits_item("insult")
    threaten = _hits_item("threaten")
    scream = _hits_item("scream")
    afraid = RadioField(
        FEAR_QUESTION,
        choices=[SelectChoice("no", _l("No")), SelectChoice("yes", _l("Yes"))],
        validators=[InputRequired(message=_l("Answer the fear question."))],
    )
    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice(value.value, label) for value, label in DECISION_LABELS.items()],
        validators=[InputRequired(message=_l("Choose what the screen decided."))],
    )
    submit = SubmitField(_l("Record the screen"))

    def items(self) -> list[int]:
        """The four HITS answers in order (hurt, insult, threaten, scream)."""
        return [self[name].data for name in HITS_ITEMS]
