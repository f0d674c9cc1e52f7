"""Progress reports of a case: list, preview, generate (on the report queue), download.

The request owns its transaction (``practice.core.unit_of_work``); a report asked for here is a
one-case report job, enqueued once the request has committed it, and the page lists it "in
preparation" until the queue has generated it.
"""

from __future__ import annotations

import re
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
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
from practice.core.i18n import _
from practice.reporting import job_progress, jobs, operations, prerender, queue
from practice.reporting.forms import ReportForm
from practice.reporting.models import Report
from practice.reporting.operations import MAX_NARRATIVE_LENGTH
from practice.reports import pdf
from practice.web import access
from practice.web.refusals import refusal_flashed, refusal_shown_on

bp = Blueprint("reports", __name__)
bp.before_request(queue.ensure_worker_thread)
bp.teardown_request(queue.enqueue_requested)

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


def _page(case: Case, member: StaffMember, form: ReportForm, refused: str = "") -> str:
    """The case's reports page, its read audited.

    ``refused``: the form (``preview`` or ``generate``) being shown again, with its errors.
    """
    in_hand = jobs.single_reports_in_hand(member, case)
    latest = prerender.peek_default(case)
    if latest.report is None and latest.job is None and _prepares_by_itself():
        latest = prerender.DefaultReport(None, prerender.start_preparing(case, member))
    page = render_template(
        "practice/reports/index.html",
        case=case,
        form=form,
        reports=operations.reports_of_case(case),
        can_edit=can_edit(member, case),
        max_narrative=MAX_NARRATIVE_LENGTH,
        jobs_in_hand=[(job, job_progress.progress(job)) for job in in_hand],
        period_label=job_progress.period_label,
        latest=latest,
        latest_progress=job_progress.progress(latest.job) if latest.job else None,
    )
    audit.record("reports_listed", obj=case, detail={"page": refused} if refused else None)
    return page


def _prepares_by_itself() -> bool:
    return bool(current_app.config.get("PRACTICE_PRERENDER_REPORTS"))


def _pdf_response(data: bytes, report: Report, case: Case) -> Response:
    name = _UNSAFE_FILENAME.sub("_", operations.download_name(report, case.reference))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _asset_url(name: str) -> str:
    return url_for("practice.reports.asset", name=name)


@bp.route("/cases/<int:case_id>/reports")
@access.staff
def index(case_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    start, end = operations.default_period(case, date.today())
    return _page(case, member, ReportForm(period_start=start, period_end=end))


@bp.route("/cases/<int:case_id>/reports/preview", methods=["POST"])
@access.staff
def preview(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    form = ReportForm()
    if form.validate_on_submit():
        with refusal_shown_on(form):
            html = operations.preview_html(
                case,
                *form.request(),
                member,
                _asset_url,
                recommendations=form.recommendations.data or "",
            )
            return Response(html, mimetype="text/html")
    return _page(case, member, form, refused="preview")


@bp.route("/cases/<int:case_id>/reports", methods=["POST"])
@access.staff
def generate(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    form = ReportForm()
    if form.validate_on_submit():
        with refusal_shown_on(form):
            queue.check_reachable()
            job = jobs.start_single_report(
                member, case, *form.request(), form.recommendations.data or ""
            )
            queue.enqueue_after_request(job.id)
            flash(
                _("The report is being generated; it is listed here when it is ready."), "success"
            )
            return redirect(url_for(".index", case_id=case.id))
    return _page(case, member, form, refused="generate")


@bp.route("/cases/<int:case_id>/reports/latest")
@access.staff
def latest(case_id: int):
    """The case's default report (clinical, whole case to today): the stored copy when it
    matches the current inputs, else back to the Reports tab, where it shows being prepared.
    Never renders in the request."""
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    asked = prerender.ask_default(case, member)
    if asked.report is not None:
        with refusal_flashed():
            return _pdf_response(operations.read_report(asked.report, member), asked.report, case)
    else:
        flash(
            _("The latest clinical report is being prepared; it shows here when ready."), "success"
        )
    return redirect(url_for(".index", case_id=case.id))


@bp.route("/reports/<int:report_id>/download")
@access.staff
def download(report_id: int):
    member = access.current_staff()
    report, case = operations.report_for_viewer(member, report_id)
    with refusal_flashed():
        return _pdf_response(operations.read_report(report, member), report, case)
    return redirect(url_for(".index", case_id=case.id))


@bp.route("/reports/assets/<path:name>")
@access.public
def asset(name: str):
    """The report's packaged stylesheets for the browser preview; public like static files."""
    try:
        path = pdf.asset_path(name)
    except pdf.RefusedURL:
        abort(404)
    return send_file(path, mimetype=pdf.ASSET_TYPES[path.suffix])
