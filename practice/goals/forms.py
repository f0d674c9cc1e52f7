"""The goal form, and reading the 0-10 ratings typed on a session page or a check-in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from wtforms import DateField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from practice.cases.models import Partner
from practice.core.i18n import _l
from practice.goals import rules
from practice.goals.models import (
    MAX_DESCRIPTION,
    MAX_RATING,
    MAX_TITLE,
    MIN_RATING,
    STATUS_LABELS,
    TreatmentGoal,
)
from practice.goals.operations import GoalData
from practice.web.forms import PracticeForm

SHARED = ""


class GoalForm(PracticeForm):
    """A goal: its title and words, whose it is, when it opened and where it stands."""

    title = StringField(
        _l("Goal"),
        validators=[
            InputRequired(_l("Give the goal a short title.")),
            Length(max=MAX_TITLE, message=_l("Keep the title to 120 characters.")),
        ],
    )
    description = TextAreaField(
        _l("Description (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_DESCRIPTION, message=_l("Keep the description to 2,000 characters.")),
        ],
    )
    owner_id = SelectField(_l("Whose goal"), default=SHARED)
    opened_on = DateField(
        _l("Opened on"), validators=[InputRequired(_l("Give the day it was agreed."))]
    )
    status = SelectField(
        _l("Status"), choices=[SelectChoice(key, label) for key, label in STATUS_LABELS.items()]
    )
    status_on = DateField(_l("Achieved or dropped on (today if blank)"), validators=[Optional()])
    submit = SubmitField(_l("Save goal"))

    def __init__(self, partners: Sequence[Partner] = (), *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._partners = {p.id: p for p in partners}
        self.owner_id.choices = [SelectChoice(SHARED, _l("Shared: the couple's"))] + [
            SelectChoice(str(p.id), p.display_name) for p in partners
        ]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.owner_id.data not in (SHARED, *map(str, self._partners)):
            self.owner_id.errors = [*self.owner_id.errors, _l("Choose whose goal it is.")]
            valid = False
        return valid

    @staticmethod
    def prefill(goal: TreatmentGoal) -> dict:
        return {
            "title": goal.title,
            "description": goal.description,
            "owner_id": str(goal.owner_id) if goal.owner_id else SHARED,
            "opened_on": goal.opened_on,
            "status": goal.status,
            "status_on": goal.status_on,
        }

    def data_of(self) -> GoalData:
        owner = self._partners.get(int(self.owner_id.data)) if self.owner_id.data else None
        return GoalData(
            title=self.title.data or "",
            description=self.description.data or "",
            owner=owner,
            opened_on=self.opened_on.data,
            status=self.status.data,
            status_on=self.status_on.data,
        )


def rating_field(goal_id: int, partner_id: int | None = None) -> str:
    """The input's name: ``rating-<goal>-<partner>`` on a session page, ``rating-<goal>`` in a
    check-in (the partner is the link's)."""
    return f"rating-{goal_id}" if partner_id is None else f"rating-{goal_id}-{partner_id}"


def read_ratings(
    formdata: Mapping[str, str], keys: Sequence[tuple[int, int | None]]
) -> tuple[dict[tuple[int, int | None], int | None], dict[str, str]]:
    """The ratings typed for ``keys`` ((goal id, partner id or None)): their values (None for
    blank) and, by input name, a message for each that is not a whole number 0-10."""
    values: dict[tuple[int, int | None], int | None] = {}
    errors: dict[str, str] = {}
    for goal_id, partner_id in keys:
        name = rating_field(goal_id, partner_id)
        try:
            values[(goal_id, partner_id)] = rules.parse_rating(formdata.get(name, ""))
        except ValueError:
            errors[name] = rules.RATING_MESSAGE
    return values, errors


# --- A partner's own ratings in their check-in ------------------------------------------------


class RatingField(RadioField):
    """A 0-10 rating as eleven choices; blank is allowed (not rated this time), anything else
    is refused with the rating's one message."""

    def __init__(self, label: str, validators=None, **kwargs) -> None:
        super().__init__(
            label,
            choices=[SelectChoice(str(n), str(n)) for n in range(MIN_RATING, MAX_RATING + 1)],
            validators=[Optional(), *(validators or [])],
            **kwargs,
        )

    def pre_validate(self, form) -> None:
        if self.data not in {str(n) for n in range(MIN_RATING, MAX_RATING + 1)}:
            raise ValidationError(rules.RATING_MESSAGE)


def checkin_field(goal_id: int) -> str:
    return f"goal{goal_id}_rating"


def add_checkin_fields(form_class: type, goals: Sequence[TreatmentGoal]) -> None:
    """Give a check-in's form class one optional 0-10 question per active goal."""
    for goal in goals:
        setattr(form_class, checkin_field(goal.id), RatingField(goal.title))
    form_class.goal_ids = tuple(goal.id for goal in goals)


def checkin_ratings(form) -> dict[int, int]:
    """The ratings the partner gave in a validated check-in form: goal id -> 0-10."""
    found = {}
    for goal_id in getattr(form, "goal_ids", ()):
        value = getattr(form, checkin_field(goal_id)).data
        if value not in (None, ""):
            found[goal_id] = int(value)
    return found
