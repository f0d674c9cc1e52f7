"""The rules of a directed moment: whom it is aimed at, the moment it answers, its outcome.

Called by ``operations._validate`` (the one home of a moment's rules) so that a form, the API
and live mode refuse the same things with the same words. Reads only; never writes.

- The **target** is a partner of the case and not the moment's own partner (a moment of both
  partners may be aimed at either).
- The **moment answered** is a standing moment of the same session, earlier than this one:
  an earlier minute, or the same minute and recorded before it. So an answer can never answer
  itself, nor a moment that answers it.
- The **outcome** is one of ``interaction.Outcome`` or none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from practice.cases.models import Partner
from practice.core.database import MAX_ID, db
from practice.core.numbers import check_whole_number
from practice.moments.interaction import OUTCOME_LABELS, Outcome
from practice.moments.models import Moment

if TYPE_CHECKING:
    from practice.moments.moment_data import MomentData
    from practice.sessions.models import TherapySession


def _id(value: Any) -> bool:
    try:
        check_whole_number(value, 1, MAX_ID, "value")
    except ValueError:
        return False
    return True


def outcome_choices_text() -> str:
    """ "accepted, rejected or missed", for messages."""
    *others, last = (str(o) for o in OUTCOME_LABELS)
    return f"{', '.join(others)} or {last}"


def problems(
    therapy_session: TherapySession,
    data: MomentData,
    partner: Partner | None,
    current: Moment | None,
) -> dict[str, str]:
    """The directed fields at fault, by input name, with a message each (empty: all fine).

    ``partner`` is the moment's own partner as already validated (None: both or invalid);
    ``current`` the moment being edited (None for a new one).
    """
    found: dict[str, str] = {}
    if data.target_partner_id is not None:
        target = db.get(Partner, data.target_partner_id) if _id(data.target_partner_id) else None
        if target is None or target.case_id != therapy_session.case_id:
            found["target_partner_id"] = "The partner it is aimed at must be part of this case."
        elif partner is not None and target.id == partner.id:
            found["target_partner_id"] = (
                "A moment cannot be aimed at the partner who made it; choose the other partner "
                "or no one."
            )
    if data.answers_moment_id is not None:
        message = _answer_problem(therapy_session, data, current)
        if message:
            found["answers_moment_id"] = message
    if data.outcome is not None and data.outcome not in {str(o) for o in Outcome}:
        found["outcome"] = f"The outcome is {outcome_choices_text()}, or none."
    return found


def _answer_problem(
    therapy_session: TherapySession, data: MomentData, current: Moment | None
) -> str | None:
    answered = db.get(Moment, data.answers_moment_id) if _id(data.answers_moment_id) else None
    if answered is None or answered.session_id != therapy_session.id:
        return "The moment it answers must be a moment of this session."
    if answered.voided_at is not None:
        return "The moment it answers was removed; choose a standing moment."
    if current is not None and answered.id == current.id:
        return "A moment cannot answer itself."
    minute = data.minute if isinstance(data.minute, int) else None
    if minute is not None:
        later_minute = answered.minute > minute
        same_minute_after = (
            answered.minute == minute and current is not None and answered.id > current.id
        )
        if later_minute or same_minute_after:
            return (
                f"The moment it answers (minute {answered.minute}) must come before this one "
                f"(minute {minute})."
            )
    return None


def answer_choices(moments: list[Moment], current: Moment | None) -> list[Moment]:
    """The standing moments a moment may be said to answer: every one before it (all of them
    for a new moment), in minute order."""
    if current is None:
        return list(moments)
    return [
        m
        for m in moments
        if m.id != current.id
        and (m.minute < current.minute or (m.minute == current.minute and m.id < current.id))
    ]
