"""A case's full export (JSON and its reports, zipped) for the counsellor or an administrator."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from practice.accounts.reauth import export_password_confirmed
from practice.cases import export as case_export
from practice.cases import scoping
from practice.cases.views import record_case_view
from practice.core.database import db, utcnow
from practice.web import access
from practice.web.forms import ExportConfirmForm

bp = Blueprint("case_export", __name__)


@bp.route("/cases/<int:case_id>/export", methods=["GET", "POST"])
@access.staff
def export(case_id: int):
    member = access.current_staff()
    case = scoping.case_for_viewer(member, case_id)
    if not case_export.may_export(member, case):
        abort(403)
    form = ExportConfirmForm()
    if export_password_confirmed(form, lambda: case_export.record_refusal(case, member)):
        data = case_export.export_case(case, member)
        db.commit()
        response = Response(data, mimetype="application/zip")
        name = case_export.filename(case, utcnow().date())
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "no-store"
        return response
    page = render_template("practice/cases/export.html", case=case, form=form)
    # The password page names the case: a read, audited like the case's other pages.
    record_case_view(case, "export")
    return page
