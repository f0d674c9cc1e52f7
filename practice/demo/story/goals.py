"""The demo's treatment goals: C-0001 (Maya and Tom) agreed three goals when they began, and
each partner rated them at sessions and in their check-ins, rising unevenly (a hard week pulls
a rating back before it climbs again). One goal, the weekly time together, was achieved.

Written after the check-ins, straight into the tables (the demo's sessions and check-ins are
history, not forms); deterministic.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from practice.cases.models import Case
from practice.checkins.models import Checkin
from practice.core.database import db
from practice.goals.models import GoalRating, GoalStatus, RatingSource, TreatmentGoal
from practice.sessions.models import TherapySession

# (title, description, owner's cycle role or None for shared, per partner position: a course of
# ratings from the first occasion to the last, sampled evenly; achieved after how many sessions)
GOALS = (
    (
        "Talk about hard things without shutting down",
        "When a hard subject comes up, both stay in the conversation or take a break and come "
        "back to it.",
        None,
        ((3, 4, 3, 5, 6, 5, 7, 7, 8), (2, 2, 4, 3, 5, 6, 6, 7, 7)),
        None,
    ),
    (
        "Ask for closeness gently",
        "Maya reaches for Tom with a soft start-up rather than a protest.",
        0,
        ((2, 3, 3, 5, 4, 6, 7, 7, 8), (3, 3, 4, 4, 5, 5, 6, 7, 7)),
        None,
    ),
    (
        "An evening a week just for us",
        "",
        None,
        ((4, 6, 7, 8, 9), (3, 5, 6, 8, 8)),
        6,
    ),
)


def _sample(course: tuple[int, ...], index: int, count: int) -> int:
    """The course's value at occasion ``index`` of ``count`` (evenly stretched)."""
    if count <= 1:
        return course[-1]
    return course[round(index * (len(course) - 1) / (count - 1))]


def add_goals(reference: str = "C-0001") -> int:
    """Add the showcase couple's goals and ratings, if the case exists; returns how many
    ratings. Flushes."""
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
    checkins = list(
        db.scalars(
            sa.select(Checkin).where(Checkin.case_id == case.id).order_by(Checkin.submitted_at)
        )
    )
    if not sessions:
        return 0
    partners = sorted(case.partners, key=lambda p: p.position)
    counted = 0
    for title, description, owner, courses, achieved_after in GOALS:
        rated_sessions = sessions if achieved_after is None else sessions[:achieved_after]
        occasions: list[tuple[datetime, TherapySession | None, Checkin | None]] = [
            (s.starts_at, s, None) for s in rated_sessions
        ]
        if achieved_after is None:
            occasions += [(c.submitted_at, None, c) for c in checkins]
        occasions.sort(key=lambda o: o[0])
        goal = TreatmentGoal(
            case_id=case.id,
            title=title,
            description=description,
            owner_id=partners[owner].id if owner is not None else None,
            opened_on=sessions[0].starts_at.date(),
            status=GoalStatus.ACTIVE if achieved_after is None else GoalStatus.ACHIEVED,
            status_on=None
            if achieved_after is None
            else (rated_sessions[-1].starts_at + timedelta(days=1)).date(),
            created_by_id=case.counsellor_id,
            created_at=sessions[0].starts_at,
            updated_at=sessions[0].starts_at,
        )
        db.add(goal)
        db.flush()
        for index, (at, therapy_session, checkin) in enumerate(occasions):
            present = {p.id for p in therapy_session.attendees} if therapy_session else None
            for partner in partners:
                if checkin is not None and checkin.partner_id != partner.id:
                    continue
                if present is not None and partner.id not in present:
                    continue
                db.add(
                    GoalRating(
                        goal_id=goal.id,
                        case_id=case.id,
                        partner_id=partner.id,
                        rating=_sample(courses[partner.position], index, len(occasions)),
                        source=RatingSource.SESSION if therapy_session else RatingSource.CHECKIN,
                        session_id=therapy_session.id if therapy_session else None,
                        checkin_id=checkin.id if checkin else None,
                        rated_at=at,
                        recorded_by_id=case.counsellor_id if therapy_session else None,
                        recorded_at=at,
                        updated_at=at,
                    )
                )
                counted += 1
    db.flush()
    return counted
