"""The cycle map's form: each partner's side (eight short texts, the link, the evidence)."""

from __future__ import annotations

from collections.abc import Sequence

from wtforms import BooleanField, FormField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from practice.core.i18n import _l
from practice.formulation import rules
from practice.formulation.models import MAX_TEXT, CycleMapSide
from practice.formulation.operations import SideData
from practice.moments.models import Moment
from practice.web.forms import PracticeForm, PracticeSubform

_TOO_LONG = _l("At most %(max)s characters: keep it short.", max=MAX_TEXT)


def _text(label: str) -> TextAreaField:
    return TextAreaField(_l(label), validators=[Length(max=MAX_TEXT, message=_TOO_LONG)])


class SideForm(PracticeSubform):
    """One partner's side of the loop."""

    trigger = _text(rules.LABELS["trigger"])
    action = _text(rules.LABELS["action"])
    self_view = _text(rules.LABELS["self_view"])
    other_view = _text(rules.LABELS["other_view"])
    reactive_emotion = _text(rules.LABELS["reactive_emotion"])
    primary_emotion = _text(rules.LABELS["primary_emotion"])
    attachment_fear = _text(rules.LABELS["attachment_fear"])
    need = _text(rules.LABELS["need"])
    action_triggers_other = BooleanField(_l("This partner's action sets off the other's trigger"))
    # Ticks rather than a multiple select: easy on a phone, no Ctrl-click to learn.
    evidence = SelectMultipleField(
        _l("Moments that back the primary emotion and need"),
        coerce=int,
        validate_choice=True,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def side_data(self) -> SideData:
        return SideData(
            values={name: self[name].data or "" for name in rules.FIELD_NAMES},
            triggers_other=bool(self.action_triggers_other.data),
            evidence_moment_ids=tuple(self.evidence.data or ()),
        )


class CycleMapForm(PracticeForm):
    """Both partners' sides: ``first`` is the case's first partner, ``second`` the other."""

    first = FormField(SideForm)
    second = FormField(SideForm)
    submit = SubmitField(_l("Save the revision"))

    def set_evidence_choices(self, choices: Sequence[Sequence[Moment]], labels) -> None:
        """The evidence each partner may pick from (their own moments), labelled."""
        for sub, moments in zip((self.first, self.second), choices, strict=True):
            sub.form.evidence.choices = [(m.id, labels(m)) for m in moments]

    @staticmethod
    def prefill(sides: Sequence[CycleMapSide | None]) -> dict:
        data = {}
        for key, side in zip(("first", "second"), sides, strict=True):
            if side is None:
                data[key] = {"action_triggers_other": True}
                continue
            data[key] = {name: getattr(side, name) for name in rules.FIELD_NAMES}
            data[key]["action_triggers_other"] = side.action_triggers_other
            data[key]["evidence"] = [e.moment_id for e in side.evidence]
        return data
