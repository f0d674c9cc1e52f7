"""Batches of progress reports run as background jobs: on RQ when Redis is configured, else
in-process.

A ``ReportJob`` row is the source of truth: it lists the cases of the batch in order and counts
the reports done and failed. Each case's report and the count that covers it are committed in
one transaction, so ``done + failed`` is exactly where a resumed job carries on: a job requeued
after its worker died never generates a case twice and never skips one. The counters are
advanced with a compare-and-set, so even two runners of the same job (a worker thought dead
that was not) cannot count a case twice.

Reports are generated as each case's counsellor (as the ``flask practice reports`` batch does),
through ``reports.render_report``/``reports.record_report``; the batch's starter is audited.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, after_this_request, current_app, has_request_context
from sqlalchemy import func, select, update

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Case, CaseStatus
from practice.cases.queries import visible_cases
from practice.core.database import db, engine, utcnow
from practice.core.errors import Refused
from practice.reporting import operations as reports
from practice.reporting.models import Audience, JobStatus, ReportJob

if TYPE_CHECKING:  # RQ and redis are imported only where a queue is configured
    from redis import Redis
    from rq import Queue

log = logging.getLogger(__name__)

QUEUE_NAME = "practice-reports"
# How often RQ runs a batch again after its worker died or it raised (database down, say).
QUEUE_RETRIES = 3
# A batch may take this long per case before RQ gives up on it (WeasyPrint takes ~1 s).
SECONDS_PER_CASE = 120
MAX_ERROR_LENGTH = 1000
AUDIENCES = tuple(a.value for a in Audience)


class JobError(Refused):
    """A batch that cannot be started; the message says why."""


@dataclass(frozen=True)
class BatchParams:
    """What a batch generates: the audience and, optionally, the period of every report.

    A missing ``start`` means "from the day each case opened"; a missing ``end`` means "to
    today, or the day the case closed".
    """

    audience: str
    start: date | None = None
    end: date | None = None


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


def start_report_batch(member: StaffMember, params: BatchParams) -> ReportJob:
    """Record a batch of reports of ``member``'s active cases and hand it to a runner.

    Flushes, does not commit. Inside a request, the job is enqueued on RQ (when
    ``PRACTICE_REDIS_URL`` is set) or started in-process once the view has committed; elsewhere
    call ``dispatch(job.id)`` after committing. Raises JobError for refused parameters, no
    active cases, or a queue that does not answer.
    """
    check_params(params)
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


def start_single_report(
    member: StaffMember, case: Case, start: date, end: date, audience: str, narrative: str
) -> ReportJob:
    """Queue one report of ``case`` by its counsellor, narrative included; flushes.

    The Reports page takes this path when a queue is configured, so that rendering (a second
    or more of CPU) runs in the worker and never holds a web worker. The request is checked
    here, so a refused one is answered on the form at once. Raises ReportError or JobError.
    """
    reports.check_request(start, end, audience, narrative)
    if member.id != case.counsellor_id:
        raise reports.ReportError("Only the case's counsellor generates its reports.")
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
            "author_id": member.id,
        },
    )


def _start_job(member: StaffMember, cases: Sequence[Case], parameters: dict) -> ReportJob:
    if redis_url():
        _check_queue_reachable()
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
    )
    db.add(job)
    db.flush()
    audit.record(
        "report_job_started",
        obj=job,
        actor=member,
        case_id=cases[0].id if len(cases) == 1 else None,
        detail={
            "job_id": job.id,
            "cases": job.total,
            "audience": parameters["audience"],
            "from": parameters["from"],
            "to": parameters["to"],
        },
    )
    if has_request_context():
        job_id = job.id

        @after_this_request
        def _dispatch_after_commit(response):
            dispatch(job_id)
            return response

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
            (ReportJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
            | ((ReportJob.status == JobStatus.FAILED) & (ReportJob.finished_at >= recent)),
        )
        .order_by(ReportJob.id)
    )
    return [
        job
        for job in db.scalars(query)
        if job.parameters.get("case_ids") == [case.id] and "author_id" in job.parameters
    ]


def dispatch(job_id: int) -> None:
    """Hand a committed job to RQ, or run it in-process; a job that was rolled back is skipped.

    In-process, the job runs in a thread of its own (``PRACTICE_JOBS_INLINE`` runs it here and
    now instead, for tests and small deployments).
    """
    try:
        job = db.get(ReportJob, job_id)
        if job is None:  # the view rolled back: nothing to run
            db.rollback()
            return
        if redis_url():
            try:
                _enqueue(job)
            except Exception:
                db.rollback()
                log.exception("report job %s could not be enqueued", job_id)
                note_job_error(
                    job_id,
                    "The report queue did not take this job; nothing was generated. Start it "
                    "again.",
                    give_up=True,
                )
                return
            db.commit()
        else:
            db.rollback()
            _claim_in_process(job_id, job.queue_job_id)
            _run_in_process(job_id)
    # Whatever goes wrong here must not turn a committed request into an error page: the job
    # stays recorded and visible as it is, and the error is logged.
    except Exception:
        db.rollback()
        log.exception("report job %s could not be dispatched", job_id)


def _run_in_process(job_id: int) -> None:
    if current_app.config.get("PRACTICE_JOBS_INLINE"):
        run_report_job(job_id)
        return
    app = current_app._get_current_object()
    threading.Thread(
        target=_run_in_thread, args=(app, job_id), name=f"{_THREAD_PREFIX}{job_id}"
    ).start()


# An in-process job's queue_job_id names the process running it, so that another process can
# tell when that one has gone (a web worker recycled or killed mid-batch) and take it over.
_IN_PROCESS = "thread:"
_THREAD_PREFIX = "report-job-"


def _process_started(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot), to tell a reused pid apart;
    "0" where /proc cannot say."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[19]  # field 22 of stat(5); fields[0] is field 3
    except (OSError, IndexError):
        return "0"


def _process_tag(pid: int | None = None) -> str:
    pid = pid or os.getpid()
    return f"{_IN_PROCESS}{socket.gethostname()}:{pid}:{_process_started(pid)}"


def _claim_in_process(job_id: int, previous: str | None) -> bool:
    """Mark the job as run by this process, unless someone claimed it since; commits."""
    result = db.execute(
        update(ReportJob)
        .where(
            ReportJob.id == job_id,
            ReportJob.queue_job_id.is_(None)
            if previous is None
            else ReportJob.queue_job_id == previous,
        )
        .values(queue_job_id=_process_tag())
        .execution_options(synchronize_session=False)
    )
    db.commit()
    return result.rowcount == 1


def _in_process_runner_gone(tag: str) -> bool:
    host, _, rest = tag.removeprefix(_IN_PROCESS).partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine: it cannot be checked from here
    if tag == _process_tag():
        return False  # this process is alive; it may be between claiming and starting
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    # The pid is in use: by the same process, or by a new one (a restarted container).
    return bool(started) and started != "0" and started != _process_started(int(pid))


def resume_orphaned() -> list[int]:
    """Take over the in-process jobs whose process has gone, resuming each after its last
    committed report; returns their ids. Called when the jobs page is opened (no queue)."""
    if redis_url():
        return []
    orphaned = db.execute(
        select(ReportJob.id, ReportJob.queue_job_id).where(
            ReportJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
            ReportJob.queue_job_id.like(f"{_IN_PROCESS}%"),
        )
    )
    resumed = []
    for job_id, tag in list(orphaned):
        if _in_process_runner_gone(tag) and _claim_in_process(job_id, tag):
            note_job_error(
                job_id, "The server process running it stopped; another one took it over."
            )
            resumed.append(job_id)
    db.commit()
    for job_id in resumed:
        _run_in_process(job_id)
    return resumed


def _run_in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run_report_job(job_id)
        except Exception:
            log.exception("report job %s stopped", job_id)


# --- Running a batch -------------------------------------------------------------------------


def run_report_job(job_id: int) -> ReportJob | None:
    """Generate the job's remaining reports, committing after each case; returns the job.

    Resumes where ``done + failed`` says. A case that fails (a refused period, a case that
    no longer exists, an error while rendering) is counted with its reason and the batch goes
    on. Raises only for trouble beyond one case (the database gone), so RQ can retry.
    """
    job = db.get(ReportJob, job_id)
    if job is None or job.status in (JobStatus.FINISHED, JobStatus.FAILED):
        db.rollback()
        return job
    job.status = JobStatus.RUNNING
    db.commit()
    case_ids: list[int] = list(job.parameters.get("case_ids", []))
    while True:
        db.refresh(job)
        position = job.done + job.failed
        if position >= len(case_ids):
            break
        _generate_one(job_id, dict(job.parameters), position, case_ids[position])
    job.status = JobStatus.FAILED if job.total and job.failed == job.total else JobStatus.FINISHED
    job.finished_at = utcnow()
    if job.parameters.get("narrative"):
        # The report holds it now; the job need not keep a second copy of clinical text.
        job.parameters = {**job.parameters, "narrative": None}
    db.commit()
    return job


def _generate_one(job_id: int, params: dict[str, Any], position: int, case_id: int | None) -> None:
    """Generate the report at ``position`` of the batch and count it, in one transaction."""
    storage_path = None
    try:
        case = db.get(Case, case_id) if case_id is not None else None  # None: purged
        if case is None:
            raise reports.ReportError("The case no longer exists.")
        start, end = _period(case, params)
        author = _author(case, params)
        narrative = params.get("narrative") or ""
        rendered = reports.render_report(case, start, end, params["audience"], narrative, author)
        # End the reading transaction before writing (see the CLI batch): on SQLite a read
        # that turns into a write fails if another writer committed in between.
        db.rollback()
        report = reports.record_report(rendered, author)
        storage_path = report.storage_path
        counted = _advance(job_id, position, done=1)
    except Exception as error:
        db.rollback()
        if storage_path:
            reports.discard_file(storage_path)
        if type(error).__name__ == "JobTimeoutException":  # RQ's time limit: stop the batch
            raise
        if not isinstance(error, reports.ReportError):
            # The message may repeat a row's values (clinical text): the log gets its type
            # and stack only, the job a generic reason.
            log.exception("report job %s: case id %s failed", job_id, case_id)
        counted = _advance(job_id, position, failed=1, reason=_reason(params, position, error))
    if counted:
        db.commit()
    else:  # another runner counted this case first: keep its result, drop ours
        db.rollback()
        if storage_path:
            reports.discard_file(storage_path)


def _author(case: Case, params: dict[str, Any]) -> StaffMember:
    """Who the report is generated as: the requester of a single report (checked again by
    ``render_report``), else the case's counsellor, as the CLI batch does."""
    author_id = params.get("author_id")
    author = db.get(StaffMember, author_id) if author_id else None
    return author or case.counsellor


