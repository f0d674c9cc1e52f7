"""Report jobs: the rules of a ``ReportJob``, a batch of progress reports run on the report queue.

The row is the source of truth. It lists the cases of the batch in order and counts the reports
done and failed; each case's report and the count that covers it are committed together, so
``done + failed`` is exactly where a resumed run carries on: a job taken over after its worker
died never generates a case twice and never skips one.

A job belongs to one queue task at a time, named by ``queue_job_id`` (its ticket). The task
claims the job before it runs it and counts each case with a compare-and-set on the position
and the ticket, so a run that lost the job (handed over while it was only slow, or a duplicate
task) cannot count a case. The running task's heartbeat is touched with each case; an
unfinished job whose heartbeat has gone stale, or that the queue no longer holds, is handed to
a new task (``hand_over``), at most ``MAX_ATTEMPTS`` runs in all.

Every function that writes flushes and never commits: views, the queue's tasks and the worker
own their transactions. How the job's cases are generated is ``practice.reporting.batches``;
the queue itself is ``practice.reporting.queue``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Case, CaseStatus
from practice.cases.queries import visible_cases
from practice.core.database import db, utcnow
from practice.core.unit_of_work import atomic
from practice.reporting import operations
from practice.reporting.job_limits import (
    UNFINISHED,
    JobError,
    check_job_limits,
    is_default_job,
)
from practice.reporting.models import Audience, JobStatus, ReportJob

MAX_ERROR_LENGTH = 1000
AUDIENCES = tuple(a.value for a in Audience)
# Runs that may claim a job: the first, then three more after a worker stopped or a run failed
# beyond one case (the database gone); the job is failed with its reason after that.
MAX_ATTEMPTS = 4
# A running job counts a case every few seconds; a runner silent this long has stopped.
STALE_AFTER = timedelta(minutes=2)
# A queued job the queue no longer holds after this long was lost (Redis restarted without
# persistence, or the process stopped between recording the job and enqueueing it).
LOST_AFTER = timedelta(minutes=1)

WORKER_STOPPED = "The worker stopped"
HANDED_BACK = "the batch was handed back to the queue."
GAVE_UP = "the queue gave up on it; start a new batch for the rest."
NOT_TAKEN = "The report queue did not take this job; nothing was generated. Start it again."
MORE_NOT_SHOWN = "… (more failures not shown)"
# Reports rendered in a request (the API's) count against the member's limit this long.


@dataclass(frozen=True)
class BatchParams:
    """What a batch generates: the audience and, optionally, the period of every report.

    A missing ``start`` means "from the day each case opened"; a missing ``end`` means "to
    today, or the day the case closed".
    """

    audience: str
    start: date | None = None
    end: date | None = None


def new_ticket() -> str:
    """A fresh queue task id for a job (32 hex characters)."""
    return uuid.uuid4().hex


# --- Starting a batch ------------------------------------------------------------------------


def batch_cases_for(member: StaffMember) -> list[Case]:
    """The active cases a batch of ``member`` covers: their own, their supervisees' or all."""
    query = visible_cases(member).where(Case.status == CaseStatus.ACTIVE)
    return list(db.scalars(query.order_by(Case.reference)))


def batch_case_count(member: StaffMember) -> int:
    """How many cases a batch of ``member`` would cover now."""
    query = visible_cases(member).where(Case.status == CaseStatus.ACTIVE)
    return db.scalar(query.with_only_columns(func.count(Case.id))) or 0


def check_params(params: BatchParams) -> None:
    """Refuse a batch that makes no sense; raises JobError with the reason."""
    if params.audience not in AUDIENCES:
        raise JobError(f"Choose an audience: {', '.join(AUDIENCES)}.")
    if params.start and params.end and params.end < params.start:
        raise JobError("The period must end on or after the day it starts.")


@atomic
def start_report_batch(member: StaffMember, params: BatchParams) -> ReportJob:
    """Record a batch of reports of ``member``'s active cases, queued under a new ticket.

    Flushes; the caller enqueues the job once it is committed. Raises JobError for refused
    parameters or no active cases.
    """
    if member.is_admin:
        # Least privilege: administrators read no clinical record, so they make no reports.
        raise JobError("Administrators do not generate clinical reports.")
    check_params(params)
    check_job_limits(member, batch=True)
    cases = batch_cases_for(member)
    if not cases:
        raise JobError("There are no active cases to report on.")
    return _start_job(
        member,
        cases,
        {
            "audience": params.audience,
            "from": params.start.isoformat() if params.start else None,
            "to": params.end.isoformat() if params.end else None,
        },
    )


