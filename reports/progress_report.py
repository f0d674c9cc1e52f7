"""The progress report of a case: its context (a plain dict) and its HTML.

``report_context`` gathers everything a report shows, for one audience, in a fixed number of
queries; the figures come from ``practice.progress.case_progress`` (the same as the case
page's) and the charts from ``practice.reports.case_charts`` (the same SVG). ``build_report_html``
renders that dict with the package's own Jinja environment (autoescaped), so the template sees
plain values only and never runs a query.

Audiences:

- ``clinical``: the full record, with partners' cycle roles, the EFT stage, each session's DAP
  note with its addenda in full, every partner's CSI-4 and its reliable change, and the
  recommendations.
- ``client``: plain language for the clients (``client_words``: a couple's, one person's or a
  family's own account of the pattern): no note text, no clinical labels or measures' names,
  everyone shown alike (alphabetically, in the same layout), the pattern framed as the problem;
  a partner's CSI-4 only with their consent to share it with the other partner.
- ``referrer``: a letter of one or two pages (``referrer_report.html``) to the case's referrer:
  their question, attendance, the measures in plain numbers (each partner's CSI-4 only with
  their consent to a referrer), the counsellor's summary and recommendations; no notes or charts.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from flask import current_app
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from practice.accounts.models import StaffMember
from practice.cases import eft
from practice.cases.models import Case
from practice.core import local_time
from practice.core.database import db, utcnow
from practice.measures import csi4
from practice.measures.settings import reliable_change_index
from practice.moments import balance
from practice.progress.case_progress import CaseProgress, case_progress
from practice.reporting.models import Audience
from practice.reports import client_words as client_text
from practice.reports import (
    pdf,
    report_breaks,
    report_change_events,
    report_csi4,
    report_cycle_map,
    report_goals,
    report_interaction,
    report_measures,
)
from practice.reports.case_charts import plain_trend
from practice.reports.charts.looks import partner_colour
from practice.reports.client_words import client_words
from practice.reports.report_charts import report_charts
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
# The referrer gets a letter of one or two pages; the clinical record and the clients' report
# share the full report's template.
TEMPLATES = {Audience.REFERRER: "referrer_report.html"}
PAGE_SIZES = {"A4": "page-a4.css", "LETTER": "page-letter.css"}
AUDIENCE_LABELS = {
    Audience.CLINICAL: "Clinical record",
    Audience.CLIENT: "For the couple",
    Audience.REFERRER: "Summary for the referrer",
}
# Words the clients never read, charts included: roles, measures, thresholds and the rules'
# names. The client report speaks of "the pattern", of harder and calmer moments, of new ways of
# talking and of how satisfied each person feels.
CLIENT_FORBIDDEN_TERMS = (
    "pursuer",
    "withdrawer",
    "pursue",
    "withdraw",
    "escalating",
    "escalation",
    "de-escalating",
    "de-escalation",
    "softening",
    "share of de-escalation",
    "load",
    "intensity",
    "prompted",
    "spontaneous",
    "spontaneously",
    "cut-off",
    "cutoff",
    "13.5",
    "trend",
    "worsening",
    "improving",
    "RCI",
    "reliable change",
    "reliably",
    "recovered",
    "deteriorated",
    "divergent",
    "baseline",
    "slide",
    "CSI-4",
    "CSI",
    "Couples Satisfaction Index",
    "script",
    "scripts",
    "adopted",
    "adoption",
    "EFT",
    "stage",
    "stonewalling",
    "contempt",
    "clinical",
)
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
    *,
    recommendations: str = "",
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
    zone = report_zone(config)
    clinical = audience == Audience.CLINICAL
    client = audience == Audience.CLIENT
    progress = case_progress(case, start, end)
    sessions = _session_rows(progress, include_notes=clinical, zone=zone)
    tampered = [row for row in sessions if row["tampered"]]
    # The couple sees both partners in alphabetical order, so neither reads as the "first".
    partners = (
        sorted(progress.partners, key=lambda p: p.display_name.casefold())
        if client
        else progress.partners
    )
    trend = progress.trend
    adoption_rows = _adoption_rows(progress)
    if client:
        # Both partners alike: each one's scripts in the same order, partners alphabetically.
        adoption_rows.sort(key=lambda row: row["partner"].casefold())
    generated_at = utcnow()
    generated_local = generated_at.astimezone(zone)
    reference = case.reference
    words = client_words(case.kind)
    rci = reliable_change_index(config)
    # Consent is read on the day the report is made: a withdrawal counts from its own day.
    shown = report_csi4.shown_partners(case, audience, generated_local.date())
    case_change = report_csi4.csi4_change(case, end, rci)
    csi4_rows = report_csi4.csi4_rows(case_change, partners, shown, words if client else None)
    return {
        "practice_name": config["PRACTICE_NAME"],
        "page_stylesheet": PAGE_SIZES[page_size],
        "page_size": "Letter" if page_size == "LETTER" else "A4",
        "audience": str(audience),
        "audience_label": words.audience_label if client else AUDIENCE_LABELS[audience],
        "words": words,
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
        "generated_local": generated_local,
        "counsellor": case.counsellor.display_name,
        "partners": [
            {
                "name": p.display_name,
                # The partner's colour in the report's charts, for the key of the table.
                "colour": partner_colour(p.position),
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
            "high_share": balance.HIGH_SHARE,
            "scripts_total": len(adoption_rows),
            "scripts_adopted": sum(1 for row in adoption_rows if row["adopted_on"]),
            "last_session": progress.sessions[-1].starts_at.date() if progress.sessions else None,
        },
        "eft_stage": None if client else _stage(case, progress),
        "presenting_concerns": "" if client else case.presenting_concerns,
        "goals": case.goals,
        "goal_report": report_goals.goal_report(case, end, audience, shown, zone),
        # The referrer's letter has no charts: its numbers are in words and a table.
        "charts": (
            []
            if audience == Audience.REFERRER
            else report_charts(progress, words if client else None, shown)
        ),
        "sessions": sessions,
        "adoption": adoption_rows,
        "adoption_by_partner": _by_partner(adoption_rows, [p.display_name for p in partners]),
        "adoption_levels": adoption.ADOPTION_LEVELS,
        "adoption_rule": adoption.ADOPTION_RULE,
        "csi4": csi4_rows,
        "csi4_couple": report_csi4.couple_csi4(case_change, csi4_rows, words if client else None),
        "csi4_cutoff": csi4.CSI4_CUTOFF,
        "csi4_rci": rci,
        "csi4_real_change": client_text.real_change_explained(rci),
        "other_measures": report_measures.measures_section(case, end, zone, audience, shown),
        # The referrer's letter says nothing of the couple's breaks at home.
        "breaks": (
            None
            if audience == Audience.REFERRER
            else report_breaks.break_report(case, start, end, zone, client)
        ),
        # Nor of the couple's cycle map.
        "cycle_map": (
            None
            if audience == Audience.REFERRER
            else report_cycle_map.cycle_map_report(case, end, zone, client)
        ),
        # The change events are clinical: the record's, not the clients' or the referrer's.
        "change_events": (
            report_change_events.change_events_report(case, end, zone) if clinical else None
        ),
        "interaction": (
            report_interaction.interaction_report(case, start, end, zone) if clinical else None
        ),
        "referral": {
            "name": case.referrer_name,
            "organisation": case.referrer_organisation,
            "question": case.referral_question,
        },
        "attendance": _attendance(sessions, [p.display_name for p in partners]),
        "narrative": narrative.strip(),
        "recommendations": recommendations.strip(),
        # Signed notes whose text no longer matches the hash taken at signing: named on the
        # report and their text withheld, never printed as if it were the signed record.
        "integrity_failures": [
            {"session_id": row["session_id"], "date": row["date"]} for row in tampered
        ],
    }


def build_report_html(context: dict, *, asset_url: Callable[[str], str] = pdf.asset_url) -> str:
    """The report's HTML. ``asset_url`` maps packaged asset names to URLs: the PDF's own
    ``practice-asset:`` scheme by default, the web preview's route otherwise."""
    template = TEMPLATES.get(context["audience"], "progress_report.html")
    return report_environment().get_template(template).render(context, asset=asset_url)


