"""Reading report jobs: which a member may see, and how far each got, in words and figures."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from practice.accounts.models import StaffMember
from practice.cases.models import Case
from practice.cases.queries import visible_cases
from practice.core.database import db
from practice.reporting.job_limits import UNFINISHED, is_default_job
from practice.reporting.models import JobStatus, ReportJob
from practice.web.localisation import local_date, local_datetime


def jobs_for(member: StaffMember, limit: int = 50) -> list[tuple[ReportJob, str]]:
    """The newest jobs ``member`` may see (their own; an admin's: everyone's) with the name of
    whoever started each."""
    query = (
        select(ReportJob, StaffMember.display_name)
        .join(StaffMember, StaffMember.id == ReportJob.created_by_id)
        .order_by(ReportJob.created_at.desc(), ReportJob.id.desc())
        .limit(limit)
    )
    query = query.where(ReportJob.created_by_id == member.id)
    return list(db.execute(query))


def job_for_viewer(member: StaffMember, job_id: int) -> ReportJob | None:
    """The job if ``member`` started it, or (a default report's job) may see
    its case; None otherwise."""
    job = db.get(ReportJob, job_id)
    if job is None:
        return None
    if job.created_by_id == member.id:
        return job
    if is_default_job(job):
        visible = visible_cases(member).with_only_columns(Case.id)
        case_ids = job.parameters.get("case_ids") or []
        if db.scalar(visible.where(Case.id.in_(case_ids)).limit(1)) is not None:
            return job
    return None


def failures(job: ReportJob) -> list[str]:
    """The recorded reasons, one per failed case or job-level problem."""
    return [line for line in (job.error or "").split("\n") if line]


_STATUS_LABELS = {
    JobStatus.QUEUED: "◷ Waiting",
    JobStatus.RUNNING: "▶ Running",
    JobStatus.FINISHED: "✓ Finished",
    JobStatus.FAILED: "✗ Failed",
}


def status_label(job: ReportJob) -> str:
    """The job's status in words, with a symbol so colour is never the only sign."""
    label = _STATUS_LABELS.get(JobStatus(job.status), job.status)
    if job.status == JobStatus.FINISHED and job.failed:
        label += ", with failures"
    return label


def period_label(job: ReportJob) -> str:
    """``Clinical, 05 Jan 2026 to today`` or ``Client, whole case``."""
    params = job.parameters or {}
    audience = str(params.get("audience", "")).capitalize()
    start, end = params.get("from"), params.get("to")
    if not start and not end:
        return f"{audience}, whole case"
    first = local_date(date.fromisoformat(start)) if start else "case opened"
    last = local_date(date.fromisoformat(end)) if end else "today"
    return f"{audience}, {first} to {last}"


def progress(job: ReportJob) -> dict[str, Any]:
    """What the jobs page shows of a job, as JSON-ready values."""
    handled = job.done + job.failed
    return {
        "id": job.id,
        "status": job.status,
        "status_label": status_label(job),
        "handled": handled,
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "percent": round(100 * handled / job.total) if job.total else 100,
        "failures": failures(job),
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "finished_label": local_datetime(job.finished_at),
        "active": job.status in UNFINISHED,
    }
