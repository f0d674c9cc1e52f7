"""The cycle map part of a progress report: the map as it stood at the period's end, drawn by
the same code as the case page (``practice.reports.charts.cycle_map``), with the milestones and
what the last revision changed (clinical), or in plain, warm "we" words (the clients).

The clients' map and words name no role (no pursuer or withdrawer) and put nobody first: the
partners are in alphabetical order, the labels are everyday words, and the lines speak of the
pattern the couple and the counsellor mapped together. The referrer's letter has no map.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from practice.cases.models import Case
from practice.formulation import queries, rules
from practice.reports.case_charts import svg_data_uri
from practice.reports.charts.cycle_map import cycle_map_svg

CLIENT_TITLE = "The pattern we have mapped together"


def _period_end(end: date, zone: tzinfo) -> datetime:
    return datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def client_lines(milestones: list[rules.Milestone]) -> list[str]:
    """The clients' words: what we have come to see together, never who did what first."""
    reached = {m.key for m in milestones if m.reached}
    revised = sum(1 for m in milestones if m.key == rules.MISREADING_REVISED and m.reached)
    lines = [
        "Together we have been drawing the pattern you both get caught in: what sets each of "
        "you off, what you each do next, and what you each feel underneath. The map below is "
        "where it stands now; it is a picture of the pattern, not of who is to blame."
    ]
    if rules.CYCLE_MAPPED in reached:
        lines.append("We have mapped the whole loop: how each of your moves sets off the other's.")
    if rules.PRIMARY_ACCESSED in reached:
        lines.append(
            "You have each found words for the softer feelings and longings underneath, and "
            "shared them here."
        )
    if revised == 2:
        lines.append(
            "You have each begun to read the other's moves in a new light: what looked like not "
            "caring or like pressure turns out to be care and fear."
        )
    elif revised == 1:
        lines.append(
            "We have begun to read each other's moves in a new light: what looked like not "
            "caring or like pressure can turn out to be care and fear."
        )
    return lines


def cycle_map_report(case: Case, end: date, zone: tzinfo, client: bool) -> dict | None:
    """The report's map: ``src`` (SVG data URI), ``title``, ``revision`` (number and day),
    ``milestones`` and ``changes`` (clinical), ``client_lines``. None for a case that is not a
    couple's, or without a revision by the period's end."""
    if not queries.is_mappable(case):
        return None
    found = queries.case_map(case)
    until = _period_end(end, zone)
    views = [v for v in found.revisions if v.starts_at < until]
    if not views:
        return None
    view = views[-1]
    partners = list(case.partners)
    if client:
        partners.sort(key=lambda p: p.display_name.casefold())
    reached = rules.milestones(
        [v.facts for v in views], [p.id for p in case.partners], found.moments
    )
    numbers = {v.id: v.number for v in views}
    day = view.starts_at.astimezone(zone).strftime("%d %b %Y")
    title = CLIENT_TITLE if client else f"Cycle map, revision {view.number} (session of {day})"
    svg = cycle_map_svg(
        queries.columns(case, view, partners),
        rules.CLIENT_LABELS if client else rules.LABELS,
        title=title,
        chart_id="report-cycle-map",
        client=client,
    )
    previous = views[-2] if len(views) > 1 else None
    return {
        "src": svg_data_uri(svg),
        "title": title,
        "revision": view.number,
        "revisions": len(views),
        "day": day,
        "milestones": []
        if client
        else [
            {
                "label": m.label + (f" — {found.names[m.partner_id]}" if m.partner_id else ""),
                "reached": m.reached,
                "when": (
                    f"revision {numbers[m.revision_id]}, session of "
                    f"{m.starts_at.astimezone(zone):%d %b %Y}"
                )
                if m.reached and m.starts_at is not None
                else "not yet",
            }
            for m in reached
        ],
        "changes": []
        if client or previous is None
        else [
            {"partner": row.partner, "label": row.label, "old": row.old, "new": row.new}
            for row in queries.diff_rows(found, previous, view)
        ],
        "previous": previous.number if previous else None,
        "client_lines": client_lines(reached) if client else [],
    }
