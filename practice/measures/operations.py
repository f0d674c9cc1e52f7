"""Standard measures taken at sessions: recording the CSI-4, per partner per session, and each
partner's consent to share their scores.

Scoring, the cut-off and reliable change are rules of ``practice.measures.csi4``, when a consent
is in force of ``practice.measures.consent``; this module checks and stores the responses and
the consents. Every write runs in its own savepoint (``@atomic``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Case, Partner
from practice.cases.operations import latest_opening_date
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.core.signals import case_record_changed
from practice.core.unit_of_work import atomic
from practice.measures import consent
from practice.measures.csi4 import CSI4_MEASURE, csi4_total
from practice.measures.models import MeasureResponse, ScoreSharingConsent
from practice.measures.sharing import consents_of_partner
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

    A second recording at the same session replaces the first (the same answers again change
    nothing). ``recorded_by`` defaults to the
    case's counsellor, the only person who may record. Raises NoteSigned on a signed note, and
    MeasureError for a partner of another case or item scores that are not whole numbers within
    their ranges.
    """
    require_draft(therapy_session, "CSI-4 answers")
    partner = db.get(Partner, partner_id)
    if partner is None or partner.case_id != therapy_session.case_id:
        raise MeasureError(_("That partner is not in this case."))
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
    elif list(response.items) == items:
        # The same answers again (an autosave after a page reload): nothing to record.
        return response
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
    case_record_changed.send(therapy_session.case, member=recorded_by, what="measure", draft=True)
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


# --- Consent to share a partner's scores ------------------------------------------------------


class ConsentError(MeasureError):
    """A consent to share scores that cannot be recorded or withdrawn; the message says why."""


@atomic
def give_score_consent(
    case: Case, partner_id: int, audience: str, given_on: date, recorded_by: StaffMember
) -> ScoreSharingConsent:
    """Record that a partner of ``case`` consented, on ``given_on``, to share their CSI-4 scores
    with ``audience`` (``ShareAudience``). Audited "score_consent_given".

    Raises ConsentError for a partner of another case, an audience the case does not have (an
    individual client has no partner to share with), a consent already in force, or a date
    before the case opened, after today, or before the day the last consent was withdrawn.
    """
    partner = _partner_of(case, partner_id)
    audience = _audience_of(case, audience)
    _check_day(case, given_on, "given_on", "given")
    history = consents_of_partner(partner.id, audience)
    words = consent.audience_label(audience, case.kind)
    if history and history[-1].withdrawn_on is None:
        raise ConsentError(
            f"{partner.display_name}'s consent to share their scores with {words} is already "
            f"recorded, from {history[-1].given_on:%d %b %Y}. Withdraw it first to date it anew."
        )
    if history and given_on < history[-1].withdrawn_on:
        message = (
            f"It was withdrawn on {history[-1].withdrawn_on:%d %b %Y}: consent given again "
            "cannot be dated before that."
        )
        raise ConsentError(message, fields={"given_on": message})
    record = ScoreSharingConsent(
        case_id=case.id,
        partner_id=partner.id,
        audience=audience,
        given_on=given_on,
        recorded_by_id=recorded_by.id,
        recorded_at=utcnow(),
    )
    db.add(record)
    try:
        db.flush()
    except IntegrityError as error:
        # The same consent recorded from two windows at once: the unique open index keeps one.
        raise ConsentError(
            "This consent was recorded from another window at the same time. Reload the page."
        ) from error
    audit.record(
        "score_consent_given",
        obj=record,
        detail={"partner_id": partner.id, "audience": audience},
    )
    return record


@atomic
def withdraw_score_consent(
    case: Case, partner_id: int, audience: str, withdrawn_on: date, recorded_by: StaffMember
) -> ScoreSharingConsent:
    """Record that a partner of ``case`` withdrew, on ``withdrawn_on``, their consent to share
    their CSI-4 scores with ``audience``: from that day on they are not shared. The consent is
    kept, dated. Audited "score_consent_withdrawn".

    Raises ConsentError for a partner of another case, an audience the case does not have, no
    consent in force, or a date after today or before the day the consent was given.
    """
    partner = _partner_of(case, partner_id)
    audience = _audience_of(case, audience)
    _check_day(case, withdrawn_on, "withdrawn_on", "withdrawn")
    history = consents_of_partner(partner.id, audience)
    words = consent.audience_label(audience, case.kind)
    if not history or history[-1].withdrawn_on is not None:
        raise ConsentError(
            f"{partner.display_name} has no consent in force to share their scores with "
            f"{words}: there is nothing to withdraw."
        )
    record = history[-1]
    if withdrawn_on < record.given_on:
        message = (
            f"The consent was given on {record.given_on:%d %b %Y}: its withdrawal cannot be "
            "dated before that."
        )
        raise ConsentError(message, fields={"withdrawn_on": message})
    # Only an open consent is withdrawn: of two withdrawals sent at once, one is recorded.
    withdrawn = db.execute(
        update(ScoreSharingConsent)
        .where(ScoreSharingConsent.id == record.id, ScoreSharingConsent.withdrawn_on.is_(None))
        .values(withdrawn_on=withdrawn_on, withdrawal_by_id=recorded_by.id, withdrawal_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if withdrawn.rowcount != 1:
        raise ConsentError(
            "This consent was withdrawn from another window at the same time. Reload the page."
        )
    db.refresh(record)
    audit.record(
        "score_consent_withdrawn",
        obj=record,
        detail={"partner_id": partner.id, "audience": audience},
    )
    return record


def _partner_of(case: Case, partner_id: int) -> Partner:
    partner = db.get(Partner, partner_id)
    if partner is None or partner.case_id != case.id:
        message = "That partner is not in this case."
        raise ConsentError(message, fields={"partner_id": message})
    return partner


def _audience_of(case: Case, audience: str) -> str:
    if audience not in consent.audiences_for(case.kind):
        if audience == consent.ShareAudience.PARTNER:
            message = "An individual client has no partner in a joint report to share with."
        else:
            message = "Scores are shared with the other partner or with a referrer."
        raise ConsentError(message, fields={"audience": message})
    return consent.ShareAudience(audience).value


def _check_day(case: Case, day: date, field: str, what: str) -> None:
    """Refuse a consent's date before the case opened or after today (wherever it is today)."""
    if day > latest_opening_date():
        message = f"A consent cannot be {what} on a day still to come."
    elif day < case.opened_on:
        message = f"The case opened on {case.opened_on:%d %b %Y}: choose that day or later."
    else:
        return
    raise ConsentError(message, fields={field: message})