# --- Rows of the report --------------------------------------------------------------------


def _session_rows(progress: CaseProgress, include_notes: bool, zone: tzinfo) -> list[dict]:
    ids = [point.session_id for point in progress.sessions]
    loaded = {
        therapy_session.id: therapy_session
        for therapy_session in db.scalars(
            select(TherapySession)
            .where(TherapySession.id.in_(ids))
            .options(selectinload(TherapySession.attendees))
        )
    }
    addenda = _addenda(ids, zone) if include_notes else {}
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
            "addenda": [],
        }
        if include_notes and not tampered:
            row["note"] = {
                "data": therapy_session.note_data,
                "assessment": therapy_session.note_assessment,
                "plan": therapy_session.note_plan,
            }
        if include_notes:
            row["addenda"] = addenda.get(point.session_id, [])
        rows.append(row)
    return rows


def _addenda(session_ids: list[int], zone: tzinfo) -> dict[int, list[dict]]:
    """Each session's addenda in full, oldest first, with author and time (in ``zone``)."""
    by_session: dict[int, list[dict]] = defaultdict(list)
    for session_id, created_at, text, author in db.execute(
        select(Addendum.session_id, Addendum.created_at, Addendum.text, StaffMember.display_name)
        .join(StaffMember, StaffMember.id == Addendum.author_id)
        .where(Addendum.session_id.in_(session_ids))
        .order_by(Addendum.created_at, Addendum.id)
    ):
        by_session[session_id].append(
            {"author": author, "at": created_at.astimezone(zone), "text": text}
        )
    return by_session


