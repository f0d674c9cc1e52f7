"""Cycle moments observed in sessions: add, edit, remove, live tagging with undo, and the tally.

The only place moments are written. Each change runs in a savepoint (``@atomic``), is audited
and raises the refusal family (``NoteSigned`` for a signed note, ``MomentError`` otherwise);
the request that called it commits. Moments are never deleted: removing one sets ``voided_at``
and a reason, so the record of what was tagged, and when it was taken back, stays. Only a draft
note's moments change. The weighing rules are ``practice.moments.balance``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import CaseKind, Partner
from practice.core import voiding
from practice.core.database import MAX_ID, db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.core.numbers import check_whole_number
from practice.core.signals import moment_tagged
from practice.core.unit_of_work import atomic
from practice.moments import balance, directed
from practice.moments.models import Moment, MomentType
from practice.moments.moment_data import DEFAULT_INTENSITY, MomentData
from practice.sessions.models import TherapySession
from practice.sessions.signed_notes import require_draft

MAX_CONTEXT = 500
REMOVED_BY_COUNSELLOR = "removed by counsellor"
UNDONE_IN_LIVE_MODE = "undone in live mode"
RECENT_LIMIT = 10


class MomentError(Refused):
    """A moment change that cannot be made; ``fields`` names each input at fault (empty when
    no single input is)."""


# --- Rules -------------------------------------------------------------------------------------


def live_minute(starts_at: datetime, duration_minutes: int, now: datetime) -> int:
    """The whole minutes from ``starts_at`` to ``now``, clamped to 0..``duration_minutes``.

    Before the start counts as minute 0; after the end, as the last minute.
    """
    elapsed = int((now - starts_at).total_seconds() // 60)
    return max(0, min(elapsed, duration_minutes))


def together_label(kind: str) -> str:
    """How a moment of the whole couple (or family), with no single partner, is named."""
    return "All" if kind == CaseKind.FAMILY else "Both"


def _check_open(therapy_session: TherapySession) -> None:
    require_draft(therapy_session, "moments")
    if therapy_session.voided_at is not None:
        raise MomentError(_("This session was voided; its moments cannot change."))


# For the directed moments' writes (``practice.moments.answers``).
check_open = _check_open


def _whole_number(value: Any, low: int, high: int) -> bool:
    try:
        check_whole_number(value, low, high, "value")
    except ValueError:
        return False
    return True


def _validate(
    therapy_session: TherapySession, data: MomentData, current: Moment | None = None
) -> tuple[MomentType, Partner | None, str]:
    """The moment's type, partner and cleaned context; raises MomentError naming every input
    at fault, so a form shows all its problems at once.

    A retired type is refused unless it is the moment's current one (editing the context of an
    old moment must not force a new type on it).
    """
    problems: dict[str, str] = {}
    moment_type = None
    if _whole_number(data.moment_type_id, 1, MAX_ID):
        moment_type = db.get(MomentType, data.moment_type_id)
    if moment_type is None:
        problems["moment_type_id"] = "Choose a moment type from the list."
    elif not moment_type.active and (current is None or moment_type.id != current.moment_type_id):
        problems["moment_type_id"] = (
            f"“{moment_type.label}” is retired; choose an active moment type."
        )
    partner = None
    if data.partner_id is not None:
        if _whole_number(data.partner_id, 1, MAX_ID):
            partner = db.get(Partner, data.partner_id)
        if partner is None or partner.case_id != therapy_session.case_id:
            problems["partner_id"] = "That partner is not part of this case."
    duration = therapy_session.duration_minutes
    if not _whole_number(data.minute, 0, duration):
        problems["minute"] = (
            f"The minute must be a whole number from 0 to {duration}, the length of this session."
        )
    if not _whole_number(data.intensity, balance.MIN_INTENSITY, balance.MAX_INTENSITY):
        problems["intensity"] = (
            f"Intensity must be a whole number from {balance.MIN_INTENSITY} "
            f"to {balance.MAX_INTENSITY}."
        )
    context = (data.context or "").strip()
    if len(context) > MAX_CONTEXT:
        problems["context"] = (
            f"Keep the context to {MAX_CONTEXT} characters or fewer (this one has {len(context)})."
        )
    problems.update(directed.problems(therapy_session, data, partner, current))
    if problems:
        raise MomentError(" ".join(problems.values()), fields=problems)
    assert moment_type is not None  # for the type checker: a missing type is a problem above
    return moment_type, partner, context


# --- Changes -----------------------------------------------------------------------------------


@atomic
def add_moment(
    therapy_session: TherapySession, member: StaffMember, data: MomentData, *, source: str = "form"
) -> Moment:
    """Record a moment in a draft session; audited, and announced as ``moment_tagged``.

    Raises NoteSigned for a signed note and MomentError for a voided session, an unknown or
    retired type, a partner from another case, a minute outside the session, an intensity
    outside 1..5 or an over-long context.
    """
    _check_open(therapy_session)
    moment_type, partner, context = _validate(therapy_session, data)
    moment = Moment(
        # By id, not ``therapy_session=``: the back-populated list would load every moment.
        session_id=therapy_session.id,
        moment_type=moment_type,
        partner_id=partner.id if partner is not None else None,
        minute=data.minute,
        intensity=data.intensity,
        context=context,
        created_by_id=member.id,
        target_partner_id=data.target_partner_id,
        answers_moment_id=data.answers_moment_id,
        outcome=data.outcome,
    )
    db.add(moment)
    db.flush()
    audit.record(
        "moment_added",
        obj=moment,
        case_id=therapy_session.case_id,
        detail={
            "session_id": therapy_session.id,
            "moment_type_id": moment_type.id,
            "partner_id": moment.partner_id,
            "minute": moment.minute,
            "intensity": moment.intensity,
            "target_partner_id": moment.target_partner_id,
            "answers_moment_id": moment.answers_moment_id,
            "outcome": moment.outcome,
            "source": source,
        },
    )
    moment_tagged.send(moment, therapy_session=therapy_session, member=member, source=source)
    return moment


@atomic
def update_moment(moment: Moment, data: MomentData) -> list[str]:
    """Change a moment of a draft session; returns the names of the fields that changed.

    Raises NoteSigned and MomentError as ``add_moment`` does, and MomentError for a moment
    that was removed.
    """
    therapy_session = moment.therapy_session
    _check_open(therapy_session)
    if moment.voided_at is not None:
        raise MomentError(_("This moment was removed and can no longer be edited."))
    moment_type, partner, context = _validate(therapy_session, data, moment)
    values = {
        "moment_type_id": moment_type.id,
        "partner_id": partner.id if partner is not None else None,
        "minute": data.minute,
        "intensity": data.intensity,
        "context": context,
        "target_partner_id": data.target_partner_id,
        "answers_moment_id": data.answers_moment_id,
        "outcome": data.outcome,
    }
    changed = [name for name, value in values.items() if getattr(moment, name) != value]
    for name in changed:
        setattr(moment, name, values[name])
    if "moment_type_id" in changed:
        moment.moment_type = moment_type
    db.flush()
    audit.record(
        "moment_updated", obj=moment, case_id=therapy_session.case_id, detail={"fields": changed}
    )
    return changed


@atomic
def remove_moment(
    moment: Moment, reason: str = REMOVED_BY_COUNSELLOR, member: StaffMember | None = None
) -> None:
    """Void a moment of a draft session (nothing is deleted), keeping who, when and why.

    Raises NoteSigned for a signed note, MomentError (field ``reason``) for an empty or
    over-long reason, and MomentError if it was removed already.
    """
    therapy_session = moment.therapy_session
    _check_open(therapy_session)
    if moment.voided_at is not None:
        raise MomentError(_("This moment was removed already."))
    try:
        reason = voiding.clean_reason(reason)
    except ValueError as error:
        raise MomentError(str(error), fields={"reason": str(error)}) from error
    moment.voided_at = utcnow()
    moment.voided_by_id = member.id if member is not None else None
    moment.void_reason = reason
    db.flush()
    # The reason stays with the moment: typed by the counsellor, it may hold clinical words.
    audit.record(
        "moment_removed",
        obj=moment,
        case_id=therapy_session.case_id,
        detail={"session_id": therapy_session.id},
    )


@atomic
def tag_live(
    therapy_session: TherapySession,
    member: StaffMember,
    moment_type_id: Any,
    partner_id: Any,
    intensity: Any,
    now: datetime,
) -> Moment:
    """Record a tap of live mode at the session's current minute (from ``now``, server time).

    ``intensity`` None means the default of 3. Raises as ``add_moment`` does.
    """
    minute = live_minute(therapy_session.starts_at, therapy_session.duration_minutes, now)
    data = MomentData(
        moment_type_id=moment_type_id,
        partner_id=partner_id,
        minute=minute,
        intensity=DEFAULT_INTENSITY if intensity is None else intensity,
    )
    return add_moment(therapy_session, member, data, source="live")


@atomic
def undo_last(therapy_session: TherapySession, member: StaffMember) -> Moment | None:
    """Void the latest moment ``member`` recorded in the session; None when there is none.

    Another person's moments are never undone. Raises NoteSigned for a signed note and
    MomentError for a voided session.
    """
    _check_open(therapy_session)
    moment = db.scalar(
        select(Moment)
        .where(
            Moment.session_id == therapy_session.id,
            Moment.created_by_id == member.id,
            Moment.voided_at.is_(None),
        )
        .order_by(Moment.id.desc())
        .limit(1)
    )
    if moment is not None:
        remove_moment(moment, UNDONE_IN_LIVE_MODE, member)
    return moment


@atomic
def start_clock(therapy_session: TherapySession, now: datetime) -> None:
    """Set a draft session's start to ``now`` (to the second), when it actually begins.

    Live mode counts minutes from this time. Raises NoteSigned for a signed note and
    MomentError for a voided session.
    """
    _check_open(therapy_session)
    previous = therapy_session.starts_at
    therapy_session.starts_at = now.replace(microsecond=0)
    db.flush()
    audit.record(
        "session_clock_started",
        obj=therapy_session,
        detail={
            "previous_starts_at": previous.isoformat(),
            "starts_at": therapy_session.starts_at.isoformat(),
        },
    )


# --- Reading -----------------------------------------------------------------------------------


def standing_moments(therapy_session: TherapySession) -> Select:
    """The query of the session's moments that stand (not voided), in minute order."""
    return (
        select(Moment)
        .where(Moment.session_id == therapy_session.id, Moment.voided_at.is_(None))
        .order_by(Moment.minute, Moment.id)
    )


