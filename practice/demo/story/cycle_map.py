"""The showcase couple's cycle map (C-0001, Maya and Tom), revised as they read each other anew.

Three revisions at three of their sessions. The first maps the loop: Maya presses when Tom goes
quiet, Tom goes quiet when Maya presses, and each misreads the other (his silence as not caring,
her reaching as an attack). The second reaches underneath: her panic and fear of being left, his
shame and fear of failing her, each backed by a moment tagged in session. The third, after the
sessions in which the couple named the cycle, revises how each reads the other: his going quiet
is him flooding, her reaching is her fear of losing them. So every milestone shows.

Written directly (the sessions' notes are signed, so the revisions are read-only history), with
times taken from the sessions: the demo stays the same whenever it is seeded.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from practice.cases.models import Case
from practice.core.database import db
from practice.formulation.models import CycleMapEvidence, CycleMapRevision, CycleMapSide
from practice.moments.models import Moment, MomentType
from practice.sessions.models import TherapySession

# Each partner's side at the three revisions (the case's first partner, Maya, then Tom).
_MAYA_1 = {
    "trigger": "Tom goes quiet or turns to his phone when she raises something that matters",
    "action": "Presses for an answer, follows him from room to room, her voice rises",
    "self_view": "I have to fight to be heard",
    "other_view": "I thought his silence meant he didn't care",
    "reactive_emotion": "Anger, frustration",
}
_TOM_1 = {
    "trigger": "Maya's raised voice and 'you always…'",
    "action": "Goes quiet, leaves the room, scrolls his phone",
    "self_view": "Whatever I say will make it worse",
    "other_view": "Her reaching is an attack: proof I'm failing her",
    "reactive_emotion": "Irritation, then numbness",
}
_MAYA_2 = {
    **_MAYA_1,
    "primary_emotion": "Panic, loneliness",
    "attachment_fear": "Being left; not being worth staying for",
    "need": "To know she matters to him and that he will come back",
}
_TOM_2 = {
    **_TOM_1,
    "primary_emotion": "Shame and overwhelm: flooding",
    "attachment_fear": "Failing her; being not good enough",
    "need": "To be seen as good enough, and time to settle before he talks",
}
_MAYA_3 = {
    **_MAYA_2,
    "other_view": "His going quiet is him flooding, not leaving",
    "action": "Still reaches, now asks: 'When would be a good time for us to sit with this?'",
}
_TOM_3 = {
    **_TOM_2,
    "other_view": "Her reaching isn't an attack: it's her fear of losing us",
    "action": "Says he needs time, and comes back to talk within the hour",
}
# Session numbers (1 = the first) of the three revisions, and which moment types back each
# partner's primary emotion and need from the second revision on.
REVISIONS = ((2, _MAYA_1, _TOM_1), (6, _MAYA_2, _TOM_2), (11, _MAYA_3, _TOM_3))
_EVIDENCE_FROM = 2


def _evidence(case: Case, partner_id: int, until: TherapySession) -> list[int]:
    """The partner's first two moments that can back the primary emotion, up to ``until``."""
    return list(
        db.scalars(
            sa.select(Moment.id)
            .join(TherapySession, Moment.session_id == TherapySession.id)
            .join(MomentType, Moment.moment_type_id == MomentType.id)
            .where(
                TherapySession.case_id == case.id,
                TherapySession.starts_at <= until.starts_at,
                Moment.partner_id == partner_id,
                Moment.voided_at.is_(None),
                MomentType.key.in_(("underlying_fear", "attachment_need", "softening")),
            )
            .order_by(TherapySession.starts_at, Moment.minute, Moment.id)
            .limit(2)
        )
    )


def add_cycle_map(reference: str) -> int:
    """Write the showcase couple's three revisions; returns how many were written (0 when the
    case is missing, is not a couple, or has too few sessions)."""
    case = db.scalar(sa.select(Case).where(Case.reference == reference))
    if case is None or len(case.partners) != 2:
        return 0
    sessions = list(
        db.scalars(
            sa.select(TherapySession)
            .where(TherapySession.case_id == case.id, TherapySession.voided_at.is_(None))
            .order_by(TherapySession.starts_at)
        )
    )
    written = 0
    for number, (at, first, second) in enumerate(REVISIONS, start=1):
        if at > len(sessions):
            break
        therapy_session = sessions[at - 1]
        made = therapy_session.starts_at + timedelta(hours=1)
        revision = CycleMapRevision(
            case_id=case.id,
            session_id=therapy_session.id,
            created_by_id=case.counsellor_id,
            created_at=made,
            updated_at=made,
        )
        for partner, values in zip(case.partners, (first, second), strict=True):
            side = CycleMapSide(case_id=case.id, partner_id=partner.id, **values)
            if number >= _EVIDENCE_FROM:
                side.evidence = [
                    CycleMapEvidence(case_id=case.id, moment_id=moment_id)
                    for moment_id in _evidence(case, partner.id, therapy_session)
                ]
            revision.sides.append(side)
        db.add(revision)
        written += 1
    db.flush()
    return written
