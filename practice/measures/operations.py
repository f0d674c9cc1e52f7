"""Standard measures taken at sessions: recording the CSI-4, per partner per session.

Scoring, the cut-off and reliable change are rules of ``practice.measures.csi4``; this module
checks and stores the responses. Every write runs in its own savepoint (``@atomic``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Partner
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.unit_of_work import atomic
from practice.measures.csi4 import CSI4_MEASURE, csi4_total
from practice.measures.models import MeasureResponse
from practice.sessions.models import TherapySession
from practice.sessions.signed_notes import require_draft


class MeasureError(Refused):
    """A measure response that cannot be recorded; the message says why."""


@atomic
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
            MeasureResponse.measure == CSI4_MEASURE,
        )
    )
    if response is None:
        response = MeasureResponse(
            session_id=therapy_session.id, partner_id=partner.id, measure=CSI4_MEASURE
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
        detail={
            "measure": CSI4_MEASURE,
            "session_id": therapy_session.id,
            "partner_id": partner.id,
        },
    )
    return response


@atomic
def record_csi4_answers(
    therapy_session: TherapySession,
    answers: Iterable[tuple[int, Sequence[int]]],
    recorded_by: StaffMember | None = None,
) -> list[MeasureResponse]:
    """Store several partners' CSI-4 answers at this session, as (partner id, four scores).

    All or nothing: raises what ``record_csi4`` raises for any of them, and then none is kept.
    """
    return [
        record_csi4(therapy_session, partner_id, items, recorded_by=recorded_by)
        for partner_id, items in answers
    ]


def _counsellor_id(therapy_session: TherapySession) -> int:
    return therapy_session.case.counsellor_id
