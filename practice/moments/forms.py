"""Forms for tagging a moment on the session page and for the moment vocabulary."""

from __future__ import annotations

from typing import Any

from wtforms import ColorField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from practice.cases.models import Case
from practice.core.i18n import _l
from practice.moments.balance import VALENCE_LABELS
from practice.moments.interaction import OUTCOME_LABELS
from practice.moments.models import Moment, MomentType
from practice.moments.operations import DEFAULT_INTENSITY, MAX_CONTEXT, together_label
from practice.moments.vocabulary import group_by_valence
from practice.web.forms import PracticeForm

# The "Both" choice of the partner select: no single partner.
TOGETHER = ""


def _optional_int(value: Any) -> int | None:
    """Coerce a select's value; empty means none, anything unreadable becomes -1 (refused
    later with a clear message rather than a bare "Not a valid choice")."""
    if value is None or value == TOGETHER:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


class WholeNumberField(IntegerField):
    """An integer input whose unreadable value gets a plain-language message."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or valuelist[0] == "":
            self.data = None
            return
        try:
            self.data = int(valuelist[0])
        except ValueError as error:
            self.data = None
            raise ValueError("Enter a whole number.") from error


class MomentForm(PracticeForm):
    """A moment on the session page: type, partner or both, minute, intensity and context.

    Ranges that depend on the session (minute) and the case (partner) are checked by
    ``operations``, the rules' one home; the form keeps what was typed.
    """

    moment_type_id = SelectField(
        _l("Moment type"), coerce=_optional_int, validate_choice=False, validators=[InputRequired()]
    )
    partner_id = SelectField(_l("Partner"), coerce=_optional_int, validate_choice=False)
    minute = WholeNumberField(
        _l("Minute into the session"), validators=[InputRequired("Give the minute.")]
    )
    intensity = WholeNumberField(
        _l("Intensity (1 mild – 5 intense)"),
        default=DEFAULT_INTENSITY,
        validators=[InputRequired("Give the intensity, 1 to 5.")],
    )
    context = TextAreaField(
        _l("Context or quote (optional)"),
        validators=[
            Optional(),
            Length(
                max=MAX_CONTEXT,
                message=f"Keep the context to {MAX_CONTEXT} characters or fewer.",
            ),
        ],
    )
    # Directed moments (``practice.moments.directed`` checks them): whom it is aimed at, the
    # earlier moment it answers, how it was met.
    target_partner_id = SelectField(
        _l("Aimed at (optional)"), coerce=_optional_int, validate_choice=False
    )
    answers_moment_id = SelectField(
        _l("Answers the moment (optional)"), coerce=_optional_int, validate_choice=False
    )
    outcome = SelectField(
        _l("Outcome (optional)"),
        choices=[SelectChoice("", "Not recorded")]
        + [SelectChoice(str(value), words) for value, words in OUTCOME_LABELS.items()],
        coerce=lambda value: value or None,
        validate_choice=False,
    )
    submit = SubmitField(_l("Add moment"))

    def set_directed_choices(self, case: Case, earlier: list[Moment]) -> None:
        """The partners a moment may be aimed at, and the moments it may answer (minute, type,
        partner; never the context)."""
        self.target_partner_id.choices = [SelectChoice(TOGETHER, "No one in particular")] + [
            SelectChoice(p.id, p.display_name) for p in case.partners
        ]
        together = together_label(case.kind)
        self.answers_moment_id.choices = [SelectChoice(TOGETHER, "Nothing")] + [
            SelectChoice(
                m.id,
                f"min {m.minute} · {m.moment_type.label} · "
                f"{m.partner.display_name if m.partner else together}",
            )
            for m in earlier
        ]

    def set_choices(self, types: list[MomentType], case: Case, current: MomentType | None) -> None:
        """Active types grouped by valence (plus a retired current one), and the case's
        partners with "Both"."""
        choices = [
            SelectChoice(t.id, t.label, optgroup=words)
            for _valence, words, members in group_by_valence(types)
            for t in members
        ]
        if current is not None and not current.active:
            choices.append(
                SelectChoice(current.id, f"{current.label} (retired)", optgroup="Retired")
            )
        self.moment_type_id.choices = choices
        partners = [SelectChoice(p.id, p.display_name) for p in case.partners]
        together = SelectChoice(TOGETHER, together_label(case.kind))
        if len(partners) == 2:
            partners.insert(1, together)  # A, Both, B: the order of the live screen
        elif len(partners) > 2:
            partners.append(together)
        self.partner_id.choices = partners


class MomentTypeForm(PracticeForm):
    """An administrator's edit of a moment type; the key is derived from the label.

    Every rule (lengths, colour form, shortcut) is checked by ``vocabulary`` in one pass, so a
    refused form shows all its problems at once rather than one round at a time.
    """

    label = StringField(_l("Label"))
    description = TextAreaField(_l("Description (optional)"))
    valence = SelectField(
        _l("Valence"),
        choices=[SelectChoice(str(value), words) for value, words in VALENCE_LABELS.items()],
        validate_choice=False,
    )
    colour = ColorField(_l("Colour"), default="#555555")
    shortcut = StringField(_l("Keyboard shortcut in live mode (optional)"))
    submit = SubmitField(_l("Save moment type"))
