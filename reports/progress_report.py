"""The progress report of a case: its context (a plain dict) and its HTML.

``report_context`` gathers everything a report shows, for one audience, in a fixed number of
queries; the figures come from ``practice.progress.case_progress`` (the same as the case
page's) and the charts from ``practice.reports.case_charts`` (the same SVG). ``build_report_html``
renders that dict with the package's own Jinja environment (autoescaped), so the template sees
plain values only and never runs a query.

Audiences:

- ``clinical``: the full record, with partners' cycle roles, the EFT stage and each session's
  DAP note and addenda count.
- ``referrer``: a summary: figures, stage, concerns and goals, charts, sessions without notes.
- ``client``: plain language for the couple: no note text, no clinical labels, both partners
  shown alike (alphabetically, in the same layout), and the cycle framed as the problem.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from practice.accounts.models import StaffMember
from practice.cases import eft
from practice.cases.models import Case
from practice.core.database import db, utcnow
from practice.measures import csi4
from practice.moments import balance
from practice.progress.case_progress import CaseProgress, case_progress
from practice.reporting.models import Audience
from practice.reports import charts, pdf
from practice.reports.case_charts import case_charts, plain_trend, svg_data_uri
from practice.scripts import adoption
from practice.sessions.models import Addendum, Modality, TherapySession
from practice.sessions.signed_notes import note_intact

__all__ = [
    "AUDIENCE_LABELS",
    "CLIENT_FORBIDDEN_TERMS",
    "PAGE_SIZES",
    "build_report_html",
    "report_context",
]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
PAGE_SIZES = {"A4": "page-a4.css", "LETTER": "page-letter.css"}
AUDIENCE_LABELS = {
    Audience.CLINICAL: "Clinical record",
    Audience.CLIENT: "For the couple",
    Audience.REFERRER: "Summary for the referrer",
}
# Words the client version avoids by default: it speaks of "the pattern", never of roles.
CLIENT_FORBIDDEN_TERMS = ("pursuer", "withdrawer", "escalation", "EFT", "stonewalling", "contempt")
MODALITY_LABELS = {
    Modality.IN_PERSON: "In person",
    Modality.VIDEO: "Video",
    Modality.PHONE: "Phone",
}
CYCLE_ROLE_LABELS = {
    "pursuer": "Pursuer",
    "withdrawer": "Withdrawer",
    "mixed": "Mixed",
    "unclear": "Not yet clear",
}


def report_context(
    case: Case,
    start: date,
    end: date,
    audience: str,
    narrative: str,
    generated_by: StaffMember,
) -> dict:
    """Everything the report shows, as plain values, for ``audience`` over ``start``–``end``.

    Raises ValueError for an unknown audience or page size, or a period that ends before it starts.
    """
    if audience not in AUDIENCE_LABELS:
        raise ValueError(f"Unknown audience {audience!r}")
    if end < start:
        raise ValueError("The period ends before it starts.")
    config = current_app.config
    page_size = str(config["PRACTICE_PAGE_SIZE"]).upper()
    if page_size not in PAGE_SIZES:
        raise ValueError(f"PRACTICE_PAGE_SIZE must be A4 or Letter, not {page_size!r}")
    clinical = audience == Audience.CLINICAL
    client = audience == Audience.CLIENT
    progress = case_progress(case, start, end)
    sessions = _session_rows(progress, include_notes=clinical)
    tampered = [row for row in sessions if row["tampered"]]
    # The couple sees both partners in alphabetical order, so neither reads as the "first".
    partners = (
        sorted(progress.partners, key=lambda p: p.display_name.casefold())
        if client
        else progress.partners
    )
    trend = progress.trend
    adoption_rows = _adoption_rows(progress)
    generated_at = utcnow()
    reference = case.reference
    return {
        "practice_name": config["PRACTICE_NAME"],
        "page_stylesheet": PAGE_SIZES[page_size],
        "page_size": "Letter" if page_size == "LETTER" else "A4",
        "audience": str(audience),
        "audience_label": AUDIENCE_LABELS[audience],
        "clinical": clinical,
        "client": client,
        "title": f"Progress report {reference} ({audience}), {_day(start)} to {_day(end)}",
        "reference": reference,
        "kind": case.kind,
        "case_status": case.status,
        "opened_on": case.opened_on,
        "period_start": start,
        "period_end": end,
        "generated_by": generated_by.display_name,
        "generated_at": generated_at,
        "counsellor": case.counsellor.display_name,
        "partners": [
            {
                "name": p.display_name,
                "pronouns": p.pronouns or "",
                "role": CYCLE_ROLE_LABELS.get(p.cycle_role, p.cycle_role) if clinical else "",
            }
            for p in partners
        ],
        "figures": {
            "sessions": len(progress.sessions),
            "latest_share": progress.latest_share,
            "trend": trend.label,
            "trend_client": plain_trend(trend.label),
            "trend_slope": trend.slope,
            "trend_window": balance.TREND_WINDOW,
            "trend_threshold": balance.TREND_THRESHOLD,
            "scripts_total": len(adoption_rows),
            "scripts_adopted": sum(1 for row in adoption_rows if row["adopted_on"]),
            "last_session": progress.sessions[-1].starts_at.date() if progress.sessions else None,
        },
        "eft_stage": None if client else _stage(case, progress),
        "presenting_concerns": "" if client else case.presenting_concerns,
        "goals": case.goals,
        "charts": _charts(progress, client),
        "sessions": sessions,
        "adoption": adoption_rows,
        "adoption_by_partner": _by_partner(adoption_rows, [p.display_name for p in partners]),
        "adoption_levels": adoption.ADOPTION_LEVELS,
        "adoption_rule": adoption.ADOPTION_RULE,
        "csi4": _csi4_rows(progress, partners),
        "csi4_cutoff": csi4.CSI4_CUTOFF,
        "narrative": narrative.strip(),
        # Signed notes whose text no longer matches the hash taken at signing: named on the
        # report and their text withheld, never printed as if it were the signed record.
        "integrity_failures": [
            {"session_id": row["session_id"], "date": row["date"]} for row in tampered
        ],
    }


def build_report_html(context: dict, *, asset_url: Callable[[str], str] = pdf.asset_url) -> str:
    """The report's HTML. ``asset_url`` maps packaged asset names to URLs: the PDF's own
    ``practice-asset:`` scheme by default, the web preview's route otherwise."""
    return (
        report_environment().get_template("progress_report.html").render(context, asset=asset_url)
    )


