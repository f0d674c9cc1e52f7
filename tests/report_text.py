"""Helpers for the report tests: hand-built cases of each kind, and every word a report shows.

``report_words`` reads what a reader sees in the report's HTML (the text the PDF is made from):
the body's text, each image's alternative text, and every text node of the SVG charts embedded
as data URIs (titles, axes, legends, the cut-off's label), styles left out.
"""

from __future__ import annotations

import base64
import html
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from practice.models import (
    Case,
    MeasureResponse,
    Moment,
    MomentType,
    Partner,
    Script,
    ScriptAssignment,
    ScriptObservation,
    StaffMember,
    TherapySession,
)

_SVG = re.compile(r'src="data:image/svg\+xml;base64,([^"]+)"')
_ALT = re.compile(r'alt="([^"]*)"')


def svg_words(svg: str) -> str:
    """Every text node of an SVG, its <style> left out."""
    root = ET.fromstring(svg)
    words = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] in {"style", "script"}:
            continue
        for text in (element.text, element.tail):
            if text and text.strip():
                words.append(text.strip())
    return " ".join(words)


def report_words(page: str) -> str:
    """What the report's reader sees: body text, alt text and the charts' words, in one line."""
    body = page.split("<body", 1)[1]
    parts = [svg_words(base64.b64decode(m.group(1)).decode()) for m in _SVG.finditer(body)]
    parts += [html.unescape(alt) for alt in _ALT.findall(body)]
    body = _SVG.sub("", body)
    body = re.sub(r"<style.*?</style>", " ", body, flags=re.S)
    parts.append(html.unescape(re.sub(r"<[^>]+>", " ", body)))
    return " ".join(" ".join(parts).split())


def csi4_items(total: int) -> list[int]:
    """Four item scores (0-6, 0-5, 0-5, 0-5) that add up to ``total``."""
    items = []
    left = total
    for top in (6, 5, 5, 5):
        items.append(min(left, top))
        left -= items[-1]
    return items


def build_case(
    db,
    counsellor: StaffMember,
    *,
    reference: str,
    kind: str = "couple",
    names: tuple[str, ...] = ("Alex", "Sam"),
    csi4: dict[str, list[int | None]] | None = None,
    sessions: int = 6,
) -> Case:
    """A case of ``kind`` with ``sessions`` weekly sessions from 6 Jan 2026 (moments that grow
    calmer, one script per person observed at each session), and CSI-4 totals per person by
    session (None: not measured then)."""
    case = Case(
        reference=reference,
        kind=kind,
        counsellor=counsellor,
        opened_on=datetime(2026, 1, 5).date(),
        goals="Talk things through without a shutdown.",
        presenting_concerns="Arguments about the move.",
        eft_stage=1,
    )
    roles = ("pursuer", "withdrawer", "mixed", "unclear")
    for position, name in enumerate(names):
        case.partners.append(
            Partner(display_name=name, cycle_role=roles[position % 4], position=position)
        )
    db.add(case)
    db.flush()
    types = {t.key: t for t in db.scalars(select(MomentType))}
    scripts = list(db.scalars(select(Script).order_by(Script.id)))
    therapy_sessions = []
    for i in range(sessions):
        therapy_session = TherapySession(
            case=case,
            starts_at=datetime(2026, 1, 6, 15, tzinfo=UTC) + timedelta(weeks=i),
            created_by_id=counsellor.id,
            attendees=list(case.partners),
            eft_stage=1,
        )
        db.add(therapy_session)
        therapy_sessions.append(therapy_session)
        db.flush()
        for key, intensity in (("pursue", max(5 - i, 1)), ("softening", min(1 + i, 5))):
            db.add(
                Moment(
                    therapy_session=therapy_session,
                    moment_type=types[key],
                    partner=case.partners[0],
                    minute=10,
                    intensity=intensity,
                    created_by_id=counsellor.id,
                )
            )
    for position, partner in enumerate(case.partners):
        assignment = ScriptAssignment(
            case_id=case.id,
            partner=partner,
            script=scripts[position % len(scripts)],
            assigned_session=therapy_sessions[0],
        )
        db.add(assignment)
        for i, therapy_session in enumerate(therapy_sessions):
            db.add(
                ScriptObservation(
                    assignment=assignment, therapy_session=therapy_session, level=min(i, 3)
                )
            )
    by_name = {partner.display_name: partner for partner in case.partners}
    for name, totals in (csi4 or {}).items():
        for therapy_session, total in zip(therapy_sessions, totals, strict=False):
            if total is None:
                continue
            db.add(
                MeasureResponse(
                    session_id=therapy_session.id,
                    partner_id=by_name[name].id,
                    items=csi4_items(total),
                    total=total,
                    recorded_by_id=counsellor.id,
                )
            )
    db.commit()
    return case
