"""API: progress reports of a case: list, generate, read the record, download the PDF."""

from __future__ import annotations

import re

from flask import Response, url_for
from sqlalchemy import select

from practice.api.routing import ID, body, bp, created, operation, page_body, paginate, read
from practice.api.schemas import PageArgsSchema, page_of
from practice.cases.operations import today
from practice.cases.scoping import case_for_editor, case_for_viewer
from practice.reporting import job_limits, operations, prerender
from practice.reporting.models import Report
from practice.reporting.schemas import ReportCreateSchema, ReportPreparingSchema, ReportSchema
from practice.web import access

ReportPageSchema = page_of(ReportSchema, "Report")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


@bp.route(f"/cases/<{ID}:case_id>/reports")
@access.staff
@operation(
    "List a case's generated reports",
    tag="Reports",
    description="Newest first.",
    query=PageArgsSchema,
    returns=ReportPageSchema,
)
def reports_list(case_id: int, args: dict):
    case = case_for_viewer(access.current_staff(), case_id)
    query = select(Report).where(Report.case_id == case.id)
    rows, total = paginate(query.order_by(Report.generated_at.desc(), Report.id.desc()), args)
    page = page_body(ReportSchema(many=True).dump(rows), total, args)
    return read(page, "api_reports_listed", obj=case, detail={"count": len(rows)})


@bp.route(f"/cases/<{ID}:case_id>/reports", methods=["POST"])
@access.staff
@operation(
    "Generate a progress report",
    tag="Reports",
    description=(
        "Only the case's counsellor. Renders the PDF for the audience (clinical, client or "
        "referrer) and period, stores it and answers with its record; the PDF is at "
        "`/reports/{report_id}/download`. At most `PRACTICE_REPORT_JOBS_PER_USER` (10) "
        "reports of yours may be waiting, running or made in the last minute: more answer 429."
    ),
    body=ReportCreateSchema,
    status=201,
    returns=ReportSchema,
    errors=(409, 429),
)
def report_create(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    job_limits.check_report_rate(member)
    data = body()
    default_start, default_end = operations.default_period(case, today())
    start = data.get("period_start", default_start)
    end = data.get("period_end", default_end)
    report = operations.generate_report(
        case,
        start,
        end,
        data["audience"],
        data["narrative"],
        member,
        recommendations=data["recommendations"],
    )
    return created(ReportSchema().dump(report), ".report_read", report_id=report.id)


# Seconds a client waits before asking again for a default report being prepared.
RETRY_AFTER = 2


@bp.route(f"/cases/<{ID}:case_id>/reports/default")
@access.staff
@operation(
    "Download the case's default report",
    tag="Reports",
    description=(
        "The default report: clinical, from the day the case opened to today (or the day it "
        "closed), as the case's counsellor generates it with no narrative. It is prepared in "
        "the background whenever what it shows changes (a note signed or amended at once; "
        "answers, adoption levels, moments or attendance recorded at a draft a little later), "
        "and stored with the digest of its inputs. When the "
        "stored copy matches the current inputs, this answers 200 with its bytes, checked "
        "against the recorded SHA-256 first (`Content-Location` names its record). Otherwise "
        "it answers 202: the report is being prepared; ask again at `Location` after "
        "`Retry-After` seconds. Nothing is rendered while the request waits. To render a "
        "report of another period or audience, or with a narrative, in the request, POST to "
        "`/cases/{case_id}/reports` as before."
    ),
    media_type="application/pdf",
    accepted=ReportPreparingSchema,
    errors=(409,),
)
def report_default(case_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    asked = prerender.ask_default(case, member)
    if asked.report is None:
        job = asked.job
        payload = {"status": "preparing", "job_id": job.id, "job_status": job.status}
        response = read(
            ReportPreparingSchema().dump(payload),
            "api_default_report_pending",
            obj=case,
            detail={"job_id": job.id},
        )
        response.status_code = 202
        response.headers["Location"] = url_for(".report_default", case_id=case.id)
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response
    report = asked.report
    data = operations.read_report(report, member)
    name = _UNSAFE_FILENAME.sub("_", operations.download_name(report, case.reference))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Content-Location"] = url_for(".report_read", report_id=report.id)
    return response


@bp.route(f"/reports/<{ID}:report_id>")
@access.staff
@operation("Read a report's record", tag="Reports", returns=ReportSchema)
def report_read(report_id: int):
    report, _case = operations.report_for_viewer(access.current_staff(), report_id)
    return read(ReportSchema().dump(report), "api_report_read", obj=report)


@bp.route(f"/reports/<{ID}:report_id>/download")
@access.staff
@operation(
    "Download a report's PDF",
    tag="Reports",
    description="The stored bytes, checked against the recorded SHA-256 first.",
    media_type="application/pdf",
    errors=(409,),
)
def report_download(report_id: int):
    member = access.current_staff()
    report, case = operations.report_for_viewer(member, report_id)
    data = operations.read_report(report, member)
    name = _UNSAFE_FILENAME.sub("_", operations.download_name(report, case.reference))
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
