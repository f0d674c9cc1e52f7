"""Standard measures taken at sessions: the CSI-4, per partner per session.

Scoring and the cut-off are ``practice.metrics`` rules; this module stores and reads responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Case, Partner
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.measures.csi4 import CSI4_CUTOFF, csi4_below_cutoff, csi4_total
from practice.measures.models import MeasureResponse
from practice.sessions.models import TherapySession
from practice.sessions.signed_notes import require_draft

CSI4 = "CSI-4"


class MeasureError(Refused):
    """A measure response that cannot be recorded; the message says why."""


def csi4_reading(total: float) -> str:
    """The total read against the cut-off, in words a counsellor would use."""
    if csi4_below_cutoff(total):
        return f"{total} — below the {CSI4_CUTOFF} cut-off: notable relationship dissatisfaction"
    return f"{total} — at or above the {CSI4_CUTOFF} cut-off"


def record_csi4(
    therapy_session: TherapySession,
    partner_id: int,
    items: Sequence[int],
    recorded_by: StaffMember | None = None,
) -> MeasureResponse:
    """Store a partner's four CSI-4 item scores at this session, with the computed total.

    A second recording at the same session replaces the first. ``recorded_by`` defaults to the
    case's counsellor, the only person who may record. Raises NoteSigned on a signed note, and
    MeasureError for a partner of another case or item scores that are not whole numbers within
    their ranges.
    """
    require_draft(therapy_session, "CSI-4 answers")
    partner = db.get(Partner, partner_id)
    if partner is None or partner.case_id != therapy_session.case_id:
        raise MeasureError("That partner is not in this case.")
    items = list(items)
    try:
        total = csi4_total(items)
    except ValueError as error:
        raise MeasureError(f"{partner.display_name}: {error}.") from error
    response = db.scalar(
        select(MeasureResponse).where(
            MeasureResponse.session_id == therapy_session.id,
            MeasureResponse.partner_id == partner.id,
            MeasureResponse.measure == CSI4,
        )
    )
    if response is None:
        response = MeasureResponse(
            session_id=therapy_session.id, partner_id=partner.id, measure=CSI4
        )
        db.add(response)
    response.items = items
    response.total = total
    response.recorded_by_id = (recorded_by.id if recorded_by else None) or _counsellor_id(
        therapy_session
    )
    response.recorded_at = utcnow()
    try:
        db.flush()
    except IntegrityError as error:
        # Two saves of the same new response at once (a double submit): one wins.
        raise MeasureError(
            "These answers were saved from another window at the same time. Reload the page."
        ) from error
    audit.record(
        "measure_recorded",
        obj=response,
        case_id=therapy_session.case_id,
        detail={"measure": CSI4, "session_id": therapy_session.id, "partner_id": partner.id},
    )
    return response


def _counsellor_id(therapy_session: TherapySession) -> int:
    return therapy_session.case.counsellor_id


def session_csi4(therapy_session: TherapySession) -> dict[int, MeasureResponse]:
    """The CSI-4 responses recorded at this session, by partner id."""
    responses = db.scalars(
        select(MeasureResponse).where(
            MeasureResponse.session_id == therapy_session.id, MeasureResponse.measure == CSI4
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


def csi4_history(case: Case, before: TherapySession | None = None) -> list[Csi4Row]:
    """The case's CSI-4 totals in session order, optionally only those before a session."""
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
            MeasureResponse.measure == CSI4,
        )
        .order_by(TherapySession.starts_at, Partner.position, Partner.id)
    )
    if before is not None:
        query = query.where(TherapySession.starts_at < before.starts_at)
    return [Csi4Row(*row) for row in db.execute(query)]
