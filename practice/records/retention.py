"""Retention: purging cases whose records have been kept as long as the law asks.

This is the one place clinical rows are deleted. Everything else voids with a reason; a closed
case whose retention period has ended is removed whole — its sessions, notes, addenda, moments,
scripts, measures, comments, reports and their stored PDFs — so nothing of it outlives the
period. Report jobs that listed the case keep their counts but lose its id and reference.
Audit events stay (they hold ids, never clinical text, and have no link to the case rows),
and each purge adds a "case_purged" event.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, select

from practice import audit
from practice.appointments.models import Appointment
from practice.breaks.models import BreakAccount, BreakEpisode
from practice.cases.models import BreakGlass, Case, CaseAssignment, CaseStatus, Partner
from practice.checkins.models import Checkin, CheckinBreak, CheckinLink, CheckinScriptAnswer
from practice.core.database import db
from practice.eft.models import ChangeEvent, StageOverride, event_evidence
from practice.formulation.models import CycleMapEvidence, CycleMapRevision, CycleMapSide
from practice.goals.models import GoalRating, TreatmentGoal
from practice.measures.models import MeasureResponse, ScoreSharingConsent
from practice.moments.models import Moment
from practice.reporting import operations as reports
from practice.reporting.models import Report, ReportJob
from practice.safety.models import RescreenDue, SafetyScreen, ScreenOverride
from practice.scripts.models import ScriptAssignment, ScriptObservation
from practice.sessions.models import Addendum, TherapySession, session_attendance
from practice.supervision.models import CommentRead, SupervisionComment

DEFAULT_RETENTION_YEARS = 7
# What a report job lists instead of a purged case's reference.
PURGED_REFERENCE = "(purged)"


def retention_years() -> int:
    """The configured retention period (``PRACTICE_RETENTION_YEARS``, 7 by default)."""
    return int(current_app.config.get("PRACTICE_RETENTION_YEARS") or DEFAULT_RETENTION_YEARS)


def cutoff(today: date, years: int) -> date:
    """The day ``years`` before ``today``; cases closed before it are past retention."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a year that has none
        return today.replace(year=today.year - years, day=28)


def expired_case_ids(today: date, years: int) -> list[int]:
    """Ids of closed cases whose closing day is more than ``years`` before ``today``."""
    if years < 1:
        raise ValueError("The retention period is at least one year.")
    return list(
        db.scalars(
            select(Case.id)
            .where(
                Case.status == CaseStatus.CLOSED,
                Case.closed_on.is_not(None),
                Case.closed_on < cutoff(today, years),
            )
            .order_by(Case.id)
        )
    )


@dataclass(frozen=True)
class Purged:
    """What a purge removed: counts for the audit event, stored files to remove after commit."""

    case_id: int
    sessions: int
    reports: int
    report_files: tuple[str, ...]


