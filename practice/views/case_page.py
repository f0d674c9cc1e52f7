"""Case page: timeline and charts."""

from __future__ import annotations

from flask import Blueprint, render_template

from practice import access, metrics
from practice.database import db_session
from practice.reports.case_charts import case_charts, svg_data_uri
from practice.services import audit
from practice.services.progress import case_progress
from practice.services.scoping import can_edit, case_for_viewer
from practice.services.sessions import voided_sessions

bp = Blueprint("case_page", __name__)


@bp.route("/cases/<int:case_id>")
@access.staff
def show(case_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    progress = case_progress(case)
    charts = case_charts(progress)
    audit.record("case_viewed", obj=case)
    db_session().commit()
    return render_template(
        "practice/cases/show.html",
        case=case,
        progress=progress,
        charts={name: svg_data_uri(svg) for name, svg in vars(charts).items()},
        can_edit=can_edit(member, case),
        voided_sessions=voided_sessions(case),
        trend_threshold=metrics.TREND_THRESHOLD,
        trend_window=metrics.TREND_WINDOW,
        csi4_cutoff=metrics.CSI4_CUTOFF,
    )
