"""The cycle balance of the dashboard's sessions: in SQL for scale, beside the rule it must equal.

The rule is ``practice.moments.balance``: a session's escalating and de-escalating loads are the
intensities of its moments summed by valence (``cycle_balance``; neutral moments in neither), and
its neutral moments are counted (``session_tally``), so that the flags can tell a session with
moments tagged from one without any; ``deescalation_share`` and ``deescalation_trend`` then work
on those loads. The dashboard needs the
loads of every recent session of every case in scope, so ``session_loads`` sums them in the
database in one grouped statement rather than loading each moment. ``session_loads_by_rule``
computes the same loads by calling the rule on the moments themselves; a test
(tests/test_dashboard.py) runs both over the demo practice and checks that they agree for every
case. Change one, change the other.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy import case as when

from practice.core.database import db
from practice.moments import balance
from practice.moments.models import Moment, MomentType, Valence
from practice.sessions.models import TherapySession
from practice.supervision.case_summaries import SessionLoad
from practice.supervision.flags import Thresholds, needs_earlier_sessions

# Sessions loaded beyond what the flags need, so that a session or two without moments rarely
# sends a case to the second query.
_SPARE_SESSIONS = 4


def _held(case_ids: list[int], now: datetime) -> list[ColumnElement[bool]]:
    """The sessions whose loads count: held (by ``now``), not voided, of these cases."""
    return [
        TherapySession.case_id.in_(case_ids),
        TherapySession.voided_at.is_(None),
        TherapySession.starts_at <= now,
    ]


# --- In SQL: the dashboard's ----------------------------------------------------------------------


def _load(valence: Valence) -> ColumnElement[int]:
    """SQL: a session's load of one valence, the sum of its moments' intensities (0 if none).

    ``balance.cycle_balance`` in SQL, over a session's moments outer-joined with their types.
    """
    return func.coalesce(
        func.sum(when((MomentType.valence == valence, Moment.intensity), else_=0)), 0
    )


def _count(valence: Valence) -> ColumnElement[int]:
    """SQL: how many of a session's moments have this valence (``balance.session_tally``)."""
    return func.coalesce(func.sum(when((MomentType.valence == valence, 1), else_=0)), 0)


def session_loads(
    case_ids: list[int], now: datetime, latest: int | None
) -> tuple[dict[int, list[SessionLoad]], dict[int, int]]:
    """Per case: the loads of its ``latest`` held sessions (all if None), oldest first, and how
    many sessions it held (one statement)."""
    ranked = (
        select(
            TherapySession.id.label("session_id"),
            TherapySession.case_id,
            TherapySession.starts_at,
            func.row_number()
            .over(
                partition_by=TherapySession.case_id,
                order_by=(TherapySession.starts_at.desc(), TherapySession.id.desc()),
            )
            .label("rn"),
            func.count().over(partition_by=TherapySession.case_id).label("n"),
        )
        .where(*_held(case_ids, now))
        .subquery("ranked")
    )
    # Filtered in a subquery of its own, before the join: neither database pushes a condition
    # on a window function's result down into the subquery that computes it.
    kept = select(ranked)
    if latest is not None:
        kept = kept.where(ranked.c.rn <= latest)
    kept = kept.subquery("kept")
    query = (
        select(
            kept.c.case_id,
            kept.c.starts_at,
            kept.c.n,
            _load(Valence.ESCALATING),
            _load(Valence.DEESCALATING),
            _count(Valence.NEUTRAL),
        )
        .select_from(kept)
        .outerjoin(Moment, and_(Moment.session_id == kept.c.session_id, Moment.voided_at.is_(None)))
        .outerjoin(MomentType, MomentType.id == Moment.moment_type_id)
        .group_by(kept.c.case_id, kept.c.session_id, kept.c.starts_at, kept.c.n)
        .order_by(kept.c.case_id, kept.c.starts_at, kept.c.session_id)
    )
    sessions: dict[int, list[SessionLoad]] = defaultdict(list)
    counts: dict[int, int] = {}
    for case_id, starts_at, n, escalating, deescalating, neutral in db.execute(query):
        sessions[case_id].append(
            SessionLoad(starts_at, int(escalating), int(deescalating), int(neutral))
        )
        counts[case_id] = n
    return sessions, counts


def recent_session_loads(
    case_ids: list[int], thresholds: Thresholds, now: datetime
) -> tuple[dict[int, list[SessionLoad]], dict[int, int]]:
    """Per case: its latest held sessions with their loads, oldest first, and how many it held.

    The first statement sums the loads of each case's last few sessions only (``_SPARE_SESSIONS``
    more than the flags and the trend look at); a case for which earlier sessions could still
    change a flag, its since date or the trend (``flags.needs_earlier_sessions``: too few
    shares, a worsening or a run without de-escalation that may have begun earlier) has all its
    sessions loaded by the second, which runs whatever happens (usually for few cases or none)
    so that the number of statements stays fixed.
    """
    recent = max(thresholds.no_deescalation_sessions, thresholds.trend_window) + _SPARE_SESSIONS
    sessions, counts = session_loads(case_ids, now, latest=recent)
    short = [
        case_id
        for case_id, loads in sessions.items()
        if counts[case_id] > len(loads) and needs_earlier_sessions(loads, thresholds)
    ]
    more, _ = session_loads(short, now, latest=None)
    sessions.update(more)
    return sessions, counts


# --- In Python: the rule itself, which the SQL must equal -----------------------------------------


def session_loads_by_rule(case_ids: list[int], now: datetime) -> dict[int, list[SessionLoad]]:
    """Per case: the loads of all its held sessions, oldest first, by ``balance.session_tally``
    over each session's moments: what ``session_loads(case_ids, now, None)`` must return.

    Reads every moment of the cases, so it serves checks and tests, not the dashboard. Raises
    ValueError for a moment the rule refuses (an intensity outside 1..5).
    """
    rows = db.execute(
        select(
            TherapySession.case_id,
            TherapySession.id,
            TherapySession.starts_at,
            MomentType.valence,
            Moment.intensity,
        )
        .outerjoin(Moment, and_(Moment.session_id == TherapySession.id, Moment.voided_at.is_(None)))
        .outerjoin(MomentType, MomentType.id == Moment.moment_type_id)
        .where(*_held(case_ids, now))
        .order_by(TherapySession.case_id, TherapySession.starts_at, TherapySession.id)
    )
    moments: dict[tuple[int, int, datetime], list[tuple[str, int]]] = {}
    for case_id, session_id, starts_at, valence, intensity in rows:
        of_session = moments.setdefault((case_id, session_id, starts_at), [])
        if valence is not None:
            of_session.append((valence, intensity))
    sessions: dict[int, list[SessionLoad]] = defaultdict(list)
    for (case_id, _, starts_at), of_session in moments.items():
        tally = balance.session_tally(of_session)
        loads = tally.balance
        sessions[case_id].append(
            SessionLoad(starts_at, loads.escalating, loads.deescalating, tally.neutral)
        )
    return sessions
