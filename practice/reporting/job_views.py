"""Background report jobs and their progress.

A staff member starts a batch of progress reports for the active cases in their care (a
supervisor's include their supervisees'; an admin's, every active case), then follows it on the
jobs page, which a small script refreshes from each job's JSON while it runs.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from wtforms import DateField, RadioField
from wtforms.validators import InputRequired, Optional, ValidationError

from practice.accounts.models import StaffMember
from practice.core.database import db
from practice.reporting import jobs
from practice.reporting.forms import AUDIENCE_CHOICES
from practice.web import access
from practice.web.forms import PracticeForm

bp = Blueprint("jobs", __name__)
log = logging.getLogger(__name__)


def _after_start(form, field) -> None:
    if form.period_start.data and field.data and field.data < form.period_start.data:
        raise ValidationError("The period must end on or after the day it starts.")


class ReportBatchForm(PracticeForm):
    """Audience and (optional) period of every report of a batch."""

    audience = RadioField(
        "Audience",
        choices=AUDIENCE_CHOICES,
        default="clinical",
        validators=[InputRequired("Choose who the reports are for.")],
    )
    period_start = DateField("From (optional)", validators=[Optional()])
    period_end = DateField("To (optional)", validators=[Optional(), _after_start])

    def params(self) -> jobs.BatchParams:
        return jobs.BatchParams(self.audience.data, self.period_start.data, self.period_end.data)


def _page(member: StaffMember, form: ReportBatchForm) -> str:
    return render_template(
        "practice/jobs/index.html",
        form=form,
        jobs=[(job, name, jobs.progress(job)) for job, name in jobs.jobs_for(member)],
        case_count=jobs.batch_case_count(member),
        queued_on_redis=bool(jobs.redis_url()),
        period_label=jobs.period_label,
    )


@bp.route("/jobs")
@access.staff
def index():
    # A batch whose web worker stopped mid-way (recycled, killed) goes on in this one.
    try:
        jobs.resume_orphaned()
    except Exception:  # the page still shows the jobs as they are
        db.rollback()
        log.exception("could not take over orphaned report jobs")
    return _page(access.current_staff(), ReportBatchForm())


@bp.route("/jobs", methods=["POST"])
@access.staff
def create():
    member = access.current_staff()
    form = ReportBatchForm()
    if form.validate_on_submit():
        try:
            job = jobs.start_report_batch(member, form.params())
        except jobs.JobError as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash(f"Report job {job.id} started: {job.total} case(s).", "success")
            return redirect(url_for(".index"))
    return _page(member, form)


@bp.route("/jobs/<int:job_id>.json")
@access.staff
def status(job_id: int):
    job = jobs.job_for_viewer(access.current_staff(), job_id)
    if job is None:
        abort(404)
    return jsonify(jobs.progress(job))