def report_zone(config: Mapping[str, Any]) -> tzinfo:
    """The practice's time zone (``PRACTICE_TIMEZONE``), in which a report shows times whoever
    asks for it. Raises ValueError for a name that is not a known IANA zone."""
    return local_time.practice_zone(config)


def _attendance(sessions: list[dict], names: list[str]) -> dict:
    """Who came to the period's sessions: how many sessions, how many with everyone, and each
    person's count (in ``names``' order)."""
    return {
        "sessions": len(sessions),
        "everyone": sum(1 for row in sessions if row["everyone"]),
        "by_person": [
            {"name": name, "attended": sum(1 for row in sessions if name in row["attended"])}
            for name in names
        ],
        "first": sessions[0]["date"] if sessions else None,
        "last": sessions[-1]["date"] if sessions else None,
    }


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
                "latest_level_plain": (
                    client_text.LEVEL_WORDS[latest] if latest is not None else "not tried yet"
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


def _stage(case: Case, progress: CaseProgress) -> dict:
    staged = [point.eft_stage for point in progress.sessions if point.eft_stage]
    return {
        "current": case.eft_stage,
        "current_label": eft.name(case.eft_stage),
        "at_start": staged[0] if staged else None,
        "at_end": staged[-1] if staged else None,
        "names": eft.NAMES,
    }


# --- Jinja environment ----------------------------------------------------------------------


def _day(value: date | datetime | None) -> str:
    return value.strftime("%d %b %Y") if value else "—"


def _percent(value: float | None) -> str:
    # Rounded half up, as the case page does.
    return "—" if value is None else f"{int(value * 100 + 0.5)} %"


def _clock(value: datetime) -> str:
    """A time of day with its zone's abbreviation: "14:05 CET", "09:30 UTC"."""
    return f"{value.strftime('%H:%M')} {value.tzname() or ''}".strip()


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
    environment.filters |= {
        "day": _day,
        "clock": _clock,
        "percent": _percent,
        "paragraphs": _paragraphs,
    }
    return environment
