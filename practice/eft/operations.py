"""Recording a case's change events: confirming (a proposal or the counsellor's own), dismissing
a proposal, voiding a confirmed event, and a supervisor's acknowledgement of a stage override.

The only place change events are written. Every write runs in a savepoint (``@atomic``), is
refused with a ``ChangeEventError`` naming the field at fault, audits ids and kinds only (never
the note or a reason), and sends ``case_record_changed`` (``what="change_event"``) so the case's
default report is prepared again. Only the case's counsellor records; only the supervisor of
the case's counsellor acknowledges an override.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Case
from practice.cases.queries import visible_cases
from practice.core import voiding
from practice.core.database import db, utcnow
from practice.core.errors import NotFound, Refused
from practice.core.i18n import _
from practice.core.signals import case_record_changed
from practice.core.unit_of_work import atomic
from practice.eft.kinds import PROPOSED_KINDS, EventKind, label
from practice.eft.models import MAX_NOTE, ChangeEvent, Decision, StageOverride
from practice.moments.models import Moment
from practice.sessions.models import TherapySession


class ChangeEventError(Refused):
    """A change event that cannot be recorded; the message says why."""


def _refuse(name: str, message: str) -> ChangeEventError:
    return ChangeEventError(message, fields={name: message})


@dataclass(frozen=True)
class EventData:
    """A change event as the counsellor confirms it."""

    kind: str
    session_id: int
    occurred_on: date
    evidence_ids: Sequence[int] = field(default_factory=tuple)
    note: str = ""
    proposed: bool = False


def _session_of(case: Case, session_id: int) -> TherapySession:
    therapy_session = db.get(TherapySession, session_id)
    if (
        therapy_session is None
        or therapy_session.case_id != case.id
        or therapy_session.voided_at is not None
    ):
        raise _refuse("session_id", _("Choose one of this case's sessions."))
    return therapy_session


def _require_counsellor(case: Case, member: StaffMember) -> None:
    if case.counsellor_id != member.id:
        raise ChangeEventError(_("Only the case's counsellor records its change events."))


def _check(case: Case, data: EventData) -> tuple[TherapySession, list[Moment]]:
    if data.kind not in set(EventKind):
        raise _refuse("kind", _("Choose a kind of change event from the list."))
    therapy_session = _session_of(case, data.session_id)
    if data.occurred_on < case.opened_on:
        raise _refuse("occurred_on", _("A change event cannot be dated before the case opened."))
    if data.occurred_on > utcnow().date() + timedelta(days=1):
        raise _refuse("occurred_on", _("A change event cannot be dated in the future."))
    if len(data.note) > MAX_NOTE:
        raise _refuse("note", _("Keep the note to %(most)s characters.", most=MAX_NOTE))
    ids = list(dict.fromkeys(data.evidence_ids))
    moments = []
    if ids:
        moments = list(
            db.scalars(
                select(Moment)
                .join(TherapySession, TherapySession.id == Moment.session_id)
                .where(
                    Moment.id.in_(ids),
                    Moment.voided_at.is_(None),
                    TherapySession.case_id == case.id,
                    TherapySession.voided_at.is_(None),
                )
            )
        )
    if len(moments) != len(ids):
        raise _refuse("evidence", _("Choose the evidence from this case's moments."))
    if data.kind in PROPOSED_KINDS and not moments:
        raise _refuse(
            "evidence", _("Choose at least one moment that shows the change (its evidence).")
        )
    standing = db.scalar(
        select(ChangeEvent.id).where(
            ChangeEvent.case_id == case.id,
            ChangeEvent.kind == data.kind,
            ChangeEvent.decision == Decision.CONFIRMED,
            ChangeEvent.voided_at.is_(None),
        )
    )
    if standing is not None:
        raise _refuse(
            "kind",
            _(
                "“%(event)s” is confirmed already; void it first to record it again.",
                event=label(data.kind),
            ),
        )
    return therapy_session, moments


@atomic
def confirm_event(case: Case, member: StaffMember, data: EventData) -> ChangeEvent:
    """Confirm a change event of ``case`` (a proposal, or the counsellor's own record).

    Raises ChangeEventError for someone other than the counsellor, a session or moment of
    another case (or voided), a date before the case opened or in the future, a moment-based
    event without evidence, or an event of a kind already confirmed (and standing).
    """
    _require_counsellor(case, member)
    therapy_session, moments = _check(case, data)
    event = ChangeEvent(
        case_id=case.id,
        session_id=therapy_session.id,
        kind=data.kind,
        decision=Decision.CONFIRMED,
        occurred_on=data.occurred_on,
        proposed=data.proposed,
        note=data.note.strip(),
        decided_by_id=member.id,
        decided_at=utcnow(),
    )
    event.evidence = moments
    db.add(event)
    db.flush()
    audit.record(
        "change_event_confirmed",
        obj=event,
        actor=member,
        detail={
            "kind": data.kind,
            "session_id": therapy_session.id,
            "evidence": [m.id for m in moments],
            "proposed": data.proposed,
        },
    )
    case_record_changed.send(case, member=member, what="change_event")
    return event


@atomic
def dismiss_proposal(
    case: Case, member: StaffMember, kind: str, session_id: int, note: str = ""
) -> ChangeEvent:
    """Turn down the tracker's proposal of ``kind`` at a session: kept, so that it is not
    proposed there again. Raises ChangeEventError."""
    _require_counsellor(case, member)
    if kind not in PROPOSED_KINDS:
        raise _refuse("kind", _("Only the tracker's proposals can be dismissed."))
    therapy_session = _session_of(case, session_id)
    event = ChangeEvent(
        case_id=case.id,
        session_id=therapy_session.id,
        kind=kind,
        decision=Decision.DISMISSED,
        occurred_on=therapy_session.starts_at.date(),
        proposed=True,
        note=note.strip()[:MAX_NOTE],
        decided_by_id=member.id,
        decided_at=utcnow(),
    )
    db.add(event)
    db.flush()
    audit.record(
        "change_event_dismissed",
        obj=event,
        actor=member,
        detail={"kind": kind, "session_id": therapy_session.id},
    )
    return event


@atomic
def void_event(event: ChangeEvent, member: StaffMember, reason: str) -> ChangeEvent:
    """Take back a confirmed event: it stays, with who, when and why, out of the gates, the
    page's list and the reports. Raises ChangeEventError."""
    case = db.get(Case, event.case_id)
    _require_counsellor(case, member)
    if event.decision != Decision.CONFIRMED:
        raise ChangeEventError(_("Only a confirmed change event can be voided."))
    if event.voided_at is not None:
        raise ChangeEventError(_("This change event was voided already."))
    try:
        reason = voiding.clean_reason(reason)
    except ValueError as error:
        raise _refuse("reason", str(error)) from None
    event.voided_at = utcnow()
    event.voided_by_id = member.id
    event.void_reason = reason
    db.flush()
    audit.record("change_event_voided", obj=event, actor=member, detail={"kind": event.kind})
    case_record_changed.send(case, member=member, what="change_event")
    return event


def override_for_supervisor(member: StaffMember, override_id: int) -> StageOverride:
    """The override if ``member`` supervises the case's counsellor. Raises NotFound when the
    case is out of ``member``'s scope, ChangeEventError (403 on a page) when in scope but not
    theirs to acknowledge (their own case)."""
    override = db.get(StageOverride, override_id)
    if override is None:
        raise NotFound()
    case = db.scalar(visible_cases(member).where(Case.id == override.case_id))
    if case is None:
        raise NotFound()
    if case.counsellor.supervisor_id != member.id:
        raise ChangeEventError(_("Only the counsellor's supervisor acknowledges a stage override."))
    return override


@atomic
def acknowledge_override(override: StageOverride, member: StaffMember) -> StageOverride:
    """The supervisor has seen a stage set without its events: its flag goes. Raises
    ChangeEventError if acknowledged already."""
    if override.acknowledged_at is not None:
        raise ChangeEventError(_("This stage override was acknowledged already."))
    override.acknowledged_at = utcnow()
    override.acknowledged_by_id = member.id
    db.flush()
    audit.record(
        "eft_stage_override_acknowledged",
        obj=override,
        actor=member,
        detail={"stage": override.stage},
    )
    return override
