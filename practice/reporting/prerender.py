"""The default report, ready before it is asked for.

A case's default report is clinical, from the day the case opened to today, generated as its
counsellor with no narrative (``operations.DEFAULT_AUDIENCE``, ``operations.default_period``).
When what it shows changes (a note signed, an addendum, a moment tagged: the signals of
``practice.core.signals``), a job on the report queue prepares it: it renders only when no
stored report has the digest of the current inputs (``operations.inputs_digest``), so unchanged
inputs are never rendered twice. Asking for it (``ask_default``) serves the stored copy whose
digest matches, or answers that it is being prepared; a request never renders it.

``PRACTICE_PRERENDER_REPORTS`` (on by default) turns the signals' jobs on; asking for the
default report works either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_request_context

from practice.accounts.models import StaffMember
from practice.cases.models import Case
from practice.core.signals import (
    attendance_changed,
    case_record_changed,
    moment_tagged,
    note_signed,
)
from practice.reporting import jobs, operations, queue
from practice.reporting.models import Report, ReportJob


@dataclass(frozen=True)
class DefaultReport:
    """The case's default report as asked for: ``report`` when a stored copy matches the
    current inputs, else ``job``, the queue's job preparing it."""

    report: Report | None
    job: ReportJob | None


def ask_default(case: Case, member: StaffMember) -> DefaultReport:
    """The stored default report of ``case`` for its current inputs, or the job preparing it
    (one is recorded, and enqueued after the request, when none waits). Renders nothing."""
    digest = operations.default_digest(case)
    report = operations.stored_default_report(case, digest)
    if report is not None:
        return DefaultReport(report, None)
    return DefaultReport(None, start_preparing(case, member))


def start_preparing(case: Case, member: StaffMember | None) -> ReportJob:
    """The job preparing ``case``'s default report now: one waiting already, else a new one,
    enqueued once the request has committed it."""
    job, new = jobs.start_default_report(case, member)
    if new:
        queue.enqueue_after_request(job.id)
    return job


def peek_default(case: Case) -> DefaultReport:
    """What asking would give now, without recording a job: the stored copy for the current
    inputs, or the job already preparing it, or neither."""
    report = operations.stored_default_report(case, operations.default_digest(case))
    if report is not None:
        return DefaultReport(report, None)
    return DefaultReport(None, jobs.default_job_in_hand(case))


def prepare_after_request(
    case: Case, member: StaffMember | None = None, *, draft: bool = False
) -> None:
    """Queue the preparation of ``case``'s default report once the request has committed;
    nothing outside a request (CLI, demo) or when ``PRACTICE_PRERENDER_REPORTS`` is off.

    ``draft``: a change to a draft session (tagged live, answers autosaved), which comes in
    bursts: the job runs ``PRACTICE_PRERENDER_DELAY_SECONDS`` later and the burst shares it
    (with an immediate queue, nothing: the signing prepares it).
    """
    config = current_app.config if has_request_context() else {}
    if not config.get("PRACTICE_PRERENDER_REPORTS"):
        return
    if draft and queue.is_immediate():
        # No consumer runs a later job, and rendering now would hold up each live tag: the
        # signing prepares it.
        return
    delay = float(config.get("PRACTICE_PRERENDER_DELAY_SECONDS") or 0) if draft else 0
    job, new = jobs.start_default_report(case, member, delayed=delay > 0)
    if new:
        queue.enqueue_after_request(job.id, delay or None)


def _on_note_signed(therapy_session, member: StaffMember | None = None, **_extra) -> None:
    prepare_after_request(therapy_session.case, member)


def _on_moment_tagged(moment, therapy_session=None, member=None, **_extra) -> None:
    if therapy_session is not None:
        draft = not therapy_session.is_signed
        prepare_after_request(therapy_session.case, member, draft=draft)


def _on_attendance_changed(therapy_session, **_extra) -> None:
    prepare_after_request(therapy_session.case, draft=True)


def _on_case_record_changed(
    case: Case, member: StaffMember | None = None, draft: bool = False, **_extra
) -> None:
    prepare_after_request(case, member, draft=draft)


def connect_signals() -> None:
    """Prepare the default report when what it shows changes (idempotent)."""
    note_signed.connect(_on_note_signed)
    moment_tagged.connect(_on_moment_tagged)
    attendance_changed.connect(_on_attendance_changed)
    case_record_changed.connect(_on_case_record_changed)
