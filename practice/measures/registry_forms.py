"""The form of any session measure of the registry: each partner's answers, item by item, with
the item's anchors. Built for the measure and the case's partners (the fields differ by both)."""

from __future__ import annotations

from collections.abc import Sequence

from wtforms import DecimalField, RadioField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from practice.cases.models import Partner
from practice.core.i18n import _
from practice.measures.registry import MeasureDefinition, MeasureItem
from practice.web.forms import PracticeForm

# Whole-number items with at most this many answers are radio buttons; others a number box.
MAX_RADIOS = 11


def field_name(index: int, item: MeasureItem) -> str:
    """The field of the ``index``-th partner of the case (0, 1, …) for ``item``: by place, not
    id, so that the names are the same in every case."""
    return f"p{index}_i{item.number}"


def _range_message(definition: MeasureDefinition, item: MeasureItem) -> str:
    kind = (
        "a whole number"
        if definition.decimals == 0
        else f"a number ({definition.decimals} decimal)"
    )
    return f"Item {item.number} must be {kind} from {item.minimum:g} to {item.maximum:g}."


def _choice_label(item: MeasureItem, value: int) -> str:
    label = item.anchor_label(value)
    return f"{value} · {label}" if label else str(value)


def item_field(definition: MeasureDefinition, item: MeasureItem):
    """The field of one item: radio buttons for a short whole-number scale, else a number box."""
    message = _range_message(definition, item)
    label = f"{item.number}. {item.wording}"
    steps = int(item.maximum - item.minimum) + 1
    if definition.decimals == 0 and steps <= MAX_RADIOS:
        return RadioField(
            label,
            coerce=int,
            choices=[
                SelectChoice(v, _choice_label(item, v))
                for v in range(int(item.minimum), int(item.maximum) + 1)
            ],
            validate_choice=False,
            invalid_value_message=message,
            validators=[Optional(), NumberRange(item.minimum, item.maximum, message=message)],
        )
    return DecimalField(
        label,
        places=None,
        validators=[
            Optional(),
            NumberRange(item.minimum, item.maximum, message=message),
        ],
        render_kw={
            "inputmode": "decimal",
            "min": f"{item.minimum:g}",
            "max": f"{item.maximum:g}",
            "step": "1" if definition.decimals == 0 else f"{10**-definition.decimals:g}",
        },
    )


class _MeasureForm(PracticeForm):
    definition: MeasureDefinition
    partners: Sequence[Partner]

    def fields_of(self, partner: Partner) -> list:
        index = self.partners.index(partner)
        return [self[field_name(index, item)] for item in self.definition.items]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not valid:
            return False
        answered = 0
        for partner in self.partners:
            values = [f.data for f in self.fields_of(partner)]
            if all(v is None for v in values):
                continue
            if any(v is None for v in values):
                self.form_errors.append(
                    _(
                        "%(name)s: answer every item, or leave them all blank.",
                        name=partner.display_name,
                    )
                )
                return False
            answered += 1
        if not answered:
            self.form_errors.append(_("Answer the items for at least one partner."))
            return False
        return True

    def answers(self) -> dict[int, list[float]]:
        """{partner id: answers in item order} for the partners who answered."""
        found = {}
        for partner in self.partners:
            values = [f.data for f in self.fields_of(partner)]
            if all(v is not None for v in values):
                found[partner.id] = [int(v) if float(v).is_integer() else float(v) for v in values]
        return found


def measure_form(
    definition: MeasureDefinition, partners: Sequence[Partner], **kwargs
) -> _MeasureForm:
    """The form of ``definition`` for ``partners``; ``kwargs`` as for any Flask-WTF form."""
    attrs = {"definition": definition, "partners": tuple(partners)}
    for index in range(len(partners)):
        for item in definition.items:
            attrs[field_name(index, item)] = item_field(definition, item)
    attrs["submit"] = SubmitField(_("Save %(key)s", key=definition.key))
    form_class = type(f"MeasureForm_{definition.key}", (_MeasureForm,), attrs)
    return form_class(**kwargs)
