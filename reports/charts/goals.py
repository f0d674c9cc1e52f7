"""A goal's chart: each partner's 0-10 rating of one treatment goal, occasion by occasion.

Small and drawn by hand (no pygal): the case page shows one per goal inline, so it must cost
next to nothing to draw. It keeps the charts' house style: a <title> and a <desc> that says
the figures in words, each partner in their own look (colour, dash and marker, never colour
alone: ``looks.partner_look``), the practice's fonts, and the same SVG on the page and in the
PDF. The dashed guide marks where a goal counts as largely met.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from practice.goals.models import MAX_RATING, MIN_RATING
from practice.reports.charts.looks import FONT_FAMILY, GREY, INK, Look, partner_look

_CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
WIDTH, HEIGHT = 480, 230
# A phone's chart: the same drawing narrower, so that its labels read at about 11 px.
NARROW_WIDTH = 340
LEFT, RIGHT, TOP, BOTTOM = 40, 86, 34, 64  # the plot's margins
FONT = 13
LABEL_GAP = 64  # units between two dates on the x axis ("07 Sept" is about 50)


@dataclass(frozen=True)
class GoalSeries:
    """One partner's line: their name, place in the case (their look) and one value (or None)
    per occasion."""

    name: str
    position: int
    values: Sequence[int | None]


def _marker(kind: str | None, x: float, y: float, look: Look) -> str:
    fill = f'fill="{look.colour}"'
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" {fill}/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y + 4:.1f}H{x - 5:.1f}Z" {fill}/>'
    if kind == "diamond":
        return f'<path d="M{x:.1f} {y - 5.5:.1f}L{x + 5:.1f} {y:.1f}L{x:.1f} {y + 5.5:.1f}L{x - 5:.1f} {y:.1f}Z" {fill}/>'  # noqa: E501
    if kind == "hollow":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#ffffff" stroke="{look.colour}" stroke-width="2"/>'  # noqa: E501
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" {fill}/>'


def _stroke(look: Look) -> str:
    dash = f' stroke-dasharray="{look.dash}"' if look.dash else ""
    return f'fill="none" stroke="{look.colour}" stroke-width="{look.width}"{dash}'


def goal_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[GoalSeries],
    *,
    chart_id: str,
    met_rating: int | None = None,
    met_label: str = "Largely met",
    axis_label: str = "Rating (0-10)",
    width: int = WIDTH,
) -> str:
    """The SVG of one goal: ``labels`` name the occasions (dates), each series gives one value
    per occasion. Raises ValueError for a bad chart id, a series of another length or a value
    outside 0-10."""
    if not _CHART_ID.fullmatch(chart_id):
        raise ValueError(f"Chart id {chart_id!r} is not a plain identifier")
    for line in series:
        if len(line.values) != len(labels):
            raise ValueError(f"{line.name!r} has {len(line.values)} values for {len(labels)}")
        if any(v is not None and not MIN_RATING <= v <= MAX_RATING for v in line.values):
            raise ValueError("Goal ratings must be whole numbers from 0 to 10")
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    title_chars = int((width - LEFT - 8) / 9.2)  # the bold 15-unit title, about 9 units a letter
    count = len(labels)

    def x_at(index: int) -> float:
        return LEFT + (plot_w / 2 if count == 1 else plot_w * index / (count - 1))

    def y_at(value: float) -> float:
        return TOP + plot_h * (1 - value / MAX_RATING)

    described = []
    for line in series:
        given = [v for v in line.values if v is not None]
        if not given:
            described.append(f"{line.name}: no rating yet")
        elif len(given) == 1:
            described.append(f"{line.name}: {given[0]}")
        else:
            described.append(f"{line.name}: {given[0]} first, {given[-1]} latest")
    desc = f"{axis_label} over {count} occasion{'s' if count != 1 else ''}. " + (
        "; ".join(described) if described else "No ratings shown."
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="goal-chart" '
        f'viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family={quoteattr(FONT_FAMILY)} font-size="{FONT}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        f'<rect width="{width}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="20" font-size="15" font-weight="bold" fill="{INK}">'
        f"{escape(title if len(title) <= title_chars else title[: title_chars - 1] + '…')}</text>",
    ]
    for value in range(MIN_RATING, MAX_RATING + 1, 2):
        y = y_at(value)
        out.append(
            f'<path d="M{LEFT} {y:.1f}H{LEFT + plot_w}" stroke="#d8d8d8" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{GREY}">{value}</text>'
        )
    if met_rating is not None:
        y = y_at(met_rating)
        out.append(
            f'<path d="M{LEFT} {y:.1f}H{LEFT + plot_w}" stroke="{GREY}" stroke-width="1.5" '
            f'stroke-dasharray="6 4"/><text x="{LEFT + plot_w + 6}" y="{y + 4:.1f}" '
            f'fill="{GREY}">{escape(met_label)}</text>'
        )
    # Dates from the first on, each at least LABEL_GAP units from the one before, and the last
    # always (dropping the one before it if they would crowd).
    shown_at = [i for i in range(count) if i == 0 or i == count - 1]
    for index in range(1, count - 1):
        previous = max(i for i in shown_at if i < index)
        if x_at(index) - x_at(previous) >= LABEL_GAP and x_at(count - 1) - x_at(index) >= LABEL_GAP:
            shown_at.append(index)
    for index in sorted(set(shown_at)):
        out.append(
            f'<text x="{x_at(index):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle" '
            f'fill="{GREY}">{escape(labels[index])}</text>'
        )
    if not series or all(v is None for line in series for v in line.values):
        out.append(
            f'<text x="{LEFT + plot_w / 2:.1f}" y="{TOP + plot_h / 2:.1f}" '
            f'text-anchor="middle" fill="{GREY}">No ratings yet</text>'
        )
    legend_x = LEFT
    for line in series:
        look = partner_look(line.position)
        points = [(x_at(i), y_at(v)) for i, v in enumerate(line.values) if v is not None]
        if len(points) > 1:
            path = "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points)
            out.append(f'<path d="{path}" {_stroke(look)}/>')
        out.extend(_marker(look.marker, x, y, look) for x, y in points)
        ly = HEIGHT - 16
        out.append(
            f'<path d="M{legend_x} {ly - 4}h30" {_stroke(look)}/>'
            + _marker(look.marker, legend_x + 15, ly - 4, look)
            + f'<text x="{legend_x + 36}" y="{ly}" fill="{INK}">{escape(line.name)}</text>'
        )
        legend_x += 44 + int(0.62 * FONT * len(line.name)) + 18
    out.append("</svg>")
    return "".join(out)
