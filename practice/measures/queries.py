"""What the measures tab and the API read: the CSI-4 responses of a session and of a case.

Each function is one query; the readings against the cut-off come from
``practice.measures.csi4``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from practice.cases.models import Case, Partner
from practice.core.database import db
from practice.measures.csi4 import CSI4_MEASURE, csi4_below_cutoff, csi4_reading
from practice.measures.models import MeasureResponse
from practice.sessions.models import TherapySession


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
    """One partner's CSI-4 total at one session."""

    session_id: int
    starts_at: datetime
    partner_id: int
    partner_name: str
    total: int

    @property
    def below_cutoff(self) -> bool:
        return csi4_below_cutoff(self.total)

    @property
    def reading(self) -> str:
        return csi4_reading(self.total)


def csi4_history(
    case: Case, before: TherapySession | None = None, through: TherapySession | None = None
) -> list[Csi4Row]:
    """The case's CSI-4 totals in session order, optionally only those before a session, or
    up to one (that session included)."""
    query = (
        select(
            MeasureResponse.session_id,
            TherapySession.starts_at,
            Partner.id,
            Partner.display_name,
            MeasureResponse.total,
        )
        .join(TherapySession, MeasureResponse.session_id == TherapySession.id)
        .join(Partner, MeasureResponse.partner_id == Partner.id)
        .where(
            TherapySession.case_id == case.id,
            TherapySession.voided_at.is_(None),
            MeasureResponse.measure == CSI4_MEASURE,
        )
        .order_by(TherapySession.starts_at, TherapySession.id, Partner.position, Partner.id)
    )
    if before is not None:
        query = query.where(TherapySession.starts_at < before.starts_at)
    if through is not None:
        query = query.where(TherapySession.starts_at <= through.starts_at)
    return [Csi4Row(*row) for row in db.execute(query)]
