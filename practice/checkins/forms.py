"""The check-in page's form (built per link: one question per assigned script, the CSI-4
when due) and the counsellor's forms to issue and revoke links."""

from __future__ import annotations

from collections.abc import Sequence

from wtforms import EmailField, IntegerField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from practice.checkins import rules
from practice.checkins.models import BreakCaller, BreakOutcome, BreakReturn
from practice.checkins.operations import BreakAnswer, CheckinAnswers
from practice.core.i18n import _l
from practice.goals.forms import add_checkin_fields as add_goal_questions
from practice.goals.forms import checkin_ratings as goal_ratings
from practice.measures import checkin_measures
from practice.measures.csi4 import CSI4_ITEMS
from practice.measures.forms import SCALE_ENDS
from practice.web.forms import PracticeForm

YES_NO_UNSURE = [("yes", _l("Yes")), ("no", _l("No")), ("unsure", _l("Not sure"))]
CALLED_BY = [
    ("", _l("No break")),
    (BreakCaller.ME, _l("I did")),
    (BreakCaller.PARTNER, _l("My partner did")),
]
WITH_SCRIPT = [("", "—"), ("yes", _l("Yes")), ("no", _l("No"))]
WHEN = [("", "—"), ("0", _l("Today")), ("1", _l("Yesterday"))] + [
    (str(n), _l("%(n)s days ago", n=n)) for n in range(2, 7)
]
RETURNED = [
    ("", "—"),
    (BreakReturn.EARLY, _l("Yes, within 20 minutes")),
    (BreakReturn.WITHIN_DAY, _l("Yes, after 20 minutes to a day")),
    (BreakReturn.LATER, _l("Yes, after more than a day")),
    (BreakReturn.NOT_YET, _l("Not yet")),
]
REACHED_OUT = [
    ("", "—"),
    ("me", _l("I did")),
    ("me+words", _l("I did, with the words we practise")),
    ("partner", _l("My partner did")),
    ("partner+words", _l("My partner did, with the words we practise")),
]
WENT = [("", "—"), (BreakOutcome.CALMER, _l("Calmer")), (BreakOutcome.HARDER, _l("Harder"))]
CHOOSE_ONE = _l("Please choose one.")

# One row per break told: field name → (question, choices), in the order the page asks them.
BREAK_FIELDS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "called_by": (_l("Who called it?"), CALLED_BY),
    "days_ago": (_l("When?"), WHEN),
    "with_script": (_l("With the words you practise?"), WITH_SCRIPT),
    "returned": (_l("Did you come back to talk?"), RETURNED),
    "resumed_by": (_l("Who reached out?"), REACHED_OUT),
    "outcome": (_l("How did it go?"), WENT),
}

# The safety question, word for word (asked of each partner alone).
FEAR_QUESTION = _l("Since we last met, have you felt afraid of your partner?")


