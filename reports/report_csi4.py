"""The CSI-4 part of a progress report: whose scores an audience may read, each partner's change
from their baseline by the period's end, and the couple's course, in the clinician's words or the
clients' (``practice.reports.client_words``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select

from practice.cases.models import Case, CaseKind
from practice.core.database import db
from practice.measures import change, csi4, sharing
from practice.measures.consent import ShareAudience
from practice.reporting.models import Audience
from practice.reports import client_words as client_text
from practice.reports.client_words import ClientWords
from practice.sessions.models import TherapySession


def csi4_change(case: Case, end: date, rci: float) -> change.CaseChange | None:
    """Each partner's CSI-4 from their baseline to their latest reading by the period's end,
    judged by reliable change as the case page judges it; None before the first session."""
    through = last_session_by(case, end)
    return change.case_change(case, rci, through=through) if through is not None else None


def csi4_rows(
    case_change: change.CaseChange | None,
    partners: list,
    shown: set[int],
    words: ClientWords | None,
) -> list[dict]:
    """Each partner's CSI-4 row: baseline, latest, change and its verdict, in the clinician's
    words or the clients' (``words``).

    ``shown``: the partners whose scores this audience may read; the others' rows hold no
    score, only that they are kept private.
    """
    rci = case_change.rci if case_change else 0
    judged = {p.partner_id: p for p in case_change.partners} if case_change else {}
    rows = []
    for partner in partners:
        row: dict = {
            "partner": partner.display_name,
            "shown": partner.id in shown,
            "count": 0,
        }
        found = judged.get(partner.id)
        verdict = found.change if found else None
        if verdict is None:
            # Never measured: there is no score to keep private, and saying so tells none.
            row["shown"] = True
        if verdict is None or not row["shown"]:
            rows.append(row)
            continue
        row |= {
            "count": verdict.readings,
            "first": verdict.baseline,
            "first_on": found.baseline_at.date(),
            "latest": verdict.latest,
            "latest_on": found.latest_at.date(),
            "change": verdict.change,
            "change_text": change.signed(verdict.change),
            "below_cutoff": verdict.below_cutoff,
            "category": verdict.category,
            "slide": verdict.slide,
        }
        if words is not None:
            row["verdict"] = client_text.change_words(verdict.category)
            row["slide_text"] = client_text.SLIDE_WORDS if verdict.slide else ""
            row["standing"] = client_text.standing_words(verdict.below_cutoff)
        else:
            row["verdict"] = verdict.label
            row["explanation"] = found.explanation(rci)
            row["slide_text"] = found.slide_explanation(rci) or ""
            row["standing"] = "Below" if verdict.below_cutoff else "At or above"
        rows.append(row)
    return rows


def couple_csi4(
    case_change: change.CaseChange | None, rows: list[dict], words: ClientWords | None
) -> str | None:
    """The couple's CSI-4 course in words, or None: only for a couple whose partners' scores are
    all shown (the pair's verdict would otherwise tell a hidden score's direction)."""
    if case_change is None or not rows or not all(row["shown"] for row in rows):
        return None
    key = case_change.couple  # None for an individual or a family
    if key is None:
        return None
    return client_text.COUPLE_WORDS[key] if words is not None else csi4.COUPLE_LABELS[key]


def last_session_by(case: Case, end: date) -> TherapySession | None:
    """The case's last (unvoided) session on or before ``end``: what a report can look back on."""
    return db.scalars(
        select(TherapySession)
        .where(
            TherapySession.case_id == case.id,
            TherapySession.voided_at.is_(None),
            TherapySession.starts_at <= datetime.combine(end, time.max, UTC),
        )
        .order_by(TherapySession.starts_at.desc(), TherapySession.id.desc())
        .limit(1)
    ).first()


def shown_partners(case: Case, audience: str, on: date) -> set[int]:
    """Whose CSI-4 scores a report for ``audience`` may show on the day ``on``: the clinical
    record everyone's; an individual client their own; otherwise those whose consent to the
    other partner (client report) or to a referrer (referrer report) is in force that day."""
    everyone = {partner.id for partner in case.partners}
    if audience == Audience.CLINICAL:
        return everyone
    if audience == Audience.CLIENT and case.kind == CaseKind.INDIVIDUAL:
        return everyone
    share_with = ShareAudience.PARTNER if audience == Audience.CLIENT else ShareAudience.REFERRER
    return sharing.partners_sharing(case, share_with, on) & everyone
