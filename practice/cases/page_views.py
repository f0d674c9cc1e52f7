"""The case page: the case's details, its progress figures and charts, and its sessions.

The page does not draw its charts: it holds sized placeholders whose ``<img>`` load each chart
from its own URL (scoped and audited like the page), drawn once per state of the case's figures
(``chart_cache``), so the page answers before any chart is drawn."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from practice import audit
from practice.accounts.models import Role
from practice.appointments import rules as appointment_rules
from practice.appointments.queries import case_appointments
from practice.breaks import queries as break_queries
from practice.cases import break_glass, chart_cache, eft, handover
from practice.cases.scoping import can_edit, case_for_viewer, may_read_case
from practice.checkins.views import case_panel as checkin_panel
from practice.core.database import utcnow
from practice.eft import queries as eft_queries
from practice.formulation import queries as cycle_map_queries
from practice.goals.views import case_panel as goals_panel
from practice.measures import change, csi4, sharing
from practice.measures.case_summary import case_measures
from practice.measures.settings import reliable_change_index
from practice.moments import balance, interaction_reads
from practice.progress.case_progress import case_progress
from practice.reports.charts.looks import NARROW_WIDTH, WIDTH
from practice.safety import operations as safety
from practice.safety import queries as safety_queries
from practice.safety import screening
from practice.scripts import adoption
from practice.sessions.operations import voided_sessions
from practice.supervision import panels
from practice.web import access
from practice.web.access import Sensitivity

bp = Blueprint("case_page", __name__)


@bp.route("/cases/<int:case_id>")
@access.staff
def show(case_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    progress = case_progress(case)
    digest = chart_cache.progress_digest(progress)
    # Safety screens: only the counsellor and their supervisor see the panel (its read audited).
    safety_panel = None
    if may_read_case(member, case, Sensitivity.SAFETY):
        safety_panel = safety_queries.case_safety(case, safety.local_day(utcnow()))
        audit.record("safety_status_viewed", obj=case)
    cycle_map, cycle_map_svgs = cycle_map_queries.case_page_panel(case)
    if cycle_map is not None:  # a couple's map, shown on the page: its read audited too
        current = cycle_map.current
        audit.record("cycle_map_viewed", obj=case, detail={"revision_id": current and current.id})
    audit.record("case_viewed", obj=case)
    return render_template(
        "practice/cases/show.html",
        case=case,
        eft_stage=eft.stage(case.eft_stage),
        progress=progress,
        chart_version=digest,
        chart_sizes=chart_cache.chart_sizes(case.id, digest),
        narrow_chart_sizes=chart_cache.chart_sizes(case.id, digest, NARROW_WIDTH),
        can_edit=can_edit(member, case),
        voided_sessions=voided_sessions(case),
        trend_threshold=balance.TREND_THRESHOLD,
        trend_window=balance.TREND_WINDOW,
        csi4_cutoff=csi4.CSI4_CUTOFF,
        csi4_change=change.case_change(case, reliable_change_index(current_app.config)),
        score_sharing=sharing.sharing_lines(case),
        case_measures=case_measures(case, current_app.config),
        adoption_scale=adoption.adoption_scale(short=True),
        comments_panel=panels.case_comments(case),
        appointments=case_appointments(case),
        appointment_rules=appointment_rules,
        appointment_now=utcnow(),
        checkin_panel=checkin_panel(member, case),
        breaks=break_queries.case_breaks(case),
        cycle_map=cycle_map,
        cycle_map_svgs=cycle_map_svgs,
        cycle_map_changes=cycle_map_queries.latest_changes(cycle_map) if cycle_map else [],
        goals_panel=goals_panel(case),
        change_events=eft_queries.case_change_events(case),
        change_events_supervisor=case.counsellor.supervisor_id == member.id,
        interaction_trend=interaction_reads.case_trend_rows(case.id),
        safety_panel=safety_panel,
        safety_screening=screening,
        break_glass_notices=break_glass.unacknowledged(member, case.id),
        break_glass_reader=member.role == Role.ADMIN,
        may_reassign=handover.may_reassign(member, case),
        history=handover.history(case),
    )


# Charts may carry their own <style> (an SVG loaded as an image is its own document), nothing else.
_CHART_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; object-src 'none'"
)


@access.staff
def chart(case_id: int, name: str):
    """One of the case page's charts, as the case stands now; ``v`` (the figures' digest) only
    tells the browser's URLs apart, the chart is always the current one. ``size=narrow`` draws
    it for a phone (the page's <picture> asks for it below 40rem); any other value is ignored."""
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    progress = case_progress(case)
    digest = chart_cache.progress_digest(progress)
    width = NARROW_WIDTH if request.args.get("size") == "narrow" else WIDTH
    svg = getattr(chart_cache.charts_for(progress, digest, width), name)
    audit.record("case_chart_viewed", obj=case, detail={"chart": name})
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = _CHART_CSP
    return response


# One fixed URL per chart (its name a default, not a variable): the case id is the only thing a
# request chooses.
for _name in chart_cache.CHART_NAMES:
    bp.add_url_rule(
        f"/cases/<int:case_id>/charts/{_name}.svg", view_func=chart, defaults={"name": _name}
    )