@atomic
def start_single_report(
    member: StaffMember,
    case: Case,
    start: date,
    end: date,
    audience: str,
    narrative: str,
    recommendations: str = "",
) -> ReportJob:
    """Record one report of ``case`` by its counsellor, narrative included, as a one-case job.

    The Reports page takes this path, so that rendering (a second or more of CPU) runs on the
    queue, never in the request. The request is checked here, so a refused one is answered on
    the form at once. Flushes. Raises ReportError.
    """
    operations.check_request(start, end, audience, narrative, recommendations)
    if member.id != case.counsellor_id:
        raise operations.ReportError("Only the case's counsellor generates its reports.")
    check_job_limits(member, batch=False)
    return _start_job(
        member,
        [case],
        {
            "audience": audience,
            "from": start.isoformat(),
            "to": end.isoformat(),
            # Clinical text, kept in the database only (the queue carries the job id) and
            # cleared once the report is generated.
            "narrative": narrative,
            "recommendations": operations.printed_recommendations(audience, recommendations),
            "author_id": member.id,
        },
    )


@atomic
def start_default_report(
    case: Case, member: StaffMember | None = None, *, delayed: bool = False
) -> tuple[ReportJob, bool]:
    """Record a job that prepares ``case``'s default report (clinical, whole case to today) as
    its counsellor; ``member``, who caused it (signed a note, asked for the report), is the
    audit's actor. ``delayed``: the caller enqueues it to run a little later (a draft being
    edited). A job still waiting for the case is reused, as it reads the inputs when it runs,
    unless it is a delayed one and this one is not. Returns (the job, whether it is new): the
    caller enqueues a new job once it is committed (a reused one is on the queue already).
    Flushes.
    """
    waiting = default_job_in_hand(case, waiting_only=True)
    if waiting is not None and (delayed or not waiting.parameters.get("delayed")):
        return waiting, False
    job = _start_job(
        case.counsellor,
        [case],
        {
            "audience": operations.DEFAULT_AUDIENCE.value,
            "from": None,
            "to": None,
            "author_id": case.counsellor_id,
            "default": True,
            "delayed": delayed,
        },
        actor=member,
    )
    return job, True


def default_job_in_hand(case: Case, *, waiting_only: bool = False) -> ReportJob | None:
    """The newest job preparing ``case``'s default report that is waiting (or running,
    unless ``waiting_only``); None if there is none."""
    statuses = (JobStatus.QUEUED,) if waiting_only else UNFINISHED
    query = (
        select(ReportJob)
        .where(ReportJob.status.in_(statuses), ReportJob.total == 1)
        .order_by(ReportJob.id.desc())
    )
    for job in db.scalars(query):
        if is_default_job(job) and job.parameters.get("case_ids") == [case.id]:
            return job
    return None


def _start_job(
    member: StaffMember,
    cases: Sequence[Case],
    parameters: dict,
    actor: StaffMember | None = None,
) -> ReportJob:
    job = ReportJob(
        created_by_id=member.id,
        status=JobStatus.QUEUED,
        parameters={
            **parameters,
            "case_ids": [case.id for case in cases],
            "references": [case.reference for case in cases],
        },
        total=len(cases),
        done=0,
        failed=0,
        queue_job_id=new_ticket(),
        heartbeat_at=utcnow(),
        attempts=0,
    )
    db.add(job)
    db.flush()
    audit.record(
        "report_job_started",
        obj=job,
        actor=actor or member,
        case_id=cases[0].id if len(cases) == 1 else None,
        detail={
            "job_id": job.id,
            "cases": job.total,
            "audience": parameters["audience"],
            "from": parameters["from"],
            "to": parameters["to"],
            **({"default": True} if parameters.get("default") else {}),
        },
    )
    return job


