"""API: the supervisor's caseload, one line per active case with its figures and flags."""

from __future__ import annotations

from flask import current_app

from practice.accounts.models import Role
from practice.api.routing import bp, operation, page_body, paginate_list, read
from practice.api.schemas import Choice, PageArgsSchema, QueryNumber, page_of
from practice.core.database import MAX_ID
from practice.measures.csi4 import Csi4Change
from practice.supervision.dashboard import (
    FLAG_FILTERS,
    TREND_FILTERS,
    CaseLine,
    DashboardQuery,
    caseload_dashboard,
)
from practice.supervision.flags import Thresholds
from practice.supervision.schemas import CaseloadLineSchema
from practice.web import access

CaseloadPageSchema = page_of(CaseloadLineSchema, "CaseloadLine")


class CaseloadArgsSchema(PageArgsSchema):
    flag = Choice(
        FLAG_FILTERS,
        metadata={"description": "Only cases with this flag ('any': any flag, 'none': none)."},
    )
    trend = Choice(TREND_FILTERS)
    counsellor = QueryNumber(1, MAX_ID, metadata={"description": "Only this counsellor's cases."})


def _line_body(line: CaseLine) -> dict:
    return {
        "case_id": line.case_id,
        "reference": line.reference,
        "counsellor_id": line.counsellor_id,
        "counsellor": line.counsellor,
        "session_count": line.session_count,
        "last_session_at": line.last_session_at,
        "eft_stage": line.eft_stage,
        "trend": {
            "label": line.trend.label,
            "slope": line.trend.slope,
            "sessions_used": line.trend.sessions_used,
        },
        "scripts_adopted": line.scripts_adopted,
        "scripts_total": line.scripts_total,
        "scripts_lapsed": line.scripts_lapsed,
        "csi4": [_csi4_body(number, change) for number, change in line.csi4],
        "unsigned": line.unsigned,
        "severity": line.severity,
        "flags": [
            {
                "kind": flag.kind,
                "label": flag.label,
                "severity": flag.severity,
                "severity_label": flag.severity_label,
                "reason": flag.reason,
                "since": flag.since,
            }
            for flag in line.flags
        ],
    }


def _csi4_body(number: int, change: Csi4Change) -> dict:
    return {
        "partner_number": number,
        "total": round(change.latest),
        "baseline": round(change.baseline),
        "best": round(change.best),
        "change": round(change.change),
        "category": change.category,
        "category_label": change.label,
        "slide": change.slide,
        "readings": change.readings,
    }


@bp.route("/caseload")
@access.roles(Role.SUPERVISOR)
@operation(
    "The supervisor's caseload with its flags",
    tag="Caseload",
    description=(
        "Supervisors and administrators: every active case in scope (your own and your "
        "supervisees'; an administrator's, all) with its figures, each partner's CSI-4 change "
        "from their baseline, and its flags (severity, reason, the day each began). Ordered as "
        "the dashboard: the most severe flag first, then the most flags, then the reference; "
        "cases without a flag follow, by counsellor then reference."
    ),
    query=CaseloadArgsSchema,
    returns=CaseloadPageSchema,
)
def caseload(args: dict):
    member = access.current_staff()
    query = DashboardQuery(
        counsellor=args.get("counsellor"), flag=args.get("flag", ""), trend=args.get("trend", "")
    )
    board = caseload_dashboard(member, query, Thresholds.from_config(current_app.config))
    rows, total = paginate_list(board.lines, args)
    page = page_body(CaseloadLineSchema(many=True).dump([_line_body(r) for r in rows]), total, args)
    detail = {"cases": board.total, "shown": total, **query.args()}
    where = {"object_type": "Caseload", "object_id": member.id}
    return read(page, "api_caseload_read", detail=detail, **where)