def purge_case(case_id: int, years: int) -> Purged:
    """Delete a case and every row that depends on it; audits "case_purged" (ids and counts).

    Flushes, does not commit; the caller removes ``report_files`` once the commit succeeded,
    with ``remove_report_files``. Raises ValueError if the case is not closed.
    """
    case = db.get(Case, case_id)
    if case is None or case.status != CaseStatus.CLOSED:
        raise ValueError(f"Case {case_id} is not a closed case.")
    therapy_session_ids = select(TherapySession.id).where(TherapySession.case_id == case_id)
    partner_ids = select(Partner.id).where(Partner.case_id == case_id)
    assignment_ids = select(ScriptAssignment.id).where(ScriptAssignment.case_id == case_id)
    comment_ids = select(SupervisionComment.id).where(SupervisionComment.case_id == case_id)
    therapy_sessions = len(db.scalars(therapy_session_ids).all())
    stored = db.scalars(select(Report.storage_path).where(Report.case_id == case_id))
    files = tuple(path for path in stored if path)
    checkin_ids = select(Checkin.id).where(Checkin.case_id == case_id)
    statements = [
        delete(CommentRead).where(CommentRead.comment_id.in_(comment_ids)),
        # Replies before the comments they answer, for databases that check row by row.
        delete(SupervisionComment).where(
            SupervisionComment.case_id == case_id, SupervisionComment.parent_id.is_not(None)
        ),
        delete(SupervisionComment).where(SupervisionComment.case_id == case_id),
        # A partner's check-ins go with their case: their answers, breaks, the check-ins
        # themselves (before the CSI-4 answers and assignments they name), and the links.
        delete(CheckinScriptAnswer).where(
            CheckinScriptAnswer.checkin_id.in_(checkin_ids)
            | CheckinScriptAnswer.assignment_id.in_(assignment_ids)
        ),
        delete(CheckinBreak).where(CheckinBreak.checkin_id.in_(checkin_ids)),
        delete(Checkin).where((Checkin.case_id == case_id) | Checkin.partner_id.in_(partner_ids)),
        delete(CheckinLink).where(
            (CheckinLink.case_id == case_id) | CheckinLink.partner_id.in_(partner_ids)
        ),
        delete(ScriptObservation).where(
            ScriptObservation.assignment_id.in_(assignment_ids)
            | ScriptObservation.session_id.in_(therapy_session_ids)
        ),
        delete(ScriptAssignment).where(ScriptAssignment.case_id == case_id),
        delete(MeasureResponse).where(
            MeasureResponse.session_id.in_(therapy_session_ids)
            | MeasureResponse.partner_id.in_(partner_ids)
        ),
        # Consents to share scores are never deleted, except with their whole case here.
        delete(ScoreSharingConsent).where(
            (ScoreSharingConsent.case_id == case_id)
            | ScoreSharingConsent.partner_id.in_(partner_ids)
        ),
        # Accounts of breaks before their episodes, both before the sessions and partners.
        delete(BreakAccount).where(
            (BreakAccount.case_id == case_id)
            | BreakAccount.session_id.in_(therapy_session_ids)
            | BreakAccount.told_by_id.in_(partner_ids)
        ),
        delete(BreakEpisode).where(BreakEpisode.case_id == case_id),
        # The cycle map: evidence, then sides, then revisions, before the moments and sessions.
        delete(CycleMapEvidence).where(CycleMapEvidence.case_id == case_id),
        delete(CycleMapSide).where(CycleMapSide.case_id == case_id),
        delete(CycleMapRevision).where(CycleMapRevision.case_id == case_id),
        # Goal ratings before their goals, both before the sessions and partners.
        delete(GoalRating).where(
            (GoalRating.case_id == case_id)
            | GoalRating.session_id.in_(therapy_session_ids)
            | GoalRating.partner_id.in_(partner_ids)
        ),
        delete(TreatmentGoal).where(TreatmentGoal.case_id == case_id),
        # Change events: their evidence links, before the events and the moments they name.
        delete(event_evidence).where(
            event_evidence.c.event_id.in_(
                select(ChangeEvent.id).where(ChangeEvent.case_id == case_id)
            )
            | event_evidence.c.moment_id.in_(
                select(Moment.id).where(Moment.session_id.in_(therapy_session_ids))
            )
        ),
        delete(ChangeEvent).where(
            (ChangeEvent.case_id == case_id) | ChangeEvent.session_id.in_(therapy_session_ids)
        ),
        delete(StageOverride).where(
            (StageOverride.case_id == case_id) | StageOverride.session_id.in_(therapy_session_ids)
        ),
        delete(RescreenDue).where(
            (RescreenDue.case_id == case_id) | RescreenDue.partner_id.in_(partner_ids)
        ),
        delete(ScreenOverride).where(
            (ScreenOverride.case_id == case_id) | ScreenOverride.session_id.in_(therapy_session_ids)
        ),
        delete(SafetyScreen).where(
            (SafetyScreen.case_id == case_id) | SafetyScreen.partner_id.in_(partner_ids)
        ),
        # Who carried the case and who opened it by break-glass: the audit trail keeps both.
        delete(CaseAssignment).where(CaseAssignment.case_id == case_id),
        delete(BreakGlass).where(BreakGlass.case_id == case_id),
        # Appointments before the session records some of them became.
        delete(Appointment).where(
            (Appointment.case_id == case_id) | Appointment.session_id.in_(therapy_session_ids)
        ),
        delete(Moment).where(Moment.session_id.in_(therapy_session_ids)),
        delete(Addendum).where(Addendum.session_id.in_(therapy_session_ids)),
        delete(session_attendance).where(session_attendance.c.session_id.in_(therapy_session_ids)),
        delete(TherapySession).where(TherapySession.case_id == case_id),
        delete(Report).where(Report.case_id == case_id),
        delete(Partner).where(Partner.case_id == case_id),
        delete(Case).where(Case.id == case_id),
    ]
    reference = case.reference
    # The ORM's copies of these rows are stale once the statements ran.
    db.expunge(case)
    for statement in statements:
        db.execute(statement.execution_options(synchronize_session=False))
    jobs = _scrub_report_jobs(case_id, reference)
    db.flush()
    purged = Purged(
        case_id=case_id, sessions=therapy_sessions, reports=len(files), report_files=files
    )
    audit.record(
        "case_purged",
        object_type="Case",
        object_id=case_id,
        case_id=case_id,
        actor_label="cli",
        detail={
            "retention_years": years,
            "sessions": therapy_sessions,
            "reports": len(files),
            "report_jobs": jobs,
        },
    )
    return purged