def session_moments(therapy_session: TherapySession) -> list[Moment]:
    """The session's standing moments in minute order, types and partners loaded in the same
    query."""
    loaded = (joinedload(Moment.moment_type), joinedload(Moment.partner))
    return list(db.scalars(standing_moments(therapy_session).options(*loaded)))


def voided_moments(therapy_session: TherapySession) -> list[Moment]:
    """The session's removed moments, latest removal first, for its history."""
    return list(
        db.scalars(
            select(Moment)
            .options(
                joinedload(Moment.moment_type),
                joinedload(Moment.partner),
                joinedload(Moment.voided_by),
            )
            .where(Moment.session_id == therapy_session.id, Moment.voided_at.is_not(None))
            .order_by(Moment.voided_at.desc(), Moment.id.desc())
        )
    )


def recent_moments(therapy_session: TherapySession, limit: int = RECENT_LIMIT) -> list[Moment]:
    """The latest ``limit`` standing moments of the session, newest first."""
    return list(
        db.scalars(
            select(Moment)
            .options(
                joinedload(Moment.moment_type),
                joinedload(Moment.partner),
                joinedload(Moment.target_partner),
            )
            .where(Moment.session_id == therapy_session.id, Moment.voided_at.is_(None))
            .order_by(Moment.id.desc())
            .limit(limit)
        )
    )


def session_tally(therapy_session: TherapySession) -> balance.SessionTally:
    """The tally of the session's standing moments (counts per valence, cycle balance), from
    one query: the figures the Moments tab and live mode show."""
    rows = db.execute(
        select(MomentType.valence, Moment.intensity)
        .join(MomentType, Moment.moment_type_id == MomentType.id)
        .where(Moment.session_id == therapy_session.id, Moment.voided_at.is_(None))
    ).all()
    return balance.session_tally((valence, intensity) for valence, intensity in rows)


def moment_summary(moment: Moment, case_kind: str) -> dict[str, Any]:
    """A moment as live mode shows it: no context text, ever."""
    return {
        "id": moment.id,
        "minute": moment.minute,
        "label": moment.moment_type.label,
        "valence": moment.moment_type.valence,
        "moment_type_id": moment.moment_type_id,
        "partner": moment.partner.display_name if moment.partner else together_label(case_kind),
        "partner_id": moment.partner_id,
        "intensity": moment.intensity,
        "target_partner_id": moment.target_partner_id,
        "target": moment.target_partner.display_name if moment.target_partner else None,
        "answers_moment_id": moment.answers_moment_id,
        "outcome": moment.outcome,
    }