def _period(case: Case, params: dict[str, Any]) -> tuple[date, date]:
    """The report's period for ``case``; raises ReportError when it ends before it starts."""
    default_start, default_end = reports.default_period(case, date.today())
    start = date.fromisoformat(params["from"]) if params.get("from") else default_start
    end = date.fromisoformat(params["to"]) if params.get("to") else default_end
    if end < start:
        raise reports.ReportError(
            f"The period ends on {end:%d %b %Y}, before it starts ({start:%d %b %Y}; the case "
            f"opened on {case.opened_on:%d %b %Y})."
        )
    return start, end


def _reason(params: dict[str, Any], position: int, error: Exception) -> str:
    references = params.get("references") or []
    reference = references[position] if position < len(references) else f"#{position + 1}"
    if isinstance(error, reports.ReportError):
        return f"{reference}: {error}"
    return f"{reference}: unexpected error ({type(error).__name__}); see the worker's log."


def _advance(job_id: int, position: int, done: int = 0, failed: int = 0, reason: str = "") -> bool:
    """Count the case at ``position`` if nobody has yet; True when this call counted it."""
    values: dict[str, Any] = {"done": ReportJob.done + done, "failed": ReportJob.failed + failed}
    if reason:
        job = db.get(ReportJob, job_id)
        values["error"] = _with_reason(job.error, reason)
    result = db.execute(
        update(ReportJob)
        .where(ReportJob.id == job_id, ReportJob.done + ReportJob.failed == position)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


MORE_NOT_SHOWN = "… (more failures not shown)"


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


def note_job_error(job_id: int, reason: str, give_up: bool = False) -> None:
    """Record a job-level problem (a worker that died, a queue that gave up); commits."""
    job = db.get(ReportJob, job_id)
    if job is None:
        return
    job.error = _with_reason(job.error, reason)
    if give_up and job.status not in (JobStatus.FINISHED, JobStatus.FAILED):
        job.status = JobStatus.FAILED
        job.finished_at = utcnow()
        if job.parameters.get("narrative"):
            job.parameters = {**job.parameters, "narrative": None}
    db.commit()


# --- Reading jobs ----------------------------------------------------------------------------


def jobs_for(member: StaffMember, limit: int = 50) -> list[tuple[ReportJob, str]]:
    """The newest jobs ``member`` may see (their own; an admin's: everyone's) with the name of
    whoever started each."""
    query = (
        select(ReportJob, StaffMember.display_name)
        .join(StaffMember, StaffMember.id == ReportJob.created_by_id)
        .order_by(ReportJob.created_at.desc(), ReportJob.id.desc())
        .limit(limit)
    )
    if not member.is_admin:
        query = query.where(ReportJob.created_by_id == member.id)
    return list(db.execute(query))


def job_for_viewer(member: StaffMember, job_id: int) -> ReportJob | None:
    """The job if ``member`` started it or is an admin; None otherwise."""
    job = db.get(ReportJob, job_id)
    if job is None or (job.created_by_id != member.id and not member.is_admin):
        return None
    return job


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
    first = f"{date.fromisoformat(start):%d %b %Y}" if start else "case opened"
    last = f"{date.fromisoformat(end):%d %b %Y}" if end else "today"
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
        "finished_label": f"{job.finished_at:%d %b %Y, %H:%M} UTC" if job.finished_at else "—",
        "active": job.status in (JobStatus.QUEUED, JobStatus.RUNNING),
    }