# --- Rows of the report --------------------------------------------------------------------


def _session_rows(progress: CaseProgress, include_notes: bool) -> list[dict]:
    ids = [point.session_id for point in progress.sessions]
    loaded = {
        therapy_session.id: therapy_session
        for therapy_session in db.scalars(
            select(TherapySession)
            .where(TherapySession.id.in_(ids))
            .options(selectinload(TherapySession.attendees))
        )
    }
    addenda = dict(
        db.execute(
            select(Addendum.session_id, func.count(Addendum.id))
            .where(Addendum.session_id.in_(ids))
            .group_by(Addendum.session_id)
        ).all()
    )
    partner_count = len(progress.partners)
    rows = []
    for point in progress.sessions:
        therapy_session = loaded[point.session_id]
        names = [
            p.display_name for p in sorted(therapy_session.attendees, key=lambda p: p.position)
        ]
        tampered = therapy_session.is_signed and not note_intact(therapy_session)
        row = {
            "session_id": therapy_session.id,
            "tampered": tampered,
            "date": point.starts_at.date(),
            "attended": names,
            "everyone": partner_count > 0 and len(names) == partner_count,
            "modality": MODALITY_LABELS.get(therapy_session.modality, therapy_session.modality),
            "duration": therapy_session.duration_minutes,
            "eft_stage": point.eft_stage,
            "signed": point.status == "signed",
            "moments": point.moment_count,
            "escalating": point.balance.escalating,
            "deescalating": point.balance.deescalating,
            "share": point.deescalation_share,
            "note": None,
            "addenda": 0,
        }
        if include_notes and not tampered:
            row["note"] = {
                "data": therapy_session.note_data,
                "assessment": therapy_session.note_assessment,
                "plan": therapy_session.note_plan,
            }
        if include_notes:
            row["addenda"] = addenda.get(point.session_id, 0)
        rows.append(row)
    return rows


