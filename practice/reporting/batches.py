"""Batches of progress reports: a report job run case by case, and the CLI's batch into a folder.

Both generate each report with ``operations.generate_report``, as the case's counsellor (a
single report of the Reports page: as the member who asked for it), each case in a unit of work
of its own, and go on when one case fails, keeping its reason.

- ``run_report_job``: what the report queue's task does with a ``ReportJob`` (the rules of the
  row, claim and count, are ``practice.reporting.jobs``).
- ``batch_cases``, ``batch_jobs``, ``run_batch``, ``generate_copy``: ``flask practice reports``,
  which writes a copy of each report into a folder, on worker processes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from practice.accounts.models import StaffMember
from practice.cases.models import Case, CaseStatus
from practice.core.database import db
from practice.core.errors import Refused
from practice.core.unit_of_work import unit_of_work
from practice.reporting import jobs, operations
from practice.reporting.models import ReportJob
from practice.reporting.operations import ReportError

log = logging.getLogger(__name__)


class _CountedElsewhere(Exception):
    """Another run counted this case first (or took the job over): drop what this one made."""


# --- A report job ----------------------------------------------------------------------------


def run_report_job(job_id: int, ticket: str) -> ReportJob | None:
    """Generate the remaining reports of the job as the queue task holding ``ticket``.

    Claims the job, then commits each case's report with the count that covers it, resuming
    where ``done + failed`` says; a case that fails (a refused period, a case that no longer
    exists, an error while rendering) is counted with its reason and the batch goes on.
    Returns the finished job, or None when it was not this task's to run (or it was taken
    over meanwhile). Raises only for trouble beyond one case (the database gone).
    """
    with unit_of_work():
        job = jobs.claim(job_id, ticket)
        parameters = dict(job.parameters) if job is not None else {}
    if job is None:
        return None
    while True:
        with unit_of_work():
            step = jobs.next_case(job_id, ticket)
        if step is None:
            break
        position, case_id = step
        try:
            _generate_one(job_id, ticket, parameters, position, case_id)
        except _CountedElsewhere:
            log.warning("report job %s: case %s was counted by another run", job_id, position)
    with unit_of_work():
        return jobs.finish(job_id, ticket)


def _generate_one(
    job_id: int, ticket: str, params: dict[str, Any], position: int, case_id: int | None
) -> None:
    """Generate the report at ``position`` of the job and count it, in one unit of work.

    Raises _CountedElsewhere (the report is rolled back, its file removed) when the count
    went to another run.
    """
    with unit_of_work():
        try:
            case = db.get(Case, case_id) if case_id is not None else None  # None: purged
            if case is None:
                raise ReportError("The case no longer exists.")
            if params.get("default"):
                # Renders only when no stored copy matches the inputs as they are now.
                operations.prepare_default_report(case)
            else:
                start, end = _period(case, params)
                operations.generate_report(
                    case,
                    start,
                    end,
                    params["audience"],
                    params.get("narrative") or "",
                    _author(case, params),
                    recommendations=params.get("recommendations") or "",
                )
            counted = jobs.count_case(job_id, ticket, position, done=1)
        except Exception as error:
            if not isinstance(error, Refused):
                # The message may repeat a row's values (clinical text): the log gets its type
                # and stack only, the job a generic reason.
                log.exception("report job %s: case id %s failed", job_id, case_id)
            reason = _reason(params, position, error)
            counted = jobs.count_case(job_id, ticket, position, failed=1, reason=reason)
        if not counted:
            raise _CountedElsewhere


def _author(case: Case, params: dict[str, Any]) -> StaffMember:
    """Who the report is generated as: the requester of a single report (checked again by
    ``generate_report``), else the case's counsellor, as the CLI batch does."""
    author_id = params.get("author_id")
    author = db.get(StaffMember, author_id) if author_id else None
    return author or case.counsellor


