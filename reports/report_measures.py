"""The registry's other measures in a progress report (the CSI-4 has ``report_csi4``): each
measure answered by the period's end, each partner's totals, the latest against the cut-off and
the change from their baseline judged by the measure's reliable-change index, and any
split-alliance concern.

Only the clinical record shows them by name. Each partner's scores are theirs: ``shown`` (the
partners whose consent lets this audience read their scores, ``report_csi4.shown_partners``)
leaves the others' lines out of any report that is not the clinical record.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from practice.cases.models import Case
from practice.measures.case_summary import case_measures
from practice.reporting.models import Audience


def measures_section(
    case: Case, end: date, zone: ZoneInfo, audience: str, shown: set[int]
) -> dict | None:
    """The section's values, or None when no other measure was answered by ``end`` or the
    audience is not the clinical record."""
    if audience != Audience.CLINICAL:
        return None
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    found = case_measures(case, current_app.config, until=until)
    if not found.summaries:
        return None
    measures = []
    for summary in found.summaries:
        d = summary.definition
        measures.append(
            {
                "key": d.key,
                "name": d.name,
                "range": f"{d.min_total:g}–{d.max_total:g}",
                "cutoff": None if d.cutoff is None else f"{d.cutoff:g}",
                "rci": None if d.reliable_change is None else f"{d.reliable_change:g}",
                "alliance": None if d.alliance_threshold is None else f"{d.alliance_threshold:g}",
                "citation": d.citation,
                "rows": [
                    {
                        "partner": line.partner_name,
                        "totals": line.totals_words,
                        "reading": summary.reading(line),
                        "verdict": summary.verdict(line),
                        "concern": bool(line.change and line.change.concern),
                    }
                    for line in summary.partners
                    if line.totals and line.partner_id in shown
                ],
            }
        )
    return {
        "measures": measures,
        "alliance": [concern.words(named=True) for concern in found.alliance],
    }