# --- The queue (RQ) --------------------------------------------------------------------------


def redis_url() -> str | None:
    return current_app.config.get("PRACTICE_REDIS_URL") or None


def url_without_password(url: str) -> str:
    """``url`` fit for a message or a log: its password, if any, replaced by ***."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    user = f"{parts.username}:***" if parts.username else ":***"
    host = parts.hostname or ""
    netloc = f"{user}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def redis_connection(url: str | None = None, socket_timeout: float | None = 10) -> Redis:
    """A Redis client for ``url`` (default: the app's); short timeouts so a dead Redis is
    reported rather than waited on. A worker, which blocks on the queue, passes None."""
    from redis import Redis

    return Redis.from_url(
        url or redis_url(), socket_connect_timeout=3, socket_timeout=socket_timeout
    )


def report_queue(connection: Redis | None = None) -> Queue:
    from rq import Queue

    return Queue(QUEUE_NAME, connection=connection or redis_connection())


def _check_queue_reachable() -> None:
    from redis.exceptions import RedisError

    try:
        redis_connection().ping()
    except RedisError as error:
        raise JobError(
            "The report queue is not reachable right now; nothing was started. Try again later."
        ) from error


def _enqueue(job: ReportJob) -> None:
    """Put ``job`` on the queue and remember RQ's id for it (the caller commits)."""
    from rq import Callback, Retry

    rq_job = report_queue().enqueue(
        perform_report_job,
        job.id,
        retry=Retry(max=QUEUE_RETRIES),
        job_timeout=max(600, SECONDS_PER_CASE * job.total),
        result_ttl=24 * 3600,
        failure_ttl=7 * 24 * 3600,
        on_failure=Callback(on_queue_failure),
        description=f"practice report job {job.id}",
    )
    job.queue_job_id = rq_job.id


# The app the worker runs with (set by ``flask practice worker``); forked work horses inherit it.
_worker_app: Flask | None = None


def set_worker_app(app: Flask) -> None:
    global _worker_app
    _worker_app = app


def perform_report_job(job_id: int) -> str:
    """RQ's entry point: run the job in the worker's app; raises so RQ retries."""
    if _worker_app is None:
        raise RuntimeError("Run report jobs with `flask practice worker`, which loads the app.")
    with _worker_app.app_context():
        # A forked work horse must not share the parent's pooled connections.
        engine().dispose(close=False)
        job = run_report_job(job_id)
        # Read while the session is open: leaving the app context detaches the job.
        return "no such job" if job is None else f"{job.done} generated, {job.failed} failed"


HANDED_BACK = "the batch was handed back to the queue."
GAVE_UP = "the queue gave up on it; start a new batch for the rest."


def _note_queue_failure(rq_job, what: str) -> None:
    retrying = bool(rq_job.retries_left)
    reason = f"{what}; {HANDED_BACK if retrying else GAVE_UP}"
    with _worker_app.app_context():
        note_job_error(rq_job.args[0], reason, give_up=not retrying)


def on_queue_failure(rq_job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback (a raise, or a worker that died): note it on the job row."""
    if _worker_app is None or not rq_job.args:
        return
    what = (
        "The worker stopped"
        if exc_type is None or "Abandoned" in exc_type.__name__
        else (f"The batch stopped ({exc_type.__name__})")
    )
    _note_queue_failure(rq_job, what)


def on_work_horse_killed(rq_job, retpid, ret_val, rusage) -> None:
    """RQ's handler for a work horse that died under a living worker (killed, out of memory).

    RQ then retries or fails the job without calling ``on_queue_failure``; note it here, or
    a job the queue gave up on would read "Running" for ever.
    """
    if _worker_app is None or not getattr(rq_job, "args", None):
        return
    try:
        _note_queue_failure(rq_job, "The worker stopped")
    except Exception:  # RQ calls this unguarded: a raise here would stop the worker itself
        log.exception("report job %s: could not note its stopped work horse", rq_job.args[0])


def requeue_abandoned(connection: Redis) -> list[str]:
    """Hand back to the queue the batches whose worker died mid-job; returns their RQ ids.

    A worker is dead when its Redis key has expired or, on this host, its process is gone
    (checked at once rather than after RQ's heartbeat timeout). The job then goes through
    RQ's own abandoned-job path: retried while it has retries left, failed after.
    """
    from rq import Worker
    from rq.executions import Execution

    queue = report_queue(connection)
    registry = queue.started_job_registry
    abandoned = []
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        try:
            worker_name = Execution.fetch(execution_id, job_id, connection).worker_name
        except ValueError:  # the execution's record expired with its worker
            worker_name = ""
        worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + worker_name, connection)
        if worker_name and worker is not None and _process_alive(worker):
            continue
        connection.zadd(registry.key, {f"{job_id}:{execution_id}": 0})
        abandoned.append(job_id)
    if abandoned:
        registry.cleanup(timestamp=1)  # RQ's abandoned-job handling for the entries above
    return abandoned


def _process_alive(worker) -> bool:
    if worker.hostname != socket.gethostname() or not worker.pid:
        return True  # another machine: trust its heartbeat (its key expires when it stops)
    if worker.pid == os.getpid():
        return False  # a restarted container reuses the pid: the old worker is gone
    try:
        os.kill(worker.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def requeue_lost(connection: Redis, older_than: timedelta = timedelta(minutes=1)) -> list[int]:
    """Enqueue again the unfinished jobs the queue no longer knows (Redis restarted, say);
    fail, with the reason, those the queue has ended while their row still says unfinished."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    cutoff = datetime.now(UTC) - older_than
    pending: Sequence[ReportJob] = db.scalars(
        select(ReportJob).where(
            ReportJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
            ReportJob.created_at < cutoff,
        )
    ).all()
    lost = []
    for job in pending:
        if job.queue_job_id:
            try:
                status = Job.fetch(job.queue_job_id, connection=connection).get_status()
            except NoSuchJobError:
                status = None
            if status is not None and status.value in _QUEUE_ENDED:
                # The queue ended it without telling the row (a work horse killed on its last
                # retry before this version noted it): say so rather than run for ever.
                note_job_error(job.id, f"The worker stopped; {GAVE_UP}", give_up=True)
                continue
            if status is not None:
                continue
        _enqueue(job)
        lost.append(job.id)
    db.commit()
    return lost


_QUEUE_ENDED = {"failed", "stopped", "canceled", "finished"}
