"""C-0001's CSI-16: Maya and Tom answer the longer Couples Satisfaction Index at their first
session and again at their latest, beside the CSI-4 they answer as the story goes.

Maya starts far below the 51.5 cut-off (she reads Tom's silence as not caring) and Tom just
below it (he feels he can never get it right); by the latest session both have moved by more
than the index of 9.5: Maya reliably improved, Tom recovered. Flushes; call after the
check-ins (their sequences are set from the highest ids on PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from practice.cases.models import Case
from practice.core.database import db
from practice.demo.builder.plans import SHOWCASE_REFERENCE
from practice.measures import registry
from practice.measures.models import MeasureResponse
from practice.measures.shipped import CSI16
from practice.sessions.models import TherapySession

# Answers in item order (items 11, 13, 14 and 16 are reverse-scored), by partner position.
ANSWERS: dict[int, tuple[list[int], list[int]]] = {
    # Maya: 2,2,2,3,2,2,2,1,2,2 = 20; 11-16 answered 3,2,3,3,2,3: 2+2+2+2+2+2 = 12 → 32.
    # Later 3,3,3,4,3,3,3,3,3,3 = 31; 2,3,2,2,3,2 → 3+3+3+3+3+3 = 18 → 49 (+17).
    0: (
        [2, 2, 2, 3, 2, 2, 2, 1, 2, 2, 3, 2, 3, 3, 2, 3],
        [3, 3, 3, 4, 3, 3, 3, 3, 3, 3, 2, 3, 2, 2, 3, 2],
    ),
    # Tom: 3,3,3,3,3,3,3,2,3,3 = 29; 11-16 answered 2,3,2,2,3,2: 3 * 6 = 18 → 47.
    # Later 4,4,4,4,4,4,4,3,4,4 = 39; 1,4,1,1,4,1 → 4 * 6 = 24 → 63 (+16, over 51.5).
    1: (
        [3, 3, 3, 3, 3, 3, 3, 2, 3, 3, 2, 3, 2, 2, 3, 2],
        [4, 4, 4, 4, 4, 4, 4, 3, 4, 4, 1, 4, 1, 1, 4, 1],
    ),
}


def add_csi16() -> int:
    """Record C-0001's CSI-16 at its first and latest sessions; returns how many answers."""
    case = db.scalar(sa.select(Case).where(Case.reference == SHOWCASE_REFERENCE))
    if case is None or len(case.partners) != 2:
        return 0
    sessions = list(
        db.scalars(
            sa.select(TherapySession)
            .where(TherapySession.case_id == case.id, TherapySession.voided_at.is_(None))
            .order_by(TherapySession.starts_at)
        )
    )
    if len(sessions) < 2:
        return 0
    count = 0
    for position, partner in enumerate(case.partners):
        for therapy_session, items in zip(
            (sessions[0], sessions[-1]), ANSWERS[position], strict=True
        ):
            db.add(
                MeasureResponse(
                    session_id=therapy_session.id,
                    partner_id=partner.id,
                    measure=CSI16.key,
                    source="session",
                    items=items,
                    total=registry.score(CSI16, items),
                    recorded_by_id=case.counsellor_id,
                    recorded_at=therapy_session.starts_at + timedelta(minutes=5),
                )
            )
            count += 1
    db.flush()
    return count
