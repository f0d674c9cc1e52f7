"""Progress reports: generate, store, list and read back PDFs.

``generate_report`` is the one way a report is made, by the Reports page (through its job), the
API, the CLI and the report jobs alike. A generated PDF is written under the report store
(``PRACTICE_REPORT_DIR``, by default ``<instance>/reports/``) with a name made from the report's
id and a random token, never from user input; its row records who, when, the period, the
audience and the SHA-256 of the bytes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from flask import abort, current_app
from sqlalchemy import select

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Case
from practice.cases.queries import visible_cases
from practice.core import private_files
from practice.core.database import db
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.core.signals import report_generated
from practice.core.unit_of_work import atomic, on_rollback, release_transaction
from practice.reporting.models import Audience, Report
from practice.reports.pdf import render_pdf
from practice.reports.progress_report import build_report_html, report_context

MAX_NARRATIVE_LENGTH = 10_000
AUDIENCES = tuple(a.value for a in Audience)
# The default report: the one the Reports tab and the API's ``/reports/default`` serve,
# prepared in the background (``practice.reporting.prerender``). Clinical, from the day the
# case opened to today (``default_period``), generated as the case's counsellor, with no
# narrative or recommendations.
DEFAULT_AUDIENCE = Audience.CLINICAL
# What the digest of a report's inputs puts in place of its "generated on" time, so that two
# renders of the same inputs have the same digest.
_PINNED_TIME = datetime(2000, 1, 1, tzinfo=UTC)


class ReportError(Refused):
    """A report that cannot be generated or read back; the message says why."""


def check_request(
    start: date, end: date, audience: str, narrative: str, recommendations: str = ""
) -> None:
    """Refuse a report request that makes no sense; raises ReportError with the reason."""
    if audience not in AUDIENCES:
        raise ReportError(f"Choose an audience: {', '.join(AUDIENCES)}.")
    if end < start:
        raise ReportError(_("The period must end on or after the day it starts."))
    if len(narrative) > MAX_NARRATIVE_LENGTH:
        raise ReportError(
            f"The narrative is {len(narrative):,} characters long; the limit is "
            f"{MAX_NARRATIVE_LENGTH:,}."
        )
    if len(recommendations) > MAX_NARRATIVE_LENGTH:
        raise ReportError(
            f"The recommendations are {len(recommendations):,} characters long; the limit is "
            f"{MAX_NARRATIVE_LENGTH:,}."
        )


def printed_recommendations(audience: str, recommendations: str) -> str:
    """The recommendations a report of ``audience`` prints and keeps: the referrer's and the
    clinical record's; never the clients' (written for the referrer, not for them)."""
    return "" if audience == Audience.CLIENT else recommendations.strip()


def _check_author(case: Case, member: StaffMember) -> None:
    if member.id != case.counsellor_id:
        raise ReportError(_("Only the case's counsellor generates its reports."))


def default_period(case: Case, today: date) -> tuple[date, date]:
    """From the day the case opened to ``today`` (or the day it closed, if earlier)."""
    end = min(today, case.closed_on) if case.closed_on else today
    return case.opened_on, max(end, case.opened_on)


@atomic
def preview_html(
    case: Case,
    start: date,
    end: date,
    audience: str,
    narrative: str,
    member: StaffMember,
    asset_url: Callable[[str], str],
    *,
    recommendations: str = "",
) -> str:
    """The report's HTML as the PDF would hold it, with assets at ``asset_url(name)``; audits
    "report_previewed" (and each tampered signed note it finds).

    Raises ReportError if ``member`` is not the case's counsellor or the request is refused.
    """
    _check_author(case, member)
    check_request(start, end, audience, narrative, recommendations)
    context = report_context(
        case,
        start,
        end,
        audience,
        narrative,
        member,
        recommendations=printed_recommendations(audience, recommendations),
    )
    audit.record("report_previewed", obj=case, actor=member, detail=_detail(audience, start, end))
    _audit_integrity(case.id, _tampered_ids(context), member, "report_preview")
    return build_report_html(context, asset_url=asset_url)


def _tampered_ids(context: dict) -> tuple[int, ...]:
    return tuple(failure["session_id"] for failure in context["integrity_failures"])


def _audit_integrity(
    case_id: int, session_ids: tuple[int, ...], member: StaffMember, where: str
) -> None:
    """Audit each signed note a report found changed since signing (ids only)."""
    for session_id in session_ids:
        audit.record(
            "note_integrity_failed",
            object_type="TherapySession",
            object_id=session_id,
            case_id=case_id,
            actor=member,
            outcome="failed",
            detail={"where": where},
        )


@dataclass(frozen=True)
class RenderedReport:
    """A rendered PDF and what it was rendered from, not yet stored or recorded."""

    case_id: int
    audience: str
    start: date
    end: date
    narrative: str
    member_id: int
    generated_at: datetime
    data: bytes
    page_count: int
    # Signed sessions whose note failed its hash check; the report names them.
    tampered_session_ids: tuple[int, ...] = ()
    recommendations: str = ""
    # A prepared default report's ``inputs_digest``; None for any other.
    inputs_digest: str | None = None


def generate_report(
    case: Case,
    start: date,
    end: date,
    audience: str,
    narrative: str,
    member: StaffMember,
    *,
    copy_to: Path | None = None,
    recommendations: str = "",
) -> Report:
    """Generate a progress report as ``member``, the case's counsellor: the one way a report is
    made, for the Reports page (through its job), the API, the CLI and the report jobs.

    Reads what the report shows, ends the read transaction (``release_transaction``: what the
    unit of work did so far is committed), renders the PDF, then records it in a savepoint:
    the stored file, the ``Report`` row, the "report_generated" audit event and the signal.
    With ``copy_to`` the PDF is also written there, as part of recording it. If the unit of
    work later rolls back, the stored file is removed with the row (``on_rollback``).

    Flushes, does not commit. Raises ReportError if ``member`` is not the case's counsellor or
    the request is refused (see ``check_request``); OSError if ``copy_to`` cannot be written
    (nothing is then recorded).
    """
    rendered = render_report(
        case, start, end, audience, narrative, member, recommendations=recommendations
    )
    return _record(rendered, member, copy_to)


def render_report(
    case: Case,
    start: date,
    end: date,
    audience: str,
    narrative: str,
    member: StaffMember,
    *,
    recommendations: str = "",
) -> RenderedReport:
    """The read-and-render half of ``generate_report``: the PDF, neither stored nor recorded.

    Ends the read transaction before drawing the PDF (``release_transaction``), so call it with
    nothing pending that must not be committed. Raises ReportError as ``generate_report`` does.
    """
    _check_author(case, member)
    check_request(start, end, audience, narrative, recommendations)
    recommendations = printed_recommendations(audience, recommendations)
    context = report_context(
        case, start, end, audience, narrative, member, recommendations=recommendations
    )
    return _render(case, member, context, narrative)


def _render(
    case: Case, member: StaffMember, context: dict, narrative: str, digest: str | None = None
) -> RenderedReport:
    """Draw the PDF of ``context`` (ending the read transaction first)."""
    html = build_report_html(context)
    case_id, member_id = case.id, member.id
    # WeasyPrint takes a second or more and reads nothing: end the reading transaction first,
    # so that on SQLite, where every transaction holds the write lock, other requests do not
    # wait for the rendering.
    release_transaction()
    data = render_pdf(html)
    return RenderedReport(
        case_id=case_id,
        audience=context["audience"],
        start=context["period_start"],
        end=context["period_end"],
        narrative=narrative,
        member_id=member_id,
        generated_at=context["generated_at"],
        data=bytes(data),
        page_count=getattr(data, "page_count", 0),
        tampered_session_ids=_tampered_ids(context),
        recommendations=context["recommendations"],
        inputs_digest=digest,
    )


# --- The default report, prepared before it is asked for ------------------------------------


def inputs_digest(context: dict) -> str:
    """The SHA-256 of the report's HTML with its "generated on" time pinned: the same for two
    renders of the same inputs, different as soon as anything the report shows differs (a
    signed note, an addendum, a measure, the period's last day, consent, the page size)."""
    pinned = {**context, "generated_at": _PINNED_TIME, "generated_local": _PINNED_TIME}
    return hashlib.sha256(build_report_html(pinned).encode("utf-8")).hexdigest()


def report_today() -> date:
    """The day the default report's period ends on (the server's date): read afresh each time,
    so that the day after, the digest differs and yesterday's stored copy is not served."""
    return date.today()


def _default_context(case: Case) -> dict:
    start, end = default_period(case, report_today())
    return report_context(case, start, end, DEFAULT_AUDIENCE, "", case.counsellor)


def default_digest(case: Case) -> str:
    """The digest of the case's default report as it would be rendered now (reads, renders
    no PDF: tens of milliseconds)."""
    return inputs_digest(_default_context(case))


def stored_default_report(case: Case, digest: str) -> Report | None:
    """The newest stored default report of ``case`` made from inputs with ``digest``."""
    return db.scalar(
        select(Report)
        .where(Report.case_id == case.id, Report.inputs_digest == digest)
        .order_by(Report.id.desc())
        .limit(1)
    )


def prepare_default_report(case: Case) -> tuple[Report, bool]:
    """The case's default report for its current inputs: the stored copy when one matches
    (nothing rendered), else rendered, stored and recorded as the case's counsellor, as
    ``generate_report`` records any report. Returns (report, rendered now).

    For the report queue's job: ends the read transaction before rendering.
    """
    context = _default_context(case)
    digest = inputs_digest(context)
    stored = stored_default_report(case, digest)
    if stored is not None:
        return stored, False
    member = case.counsellor
    rendered = _render(case, member, context, "", digest)
    return _record(rendered, member, None), True


@atomic
def _record(rendered: RenderedReport, member: StaffMember, copy_to: Path | None) -> Report:
    """Store the PDF (and its copy) and record it; audits "report_generated", sends the signal.

    The first statement is the report's INSERT, so a job that ended its reading transaction
    before calling this takes SQLite's write lock without a stale snapshot.
    """
    data = rendered.data
    report = Report(
        case_id=rendered.case_id,
        audience=rendered.audience,
        period_start=rendered.start,
        period_end=rendered.end,
        narrative=rendered.narrative,
        recommendations=rendered.recommendations,
        generated_by_id=rendered.member_id,
        generated_at=rendered.generated_at,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        page_count=rendered.page_count,
        storage_path="",
        inputs_digest=rendered.inputs_digest,
    )
    db.add(report)
    db.flush()  # the id names the file
    storage_path = _store(report.id, data)
    on_rollback(functools.partial(discard_file, storage_path))
    report.storage_path = storage_path
    if copy_to is not None:
        private_files.write_private(Path(copy_to), data)
    audit.record(
        "report_generated",
        obj=report,
        case_id=rendered.case_id,
        actor=member,
        detail={
            **_detail(rendered.audience, rendered.start, rendered.end),
            "report_id": report.id,
            "pages": report.page_count,
            "integrity_failures": len(rendered.tampered_session_ids),
            **({"prepared": True} if rendered.inputs_digest else {}),
        },
    )
    _audit_integrity(rendered.case_id, rendered.tampered_session_ids, member, "report")
    db.flush()
    report_generated.send(report, member=member)
    return report


def report_dir() -> Path:
    """The folder that holds the stored PDFs (created, private to the process's user)."""
    configured = current_app.config.get("PRACTICE_REPORT_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "reports"
    private_files.ensure_dir(folder)
    return folder.resolve()


def _store(report_id: int, data: bytes) -> str:
    folder = report_dir()
    name = f"{report_id}-{secrets.token_hex(12)}.pdf"
    partial = folder / f".{name}.part"
    # Written to a temporary name and renamed, so a crash never leaves half a PDF under the
    # recorded name; owner-only permissions, as the PDFs hold clinical information.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(partial, folder / name)
    return name


def stored_file(report: Report) -> Path:
    """The stored PDF of ``report``; raises ReportError if the path leaves the store."""
    folder = report_dir()
    path = (folder / report.storage_path).resolve()
    if not report.storage_path or not path.is_relative_to(folder) or path == folder:
        raise ReportError(_("The report's stored file is not in the report store."))
    return path


def discard_file(storage_path: str) -> None:
    """Remove a stored PDF whose report row was rolled back (best effort)."""
    with contextlib.suppress(OSError, ReportError):
        stored_file(Report(storage_path=storage_path)).unlink(missing_ok=True)


@atomic
def read_report(report: Report, member: StaffMember) -> bytes:
    """The stored bytes, checked against the recorded SHA-256; audits "report_downloaded".

    Raises ReportError if the file is missing or no longer matches its hash.
    """
    try:
        data = stored_file(report).read_bytes()
    except OSError as error:
        raise ReportError(_("The stored PDF of this report is missing.")) from error
    if hashlib.sha256(data).hexdigest() != report.sha256:
        raise ReportError(_("The stored PDF no longer matches its recorded SHA-256."))
    audit.record(
        "report_downloaded",
        obj=report,
        case_id=report.case_id,
        actor=member,
        detail={"report_id": report.id, "audience": report.audience},
    )
    return data


def download_name(report: Report, reference: str) -> str:
    """``C-0001-clinical-2026-11-20.pdf``: reference, audience and period end; never names."""
    return f"{reference}-{report.audience}-{report.period_end.isoformat()}.pdf"


def reports_of_case(case: Case) -> list[tuple[Report, str]]:
    """The case's reports, newest first, each with the name of whoever generated it."""
    return list(
        db.execute(
            select(Report, StaffMember.display_name)
            .join(StaffMember, StaffMember.id == Report.generated_by_id)
            .where(Report.case_id == case.id)
            .order_by(Report.generated_at.desc(), Report.id.desc())
        )
    )


def report_for_viewer(member: StaffMember, report_id: int) -> tuple[Report, Case]:
    """The report and its case if ``member`` may see the case; 404 otherwise."""
    visible = visible_cases(member).with_only_columns(Case.id)
    row = db.execute(
        select(Report, Case)
        .join(Case, Case.id == Report.case_id)
        .where(Report.id == report_id, Case.id.in_(visible))
    ).first()
    if row is None:
        abort(404)
    return row.Report, row.Case


def _detail(audience: str, start: date, end: date) -> dict:
    return {"audience": audience, "from": start.isoformat(), "to": end.isoformat()}