def _scrub_report_jobs(case_id: int, reference: str) -> int:
    """Blank the case's id and reference in the report jobs that listed it; returns how many.

    The lists keep their length, since a job's position in them is its progress.
    """
    scrubbed = 0
    for job in db.scalars(select(ReportJob).execution_options(yield_per=500)):
        parameters = job.parameters or {}
        ids = list(parameters.get("case_ids") or [])
        if case_id not in ids:
            continue
        references = list(parameters.get("references") or [])
        for position, listed in enumerate(ids):
            if listed == case_id:
                ids[position] = None
                if position < len(references):
                    references[position] = PURGED_REFERENCE
        # A single report still waiting would keep its narrative (clinical text): drop it.
        job.parameters = {
            **parameters,
            "case_ids": ids,
            "references": references,
            **({"narrative": None} if parameters.get("narrative") else {}),
            **({"recommendations": None} if parameters.get("recommendations") else {}),
        }
        if job.error and reference:
            # Whole reasons only ("C-0001: …"): C-0001 must not touch C-00012's lines.
            prefix = f"{reference}: "
            job.error = "\n".join(
                f"{PURGED_REFERENCE}: {line.removeprefix(prefix)}"
                if line.startswith(prefix)
                else line
                for line in job.error.split("\n")
            )
        scrubbed += 1
    return scrubbed


def remove_report_files(storage_paths: tuple[str, ...]) -> int:
    """Remove purged cases' stored PDFs (after the commit); returns how many were removed."""
    removed = 0
    for storage_path in storage_paths:
        with contextlib.suppress(OSError, reports.ReportError):
            path = reports.stored_file(Report(storage_path=storage_path))
            if path.exists():
                path.unlink()
                removed += 1
    return removed


def orphaned_report_files(older_than: timedelta = timedelta(hours=24)) -> list[Path]:
    """Stored PDFs, and partial writes, that no report row refers to, older than ``older_than``.

    A process stopped between writing a report's file and committing its row leaves one;
    nothing else would ever remove it, so it would outlive any retention period.
    """
    folder = reports.report_dir()
    known = set(db.scalars(select(Report.storage_path).where(Report.storage_path.is_not(None))))
    cutoff = time.time() - older_than.total_seconds()
    found = []
    for path in folder.iterdir():
        stored = path.suffix == ".pdf" or path.name.endswith(".pdf.part")
        if stored and path.name not in known and path.is_file() and path.stat().st_mtime < cutoff:
            found.append(path)
    return sorted(found)


def remove_orphaned_files(paths: list[Path]) -> int:
    """Remove ``paths`` (from ``orphaned_report_files``); audits the count; returns it."""
    removed = 0
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    audit.record(
        "report_files_swept", object_type="Report", actor_label="cli", detail={"files": removed}
    )
    return removed
