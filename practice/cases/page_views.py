"""The case page: the case's details, its progress figures and charts, and its sessions."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from practice import audit
from practice.cases import eft
from practice.cases.scoping import can_edit, case_for_viewer
from practice.measures import change, csi4, sharing
from practice.measures.settings import reliable_change_index
from practice.moments import balance
from practice.progress.case_progress import case_progress
from practice.reports.case_charts import case_charts, svg_data_uri
from practice.scripts import adoption
from practice.sessions.operations import voided_sessions
from practice.supervision import panels
from practice.web import access

bp = Blueprint("case_page", __name__)


@bp.route("/cases/<int:case_id>")
@access.staff
def show(case_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    progress = case_progress(case)
    charts = case_charts(progress)
    audit.record("case_viewed", obj=case)
    return render_template(
        "practice/cases/show.html",
        case=case,
        eft_stage=eft.stage(case.eft_stage),
        progress=progress,
        charts={name: svg_data_uri(svg) for name, svg in vars(charts).items()},
        can_edit=can_edit(member, case),
        voided_sessions=voided_sessions(case),
        trend_threshold=balance.TREND_THRESHOLD,
        trend_window=balance.TREND_WINDOW,
        csi4_cutoff=csi4.CSI4_CUTOFF,
        csi4_change=change.case_change(case, reliable_change_index(current_app.config)),
        score_sharing=sharing.sharing_lines(case),
        adoption_scale=adoption.adoption_scale(short=True),
        comments_panel=panels.case_comments(case),
    )