def _adoption_rows(progress: CaseProgress) -> list[dict]:
    assigned_ids = {line.assigned_session_id for line in progress.adoption}
    assigned_on = {
        session_id: starts_at.date()
        for session_id, starts_at in db.execute(
            select(TherapySession.id, TherapySession.starts_at).where(
                TherapySession.id.in_(assigned_ids)
            )
        )
    }
    rows = []
    for line in progress.adoption:
        latest = list(line.levels.values())[-1] if line.levels else None
        rows.append(
            {
                "partner": line.partner_name,
                "script": line.script_text,
                "retired": line.status == "retired",
                "assigned_on": assigned_on.get(line.assigned_session_id),
                # Worked out over the whole history up to the period's end: the same date as
                # the case page's, even when it falls before the period.
                "adopted_on": line.adopted_on,
                "state": line.state,
                "state_label": line.state_label,
                "observed": len(line.levels),
                "latest_level": latest,
                "latest_level_text": (
                    adoption.ADOPTION_LEVELS[latest] if latest is not None else "Not yet observed"
                ),
            }
        )
    return rows


def _by_partner(rows: list[dict], names: list[str]) -> list[dict]:
    """Each partner with their scripts, every partner listed even without any (symmetry)."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row["partner"]].append(row)
    return [{"partner": name, "scripts": grouped.get(name, [])} for name in names]


def _csi4_rows(progress: CaseProgress, partners: list) -> list[dict]:
    lines = {line.partner_id: line for line in progress.csi4}
    order = {point.session_id: i for i, point in enumerate(progress.sessions)}
    rows = []
    for partner in partners:
        line = lines.get(partner.id)
        measured = sorted(line.totals.items(), key=lambda item: order[item[0]]) if line else []
        row = {"partner": partner.display_name, "count": len(measured)}
        if measured:
            (first_id, first), (last_id, last) = measured[0], measured[-1]
            row |= {
                "first": first,
                "first_on": progress.session_date(first_id),
                "latest": last,
                "latest_on": progress.session_date(last_id),
                "change": last - first,
                "below_cutoff": csi4.csi4_below_cutoff(last),
            }
        rows.append(row)
    return rows


def _stage(case: Case, progress: CaseProgress) -> dict:
    staged = [point.eft_stage for point in progress.sessions if point.eft_stage]
    return {
        "current": case.eft_stage,
        "current_label": eft.name(case.eft_stage),
        "at_start": staged[0] if staged else None,
        "at_end": staged[-1] if staged else None,
        "names": eft.NAMES,
    }


def _charts(progress: CaseProgress, client: bool) -> list[dict]:
    """The case page's four SVG charts, embedded as the case page embeds them: data-URI images.

    As ``<img>`` WeasyPrint draws the SVG with its SVG renderer, still as vectors, about twice as
    fast as inline SVG run through the HTML cascade; the alt text tags the figure for screen
    readers; and the browser preview shows it under the page's CSP.
    """
    svgs = case_charts(
        progress, id_prefix="report", words=charts.PLAIN if client else charts.CLINICAL
    )
    trend = progress.trend
    captions = {
        "cycle_balance": (
            'In this chart, "Escalating" marks the moments when the pattern took over and '
            '"De-escalating" the moments of calming down or reaching for each other, per '
            "session, each weighted by how strong it was."
            if client
            else "Escalating and de-escalating load per session (moments weighted by intensity)."
        ),
        "deescalation_share": (
            "Per session, the share of calmer moments among all the moments noted, weighted by "
            f"how strong they were. Over the last {balance.TREND_WINDOW} sessions: "
            f"{plain_trend(trend.label)}."
            if client
            else "Per session, the de-escalation share: de-escalating load ÷ (escalating + "
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
    return [
        {
            "key": key,
            "title": titles[key],
            "caption": captions[key],
            "src": svg_data_uri(svg),
        }
        for key, svg in vars(svgs).items()
    ]


# --- Jinja environment ----------------------------------------------------------------------


def _day(value: date | datetime | None) -> str:
    return value.strftime("%d %b %Y") if value else "—"


def _percent(value: float | None) -> str:
    # Rounded half up, as the case page does.
    return "—" if value is None else f"{int(value * 100 + 0.5)} %"


def _paragraphs(text: str) -> list[str]:
    """Blocks of text separated by blank lines; single line breaks are kept by CSS."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block]


@functools.cache
def report_environment() -> Environment:
    # Our own environment, not the app's: the report must not depend on a host's template
    # overrides or globals, and every value is escaped whatever the template's name.
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters |= {"day": _day, "percent": _percent, "paragraphs": _paragraphs}
    return environment
