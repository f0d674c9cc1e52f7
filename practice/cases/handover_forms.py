"""Forms of hand-over (reassignment, deactivation with hand-over) and break-glass openings."""

from __future__ import annotations

from collections.abc import Sequence

from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from practice.accounts.models import StaffMember
from practice.cases import break_glass, handover
from practice.cases.models import Case
from practice.core.i18n import _, _l
from practice.web.forms import PracticeForm, strip_whitespace

_NOBODY = SelectChoice(0, _l("— choose —"))


def _reason_field(label: object, limit: int) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[strip_whitespace],
        validators=[
            DataRequired(_l("Give the reason.")),
            Length(
                max=limit, message=_l("Keep the reason under %(limit)s characters.", limit=limit)
            ),
        ],
    )


def choices(staff: Sequence[StaffMember]) -> list[SelectChoice]:
    return [
        _NOBODY,
        *(
            SelectChoice(m.id, _("%(name)s (%(role)s)", name=m.display_name, role=m.role))
            for m in staff
        ),
    ]


class ReassignForm(PracticeForm):
    """Hand one case to another counsellor, with the reason (kept in the case's history)."""

    to_counsellor_id = SelectField(_l("Hand the case to"), coerce=int)
    reason = _reason_field(_l("Reason (kept in the case's history)"), handover.MAX_REASON_LENGTH)
    submit = SubmitField(_l("Hand over"))


def case_field(case_id: int) -> str:
    return f"case_{case_id}"


def handover_form(cases: Sequence[Case], staff: Sequence[StaffMember]) -> PracticeForm:
    """A form with one select per open case (who takes it over) and one reason for all."""

    class HandoverForm(PracticeForm):
        reason = _reason_field(
            _l("Reason (kept in each case's history)"), handover.MAX_REASON_LENGTH
        )
        submit = SubmitField(_l("Hand over and deactivate"))

    for case in cases:
        setattr(
            HandoverForm,
            case_field(case.id),
            SelectField(
                _(
                    "%(reference)s (%(status)s) goes to",
                    reference=case.reference,
                    status=case.status,
                ),
                coerce=int,
            ),
        )
    form = HandoverForm()
    for case in cases:
        form[case_field(case.id)].choices = choices(staff)
    return form


class BreakGlassForm(PracticeForm):
    """An administrator opens one case's record: its reference and the reason (required)."""

    reference = StringField(
        _l("Case reference"),
        filters=[strip_whitespace],
        validators=[DataRequired(_l("Enter the case's reference.")), Length(max=16)],
    )
    reason = _reason_field(
        _l("Reason (shown to the case's counsellor and kept in the audit log)"),
        break_glass.MAX_REASON_LENGTH,
    )
    submit = SubmitField(_l("Open the record"))
