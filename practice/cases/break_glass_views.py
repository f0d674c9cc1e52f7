"""Break-glass pages: an administrator opens one case's record with a reason; the case's
counsellor acknowledges the notice of it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from practice.accounts.models import Role
from practice.cases import break_glass
from practice.cases.handover_forms import BreakGlassForm
from practice.cases.scoping import case_for_editor
from practice.core.i18n import _
from practice.web import access
from practice.web.forms import ConfirmForm
from practice.web.refusals import refusal_flashed, refusal_shown_on

bp = Blueprint("break_glass", __name__)


@bp.route("/admin/break-glass", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def index():
    admin = access.current_staff()
    form = BreakGlassForm()
    if form.validate_on_submit():
        case = break_glass.case_by_reference(form.reference.data)
        if case is None:
            form.reference.errors = [*form.reference.errors, _("No case has this reference.")]
        else:
            with refusal_shown_on(form):
                break_glass.open_record(admin, case, form.reason.data)
                flash(
                    _(
                        "The record of %(reference)s is open to you for %(minutes)s minutes; "
                        "every read is audited and its counsellor is told.",
                        reference=case.reference,
                        minutes=break_glass.minutes_setting(),
                    ),
                    "warning",
                )
                return redirect(url_for("practice.case_page.show", case_id=case.id))
    return render_template(
        "practice/admin/break_glass.html",
        form=form,
        openings=break_glass.open_for(admin),
        minutes=break_glass.minutes_setting(),
    )


@bp.route("/cases/<int:case_id>/break-glass/acknowledge", methods=["POST"])
@access.staff
def acknowledge(case_id: int):
    """The case's counsellor has read the notices of openings of this case."""
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    if ConfirmForm().validate_on_submit():
        with refusal_flashed():
            count = break_glass.acknowledge_case(member, case)
            if count:
                flash(_("Noted."), "success")
    return redirect(url_for("practice.case_page.show", case_id=case.id))