def _choices(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as the choices WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _csi4_choices(item) -> list[tuple[str, str]]:
    low, high = SCALE_ENDS[item.number]
    choices = []
    for score in range(item.minimum, item.maximum + 1):
        label = str(score)
        if score == item.minimum:
            label = f"{score} · {low}"
        elif score == item.maximum:
            label = f"{score} · {high}"
        choices.append((str(score), label))
    return choices


class _CheckinBase(PracticeForm):
    pattern_count = IntegerField(
        _l("This week, how many times did the two of you get caught in your pattern?"),
        validators=[
            InputRequired(_l("Please give a number; 0 is fine.")),
            NumberRange(0, rules.MAX_PATTERN_COUNT, _l("Please give a number from 0 to 99.")),
        ],
        render_kw={"inputmode": "numeric", "min": 0, "max": rules.MAX_PATTERN_COUNT},
    )
    hardest_moment = RadioField(
        _l("How hard was the hardest moment? (0 = not hard at all, 10 = the hardest it gets)"),
        choices=_choices((str(n), str(n)) for n in range(11)),
        validators=[InputRequired(CHOOSE_ONE)],
    )
    felt_afraid = RadioField(
        FEAR_QUESTION,
        choices=_choices([("no", _l("No")), ("yes", _l("Yes"))]),
        validators=[InputRequired(CHOOSE_ONE)],
    )

    script_ids: tuple[int, ...] = ()
    asks_csi4: bool = False
    # The registry's measures asked at every check-in (``practice.measures.checkin_measures``).
    measures: tuple = ()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for position in range(1, rules.MAX_BREAKS + 1):
            row = {name: getattr(self, f"break{position}_{name}") for name in BREAK_FIELDS}
            if not row["called_by"].data:
                continue
            missing = []
            if not row["days_ago"].data:
                missing.append(("days_ago", _l("Please say when.")))
            if not row["returned"].data:
                missing.append(("returned", _l("Please say whether you came back to talk.")))
            elif row["returned"].data != BreakReturn.NOT_YET:
                if not row["resumed_by"].data:
                    missing.append(("resumed_by", _l("Please say who reached out.")))
                if not row["outcome"].data:
                    missing.append(("outcome", _l("Please say how it went.")))
            elif row["resumed_by"].data or row["outcome"].data:
                missing.append(("returned", _l("You said you have not come back to it yet.")))
            if row["days_ago"].data == "0" and row["returned"].data == BreakReturn.LATER:
                missing.append(
                    ("returned", _l("A break called today cannot have ended a day later."))
                )
            for name, message in missing:
                row[name].errors = [*row[name].errors, message]
                valid = False
        half_answered = checkin_measures.answered(self, self.measures)[1] if valid else []
        self.form_errors.extend(half_answered)
        return valid and not half_answered

    def answers(self) -> CheckinAnswers:
        """The validated answers, for ``operations.submit_checkin``."""
        breaks = []
        for position in range(1, rules.MAX_BREAKS + 1):
            row = {name: getattr(self, f"break{position}_{name}").data for name in BREAK_FIELDS}
            if row["called_by"]:
                resumed = row["returned"] != BreakReturn.NOT_YET
                reached, _, words = (row["resumed_by"] or "").partition("+")
                breaks.append(
                    BreakAnswer(
                        called_by=row["called_by"],
                        returned=row["returned"],
                        with_script=_yes_no(row["with_script"]),
                        days_ago=int(row["days_ago"]),
                        resumed_by=reached if resumed else None,
                        with_invitation=bool(words) if resumed else None,
                        outcome=row["outcome"] if resumed else None,
                    )
                )
        scripts = {
            assignment_id: (
                _yes_no(getattr(self, f"script{assignment_id}_me").data),
                _yes_no(getattr(self, f"script{assignment_id}_partner").data),
            )
            for assignment_id in self.script_ids
        }
        csi4 = None
        if self.asks_csi4:
            csi4 = [int(getattr(self, f"csi4_item{item.number}").data) for item in CSI4_ITEMS]
        return CheckinAnswers(
            measures=checkin_measures.answered(self, self.measures)[0],
            pattern_count=self.pattern_count.data,
            hardest_moment=int(self.hardest_moment.data),
            felt_afraid=self.felt_afraid.data == "yes",
            breaks=breaks,
            scripts=scripts,
            csi4=csi4,
            goals=goal_ratings(self),
        )


def checkin_form(
    script_ids: Sequence[int],
    asks_csi4: bool,
    formdata=None,
    goals: Sequence = (),
    measures: Sequence = (),
) -> _CheckinBase:
    """The form for one link (``checkin_form_class``), read from ``formdata`` when given;
    with one 0-10 question per active goal (``practice.goals.forms``)."""
    form_class = checkin_form_class(script_ids, asks_csi4, measures)
    add_goal_questions(form_class, goals)
    if formdata is None:
        return form_class()
    return form_class(formdata=formdata)


def checkin_form_class(
    script_ids: Sequence[int], asks_csi4: bool, measures: Sequence = ()
) -> type[_CheckinBase]:
    """The form class for one link: a pair of questions per assigned script (``script_ids``),
    the CSI-4's four items when ``asks_csi4``, and the items of the registry's ``measures``
    asked at every check-in."""

    class CheckinForm(_CheckinBase):
        pass

    for position in range(1, rules.MAX_BREAKS + 1):
        for name, (label, choices) in BREAK_FIELDS.items():
            setattr(
                CheckinForm,
                f"break{position}_{name}",
                SelectField(label, choices=_choices(choices), default="", validators=[Optional()]),
            )
    for assignment_id in script_ids:
        setattr(
            CheckinForm,
            f"script{assignment_id}_me",
            RadioField(
                _l("Did you use it?"), choices=_choices(YES_NO_UNSURE), validators=[Optional()]
            ),
        )
        setattr(
            CheckinForm,
            f"script{assignment_id}_partner",
            RadioField(
                _l("Did your partner use it?"),
                choices=_choices(YES_NO_UNSURE),
                validators=[Optional()],
            ),
        )
    if asks_csi4:
        for item in CSI4_ITEMS:
            setattr(
                CheckinForm,
                f"csi4_item{item.number}",
                RadioField(
                    item.prompt,
                    choices=_choices(_csi4_choices(item)),
                    validators=[InputRequired(CHOOSE_ONE)],
                ),
            )
    checkin_measures.add_fields(CheckinForm, measures)
    CheckinForm.script_ids = tuple(script_ids)
    CheckinForm.asks_csi4 = asks_csi4
    CheckinForm.measures = tuple(measures)
    return CheckinForm


class IssueLinkForm(PracticeForm):
    """The case page's form: a link for one partner, e-mailed too where mail is set up."""

    partner_id = SelectField(_l("Partner"), coerce=int, validators=[InputRequired()])
    email = EmailField(
        _l("E-mail it to (optional; not stored)"),
        validators=[Optional(), Email(_l("Enter an e-mail address.")), Length(max=254)],
    )


class RevokeLinkForm(PracticeForm):
    """Revoke one unused link (the link is named by the URL; the form carries the CSRF token)."""
