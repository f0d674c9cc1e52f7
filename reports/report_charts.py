"""The charts of a progress report: the case page's four SVGs with the report's titles and
captions, in the clinician's words or the clients'."""

from __future__ import annotations

from practice.measures import csi4
from practice.moments import balance
from practice.progress.case_progress import CaseProgress
from practice.reports import charts
from practice.reports.case_charts import case_charts, plain_trend, svg_data_uri
from practice.reports.client_words import ClientWords
from practice.scripts import adoption


def report_charts(progress: CaseProgress, words: ClientWords | None, shown: set[int]) -> list[dict]:
    """The case page's four SVG charts, embedded as the case page embeds them: data-URI images;
    ``words``: the clients' words (the client report), or None for the clinician's.

    As ``<img>`` WeasyPrint draws the SVG with its SVG renderer, still as vectors, about twice as
    fast as inline SVG run through the HTML cascade; the alt text tags the figure for screen
    readers; and the browser preview shows it under the page's CSP.
    """
    client = words is not None
    svgs = case_charts(
        progress,
        id_prefix="report",
        words=words.chart_words if client else charts.CLINICAL,
        alphabetical=client,
        csi4_shown=shown,
    )
    trend = progress.trend
    if client:
        levels = [name.lower() for name in words.chart_words.adoption_levels]
        captions = {
            "cycle_balance": (
                "Each pair of bars is one session: the harder moments, when the pattern took "
                f"over, and the calmer ones, {words.reaching}, each counted by how strong it was."
            ),
            "deescalation_share": (
                "Per session, the calmer moments as a share of all the moments noted, counted "
                f"by how strong they were. Over the last {balance.TREND_WINDOW} sessions: "
                f"{plain_trend(trend.label)}."
            ),
            "adoption": (
                "How each new way of talking was used, session by session: "
                f"{', '.join(levels[:-1])} or {levels[-1]}. A ring marks where it became part of "
                "your routine: used on your own at two sessions in a row."
            ),
            "csi4": (
                f"How satisfied {words.you_each} felt, session by session, from 0 to 21; above "
                "the dashed line usually means feeling content with the relationship."
            ),
        }
        titles = {
            "cycle_balance": words.chart_words.balance_title,
            "deescalation_share": words.chart_words.share_title,
            "adoption": words.chart_words.adoption_title,
            "csi4": words.chart_words.csi4_title,
        }
    else:
        captions = {
            "cycle_balance": (
                "Escalating and de-escalating load per session (moments weighted by intensity)."
            ),
            "deescalation_share": (
                "Per session, the de-escalation share: de-escalating load ÷ (escalating + "
                f"de-escalating load). Trend over the last {balance.TREND_WINDOW} sessions that "
                f"have one: {trend.label}."
            ),
            "adoption": (
                f"Scripts: {adoption.adoption_scale()}. A ring marks where a script counts as "
                f"adopted (level {adoption.ADOPTED_LEVEL} or more at two sessions in a row)."
            ),
            "csi4": (
                f"Couples Satisfaction Index (CSI-4, {csi4.CSI4_MIN_TOTAL}–{csi4.CSI4_MAX_TOTAL}) "
                "per partner; below "
                f"{csi4.CSI4_CUTOFF:g} (dashed line) suggests notable dissatisfaction with the "
                "relationship."
            ),
        }
        titles = {
            "cycle_balance": "Cycle balance per session",
            "deescalation_share": "De-escalation share per session",
            "adoption": "Script adoption",
            "csi4": "Couples Satisfaction Index (CSI-4)",
        }
    kept_private = not any(line.partner_id in shown for line in progress.csi4)
    # The clients get no chart that only says there is nothing to draw.
    nothing_to_draw = client and not progress.csi4
    return [
        {
            "key": key,
            "title": titles[key],
            "caption": captions[key],
            "src": svg_data_uri(svg),
        }
        for key, svg in vars(svgs).items()
        # No one's scores to draw: no chart that would only say so.
        if not (key == "csi4" and ((progress.csi4 and kept_private) or nothing_to_draw))
    ]
