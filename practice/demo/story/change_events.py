"""C-0001's change events: Maya and Tom's cycle de-escalates before their counsellor moves them
to stage 2, and the withdrawer re-engages and the blamer softens before stage 3.

Written after the builder, from the moments it tagged (no random numbers, so the rest of the
practice is what it always was): each event is tied to the last session before the stage it
opens, dated that day, confirmed by the case's counsellor two hours after the session, with the
moments of the last three tagged sessions before it that show the change as its evidence. An
event without such moments is left out (the demo never invents evidence).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from practice.cases.models import Case
from practice.core.database import db
from practice.demo.builder.plans import SHOWCASE_REFERENCE
from practice.eft.kinds import EventKind
from practice.eft.models import ChangeEvent
from practice.eft.proposals import (
    ATTACHMENT_NEED,
    EMPATHIC_RESPONSE,
    PURSUER,
    REENGAGEMENT,
    SOFT_BID,
    WITHDRAWER,
)
from practice.moments.balance import Valence
from practice.moments.models import Moment, MomentType
from practice.sessions.models import TherapySession

# Each event: the stage it opens, and the moment types (and whose) that are its evidence.
_EVIDENCE: dict[str, tuple[int, tuple[str, ...], str | None]] = {
    # Every de-escalating moment of the window: the cycle losing its heat.
    EventKind.DEESCALATED: (2, (), None),
    EventKind.REENGAGED: (3, (REENGAGEMENT,), WITHDRAWER),
    EventKind.SOFTENED: (3, (ATTACHMENT_NEED, SOFT_BID, EMPATHIC_RESPONSE), None),
}
_WINDOW = 3
_MOST = 6


def add_change_events() -> int:
    """Confirm C-0001's change events before the stages they open; the number written."""
    case = db.scalar(sa.select(Case).where(Case.reference == SHOWCASE_REFERENCE))
    if case is None:
        return 0
    sessions = db.scalars(
        sa.select(TherapySession)
        .where(TherapySession.case_id == case.id, TherapySession.voided_at.is_(None))
        .order_by(TherapySession.starts_at, TherapySession.id)
    ).all()
    deescalating: set[int] = set()
    moments = db.execute(
        sa.select(Moment, MomentType.key, MomentType.valence)
        .join(MomentType, MomentType.id == Moment.moment_type_id)
        .where(Moment.session_id.in_([s.id for s in sessions]), Moment.voided_at.is_(None))
        .order_by(Moment.minute, Moment.id)
    ).all()
    by_session: dict[int, list[tuple[Moment, str]]] = {}
    for moment, key, valence in moments:
        # A de-escalating moment answers to the empty key list (any of them is evidence).
        by_session.setdefault(moment.session_id, []).append((moment, key))
        if valence == Valence.DEESCALATING:
            deescalating.add(moment.id)
    roles = {p.id: p.cycle_role for p in case.partners}
    written = 0
    for kind, (stage, keys, role) in _EVIDENCE.items():
        first = next((i for i, s in enumerate(sessions) if (s.eft_stage or 0) >= stage), None)
        if not first:
            continue
        tagged = [s for s in sessions[:first] if by_session.get(s.id)][-_WINDOW:]
        evidence = [
            moment
            for s in tagged
            for moment, key in by_session[s.id]
            if (key in keys if keys else moment.id in deescalating)
            and (role is None or roles.get(moment.partner_id or 0) == role)
        ][:_MOST]
        if role is None and kind == EventKind.SOFTENED:
            # The pursuer's bid and the withdrawer's answer, not the other way round.
            evidence = [
                m
                for m in evidence
                if roles.get(m.partner_id or 0)
                == (PURSUER if _key(by_session, m) != EMPATHIC_RESPONSE else WITHDRAWER)
            ]
        if not evidence:
            continue
        tied = sessions[first - 1]
        event = ChangeEvent(
            case_id=case.id,
            session_id=tied.id,
            kind=kind,
            occurred_on=tied.starts_at.date(),
            proposed=True,
            decided_by_id=case.counsellor_id,
            decided_at=tied.starts_at + timedelta(hours=2),
        )
        event.evidence = evidence
        db.add(event)
        written += 1
    db.flush()
    return written


def _key(by_session: dict[int, list[tuple[Moment, str]]], moment: Moment) -> str:
    return next(key for m, key in by_session[moment.session_id] if m.id == moment.id)