def _period(case: Case, params: dict[str, Any]) -> tuple[date, date]:
    """The report's period for ``case``; raises ReportError when it ends before it starts."""
    default_start, default_end = operations.default_period(case, date.today())
    start = date.fromisoformat(params["from"]) if params.get("from") else default_start
    end = date.fromisoformat(params["to"]) if params.get("to") else default_end
    if end < start:
        raise ReportError(
            f"The period ends on {end:%d %b %Y}, before it starts ({start:%d %b %Y}; the case "
            f"opened on {case.opened_on:%d %b %Y})."
        )
    return start, end


def _reason(params: dict[str, Any], position: int, error: Exception) -> str:
    references = params.get("references") or []
    reference = references[position] if position < len(references) else f"#{position + 1}"
    if isinstance(error, Refused):
        return f"{reference}: {error}"
    return f"{reference}: unexpected error ({type(error).__name__}); see the worker's log."


# --- The CLI's batch into a folder -----------------------------------------------------------


@dataclass(frozen=True)
class BatchJob:
    """One case of a batch and where its PDF goes."""

    case_id: int
    reference: str
    audience: str
    out_file: str


@dataclass(frozen=True)
class BatchOutcome:
    """How one job ended: the file written, or why it failed."""

    job: BatchJob
    ok: bool
    detail: str


def batch_cases(counsellor_email: str | None, status: str | None) -> list[Case]:
    """Cases of a batch, by reference; raises ReportError for an unknown counsellor or status."""
    query = select(Case).order_by(Case.reference)
    if status is not None:
        if status not in {s.value for s in CaseStatus}:
            raise ReportError(f"Unknown case status {status!r}.")
        query = query.where(Case.status == status)
    if counsellor_email:
        counsellor = db.scalar(
            select(StaffMember).where(StaffMember.email == counsellor_email.strip().lower())
        )
        if counsellor is None:
            raise ReportError(f"No staff member with email {counsellor_email}.")
        query = query.where(Case.counsellor_id == counsellor.id)
    return list(db.scalars(query))


def batch_jobs(cases: Iterable[Case], audience: str, out_dir: Path, today: date) -> list[BatchJob]:
    """One job per case, each writing ``<out_dir>/<reference>-<audience>-<period end>.pdf``."""
    batch = []
    for case in cases:
        _, end = operations.default_period(case, today)
        name = f"{case.reference}-{audience}-{end.isoformat()}.pdf"
        batch.append(BatchJob(case.id, case.reference, audience, str(out_dir / name)))
    return batch


def generate_copy(job: BatchJob, today: date) -> str:
    """Generate, record and copy out one case's report as its counsellor, in a unit of work of
    its own; returns what was written. Raises ReportError, or OSError when the copy cannot be
    written (nothing is then recorded)."""
    with unit_of_work():
        case = db.get(Case, job.case_id)
        if case is None:
            raise ReportError("The case no longer exists.")
        start, end = operations.default_period(case, today)
        report = operations.generate_report(
            case, start, end, job.audience, "", case.counsellor, copy_to=Path(job.out_file)
        )
        pages = report.page_count
    return f"{job.out_file} ({pages} pages)"


def run_batch(
    batch: list[BatchJob],
    render_one: Callable[[BatchJob], str],
    executor: Executor,
    on_outcome: Callable[[BatchOutcome], None] = lambda outcome: None,
) -> list[BatchOutcome]:
    """Run ``render_one`` for every job on ``executor``; a failed job does not stop the others.

    ``render_one`` returns a description of what it wrote or raises; each outcome is passed to
    ``on_outcome`` as it arrives (for a progress bar). Outcomes come back in job order.
    """
    futures = {executor.submit(render_one, job): job for job in batch}
    outcomes: dict[BatchJob, BatchOutcome] = {}
    for future in as_completed(futures):
        job = futures[future]
        try:
            outcome = BatchOutcome(job, True, future.result())
        # Whatever one report's failure, the others go on; the outcome carries the reason.
        except Exception as error:
            reason = str(error) if isinstance(error, ReportError) else None
            outcome = BatchOutcome(job, False, reason or f"{type(error).__name__}: {error}")
        outcomes[job] = outcome
        on_outcome(outcome)
    return [outcomes[job] for job in batch]
