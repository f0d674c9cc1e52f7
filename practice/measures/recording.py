"""Recording any measure of the practice's registry for a partner at a session.

The CSI-4 keeps its own path (``operations.record_csi4``: the same checks and audit as before);
every other session measure is scored by ``practice.measures.registry.score`` from its
definition. Every write runs in its own savepoint (``@atomic``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Partner
from practice.core.database import db, utcnow
from practice.core.i18n import _
from practice.core.signals import case_record_changed
from practice.core.unit_of_work import atomic
from practice.measures import registry
from practice.measures.configured import Registry
from practice.measures.csi4 import CSI4_MEASURE
from practice.measures.models import MeasureResponse
from practice.measures.operations import MeasureError, record_csi4
from practice.measures.registry import Use
from practice.sessions.models import TherapySession
from practice.sessions.signed_notes import require_draft


@atomic
def record_measure(
    therapy_session: TherapySession,
    partner_id: int,
    measure: str,
    items: Sequence[float],
    measures: Registry,
    recorded_by: StaffMember | None = None,
) -> MeasureResponse:
    """Store a partner's answers to ``measure`` at this session, with the computed total; a
    second recording replaces the first. Raises NoteSigned on a signed note, and MeasureError
    for a measure the practice does not record in session, a partner of another case, or
    answers that do not fit the measure's items."""
    # JSON numbers come as floats from some clients: 3.0 is the whole answer 3.
    items = [_whole_if_whole(value) for value in items]
    definition = measures.get(measure)
    if definition is None or definition.use != Use.SESSION:
        raise MeasureError(_("The practice records no such measure at sessions."))
    if definition.key == CSI4_MEASURE:
        return record_csi4(therapy_session, partner_id, items, recorded_by=recorded_by)
    require_draft(therapy_session, f"{definition.key} answers")
    partner = db.get(Partner, partner_id)
    if partner is None or partner.case_id != therapy_session.case_id:
        raise MeasureError(_("That partner is not in this case."))
    try:
        total = registry.score(definition, items)
    except ValueError as error:
        raise MeasureError(f"{partner.display_name}: {error}.") from error
    response = db.scalar(
        select(MeasureResponse).where(
            MeasureResponse.session_id == therapy_session.id,
            MeasureResponse.partner_id == partner.id,
            MeasureResponse.measure == definition.key,
        )
    )
    if response is None:
        response = MeasureResponse(
            session_id=therapy_session.id, partner_id=partner.id, measure=definition.key
        )
        db.add(response)
    elif list(response.items) == items:
        return response
    response.items = items
    response.total = total
    response.recorded_by_id = (recorded_by.id if recorded_by else None) or (
        therapy_session.case.counsellor_id
    )
    response.recorded_at = utcnow()
    try:
        db.flush()
    except IntegrityError as error:
        raise MeasureError(
            "These answers were saved from another window at the same time. Reload the page."
        ) from error
    audit.record(
        "measure_recorded",
        obj=response,
        case_id=therapy_session.case_id,
        detail={
            "measure": definition.key,
            "session_id": therapy_session.id,
            "partner_id": partner.id,
        },
    )
    case_record_changed.send(therapy_session.case, member=recorded_by, what="measure", draft=True)
    return response


def _whole_if_whole(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@atomic
def record_measure_answers(
    therapy_session: TherapySession,
    measure: str,
    answers: dict[int, Sequence[float]],
    measures: Registry,
    recorded_by: StaffMember | None = None,
) -> list[MeasureResponse]:
    """Several partners' answers to one measure at this session (partner id -> answers). All or
    nothing: raises what ``record_measure`` raises for any of them, and then none is kept."""
    return [
        record_measure(therapy_session, partner_id, measure, items, measures, recorded_by)
        for partner_id, items in answers.items()
    ]
