"""The safety screens of a case: the page listing them with each partner's standing, and the
form that records one partner's screen.

Only the case's counsellor and their supervisor read these pages (``Sensitivity.SAFETY``);
only the counsellor records. Every read and write is audited, by ids only.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from practice import audit
from practice.cases.models import Partner
from practice.cases.operations import latest_opening_date
from practice.cases.scoping import can_edit, case_for_viewer
from practice.core.database import db, utcnow
from practice.core.errors import NotFound
from practice.core.i18n import _
from practice.safety import operations, queries, screening
from practice.safety.forms import ScreenForm
from practice.web import access
from practice.web.access import Sensitivity
from practice.web.refusals import refusal_shown_on

bp = Blueprint("safety", __name__)


@bp.route("/cases/<int:case_id>/safety")
@access.sensitive(Sensitivity.SAFETY)
def case_screens(case_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id, Sensitivity.SAFETY)
    audit.record("safety_screens_viewed", obj=case)
    return render_template(
        "practice/safety/case.html",
        case=case,
        safety=queries.case_safety(case, operations.local_day(utcnow())),
        screens=queries.screens_with_partners(case.id),
        overrides=queries.overrides_of_case(case.id),
        can_edit=can_edit(member, case),
        screening=screening,
    )


@bp.route("/cases/<int:case_id>/safety/partners/<int:partner_id>/screen", methods=["GET", "POST"])
@access.sensitive(Sensitivity.SAFETY)
def screen_partner(case_id: int, partner_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id, Sensitivity.SAFETY)
    partner = db.get(Partner, partner_id)
    if partner is None or partner.case_id != case.id:
        raise NotFound()
    if not can_edit(member, case):
        # Read-only here: a supervisor reads screens, only the counsellor records them.
        abort(403)
    form = ScreenForm()
    if form.validate_on_submit():
        with refusal_shown_on(form):
            operations.record_screen(
                case,
                partner.id,
                form.items(),
                form.afraid.data == "yes",
                form.decision.data,
                form.screened_on.data,
                member,
            )
            flash(
                _("The safety screen of %(name)s was recorded.", name=partner.display_name),
                "success",
            )
            return redirect(url_for(".case_screens", case_id=case.id))
    elif not form.is_submitted():
        form.screened_on.data = operations.local_day(utcnow())
    audit.record("safety_screen_form_viewed", obj=case, detail={"partner_id": partner.id})
    return render_template(
        "practice/safety/screen.html",
        case=case,
        partner=partner,
        form=form,
        latest_date=latest_opening_date(),
        screening=screening,
    )
