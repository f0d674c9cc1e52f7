"""Hand-over pages: deactivating a counsellor who carries cases, and reassigning one case.

Administrators reach these pages without reading the clinical record: they show references,
statuses and names of staff only.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from practice import audit
from practice.accounts.models import Role, StaffMember
from practice.cases import handover
from practice.cases.handover_forms import ReassignForm, case_field, choices, handover_form
from practice.core.database import db
from practice.core.i18n import _, ngettext
from practice.web import access
from practice.web.refusals import refusal_shown_on

bp = Blueprint("handover", __name__)


@bp.route("/admin/staff/<int:member_id>/hand-over", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def deactivate(member_id: int):
    """Deactivate a staff member, handing each of their open cases to someone first."""
    admin = access.current_staff()
    leaving = db.get(StaffMember, member_id) or abort(404)
    cases = handover.open_cases_of(leaving)
    form = handover_form(cases, handover.targets(admin, leaving))
    if form.validate_on_submit():
        moves = {case.id: form[case_field(case.id)].data for case in cases}
        with refusal_shown_on(form):
            records = handover.hand_over_and_deactivate(leaving, moves, admin, form.reason.data)
            flash(
                ngettext(
                    "%(name)s was deactivated; %(num)s case handed over.",
                    "%(name)s was deactivated; %(num)s cases handed over.",
                    len(records),
                    name=leaving.display_name,
                ),
                "success",
            )
            return redirect(url_for("practice.admin.staff"))
    audit.record("handover_form_viewed", obj=leaving, detail={"open_cases": len(cases)})
    return render_template(
        "practice/admin/hand_over.html",
        form=form,
        member=leaving,
        cases=[(case, form[case_field(case.id)]) for case in cases],
    )


@bp.route("/cases/<int:case_id>/reassign", methods=["GET", "POST"])
@access.roles(Role.SUPERVISOR, Role.ADMIN)
def reassign(case_id: int):
    member = access.current_staff()
    case = handover.case_to_reassign(member, case_id)
    form = ReassignForm()
    form.to_counsellor_id.choices = choices(handover.targets(member, case.counsellor))
    if form.validate_on_submit():
        to = db.get(StaffMember, form.to_counsellor_id.data or 0)
        with refusal_shown_on(form):
            handover.reassign_case(case, to, member, form.reason.data)
            flash(
                _(
                    "%(reference)s was handed to %(name)s.",
                    reference=case.reference,
                    name=to.display_name,
                ),
                "success",
            )
            if member.role == Role.ADMIN:
                return redirect(url_for("practice.admin.staff"))
            return redirect(url_for("practice.case_page.show", case_id=case.id))
    audit.record("reassign_form_viewed", obj=case)
    return render_template(
        "practice/cases/reassign.html",
        form=form,
        case=case,
        history=handover.history(case),
    )
