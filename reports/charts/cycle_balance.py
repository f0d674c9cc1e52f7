"""The cycle balance chart: escalating against de-escalating load, session by session."""

from __future__ import annotations

from collections.abc import Sequence

import pygal

from practice.reports.charts.looks import DEESCALATING_LOOK, ESCALATING_LOOK
from practice.reports.charts.render import check_lengths, no_data, number, render
from practice.reports.charts.words import CLINICAL, ChartWords


def cycle_balance_chart(
    labels: Sequence[str],
    escalating: Sequence[float],
    deescalating: Sequence[float],
    *,
    chart_id: str = "cycle-balance",
    words: ChartWords = CLINICAL,
) -> str:
    """Return grouped bars of escalating vs de-escalating load per session.

    Raises ValueError if the sequences differ in length, a load is negative, or chart_id is not a
    plain identifier.
    """
    title = words.balance_title
    check_lengths(labels, escalating=escalating, deescalating=deescalating)
    if not labels:
        return no_data(title.partition(" (")[0], chart_id)
    if any(load < 0 for load in [*escalating, *deescalating]):
        raise ValueError("Loads cannot be negative")
    top = max([*escalating, *deescalating, 1])
    return render(
        pygal.Bar,
        chart_id=chart_id,
        title=title,
        y_title=words.load_axis,
        labels=labels,
        series=[
            (words.escalating, list(escalating), ESCALATING_LOOK),
            (words.deescalating, list(deescalating), DEESCALATING_LOOK),
        ],
        options={
            "range": (0, top),
            "value_formatter": number,
            "min_scale": 4,
            "max_scale": 8,
        },
    )
