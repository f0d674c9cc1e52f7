"""The four progress charts of a case, built once for the case page and the PDF report."""

from __future__ import annotations

import base64
from collections.abc import Collection
from dataclasses import dataclass

from practice.measures import csi4
from practice.moments import balance
from practice.progress.case_progress import CaseProgress
from practice.reports import charts


@dataclass(frozen=True)
class CaseCharts:
    cycle_balance: str
    deescalation_share: str
    adoption: str
    csi4: str


def session_labels(progress: CaseProgress) -> list[str]:
    """Session dates as chart labels; the year is added when the sessions span more than one."""
    years = {point.starts_at.year for point in progress.sessions}
    pattern = "%d %b" if len(years) <= 1 else "%d %b %y"
    return [point.starts_at.strftime(pattern) for point in progress.sessions]


def case_charts(
    progress: CaseProgress,
    id_prefix: str = "case",
    words: charts.ChartWords = charts.CLINICAL,
    *,
    alphabetical: bool = False,
    csi4_shown: Collection[int] | None = None,
) -> CaseCharts:
    """SVG for each chart; ``id_prefix`` keeps ids unique when several cases share a page, and
    ``words`` are the clinician's (the default) or the clients' (``charts.PLAIN``).

    ``alphabetical`` lists the scripts and the CSI-4 lines by partner name (the client report:
    nobody comes first by the record's order). ``csi4_shown``: the partners (ids) whose CSI-4
    totals may be drawn, the others' kept out and their legend saying so (None: everyone's, the
    clinician's view).
    """
    labels = session_labels(progress)
    points = progress.sessions
    trend = progress.trend
    index = {point.session_id: i for i, point in enumerate(points)}
    lines, measured = progress.adoption, progress.csi4
    if alphabetical:
        lines = sorted(lines, key=lambda line: line.partner_name.casefold())
        measured = sorted(measured, key=lambda line: line.partner_name.casefold())
    adoption_series = [
        charts.AdoptionSeries(
            name=f"{line.partner_name}: {line.script_text}",
            levels=[line.levels.get(point.session_id) for point in points],
            adopted_index=index.get(line.adopted_session_id),
            partner_position=progress.partner_position(line.partner_id),
        )
        for line in lines
    ]
    csi4_labels, columns = csi4_columns(progress, labels, csi4_shown)
    csi4_series = [
        (line.partner_name, [_csi4_at(line, column) for column in columns])
        if csi4_shown is None or line.partner_id in csi4_shown
        # Kept in the legend, without a point, so each partner keeps their line's look.
        else (f"{line.partner_name}: kept private", [None] * len(columns))
        for line in measured
    ]
    return CaseCharts(
        cycle_balance=charts.cycle_balance_chart(
            labels,
            [p.balance.escalating for p in points],
            [p.balance.deescalating for p in points],
            chart_id=f"{id_prefix}-cycle-balance",
            words=words,
        ),
        deescalation_share=charts.deescalation_share_chart(
            labels,
            [p.deescalation_share for p in points],
            trend_slope=trend.slope,
            trend_label=trend.label if words is charts.CLINICAL else plain_trend(trend.label),
            chart_id=f"{id_prefix}-deescalation-share",
            words=words,
        ),
        adoption=charts.adoption_chart(
            labels, adoption_series, chart_id=f"{id_prefix}-script-adoption", words=words
        ),
        csi4=charts.csi4_chart(
            csi4_labels,
            csi4_series,
            cutoff=csi4.CSI4_CUTOFF,
            chart_id=f"{id_prefix}-csi4",
            words=words,
            partner_positions=[
                progress.partner_position(line.partner_id) or 0 for line in progress.csi4
            ],
        ),
    )


# How a check-in's column is labelled on the CSI-4 chart.
CHECKIN_LABEL = "{day} (check-in)"


def csi4_columns(
    progress: CaseProgress, labels: list[str], shown: Collection[int] | None = None
) -> tuple[list[str], list[tuple[str, object]]]:
    """The CSI-4 chart's columns by date: each session (its label), and each moment a partner
    answered the CSI-4 in a check-in, labelled as from a check-in; a session before a
    check-in at the same moment. Columns are ("session", session id) or ("checkin", time).

    ``shown``: the partners whose scores this audience may read (None: everyone's); another
    partner's check-in gets no column, so a report does not even tell it was sent."""
    years = {point.starts_at.year for point in progress.sessions}
    timed = [
        (point.starts_at, 0, label, ("session", point.session_id))
        for point, label in zip(progress.sessions, labels, strict=True)
    ]
    moments = sorted(
        {
            at
            for line in progress.csi4
            if shown is None or line.partner_id in shown
            for at in line.checkins
        }
    )
    years |= {at.year for at in moments}
    pattern = "%d %b" if len(years) <= 1 else "%d %b %y"
    timed += [
        (at, 1, CHECKIN_LABEL.format(day=at.strftime(pattern)), ("checkin", at)) for at in moments
    ]
    timed.sort(key=lambda entry: (entry[0], entry[1]))
    return [label for _, _, label, _ in timed], [column for *_, column in timed]


def _csi4_at(line: object, column: tuple[str, object]) -> int | None:
    kind, key = column
    return line.totals.get(key) if kind == "session" else line.checkins.get(key)


# The trend in the couple's words.
PLAIN_TREND_WORDS = {
    balance.IMPROVING: "getting calmer",
    balance.STEADY: "holding steady",
    balance.WORSENING: "harder lately",
    balance.NOT_ENOUGH_SESSIONS: "not enough sessions yet to tell",
}


def plain_trend(label: str) -> str:
    """A trend label (``balance``'s) in the couple's words."""
    return PLAIN_TREND_WORDS.get(label, label)


def svg_data_uri(svg: str) -> str:
    """The SVG as a ``data:`` URI for an ``<img>``.

    A page's Content-Security-Policy forbids inline styles, which would strip the chart's own
    <style>; an SVG loaded as an image is its own document and keeps them.
    """
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
