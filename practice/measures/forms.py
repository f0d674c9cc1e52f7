"""The CSI-4 form: four items per partner, any partner may be left blank; and the forms that
record and withdraw a partner's consent to share their scores."""

from __future__ import annotations

from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Optional, ValidationError
from wtforms.widgets import HiddenInput

from practice.core.i18n import _, _l
from practice.measures.consent import ShareAudience
from practice.measures.csi4 import CSI4_ITEMS, Csi4Item
from practice.measures.shipped import CSI4
from practice.web.autosave import PayloadError, whole_number
from practice.web.forms import PracticeForm, PracticeSubform

# The words at the two ends of each item's answer scale (Funk & Rogge 2007), by item number:
# the anchors of the registry's CSI-4 definition.
SCALE_ENDS: dict[int, tuple[str, str]] = {
    item.number: (item.low_label, item.high_label) for item in CSI4.items
}


def _whole_number(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    return int(value)


def _range_message(item: Csi4Item) -> str:
    return f"Item {item.number} must be a whole number from {item.minimum} to {item.maximum}."


def _in_range(item: Csi4Item):
    def check(form: Form, field: RadioField) -> None:
        # A value that was not even a number already carries the same message.
        if not field.errors and not item.minimum <= field.data <= item.maximum:
            raise ValidationError(_range_message(item))

    return check


def _choice_label(item: Csi4Item, score: int) -> str:
    low, high = SCALE_ENDS[item.number]
    if score == item.minimum:
        return f"{score} · {low}"
    if score == item.maximum:
        return f"{score} · {high}"
    return str(score)


def _item_field(item: Csi4Item) -> RadioField:
    return RadioField(
        f"{item.number}. {item.prompt}",
        coerce=_whole_number,
        choices=[
            SelectChoice(score, _choice_label(item, score))
            for score in range(item.minimum, item.maximum + 1)
        ],
        validate_choice=False,
        invalid_value_message=_range_message(item),
        validators=[Optional(), _in_range(item)],
    )


class PartnerCsi4(PracticeSubform):
    """One partner's four answers; all four or none."""

    partner_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    item_1 = _item_field(CSI4_ITEMS[0])
    item_2 = _item_field(CSI4_ITEMS[1])
    item_3 = _item_field(CSI4_ITEMS[2])
    item_4 = _item_field(CSI4_ITEMS[3])

    @property
    def item_fields(self) -> list[RadioField]:
        return [self.item_1, self.item_2, self.item_3, self.item_4]

    @property
    def answered(self) -> bool:
        return any(field.data is not None for field in self.item_fields)

    @property
    def items(self) -> list[int]:
        return [field.data for field in self.item_fields]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.answered and None in self.items:
            self.form_errors.append(_("Answer all four items, or leave all four blank."))
            return False
        return valid


class Csi4Form(PracticeForm):
    """The CSI-4 at this session for every partner of the case."""

    partners = FieldList(FormField(PartnerCsi4), min_entries=0)
    submit = SubmitField(_l("Save CSI-4"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if any(entry.partner_id.errors for entry in self.partners):
            self.form_errors.append(
                _("The form did not match this case's partners. Reload the page.")
            )
        elif valid and not any(entry.answered for entry in self.partners):
            self.form_errors.append(_("Answer the four items for at least one partner."))
            return False
        return valid

    def answers(self) -> dict[int, list[int]]:
        """{partner id: four item scores} for the partners who were measured."""
        return {entry.partner_id.data: entry.items for entry in self.partners if entry.answered}


class _ConsentForm(PracticeForm):
    """Whose consent, to which audience: hidden fields of a row of the sharing page."""

    partner_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    audience = StringField(
        widget=HiddenInput(),
        validators=[
            InputRequired(),
            AnyOf([a.value for a in ShareAudience], message="Unknown audience."),
        ],
    )


class GiveConsentForm(_ConsentForm):
    """A partner's consent to share their scores, dated the day they gave it."""

    given_on = DateField(
        _l("Consent given on"), validators=[InputRequired(message="Enter the day it was given.")]
    )
    give = SubmitField(_l("Record consent"))


class WithdrawConsentForm(_ConsentForm):
    """The withdrawal of a partner's consent, dated the day they withdrew it."""

    withdrawn_on = DateField(
        _l("Withdrawn on"), validators=[InputRequired(message="Enter the day it was withdrawn.")]
    )
    withdraw = SubmitField(_l("Record withdrawal"))


def csi4_autosave_payload(payload: object) -> tuple[int, list[int]]:
    """The partner id and four item scores of a CSI-4 autosave body; raises PayloadError.

    One partner at a time, all four items: the page keeps a partner's answers until all four
    are given (CSI-4 answers are all or none).
    """
    if not isinstance(payload, dict):
        raise PayloadError("Send a JSON object with partner_id and items (four whole numbers).")
    errors: dict[str, str] = {}
    partner_id = payload.get("partner_id")
    if not whole_number(partner_id):
        errors["partner_id"] = "The partner must be given by its number."
    items = payload.get("items")
    if not isinstance(items, list) or len(items) != len(CSI4_ITEMS):
        errors["items"] = f"Send all {len(CSI4_ITEMS)} items, one whole number each."
    else:
        for item, score in zip(CSI4_ITEMS, items, strict=True):
            if not whole_number(score) or not item.minimum <= score <= item.maximum:
                errors[f"item_{item.number}"] = _range_message(item)
    if errors:
        raise PayloadError(f"The answers were not saved. {' '.join(errors.values())}", errors)
    return partner_id, items
