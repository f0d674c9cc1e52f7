"""How many report jobs a member may have at once, and which jobs count.

Below ``practice.reporting.jobs``, which calls these checks before it starts a job: one batch
waiting or running per member, at most ``PRACTICE_REPORT_JOBS_PER_USER`` jobs in all, and (for
reports rendered in the API's request) as many made in the last minute. The default reports the
practice prepares by itself are not the member's to limit.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from practice.accounts.models import StaffMember
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.reporting.models import JobStatus, Report, ReportJob

UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)
RECENT_REPORTS = timedelta(minutes=1)


class JobError(Refused):
    """A batch that cannot be started; the message says why."""


class TooManyJobs(JobError):
    """The member has as many report jobs waiting or running as they may (the API's 429)."""

    status = 429


BATCH_RUNNING = (
    "Your previous batch of reports is still waiting or running. Start a new one once it has "
    "finished (see its progress below)."
)


def _too_many(limit: int) -> str:
    return (
        f"You already have {limit} reports waiting or running, as many as the practice allows "
        "at once. Start more once some have finished."
    )


def unfinished_jobs(member: StaffMember) -> list[ReportJob]:
    """``member``'s jobs still waiting or running, not counting the default reports the
    practice prepares by itself (those are not the member's to limit)."""
    query = select(ReportJob).where(
        ReportJob.created_by_id == member.id, ReportJob.status.in_(UNFINISHED)
    )
    return [job for job in db.scalars(query) if not is_default_job(job)]


def is_default_job(job: ReportJob) -> bool:
    """Whether ``job`` prepares a case's default report (``start_default_report``)."""
    return bool((job.parameters or {}).get("default"))


def _is_batch(job: ReportJob) -> bool:
    # A single report (the Reports page) carries its author; a batch does not.
    return "author_id" not in (job.parameters or {})


def check_report_rate(member: StaffMember) -> None:
    """Refuse a report rendered in the request (the API's) when ``member`` has, waiting or
    running, or made in the last minute, ``PRACTICE_REPORT_JOBS_PER_USER`` reports: one
    account cannot keep the web workers rendering. Raises TooManyJobs."""
    limit = int(current_app.config["PRACTICE_REPORT_JOBS_PER_USER"])
    recent = db.scalar(
        select(func.count(Report.id)).where(
            Report.generated_by_id == member.id,
            Report.generated_at > utcnow() - RECENT_REPORTS,
            # Default reports the practice prepared by itself are not the member's asking.
            Report.inputs_digest.is_(None),
        )
    )
    if len(unfinished_jobs(member)) + (recent or 0) >= limit:
        raise TooManyJobs(
            f"You have {limit} reports waiting, running or made in the last minute, as many as "
            "the practice allows at once. Try again in a minute."
        )


def check_job_limits(member: StaffMember, *, batch: bool) -> None:
    """Refuse a new job when ``member`` has ``PRACTICE_REPORT_JOBS_PER_USER`` jobs waiting or
    running, or (for a batch) a batch of theirs has not finished; raises TooManyJobs."""
    waiting = unfinished_jobs(member)
    if batch and any(_is_batch(job) for job in waiting):
        raise TooManyJobs(BATCH_RUNNING)
    limit = int(current_app.config["PRACTICE_REPORT_JOBS_PER_USER"])
    if len(waiting) >= limit:
        raise TooManyJobs(_too_many(limit))
