"""Progress reports of a case: list, preview, generate, download."""

from __future__ import annotations

import re
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Case
from practice.cases.scoping import can_edit, case_for_editor, case_for_viewer
from practice.core.database import db
from practice.reporting import jobs
from practice.reporting import operations as reports
from practice.reporting.forms import ReportForm
from practice.reporting.operations import MAX_NARRATIVE_LENGTH
from practice.reports import pdf
from practice.web import access

bp = Blueprint("reports", __name__)

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


def _page(case: Case, member: StaffMember, form: ReportForm, refused: str = "") -> str:
    """The case's reports page, its read audited and committed.

    ``refused``: the form (``preview`` or ``generate``) being shown again, with its errors.
    """
    in_hand = jobs.single_reports_in_hand(member, case)
    page = render_template(
        "practice/reports/index.html",
        case=case,
        form=form,
        reports=reports.reports_of_case(case),
        can_edit=can_edit(member, case),
        max_narrative=MAX_NARRATIVE_LENGTH,
        jobs_in_hand=[(job, jobs.progress(job)) for job in in_hand],
        period_label=jobs.period_label,
    )
    # After rendering, as the session pages do: the commit expires what the page reads.
    audit.record("reports_listed", obj=case, detail={"page": refused} if refused else None)
    db.commit()
    return page


def _asset_url(name: str) -> str:
    return url_for("practice.reports.asset", name=name)


@bp.route("/cases/<int:case_id>/reports")
@access.staff
def index(case_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    start, end = reports.default_period(case, date.today())
    return _page(case, member, ReportForm(period_start=start, period_end=end))


@bp.route("/cases/<int:case_id>/reports/preview", methods=["POST"])
@access.staff
def preview(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    form = ReportForm()
    if form.validate_on_submit():
        data = (form.period_start.data, form.period_end.data, form.audience.data)
        try:
            html = reports.preview_html(case, *data, form.narrative.data or "", member, _asset_url)
        except reports.ReportError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            return Response(html, mimetype="text/html")
    return _page(case, member, form, refused="preview")


@bp.route("/cases/<int:case_id>/reports", methods=["POST"])
@access.staff
def generate(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    form = ReportForm()
    if form.validate_on_submit():
        asked = (
            form.period_start.data,
            form.period_end.data,
            form.audience.data,
            form.narrative.data or "",
        )
        try:
            if jobs.redis_url():
                _queue_report(case, member, *asked)
            else:
                _render_report_now(case, member, *asked)
        except (reports.ReportError, jobs.JobError) as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            return redirect(url_for(".index", case_id=case.id))
    return _page(case, member, form, refused="generate")


def _queue_report(case: Case, member: StaffMember, *asked) -> None:
    """With a queue, the worker renders: this request only records the job."""
    jobs.start_single_report(member, case, *asked)
    db.commit()
    flash("The report is being generated; it is listed here when it is ready.", "success")


def _render_report_now(case: Case, member: StaffMember, *asked) -> None:
    rendered = reports.render_report(case, *asked, member)
    # End the reading transaction before writing: on SQLite, a read that turns into a write
    # after a second of rendering fails if another request committed meanwhile.
    db.rollback()
    report = reports.record_report(rendered, member)
    db.commit()
    flash(f"The {report.audience} report ({report.page_count} pages) was generated.", "success")


@bp.route("/reports/<int:report_id>/download")
@access.staff
def download(report_id: int):
    member = access.current_staff()
    report, case = reports.report_for_viewer(member, report_id)
    try:
        data = reports.read_report(report, member)
    except reports.ReportError as error:
        db.rollback()
        flash(str(error), "error")
        return redirect(url_for(".index", case_id=case.id))
    db.commit()
    name = _UNSAFE_FILENAME.sub("_", reports.download_name(report, case.reference))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/reports/assets/<path:name>")
@access.public
def asset(name: str):
    """The report's packaged stylesheets for the browser preview; public like static files."""
    try:
        path = pdf.asset_path(name)
    except pdf.RefusedURL:
        abort(404)
    return send_file(path, mimetype=pdf.ASSET_TYPES[path.suffix])
