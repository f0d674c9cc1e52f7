"""The de-escalation share chart, with the least-squares trend of ``practice.moments.balance``."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pygal

from practice.moments.balance import TREND_WINDOW
from practice.reports.charts.looks import LINE_LOOKS, TREND_LOOK
from practice.reports.charts.render import Series, check_lengths, no_data, render
from practice.reports.charts.words import CLINICAL, ChartWords


def deescalation_share_chart(
    labels: Sequence[str],
    shares: Sequence[float | None],
    *,
    trend_slope: float | None = None,
    trend_label: str = "",
    chart_id: str = "deescalation-share",
    words: ChartWords = CLINICAL,
) -> str:
    """Return the de-escalation share per session (0-100 %), with gaps where it is undefined.

    With ``trend_slope`` (change in share per session, as ``practice.moments.balance`` computes it
    over the last ``TREND_WINDOW`` sessions that have a share) a least-squares trend line is drawn
    through those sessions and ``trend_label`` is named in the legend. Raises ValueError if the
    sequences differ in length, a share is outside 0-1, or chart_id is not a plain identifier.
    """
    title = words.share_title
    check_lengths(labels, shares=shares)
    if not labels or all(share is None for share in shares):
        return no_data(title, chart_id)
    if any(share is not None and not 0 <= share <= 1 for share in shares):
        raise ValueError("De-escalation shares must be between 0 and 1")
    series: list[Series] = [
        (
            words.share_series,
            [None if share is None else 100 * share for share in shares],
            LINE_LOOKS[0],
        )
    ]
    trend = trend_values(shares, trend_slope)
    if trend is not None:
        legend = words.trend_legend.format(window=TREND_WINDOW)
        if trend_label:
            legend += f": {trend_label}"
        series.append((legend, trend, TREND_LOOK))
    return render(
        pygal.Line,
        chart_id=chart_id,
        title=title,
        y_title=words.share_axis,
        labels=labels,
        series=series,
        options={
            "range": (0, 100),
            "y_labels": [0, 20, 40, 60, 80, 100],
            "value_formatter": lambda value: f"{value:.0f}%",
            "allow_interruptions": True,
        },
    )


def trend_values(shares: Sequence[float | None], slope: float | None) -> list[float | None] | None:
    """Return the least-squares line (in %) over the last sessions with a share, or None.

    The slope is per session among those that have a share (positions 0..n-1), as
    ``practice.moments.balance.least_squares_slope`` computes it. A least-squares line passes
    through the mean point, which gives its intercept. Sessions without a share inside the window
    get the line's value between their neighbours, so the trend line is not broken.
    """
    if slope is None:
        return None
    known = [i for i, share in enumerate(shares) if share is not None][-TREND_WINDOW:]
    if len(known) < 2:
        return None
    ys = [shares[i] for i in known]
    mean_x = (len(known) - 1) / 2
    intercept = sum(ys) / len(ys) - slope * mean_x
    # Positions between two known sessions are interpolated in position space.
    values: list[float | None] = [None] * len(shares)
    for position, (left, right) in enumerate(itertools.pairwise(known)):
        for i in range(left, right + 1):
            fraction = (i - left) / (right - left)
            fitted = intercept + slope * (position + fraction)
            values[i] = 100 * min(1.0, max(0.0, fitted))
    return values
