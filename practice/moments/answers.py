"""Live mode's directed moments: tag "answers the last moment", and set a moment's outcome.

Writes, like ``operations`` (whose rules and audit they reuse): each runs in a savepoint,
raises the refusal family, and leaves the commit to the request.

"Answers the last moment": the moment tagged next answers the session's last standing moment
(the latest recorded, the top of live mode's list; its minute is at least that one's) and is
aimed at that moment's partner, unless that partner is the one answering (or the moment was both
partners'), when it is aimed at no one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from practice import audit
from practice.accounts.models import StaffMember
from practice.core.database import db
from practice.core.unit_of_work import atomic
from practice.moments import operations
from practice.moments.directed import outcome_choices_text
from practice.moments.interaction import Outcome
from practice.moments.models import Moment
from practice.moments.operations import DEFAULT_INTENSITY, MomentData, MomentError
from practice.sessions.models import TherapySession


def last_standing(therapy_session: TherapySession) -> Moment | None:
    """The session's last standing moment: the latest recorded (live mode's latest)."""
    query = operations.standing_moments(therapy_session).order_by(None)
    return db.scalar(query.order_by(Moment.id.desc()).limit(1))


def answer_target(answered: Moment, partner_id: int | None) -> int | None:
    """Whom an answer by ``partner_id`` to ``answered`` is aimed at: the answered moment's
    partner, unless that is the answerer or no single partner."""
    if answered.partner_id is None or answered.partner_id == partner_id:
        return None
    return answered.partner_id


@atomic
def tag_live_answer(
    therapy_session: TherapySession,
    member: StaffMember,
    moment_type_id: Any,
    partner_id: Any,
    intensity: Any,
    now: datetime,
) -> Moment:
    """A live tap that answers the last standing moment (see the module docstring).

    Raises MomentError when there is no moment to answer, and as ``operations.add_moment``.
    """
    answered = last_standing(therapy_session)
    if answered is None:
        raise MomentError(
            "There is no moment yet to answer; tag it without “answers the last moment”."
        )
    minute = operations.live_minute(
        therapy_session.starts_at, therapy_session.duration_minutes, now
    )
    data = MomentData(
        moment_type_id=moment_type_id,
        partner_id=partner_id,
        minute=max(minute, answered.minute),
        intensity=DEFAULT_INTENSITY if intensity is None else intensity,
        target_partner_id=answer_target(
            answered, partner_id if isinstance(partner_id, int) else None
        ),
        answers_moment_id=answered.id,
    )
    return operations.add_moment(therapy_session, member, data, source="live")


def parse_outcome(value: Any) -> str | None:
    """An outcome from a request: one of the values, or None for "none" (empty or null).

    Raises MomentError (field ``outcome``) for anything else.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str) and value in {str(o) for o in Outcome}:
        return value
    message = f"The outcome is {outcome_choices_text()}, or none."
    raise MomentError(message, fields={"outcome": message})


@atomic
def set_outcome(moment: Moment, outcome: Any) -> None:
    """Record (or clear, with None) how a moment was met. Raises NoteSigned for a signed note,
    MomentError for a removed moment or an unknown outcome."""
    therapy_session = moment.therapy_session
    operations.check_open(therapy_session)
    if moment.voided_at is not None:
        raise MomentError("This moment was removed; its outcome can no longer change.")
    value = parse_outcome(outcome)
    if moment.outcome == value:
        return
    moment.outcome = value
    db.flush()
    audit.record(
        "moment_updated",
        obj=moment,
        case_id=therapy_session.case_id,
        detail={"fields": ["outcome"], "outcome": value},
    )


def standing_in(therapy_session: TherapySession, moment_id: Any) -> Moment | None:
    """A standing moment of this session by id, or None."""
    if not isinstance(moment_id, int):
        return None
    return db.scalar(
        select(Moment).where(
            Moment.id == moment_id,
            Moment.session_id == therapy_session.id,
            Moment.voided_at.is_(None),
        )
    )
