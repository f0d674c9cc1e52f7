"""A case's full export: its whole record as ``case.json`` and its stored report PDFs, zipped.

The export is the record as it stands, voided rows included (with who voided them, when and
why), each signed note with its hash and whether it still matches. Dates are ISO 8601 (UTC for
times). ``SCHEMA_VERSION`` changes whenever the shape of ``case.json`` does.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from practice import audit
from practice.accounts.models import StaffMember
from practice.breaks.models import BreakAccount, BreakEpisode
from practice.cases.models import Case
from practice.cases.operations import CaseError
from practice.core.database import db, utcnow
from practice.eft import export as eft_export
from practice.goals.export import goals_record
from practice.measures.models import MeasureResponse, ScoreSharingConsent
from practice.moments.models import Moment
from practice.reporting import operations as reports
from practice.reporting.models import Report
from practice.scripts.models import ScriptAssignment
from practice.sessions.models import Addendum, TherapySession
from practice.sessions.operations import note_intact_audited
from practice.supervision.models import SupervisionComment

# 2: each partner's consents to share their CSI-4 scores ("score_sharing_consents").
SCHEMA_VERSION = "2"


def may_export(member: StaffMember, case: Case) -> bool:
    """The case's own counsellor exports a case; supervisors review only, and administrators
    read no clinical record (a break-glass opening lets them read it, not take it away)."""
    return case.counsellor_id == member.id


def filename(case: Case, when: date) -> str:
    """``C-0042-export-2026-11-23.zip``: the reference and the day, never a name."""
    return f"{case.reference}-export-{when.isoformat()}.zip"


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _void(row: TherapySession | Moment) -> dict[str, Any]:
    return {
        "voided": row.voided_at is not None,
        "voided_at": _iso(row.voided_at),
        "voided_by_id": row.voided_by_id,
        "void_reason": row.void_reason,
    }


def _moment(moment: Moment) -> dict[str, Any]:
    return {
        "id": moment.id,
        "type": moment.moment_type.key,
        "label": moment.moment_type.label,
        "valence": moment.moment_type.valence,
        "partner_id": moment.partner_id,
        "minute": moment.minute,
        "intensity": moment.intensity,
        "context": moment.context,
        "target_partner_id": moment.target_partner_id,
        "answers_moment_id": moment.answers_moment_id,
        "outcome": moment.outcome,
        "created_by_id": moment.created_by_id,
        "created_at": _iso(moment.created_at),
        **_void(moment),
    }


def _addendum(addendum: Addendum) -> dict[str, Any]:
    return {
        "id": addendum.id,
        "author_id": addendum.author_id,
        "created_at": _iso(addendum.created_at),
        "text": addendum.text,
    }


def _therapy_session(therapy_session: TherapySession) -> dict[str, Any]:
    return {
        "id": therapy_session.id,
        "starts_at": _iso(therapy_session.starts_at),
        "duration_minutes": therapy_session.duration_minutes,
        "modality": therapy_session.modality,
        "eft_stage": therapy_session.eft_stage,
        "attendee_ids": sorted(p.id for p in therapy_session.attendees),
        "status": therapy_session.status,
        "note": {
            "data": therapy_session.note_data,
            "assessment": therapy_session.note_assessment,
            "plan": therapy_session.note_plan,
        },
        "signed_by_id": therapy_session.signed_by_id,
        "signed_at": _iso(therapy_session.signed_at),
        "note_sha256": therapy_session.note_sha256,
        # A changed note is exported as it is, flagged here and audited.
        "note_intact": note_intact_audited(therapy_session, "case_export"),
        "review_status": therapy_session.review_status,
        "cosigned_by_id": therapy_session.cosigned_by_id,
        "cosigned_at": _iso(therapy_session.cosigned_at),
        "created_by_id": therapy_session.created_by_id,
        "created_at": _iso(therapy_session.created_at),
        **_void(therapy_session),
        "addenda": [_addendum(a) for a in sorted(therapy_session.addenda, key=lambda a: a.id)],
        "moments": [
            _moment(m) for m in sorted(therapy_session.moments, key=lambda m: (m.minute, m.id))
        ],
    }


def _assignment(assignment: ScriptAssignment) -> dict[str, Any]:
    return {
        "id": assignment.id,
        "partner_id": assignment.partner_id,
        "script": {
            "id": assignment.script.id,
            "text": assignment.script.text,
            "intended_role": assignment.script.intended_role,
            "category": assignment.script.category,
        },
        "assigned_session_id": assignment.assigned_session_id,
        "status": assignment.status,
        "retired_session_id": assignment.retired_session_id,
        "retired_at": _iso(assignment.retired_at),
        "created_at": _iso(assignment.created_at),
        "observations": [
            {
                "id": o.id,
                "session_id": o.session_id,
                "status": o.status,
                "level": o.level,
                "note": o.note,
                "recorded_at": _iso(o.recorded_at),
            }
            for o in sorted(assignment.observations, key=lambda o: o.id)
        ],
    }


def _report(report: Report, archived_as: str | None, file_status: str) -> dict[str, Any]:
    return {
        "id": report.id,
        "audience": report.audience,
        "period_start": _iso(report.period_start),
        "period_end": _iso(report.period_end),
        "narrative": report.narrative,
        "recommendations": report.recommendations,
        "generated_by_id": report.generated_by_id,
        "generated_at": _iso(report.generated_at),
        "sha256": report.sha256,
        "size_bytes": report.size_bytes,
        "page_count": report.page_count,
        "file": archived_as,
        "file_status": file_status,
    }


def _report_file(report: Report) -> tuple[bytes | None, str]:
    """The stored PDF if it is there and matches its recorded hash, and what was found."""
    try:
        data = reports.stored_file(report).read_bytes()
    except (OSError, reports.ReportError):
        return None, "missing"
    if hashlib.sha256(data).hexdigest() != report.sha256:
        return None, "hash_mismatch"
    return data, "included"


def _break_account(account: BreakAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "told_by_id": account.told_by_id,
        "source": account.source,
        "session_id": account.session_id,
        "checkin_id": account.checkin_id,
        "called_by_id": account.called_by_id,
        "called_at": _iso(account.called_at),
        "with_script": account.with_script,
        "flooding": account.flooding,
        "heart_rate": account.heart_rate,
        "promised_return_at": _iso(account.promised_return_at),
        "resumed_at": _iso(account.resumed_at),
        "resumed_by_id": account.resumed_by_id,
        "with_invitation": account.with_invitation,
        "outcome": account.outcome,
        "recorded_by_id": account.recorded_by_id,
        "recorded_at": _iso(account.recorded_at),
        "updated_at": _iso(account.updated_at),
        "version": account.version,
    }


def case_record(case: Case, member: StaffMember) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The case's record as a JSON-ready dict, and the report PDFs by their name in the archive.

    Reads in a fixed number of queries; nothing is changed.
    """
    therapy_sessions = db.scalars(
        select(TherapySession)
        .where(TherapySession.case_id == case.id)
        .options(
            selectinload(TherapySession.attendees),
            selectinload(TherapySession.addenda),
            selectinload(TherapySession.moments).joinedload(Moment.moment_type),
        )
        .order_by(TherapySession.starts_at, TherapySession.id)
    ).all()
    assignments = db.scalars(
        select(ScriptAssignment)
        .where(ScriptAssignment.case_id == case.id)
        .options(selectinload(ScriptAssignment.script), selectinload(ScriptAssignment.observations))
        .order_by(ScriptAssignment.id)
    ).all()
    session_ids = [therapy_session.id for therapy_session in therapy_sessions]
    measures = db.scalars(
        select(MeasureResponse)
        .where(MeasureResponse.session_id.in_(session_ids))
        .order_by(MeasureResponse.id)
    ).all()
    consents = db.scalars(
        select(ScoreSharingConsent)
        .where(ScoreSharingConsent.case_id == case.id)
        .order_by(ScoreSharingConsent.id)
    ).all()
    episodes = db.scalars(
        select(BreakEpisode)
        .where(BreakEpisode.case_id == case.id)
        .options(selectinload(BreakEpisode.accounts))
        .order_by(BreakEpisode.called_at, BreakEpisode.id)
    ).all()
    comments = db.scalars(
        select(SupervisionComment)
        .where(SupervisionComment.case_id == case.id)
        .order_by(SupervisionComment.id)
    ).all()
    stored = db.scalars(select(Report).where(Report.case_id == case.id).order_by(Report.id)).all()
    files: dict[str, bytes] = {}
    report_rows = []
    for report in stored:
        data, status = _report_file(report)
        name = None
        if data is not None:
            name = f"reports/{report.id}-{reports.download_name(report, case.reference)}"
            files[name] = data
        report_rows.append(_report(report, name, status))
    record = {
        "schema_version": SCHEMA_VERSION,
        "exported_at": _iso(utcnow().replace(microsecond=0)),
        "exported_by_id": member.id,
        "case": {
            "id": case.id,
            "reference": case.reference,
            "kind": case.kind,
            "status": case.status,
            "status_reason": case.status_reason,
            "opened_on": _iso(case.opened_on),
            "closed_on": _iso(case.closed_on),
            "presenting_concerns": case.presenting_concerns,
            "goals": case.goals,
            "referrer_name": case.referrer_name,
            "referrer_organisation": case.referrer_organisation,
            "referral_question": case.referral_question,
            "eft_stage": case.eft_stage,
            "counsellor": {"id": case.counsellor_id, "display_name": case.counsellor.display_name},
            "created_at": _iso(case.created_at),
            "updated_at": _iso(case.updated_at),
        },
        "partners": [
            {
                "id": p.id,
                "display_name": p.display_name,
                "pronouns": p.pronouns,
                "cycle_role": p.cycle_role,
                "position": p.position,
            }
            for p in case.partners
        ],
        "sessions": [_therapy_session(therapy_session) for therapy_session in therapy_sessions],
        "script_assignments": [_assignment(a) for a in assignments],
        "measures": [
            {
                "id": m.id,
                "session_id": m.session_id,
                "partner_id": m.partner_id,
                "measure": m.measure,
                "items": list(m.items),
                "total": m.total,
                "recorded_by_id": m.recorded_by_id,
                "recorded_at": _iso(m.recorded_at),
            }
            for m in measures
        ],
        "score_sharing_consents": [
            {
                "id": c.id,
                "partner_id": c.partner_id,
                "audience": c.audience,
                "given_on": _iso(c.given_on),
                "recorded_by_id": c.recorded_by_id,
                "recorded_at": _iso(c.recorded_at),
                "withdrawn_on": _iso(c.withdrawn_on),
                "withdrawal_by_id": c.withdrawal_by_id,
                "withdrawal_at": _iso(c.withdrawal_at),
            }
            for c in consents
        ],
        "break_episodes": [
            {
                "id": e.id,
                "called_by_id": e.called_by_id,
                "called_at": _iso(e.called_at),
                "accounts": [_break_account(a) for a in e.accounts],
            }
            for e in episodes
        ],
        "treatment_goals": goals_record(case),
        **eft_export.case_export(case.id),
        "supervision_comments": [
            {
                "id": c.id,
                "session_id": c.session_id,
                "parent_id": c.parent_id,
                "author_id": c.author_id,
                "body": c.body,
                "returns_note": c.returns_note,
                "created_at": _iso(c.created_at),
            }
            for c in comments
        ],
        "reports": report_rows,
    }
    return record, files


def export_case(case: Case, member: StaffMember) -> bytes:
    """The ZIP of ``case``'s record for ``member`` (whose password the caller confirmed).

    Audits "case_exported" with counts only. Raises CaseError if ``member`` may not export the
    case.
    """
    if not may_export(member, case):
        raise CaseError("Only the case's counsellor or an administrator exports a case.")
    record, files = case_record(case, member)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("case.json", json.dumps(record, ensure_ascii=False, indent=2))
        for name, data in files.items():
            archive.writestr(name, data)
    audit.record(
        "case_exported",
        obj=case,
        actor=member,
        detail={
            "schema_version": SCHEMA_VERSION,
            "sessions": len(record["sessions"]),
            "reports": len(files),
            "reports_not_included": len(record["reports"]) - len(files),
        },
    )
    return buffer.getvalue()


def record_refusal(case: Case, member: StaffMember) -> None:
    """Audit an export refused for a wrong password."""
    audit.record("case_export_failed", obj=case, actor=member, outcome="denied")
