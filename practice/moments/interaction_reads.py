"""The interaction metrics of a session and of a case's sessions, read in one query each.

The rules are ``practice.moments.interaction``'s; this module only gathers the facts of
standing moments (never a voided one, never a voided session's) and hands them over. The case's
trend is one query for all its sessions, so a page's statement count does not grow with them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from practice.core.database import db
from practice.moments.interaction import (
    InteractionMetrics,
    MomentFacts,
    session_metrics,
    short_words,
    trend,
    trend_text,
)
from practice.moments.models import Moment, MomentType
from practice.sessions.models import TherapySession


@dataclass(frozen=True)
class SessionInteraction:
    """One session's metrics, with the session's id and start for lists and charts."""

    session_id: int
    starts_at: datetime
    metrics: InteractionMetrics


def _facts_query():
    return (
        select(
            Moment.session_id,
            MomentType.key,
            Moment.partner_id,
            Moment.minute,
            Moment.outcome,
        )
        .join(MomentType, Moment.moment_type_id == MomentType.id)
        .where(Moment.voided_at.is_(None))
    )


def session_interaction(therapy_session: TherapySession) -> InteractionMetrics:
    """The metrics of one session's standing moments (one query)."""
    rows = db.execute(_facts_query().where(Moment.session_id == therapy_session.id)).all()
    return session_metrics(
        MomentFacts(key, partner, minute, outcome) for _s, key, partner, minute, outcome in rows
    )


def case_interaction(
    case_id: int, start: datetime | None = None, end: datetime | None = None
) -> list[SessionInteraction]:
    """The metrics of each of the case's standing sessions that has a moment, oldest first,
    optionally within ``start`` ≤ starts_at < ``end`` (one query)."""
    query = (
        _facts_query()
        .add_columns(TherapySession.starts_at)
        .join(TherapySession, Moment.session_id == TherapySession.id)
        .where(TherapySession.case_id == case_id, TherapySession.voided_at.is_(None))
    )
    if start is not None:
        query = query.where(TherapySession.starts_at >= start)
    if end is not None:
        query = query.where(TherapySession.starts_at < end)
    facts: dict[int, list[MomentFacts]] = defaultdict(list)
    starts: dict[int, datetime] = {}
    for session_id, key, partner, minute, outcome, starts_at in db.execute(query):
        facts[session_id].append(MomentFacts(key, partner, minute, outcome))
        starts[session_id] = starts_at
    ordered = sorted(starts, key=lambda s: (starts[s], s))
    return [SessionInteraction(s, starts[s], session_metrics(facts[s])) for s in ordered]


def case_trend_rows(case_id: int, limit: int = 8) -> dict:
    """What the case page and the supervisor's view show: the latest ``limit`` sessions' figures
    in words (oldest first) and each metric's trend over all the case's sessions."""
    found = case_interaction(case_id)
    return {
        "rows": [
            {"session_id": s.session_id, "starts_at": s.starts_at, **short_words(s.metrics)}
            for s in found[-limit:]
        ],
        "count": len(found),
        "coupling_trend": trend_text(trend([s.metrics.coupling_index for s in found])),
        "repair_trend": trend_text(trend([s.metrics.repair_success for s in found])),
        "antidote_trend": trend_text(
            trend([s.metrics.antidote_ratio for s in found]), percent_values=False
        ),
    }
