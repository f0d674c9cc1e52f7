"""Reading a case's goals with each partner's ratings and attainment: two queries, whatever
the number of goals, sessions or check-ins."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from practice.cases.models import Case, Partner
from practice.core.database import db
from practice.goals import rules
from practice.goals.models import GoalRating, GoalStatus, TreatmentGoal
from practice.goals.settings import thresholds


@dataclass(frozen=True)
class PartnerCourse:
    """One partner's ratings of one goal, oldest first, and their attainment."""

    partner: Partner
    ratings: tuple[GoalRating, ...]
    attainment: rules.Attainment | None


@dataclass(frozen=True)
class GoalView:
    """A goal as the pages and reports show it: whose, and each partner's course."""

    goal: TreatmentGoal
    owner_name: str  # "Shared" or the partner's name
    courses: tuple[PartnerCourse, ...]

    @property
    def occasions(self) -> list[datetime]:
        """Every time a partner rated it, oldest first (the chart's x axis)."""
        return sorted({r.rated_at for c in self.courses for r in c.ratings})


def _ratings(case: Case, through: datetime | None) -> dict[int, list[GoalRating]]:
    query = select(GoalRating).where(GoalRating.case_id == case.id)
    if through is not None:
        query = query.where(GoalRating.rated_at <= through)
    by_goal: dict[int, list[GoalRating]] = defaultdict(list)
    for rating in db.scalars(query.order_by(GoalRating.rated_at, GoalRating.id)):
        by_goal[rating.goal_id].append(rating)
    return by_goal


def case_goals(
    case: Case,
    *,
    through: datetime | None = None,
    partner_ids: Collection[int] | None = None,
) -> list[GoalView]:
    """The case's goals, active first then retired, each oldest first, with each partner's
    ratings given up to ``through`` (all without it). ``partner_ids``: the partners whose
    ratings may be read (all without it); the others' courses are left out."""
    goals = db.scalars(
        select(TreatmentGoal)
        .where(TreatmentGoal.case_id == case.id)
        .order_by(TreatmentGoal.opened_on, TreatmentGoal.id)
    ).all()
    if not goals:
        return []
    by_goal = _ratings(case, through)
    rule = thresholds()
    partners = [p for p in case.partners if partner_ids is None or p.id in partner_ids]
    names = {p.id: p.display_name for p in case.partners}
    views = []
    for goal in goals:
        courses = []
        for partner in partners:
            own = tuple(r for r in by_goal.get(goal.id, ()) if r.partner_id == partner.id)
            courses.append(
                PartnerCourse(
                    partner=partner,
                    ratings=own,
                    attainment=rules.attainment([r.rating for r in own], rule),
                )
            )
        views.append(
            GoalView(
                goal=goal,
                owner_name=names.get(goal.owner_id or 0, "Shared"),
                courses=tuple(courses),
            )
        )
    views.sort(key=lambda v: v.goal.status != GoalStatus.ACTIVE)
    return views


def session_ratings(session_id: int) -> dict[tuple[int, int], int]:
    """The ratings given at a session: (goal id, partner id) -> rating (one query)."""
    return {
        (r.goal_id, r.partner_id): r.rating
        for r in db.scalars(select(GoalRating).where(GoalRating.session_id == session_id))
    }


def active_goals(case_id: int) -> list[TreatmentGoal]:
    """The case's active goals, oldest first: the ones rated at a session or check-in."""
    return list(
        db.scalars(
            select(TreatmentGoal)
            .where(TreatmentGoal.case_id == case_id, TreatmentGoal.status == GoalStatus.ACTIVE)
            .order_by(TreatmentGoal.opened_on, TreatmentGoal.id)
        )
    )
