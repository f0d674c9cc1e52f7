"""Directed moments in the showcase couple's sessions (C-0001, Maya and Tom).

Without random numbers (every choice follows from the session's place in the course), so the
rest of the practice stays what it always was. The story, session by session:

- **The dance comes apart.** Early on, Tom answers most of Maya's pursuits by withdrawing within
  two minutes (a withdraw aimed at her, answering her pursue); the share of pursuits he answers
  so falls from about 90 % in the first session to none in the last third of the course.
- **Repairs land more often.** Each repair attempt is aimed at the other partner; its outcome is
  mostly missed or rejected early and mostly accepted late; every fourth is left without one.
- **Antidotes rise.** From none in the first sessions to four a session at the end (gentle
  start-up by Maya, appreciation, taking responsibility and self-soothing by Tom).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from practice.cases.models import Case, CycleRole, Partner
from practice.core.database import db
from practice.demo.builder.plans import SHOWCASE_REFERENCE
from practice.moments.interaction import ANTIDOTES, PURSUE, REPAIR, WITHDRAW, Outcome
from practice.moments.models import Moment, MomentType
from practice.sessions.models import TherapySession

# The antidotes in the order they appear in the course, and who shows each.
_ANTIDOTE_ORDER = ("gentle_startup", "appreciation", "taking_responsibility", "self_soothing")
_ANTIDOTE_BY = {
    "gentle_startup": CycleRole.PURSUER,
    "appreciation": CycleRole.PURSUER,
    "taking_responsibility": CycleRole.WITHDRAWER,
    "self_soothing": CycleRole.WITHDRAWER,
}
assert set(_ANTIDOTE_ORDER) == ANTIDOTES


def _sequence_past_highest_id() -> None:
    """On PostgreSQL, start the moments' sequence just past the highest id, as SQLite does."""
    if db.get_bind().dialect.name != "postgresql":
        return
    db.execute(
        sa.text(
            "SELECT setval(pg_get_serial_sequence('practice_moment', 'id'), "
            "COALESCE((SELECT MAX(id) FROM practice_moment), 0) + 1, false)"
        )
    )


def _at(therapy_session: TherapySession, minute: int) -> datetime:
    """When a moment at ``minute`` was tagged: that minute of the session, as the builder dates
    its moments."""
    return therapy_session.starts_at + timedelta(minutes=minute)


def add_directed_moments() -> int:
    """Add the showcase's directed moments and repair outcomes; returns the moments added.
    Flushes; nothing when the showcase is not a couple with a pursuer and a withdrawer."""
    case = db.scalar(sa.select(Case).where(Case.reference == SHOWCASE_REFERENCE))
    if case is None:
        return 0
    roles = {p.cycle_role: p for p in case.partners}
    pursuer: Partner | None = roles.get(CycleRole.PURSUER)
    withdrawer: Partner | None = roles.get(CycleRole.WITHDRAWER)
    if pursuer is None or withdrawer is None:
        return 0
    types = {t.key: t for t in db.scalars(sa.select(MomentType))}
    if not ({PURSUE, WITHDRAW, REPAIR} | ANTIDOTES) <= set(types):
        return 0
    _sequence_past_highest_id()
    sessions = list(
        db.scalars(
            sa.select(TherapySession)
            .where(TherapySession.case_id == case.id, TherapySession.voided_at.is_(None))
            .order_by(TherapySession.starts_at)
        )
    )
    moments = list(
        db.scalars(
            sa.select(Moment)
            .where(Moment.session_id.in_([s.id for s in sessions]), Moment.voided_at.is_(None))
            .order_by(Moment.session_id, Moment.minute, Moment.id)
        )
    )
    by_session: dict[int, list[Moment]] = {s.id: [] for s in sessions}
    for moment in moments:
        by_session[moment.session_id].append(moment)
    added = 0
    partners = {pursuer.id: withdrawer.id, withdrawer.id: pursuer.id}
    course = max(1, len(sessions) - 1)
    for n, therapy_session in enumerate(sessions):
        progress = n / course  # 0 at the first session, 1 at the last
        own = by_session[therapy_session.id]
        added += _dance(therapy_session, own, pursuer, withdrawer, types[WITHDRAW], progress)
        _repairs(own, partners, progress)
        added += _antidotes(therapy_session, pursuer, withdrawer, types, progress)
    db.flush()
    return added


def _dance(
    therapy_session: TherapySession,
    own: list[Moment],
    pursuer: Partner,
    withdrawer: Partner,
    withdraw: MomentType,
    progress: float,
) -> int:
    """Tom withdraws from the first ``share`` of Maya's pursuits, two minutes after each."""
    share = max(0.0, 0.9 - 1.4 * progress)  # 90 % at the start, none from about 2/3 on
    pursuits = [m for m in own if m.moment_type.key == PURSUE and m.partner_id == pursuer.id]
    answered = round(share * len(pursuits))
    for pursuit in pursuits[:answered]:
        minute = min(pursuit.minute + 2, therapy_session.duration_minutes)
        db.add(
            Moment(
                session_id=therapy_session.id,
                moment_type=withdraw,
                partner_id=withdrawer.id,
                minute=minute,
                intensity=pursuit.intensity,
                context="",
                created_by_id=therapy_session.created_by_id,
                created_at=_at(therapy_session, minute),
                target_partner_id=pursuer.id,
                answers_moment_id=pursuit.id,
            )
        )
    return answered


def _repairs(own: list[Moment], partners: dict[int, int], progress: float) -> None:
    """Aim each repair at the other partner and record how it was met, better as the course
    goes on; every fourth is left without an outcome."""
    repairs = [m for m in own if m.moment_type.key == REPAIR and m.partner_id in partners]
    for k, repair in enumerate(repairs):
        repair.target_partner_id = partners[repair.partner_id]
        if k % 4 == 3:
            continue
        # Accepted when this repair's place among the session's falls under the success level.
        level = 0.2 + 0.7 * progress
        accepted = (k + 0.5) / len(repairs) <= level
        repair.outcome = str(
            Outcome.ACCEPTED if accepted else (Outcome.MISSED if k % 2 else Outcome.REJECTED)
        )


def _antidotes(
    therapy_session: TherapySession,
    pursuer: Partner,
    withdrawer: Partner,
    types: dict[str, MomentType],
    progress: float,
) -> int:
    """None in the first fifth of the course, then one more antidote each fifth, up to four."""
    count = min(4, int(progress * 5))
    who = {CycleRole.PURSUER: pursuer, CycleRole.WITHDRAWER: withdrawer}
    duration = therapy_session.duration_minutes
    for k, key in enumerate(_ANTIDOTE_ORDER[:count]):
        partner = who[_ANTIDOTE_BY[key]]
        minute = min(duration, 12 + 9 * k)
        db.add(
            Moment(
                session_id=therapy_session.id,
                moment_type=types[key],
                partner_id=partner.id,
                minute=minute,
                intensity=3,
                context="",
                created_by_id=therapy_session.created_by_id,
                created_at=_at(therapy_session, minute),
                target_partner_id=withdrawer.id if partner.id == pursuer.id else pursuer.id,
            )
        )
    return count
