"""The goals part of a progress report: each structured goal with every partner's first and
latest rating, the change and the attainment statement (``practice.goals.rules``), and a chart.

Whose ratings a report shows is the CSI-4's consent rule (``report_csi4.shown_partners``): the
clinical record everyone's; the joint client report a partner's only while that partner's
consent to share with the other partner is in force (otherwise the goal is listed without that
partner's numbers); the referrer's letter the goals, with a partner's attainment only under
their consent to the referrer. The clients' words are warm and the same for each partner, who
are listed alphabetically.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo

from practice.cases.models import Case
from practice.goals import rules
from practice.goals.charts import goal_svg
from practice.goals.models import GoalStatus
from practice.goals.queries import case_goals
from practice.goals.settings import thresholds
from practice.reporting.models import Audience
from practice.reports.case_charts import svg_data_uri

STATUS_WORDS = {
    GoalStatus.ACTIVE: "active",
    GoalStatus.ACHIEVED: "achieved",
    GoalStatus.DROPPED: "dropped",
}
CLIENT_STATUS_WORDS = {
    GoalStatus.ACTIVE: "still working on it",
    GoalStatus.ACHIEVED: "reached",
    GoalStatus.DROPPED: "set aside",
}


def goal_report(case: Case, end: date, audience: str, shown: set[int], zone: tzinfo) -> dict:
    """The report's goals: ``items`` (one per goal opened by ``end``), ``rule`` (the clinical
    words of the attainment rule) and ``hidden`` (whether some partner's numbers were left
    out). ``shown``: the partners whose ratings this audience may read."""
    client = audience == Audience.CLIENT
    rule = thresholds()
    through = datetime.combine(end, time.max, UTC)
    views = [
        v for v in case_goals(case, through=through, partner_ids=shown) if v.goal.opened_on <= end
    ]
    names = {p.id: p.display_name for p in case.partners}
    items = []
    for view in views:
        courses = sorted(view.courses, key=lambda c: c.partner.display_name.casefold())
        if not client:
            courses = list(view.courses)
        lines = []
        for course in courses:
            found = course.attainment
            line = {"partner": course.partner.display_name, "rated": found is not None}
            if found is not None:
                line |= {
                    "first": found.first,
                    "latest": found.latest,
                    "ratings": found.ratings,
                    "change": found.change,
                    "change_text": f"{found.change:+d}" if found.ratings > 1 else "—",
                    "statement": rules.client_statement(found) if client else found.statement,
                }
            lines.append(line)
        chart = None
        if audience != Audience.REFERRER and any(line["rated"] for line in lines):
            chart = goal_svg(
                view,
                lambda at: at.astimezone(zone).strftime("%d %b"),
                chart_id=f"goal-{view.goal.id}",
                met_rating=rule.met_rating,
                met_label="Largely there" if client else "Largely met",
                axis_label="How close it feels (0-10)" if client else "Rating (0-10)",
            )
        status = (
            view.goal.status
            if view.goal.status_on is None or view.goal.status_on <= end
            else GoalStatus.ACTIVE
        )
        items.append(
            {
                "title": view.goal.title,
                "description": view.goal.description,
                "whose": (names.get(view.goal.owner_id, "") if view.goal.owner_id else "shared"),
                "opened_on": view.goal.opened_on,
                "status": (CLIENT_STATUS_WORDS if client else STATUS_WORDS)[status],
                "status_on": view.goal.status_on if status != GoalStatus.ACTIVE else None,
                "lines": lines,
                "chart": svg_data_uri(str(chart)) if chart is not None else None,
            }
        )
    return {
        "items": items,
        "rule": rule.explained(),
        "hidden": len(shown) < len(case.partners),
    }
