"""What the measures tab and the API read: the CSI-4 responses of a session and of a case.

Each function is one query; the readings against the cut-off come from
``practice.measures.csi4``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal, select, union_all

from practice.cases.models import Case, Partner
from practice.checkins.models import Checkin
from practice.core.database import db
from practice.measures.csi4 import CSI4_MEASURE, csi4_below_cutoff, csi4_reading
from practice.measures.models import MeasureResponse
from practice.sessions.models import TherapySession

# ``MeasureResponse.source`` of answers sent through a check-in link.
CHECKIN_SOURCE = "check-in"


def session_csi4(therapy_session: TherapySession) -> dict[int, MeasureResponse]:
    """The CSI-4 responses recorded at this session, by partner id."""
    responses = db.scalars(
        select(MeasureResponse).where(
            MeasureResponse.session_id == therapy_session.id,
            MeasureResponse.measure == CSI4_MEASURE,
        )
    )
    return {response.partner_id: response for response in responses}


@dataclass(frozen=True)
class Csi4Row:
    """One partner's CSI-4 total at one session, or (``from_checkin``, no session) sent by the
    partner in a check-in between sessions, dated by that check-in."""

    session_id: int | None
    starts_at: datetime
    partner_id: int
    partner_name: str
    total: int
    from_checkin: bool = False

    @property
    def below_cutoff(self) -> bool:
        return csi4_below_cutoff(self.total)

    @property
    def reading(self) -> str:
        return csi4_reading(self.total)


def csi4_history(
    case: Case, before: TherapySession | None = None, through: TherapySession | None = None
) -> list[Csi4Row]:
    """The case's CSI-4 totals by date, optionally only those before a session, or up to one
    (that session included). One query.

    The answers a partner gave in a check-in count with those given in session, dated by the
    check-in (a session before a check-in at the same moment): the same questionnaire, about
    the same relationship, so the series, the change from the baseline and the flags read
    them all. They are marked ``from_checkin`` wherever they are shown."""
    sessions = (
        select(
            MeasureResponse.session_id,
            TherapySession.starts_at.label("at"),
            Partner.id.label("partner_id"),
            Partner.display_name,
            MeasureResponse.total,
            literal(0).label("from_checkin"),
            Partner.position,
            TherapySession.id.label("tie"),
        )
        .join(TherapySession, MeasureResponse.session_id == TherapySession.id)
        .join(Partner, MeasureResponse.partner_id == Partner.id)
        .where(
            TherapySession.case_id == case.id,
            TherapySession.voided_at.is_(None),
            MeasureResponse.measure == CSI4_MEASURE,
        )
    )
    checkins = (
        select(
            MeasureResponse.session_id,
            Checkin.submitted_at.label("at"),
            Partner.id.label("partner_id"),
            Partner.display_name,
            MeasureResponse.total,
            literal(1).label("from_checkin"),
            Partner.position,
            Checkin.id.label("tie"),
        )
        .join(Checkin, Checkin.csi4_response_id == MeasureResponse.id)
        .join(Partner, MeasureResponse.partner_id == Partner.id)
        .where(
            Checkin.case_id == case.id,
            Partner.case_id == case.id,
            MeasureResponse.source == CHECKIN_SOURCE,
            MeasureResponse.measure == CSI4_MEASURE,
        )
    )
    if before is not None:
        sessions = sessions.where(TherapySession.starts_at < before.starts_at)
        checkins = checkins.where(Checkin.submitted_at < before.starts_at)
    if through is not None:
        sessions = sessions.where(TherapySession.starts_at <= through.starts_at)
        checkins = checkins.where(Checkin.submitted_at <= through.starts_at)
    both = union_all(sessions, checkins).subquery()
    query = select(
        both.c.session_id,
        both.c.at,
        both.c.partner_id,
        both.c.display_name,
        both.c.total,
        both.c.from_checkin,
    ).order_by(both.c.at, both.c.from_checkin, both.c.tie, both.c.position, both.c.partner_id)
    return [
        Csi4Row(session_id, at, partner_id, name, total, bool(from_checkin))
        for session_id, at, partner_id, name, total, from_checkin in db.execute(query)
    ]
