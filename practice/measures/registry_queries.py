"""What the case page, the reports and the flags read of measures other than the CSI-4 (whose
reads stay in ``practice.measures.queries``): one statement each, whatever the case's length.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, union_all

from practice.cases.models import Case, Partner
from practice.core.database import db
from practice.measures.alliance import AllianceReading
from practice.measures.models import MeasureResponse
from practice.measures.queries import CHECKIN_SOURCE
from practice.sessions.models import TherapySession


@dataclass(frozen=True)
class MeasureRow:
    """One partner's total on one measure at one session, or (``session_id`` None) sent in a
    check-in, dated when it was sent."""

    measure: str
    session_id: int | None
    starts_at: datetime
    partner_id: int
    partner_name: str
    total: float


def case_measure_rows(
    case: Case, keys: Collection[str], until: datetime | None = None
) -> list[MeasureRow]:
    """The case's totals on the measures ``keys`` at its (unvoided) sessions and in the
    partners' check-ins (``session_id`` None, dated when sent), in order, optionally those
    before ``until``. One statement."""
    if not keys:
        return []
    at_sessions = (
        select(
            MeasureResponse.measure,
            MeasureResponse.session_id,
            TherapySession.starts_at.label("at"),
            Partner.id.label("partner_id"),
            Partner.display_name,
            MeasureResponse.total,
            Partner.position,
        )
        .join(TherapySession, MeasureResponse.session_id == TherapySession.id)
        .join(Partner, MeasureResponse.partner_id == Partner.id)
        .where(
            TherapySession.case_id == case.id,
            TherapySession.voided_at.is_(None),
            MeasureResponse.measure.in_(list(keys)),
        )
    )
    in_checkins = (
        select(
            MeasureResponse.measure,
            MeasureResponse.session_id,
            MeasureResponse.recorded_at.label("at"),
            Partner.id.label("partner_id"),
            Partner.display_name,
            MeasureResponse.total,
            Partner.position,
        )
        .join(Partner, MeasureResponse.partner_id == Partner.id)
        .where(
            Partner.case_id == case.id,
            MeasureResponse.session_id.is_(None),
            MeasureResponse.source == CHECKIN_SOURCE,
            MeasureResponse.measure.in_(list(keys)),
        )
    )
    if until is not None:
        at_sessions = at_sessions.where(TherapySession.starts_at < until)
        in_checkins = in_checkins.where(MeasureResponse.recorded_at < until)
    both = union_all(at_sessions, in_checkins).subquery()
    query = select(
        both.c.measure,
        both.c.session_id,
        both.c.at,
        both.c.partner_id,
        both.c.display_name,
        both.c.total,
    ).order_by(both.c.at, both.c.position, both.c.partner_id)
    return [MeasureRow(*row) for row in db.execute(query)]


def alliance_readings(
    partner_numbers: Mapping[int, tuple[int, int]],
    thresholds: Mapping[str, float],
    day_of: Callable[[datetime], date] = lambda at: at.date(),
) -> dict[int, list[AllianceReading]]:
    """Per case: its partners' totals on the alliance measures (key -> threshold), in session
    order, partners by number (``partner_numbers``: partner id -> (case id, number)). One
    statement; none when the practice has no alliance measure."""
    found: dict[int, list[AllianceReading]] = defaultdict(list)
    if not thresholds or not partner_numbers:
        return found
    rows = db.execute(
        select(
            MeasureResponse.partner_id,
            MeasureResponse.measure,
            MeasureResponse.session_id,
            TherapySession.starts_at,
            MeasureResponse.total,
        )
        .join(TherapySession, MeasureResponse.session_id == TherapySession.id)
        .where(
            MeasureResponse.partner_id.in_(list(partner_numbers)),
            MeasureResponse.measure.in_(list(thresholds)),
            TherapySession.voided_at.is_(None),
        )
        .order_by(TherapySession.starts_at, TherapySession.id, MeasureResponse.partner_id)
    )
    for partner_id, measure, session_id, starts_at, total in rows:
        case_id, number = partner_numbers[partner_id]
        on: date = day_of(starts_at)
        found[case_id].append(
            AllianceReading(measure, number, session_id, on, total, thresholds[measure])
        )
    return found
