"""Report jobs and their progress.

A staff member starts a batch of progress reports for the active cases in their care (a
supervisor's include their supervisees'; an admin's, every active case), then follows it on the
jobs page, which a small script refreshes from each job's JSON while it runs. The job is put on
the report queue once the request has committed it; opening the page hands jobs whose worker
stopped (or that the queue lost) to the queue again.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for

from practice.accounts.models import StaffMember
from practice.core.i18n import _
from practice.reporting import job_progress, jobs, queue
from practice.reporting.forms import ReportBatchForm
from practice.web import access
from practice.web.refusals import refusal_shown_on

bp = Blueprint("jobs", __name__)
bp.before_request(queue.ensure_worker_thread)
bp.teardown_request(queue.enqueue_requested)


def _page(member: StaffMember, form: ReportBatchForm) -> str:
    return render_template(
        "practice/jobs/index.html",
        form=form,
        jobs=[
            (job, name, job_progress.progress(job)) for job, name in job_progress.jobs_for(member)
        ],
        case_count=jobs.batch_case_count(member),
        runs_here=queue.runs_in_background_here(),
        period_label=job_progress.period_label,
    )


@bp.route("/jobs")
@access.staff
def index():
    queue.take_over_after_request()
    return _page(access.current_staff(), ReportBatchForm())


@bp.route("/jobs", methods=["POST"])
@access.staff
def create():
    member = access.current_staff()
    form = ReportBatchForm()
    if form.validate_on_submit():
        with refusal_shown_on(form):
            queue.check_reachable()
            job = jobs.start_report_batch(member, form.params())
            queue.enqueue_after_request(job.id)
            flash(
                _("Report job %(id)s started: %(total)s case(s).", id=job.id, total=job.total),
                "success",
            )
            return redirect(url_for(".index"))
    return _page(member, form)


@bp.route("/jobs/<int:job_id>.json")
@access.staff
def status(job_id: int):
    job = job_progress.job_for_viewer(access.current_staff(), job_id)
    if job is None:
        abort(404)
    return jsonify(job_progress.progress(job))
