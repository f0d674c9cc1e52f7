"""A case's full export (JSON and its reports, zipped) for the counsellor or an administrator."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from practice import audit
from practice.accounts.reauth import export_password_confirmed
from practice.cases import export as case_export
from practice.cases.scoping import case_for_viewer
from practice.core.database import utcnow
from practice.web import access
from practice.web.forms import ExportConfirmForm

bp = Blueprint("case_export", __name__)


@bp.route("/cases/<int:case_id>/export", methods=["GET", "POST"])
@access.staff
def export(case_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    if not case_export.may_export(member, case):
        # In scope but not theirs to take away (a supervisor reviews only): refused access.
        abort(403)
    form = ExportConfirmForm()
    if export_password_confirmed(form, lambda: case_export.record_refusal(case, member)):
        data = case_export.export_case(case, member)
        response = Response(data, mimetype="application/zip")
        name = case_export.filename(case, utcnow().date())
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "no-store"
        return response
    page = render_template("practice/cases/export.html", case=case, form=form)
    # The password page names the case: a read, audited like the case's other pages.
    audit.record("case_viewed", obj=case, detail={"view": "export"})
    return page