def single_reports_in_hand(member: StaffMember, case: Case) -> list[ReportJob]:
    """``member``'s single reports of ``case`` still waiting or running, and those that failed
    in the last day (so the reason is seen where the report was asked for), oldest first."""
    recent = utcnow() - timedelta(days=1)
    query = (
        select(ReportJob)
        .where(
            ReportJob.created_by_id == member.id,
            ReportJob.total == 1,
            (ReportJob.status.in_(UNFINISHED))
            | ((ReportJob.status == JobStatus.FAILED) & (ReportJob.finished_at >= recent)),
        )
        .order_by(ReportJob.id)
    )
    return [
        job
        for job in db.scalars(query)
        if job.parameters.get("case_ids") == [case.id]
        and "author_id" in job.parameters
        and not is_default_job(job)
    ]


# --- Running a job: claim, count, finish -----------------------------------------------------


def ticket_to_enqueue(job_id: int) -> str | None:
    """The ticket to put the job on the queue under; None if it was rolled back or has ended."""
    job = db.get(ReportJob, job_id, populate_existing=True)
    if job is None or job.status not in UNFINISHED:
        return None
    return job.queue_job_id


@atomic
def claim(job_id: int, ticket: str) -> ReportJob | None:
    """Make the run holding ``ticket`` the job's runner: running, heartbeat now, one attempt more.

    None when the job is not this ticket's (handed over since, or a duplicate task), has ended,
    or has had its ``MAX_ATTEMPTS`` runs (it is then failed with the reason).
    """
    claimed = db.execute(
        update(ReportJob)
        .where(
            ReportJob.id == job_id,
            ReportJob.queue_job_id == ticket,
            ReportJob.status.in_(UNFINISHED),
            ReportJob.attempts < MAX_ATTEMPTS,
        )
        .values(status=JobStatus.RUNNING, heartbeat_at=utcnow(), attempts=ReportJob.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    job = db.get(ReportJob, job_id, populate_existing=True)
    if claimed.rowcount == 1:
        return job
    if job is not None and job.queue_job_id == ticket and job.status in UNFINISHED:
        _end(job, f"{WORKER_STOPPED}; {GAVE_UP}", failed=True)
    return None


def next_case(job_id: int, ticket: str) -> tuple[int, int | None] | None:
    """(position, case id) of the next case the run holding ``ticket`` generates; None once
    every case is counted or the job is no longer this run's. A purged case's id is None."""
    job = db.get(ReportJob, job_id, populate_existing=True)
    if job is None or job.queue_job_id != ticket or job.status != JobStatus.RUNNING:
        return None
    position = job.done + job.failed
    case_ids: list[int | None] = list(job.parameters.get("case_ids", []))
    if position >= len(case_ids):
        return None
    return position, case_ids[position]


@atomic
def count_case(
    job_id: int, ticket: str, position: int, *, done: int = 0, failed: int = 0, reason: str = ""
) -> bool:
    """Count the case at ``position`` for the run holding ``ticket`` and touch its heartbeat.

    True when this call counted it; False when it is counted already or the job was handed
    over: the caller then rolls back whatever it recorded for the case.
    """
    values: dict[str, Any] = {
        "done": ReportJob.done + done,
        "failed": ReportJob.failed + failed,
        "heartbeat_at": utcnow(),
    }
    if reason:
        error = db.scalar(select(ReportJob.error).where(ReportJob.id == job_id))
        values["error"] = _with_reason(error, reason)
    counted = db.execute(
        update(ReportJob)
        .where(
            ReportJob.id == job_id,
            ReportJob.queue_job_id == ticket,
            ReportJob.done + ReportJob.failed == position,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return counted.rowcount == 1


@atomic
def finish(job_id: int, ticket: str) -> ReportJob | None:
    """End the job once the run holding ``ticket`` has counted every case: finished, or failed
    when every report failed; its narrative is cleared. Returns the job, or None when the job
    is no longer this run's or has cases left."""
    job = db.get(ReportJob, job_id, populate_existing=True)
    if job is None or job.queue_job_id != ticket or job.status != JobStatus.RUNNING:
        return None
    if job.done + job.failed < len(job.parameters.get("case_ids", [])):
        return None
    _end(job, failed=bool(job.total) and job.failed == job.total)
    return job


def _end(job: ReportJob, reason: str = "", failed: bool = False) -> None:
    if reason:
        job.error = _with_reason(job.error, reason)
    job.status = JobStatus.FAILED if failed else JobStatus.FINISHED
    job.finished_at = utcnow()
    # The report holds them now (or never will): the job keeps no second copy of clinical text.
    cleared = {key: None for key in ("narrative", "recommendations") if job.parameters.get(key)}
    if cleared:
        job.parameters = {**job.parameters, **cleared}
    db.flush()


@atomic
def note_job_error(job_id: int, reason: str, give_up: bool = False) -> None:
    """Record a job-level problem (a worker that stopped, a queue that refused the job); with
    ``give_up`` an unfinished job is failed. Flushes."""
    job = db.get(ReportJob, job_id, populate_existing=True)
    if job is None:
        return
    if give_up and job.status in UNFINISHED:
        _end(job, reason, failed=True)
        return
    job.error = _with_reason(job.error, reason)
    db.flush()


def attempts_left(job_id: int) -> int:
    """How many more runs the job may have (0 for a job that has gone or ended)."""
    job = db.get(ReportJob, job_id, populate_existing=True)
    if job is None or job.status not in UNFINISHED:
        return 0
    return max(0, MAX_ATTEMPTS - job.attempts)


def _with_reason(error: str | None, reason: str) -> str:
    """``error`` with ``reason`` added last, within MAX_ERROR_LENGTH.

    When it would not fit, the oldest reasons are kept, then one "more not shown" line, then
    the newest reason: a job-level reason (the queue gave up) is always the last one seen.
    """
    lines = [line for line in (error or "").split("\n") if line and line != MORE_NOT_SHOWN]
    text = "\n".join([*lines, reason])
    if len(text) <= MAX_ERROR_LENGTH:
        return text
    tail = f"{MORE_NOT_SHOWN}\n{reason}"[-MAX_ERROR_LENGTH:]
    kept: list[str] = []
    for line in lines:
        if len("\n".join([*kept, line, tail])) > MAX_ERROR_LENGTH:
            break
        kept.append(line)
    return "\n".join([*kept, tail])


# --- Taking over ------------------------------------------------------------------------------


def stale_jobs(now: datetime | None = None) -> list[ReportJob]:
    """Unfinished jobs with no sign of life: running with a heartbeat older than STALE_AFTER,
    or queued and not started for LOST_AFTER. The caller leaves alone those the queue still
    holds (waiting behind others, or due for a retry)."""
    now = now or utcnow()

    def silent_since(cutoff: datetime):
        return or_(
            ReportJob.heartbeat_at < cutoff,
            ReportJob.heartbeat_at.is_(None) & (ReportJob.created_at < cutoff),
        )

    query = (
        select(ReportJob)
        .where(
            ((ReportJob.status == JobStatus.RUNNING) & silent_since(now - STALE_AFTER))
            | ((ReportJob.status == JobStatus.QUEUED) & silent_since(now - LOST_AFTER))
        )
        .order_by(ReportJob.id)
    )
    return list(db.scalars(query))


@atomic
def hand_over(job: ReportJob, ticket: str) -> bool:
    """Give a stale job (as ``stale_jobs`` read it) to a new queue task named ``ticket``.

    A running job is noted "handed back"; one that has had its ``MAX_ATTEMPTS`` runs is failed
    instead. True when the job is now the new ticket's: the caller enqueues it once committed;
    False when it was failed, or changed since it was read (another process took it over).
    """
    running = job.status == JobStatus.RUNNING
    previous = ReportJob.queue_job_id
    heartbeat = ReportJob.heartbeat_at
    changed = db.execute(
        update(ReportJob)
        .where(
            ReportJob.id == job.id,
            ReportJob.status == job.status,
            previous.is_(None) if job.queue_job_id is None else previous == job.queue_job_id,
            heartbeat.is_(None) if job.heartbeat_at is None else heartbeat == job.heartbeat_at,
        )
        .values(queue_job_id=ticket, heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        return False
    db.refresh(job)
    if job.attempts >= MAX_ATTEMPTS:
        _end(job, f"{WORKER_STOPPED}; {GAVE_UP}", failed=True)
        return False
    if running:
        job.error = _with_reason(job.error, f"{WORKER_STOPPED}; {HANDED_BACK}")
        db.flush()
    return True
