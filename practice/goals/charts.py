"""A goal's chart from its ratings (``practice.reports.charts.goals``), for the case page and
the reports alike: one line per partner whose ratings may be shown, one point per occasion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from markupsafe import Markup

from practice.goals.queries import GoalView
from practice.reports.charts.goals import WIDTH, GoalSeries, goal_chart


def goal_svg(
    view: GoalView,
    label: Callable[[datetime], str],
    *,
    chart_id: str,
    met_rating: int,
    met_label: str = "Largely met",
    axis_label: str = "Rating (0-10)",
    width: int = WIDTH,
) -> Markup:
    """The chart of ``view``'s goal: its occasions labelled by ``label`` (a local date), a line
    per partner course the view holds. Safe to put in a page: every word in it is escaped."""
    occasions = view.occasions
    index = {at: i for i, at in enumerate(occasions)}
    series = []
    for course in view.courses:
        values: list[int | None] = [None] * len(occasions)
        for rating in course.ratings:
            values[index[rating.rated_at]] = rating.rating
        series.append(GoalSeries(course.partner.display_name, course.partner.position, values))
    svg = goal_chart(
        view.goal.title,
        [label(at) for at in occasions],
        series,
        chart_id=chart_id,
        met_rating=met_rating,
        met_label=met_label,
        axis_label=axis_label,
        width=width,
    )
    return Markup(svg)
