"""Supervisors' caseload dashboard, flags and exports.

Every page is an audited read (counts and filter values only); the request commits the record
(``practice.core.unit_of_work``). An export asks for the password again: a wrong one is audited
on the confirmation page it shows again, and the request keeps that record too.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from practice import audit
from practice.accounts.models import Role, StaffMember
from practice.accounts.reauth import export_password_confirmed
from practice.core.unit_of_work import release_transaction
from practice.measures import csi4
from practice.moments import balance
from practice.supervision import exports
from practice.supervision.dashboard import (
    FLAG_FILTERS,
    TREND_FILTERS,
    Dashboard,
    caseload_dashboard,
    csi4_change_words,
    dashboard_query,
)
from practice.supervision.flags import (
    FLAG_KINDS,
    SEVERITIES,
    SEVERITY_LABELS,
    SEVERITY_MEANINGS,
    Thresholds,
    day,
    describe_since,
    describe_thresholds,
)
from practice.web import access
from practice.web.forms import ExportConfirmForm

bp = Blueprint("supervision", __name__)


def _dashboard(member: StaffMember) -> Dashboard:
    thresholds = Thresholds.from_config(current_app.config)
    return caseload_dashboard(member, dashboard_query(request.args), thresholds)


def _detail(board: Dashboard, **extra: object) -> dict:
    """Audit detail: counts and filter values (ids and keys), never clinical text."""
    return {"cases": board.total, "shown": len(board.lines), **board.query.args(), **extra}


def _attachment(data: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/supervision")
@access.roles(Role.SUPERVISOR)
def dashboard():
    member = access.current_staff()
    board = _dashboard(member)
    audit.record(
        "caseload_viewed", object_type="Caseload", object_id=member.id, detail=_detail(board)
    )
    return render_template(
        "practice/supervision/dashboard.html",
        board=board,
        query=board.query,
        scope=exports.scope_label(member, addressed=True),
        flag_kinds=FLAG_KINDS,
        flag_rules=describe_thresholds(board.thresholds),
        flag_since=describe_since(board.thresholds),
        severities=SEVERITIES,
        severity_labels=SEVERITY_LABELS,
        severity_meanings=SEVERITY_MEANINGS,
        day=day,
        csi4_change_words=csi4_change_words,
        reliable_change=board.thresholds.reliable_change,
        flag_filters=FLAG_FILTERS,
        trend_filters=TREND_FILTERS,
        trend_threshold=balance.TREND_THRESHOLD,
        csi4_cutoff=csi4.CSI4_CUTOFF,
    )


# What each export is called on its confirmation page.
EXPORT_LABELS = {"csv": "caseload CSV", "pdf": "caseload summary PDF"}


def _confirmed(member: StaffMember, kind: str) -> tuple[bool, ExportConfirmForm]:
    """Whether the export form was posted with the member's own password, and the form."""
    form = ExportConfirmForm()

    def refused() -> None:
        audit.record(
            "caseload_export_failed",
            object_type="Caseload",
            object_id=member.id,
            outcome="denied",
            detail={"format": kind},
        )

    return export_password_confirmed(form, refused), form


def _confirm_page(form: ExportConfirmForm, kind: str, board_args: dict):
    return render_template(
        "practice/supervision/export_confirm.html",
        form=form,
        label=EXPORT_LABELS[kind],
        query_args=board_args,
    )


@bp.route("/supervision/export.csv", methods=["GET", "POST"])
@access.roles(Role.SUPERVISOR)
def export_csv():
    member = access.current_staff()
    confirmed, form = _confirmed(member, "csv")
    if not confirmed:
        return _confirm_page(form, "csv", dashboard_query(request.args).args())
    board = _dashboard(member)
    data = exports.caseload_csv(board)
    audit.record(
        "caseload_exported", object_type="Caseload", object_id=member.id, detail=_detail(board)
    )
    return _attachment(data, "text/csv", exports.filename(board, "csv"))


@bp.route("/supervision/summary.pdf", methods=["GET", "POST"])
@access.roles(Role.SUPERVISOR)
def summary_pdf():
    member = access.current_staff()
    confirmed, form = _confirmed(member, "pdf")
    if not confirmed:
        return _confirm_page(form, "pdf", dashboard_query(request.args).args())
    board = _dashboard(member)
    html = exports.caseload_summary_html(board, member)
    # End the reading transaction before the second of rendering, so that it holds no lock
    # (SQLite) while WeasyPrint works; the audit row starts a transaction of its own.
    release_transaction()
    data = exports.render_summary(html)
    audit.record(
        "caseload_summary_generated",
        object_type="Caseload",
        object_id=member.id,
        detail=_detail(board, pages=getattr(data, "page_count", 0)),
    )
    return _attachment(data, "application/pdf", exports.filename(board, "pdf"))
