"""The CSI-4 chart: each partner's total, session by session, against the cut-off."""

from __future__ import annotations

from collections.abc import Sequence

import pygal

from practice.measures.csi4 import CSI4_CUTOFF, CSI4_MAX_TOTAL
from practice.reports.charts.looks import CUTOFF_LOOK, GREY, LABEL_FONT, line_look, partner_look
from practice.reports.charts.render import check_lengths, no_data, number, render
from practice.reports.charts.svg import Svg
from practice.reports.charts.words import CLINICAL, ChartWords


def csi4_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
    *,
    cutoff: float = CSI4_CUTOFF,
    chart_id: str = "csi4",
    words: ChartWords = CLINICAL,
    partner_positions: Sequence[int] | None = None,
) -> str:
    """Return each partner's CSI-4 total (0-21) per session against a dashed cut-off line.

    ``partner_positions`` (one per series) draws each partner in their own look
    (``looks.partner_look``), whoever else has readings; without it series take looks in order.
    Raises ValueError if a series differs in length from ``labels`` or from
    ``partner_positions``, a total is outside 0-21, or chart_id is not a plain identifier.
    """
    title = words.csi4_title
    if partner_positions is not None and len(partner_positions) != len(series):
        raise ValueError("Give one partner position per CSI-4 series")
    check_lengths(labels, **{f"totals of {name!r}": totals for name, totals in series})
    if not labels or all(total is None for _, totals in series for total in totals):
        return no_data(title, chart_id)
    if any(t is not None and not 0 <= t <= CSI4_MAX_TOTAL for _, totals in series for t in totals):
        raise ValueError(f"CSI-4 totals must be between 0 and {CSI4_MAX_TOTAL}")
    first_line, second_line = (line.format(cutoff=number(cutoff)) for line in words.cutoff_label)

    def draw_cutoff(chart: object, svg: Svg) -> None:
        layer = svg.plot_layer("cutoff", under_series=True)
        y = chart.view.y(cutoff)
        width = chart.view.width
        svg.sub(layer, "path", d=f"M0 {y:.2f} h{width:.2f}", style=svg.stroke_style(CUTOFF_LOOK))
        # Written in the right margin, where no data point can sit under it.
        text = svg.sub(layer, "text", x=f"{width + 8:.2f}", y=f"{y - 3:.2f}", style=f"fill:{GREY}")
        svg.sub(text, "tspan").text = first_line + " "
        svg.sub(text, "tspan", x=f"{width + 8:.2f}", dy=f"{LABEL_FONT:.0f}").text = second_line

    return render(
        pygal.Line,
        chart_id=chart_id,
        title=title,
        y_title=words.csi4_axis,
        labels=labels,
        series=[
            (
                name,
                list(totals),
                partner_look(partner_positions[i]) if partner_positions else line_look(i),
            )
            for i, (name, totals) in enumerate(series)
        ],
        options={
            "range": (0, CSI4_MAX_TOTAL),
            "y_labels": [0, 3, 6, 9, 12, 15, 18, 21],
            "value_formatter": number,
            "margin_right": int(20 + 0.6 * LABEL_FONT * 8),
        },
        decorate=draw_cutoff,
    )
