"""Writing goals and their ratings: the only place they change.

Every write runs in its own savepoint (``@atomic``), checks what it is given, audits with ids
only (never a goal's words), and sends ``case_record_changed`` (``what="goal"``) so that the
case's default report is prepared again. Goals are never deleted (a goal no longer worked on is
achieved or dropped); a session's ratings change until its note is signed, then they are
locked; a check-in's ratings are the partner's own and are never changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Case, CaseStatus, Partner
from practice.core import local_time
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.core.signals import case_record_changed
from practice.core.unit_of_work import atomic
from practice.goals import rules
from practice.goals.models import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    GoalRating,
    GoalStatus,
    RatingSource,
    TreatmentGoal,
)
from practice.sessions.models import TherapySession

# Who gave a check-in's ratings, in the audit log (the check-ins area's own words).
PARTNER_ACTOR = "partner (check-in link)"


class GoalError(Refused):
    """A goal or rating that cannot be recorded; the message says why."""


@dataclass(frozen=True)
class GoalData:
    """What a goal says, checked by :func:`check_goal`."""

    title: str
    description: str
    owner: Partner | None  # None: the couple's shared goal
    opened_on: date
    status: str = GoalStatus.ACTIVE
    status_on: date | None = None


def practice_today() -> date:
    """Today in the practice's time zone: the day a goal opens or is retired by default."""
    return local_time.today_in(local_time.practice_zone(current_app.config))


def check_goal(case: Case, data: GoalData) -> None:
    """Refuse (GoalError, with the field at fault) a goal that is not right for ``case``."""
    title = data.title.strip()
    if not title:
        raise GoalError(_("Give the goal a short title."), fields={"title": _("Required.")})
    if len(title) > MAX_TITLE:
        message = _("Keep the title to %(n)s characters.", n=MAX_TITLE)
        raise GoalError(message, fields={"title": message})
    if len(data.description) > MAX_DESCRIPTION:
        message = _("Keep the description to %(n)s characters.", n=MAX_DESCRIPTION)
        raise GoalError(message, fields={"description": message})
    if data.owner is not None and data.owner.case_id != case.id:
        message = _("That partner is not in this case.")
        raise GoalError(message, fields={"owner_id": message})
    today = practice_today()
    if data.opened_on > today:
        message = _("A goal cannot open on a day to come.")
        raise GoalError(message, fields={"opened_on": message})
    if data.status not in set(GoalStatus):
        message = _("Choose active, achieved or dropped.")
        raise GoalError(message, fields={"status": message})
    if data.status != GoalStatus.ACTIVE and data.status_on is not None:
        if data.status_on < data.opened_on:
            message = _("A goal cannot be retired before it opened.")
            raise GoalError(message, fields={"status_on": message})
        if data.status_on > today:
            message = _("Give a day that has come.")
            raise GoalError(message, fields={"status_on": message})


def _status_on(data: GoalData) -> date | None:
    if data.status == GoalStatus.ACTIVE:
        return None
    return data.status_on or practice_today()


@atomic
def add_goal(case: Case, data: GoalData, *, actor: StaffMember) -> TreatmentGoal:
    """Add a goal to ``case``. Raises GoalError (nothing stored) for a bad goal or a closed
    case. Audited "goal_added"."""
    if case.status == CaseStatus.CLOSED:
        raise GoalError(_("This case is closed; reopen it to add goals."))
    check_goal(case, data)
    goal = TreatmentGoal(
        case_id=case.id,
        title=data.title.strip(),
        description=data.description.strip(),
        owner_id=data.owner.id if data.owner else None,
        opened_on=data.opened_on,
        status=data.status,
        status_on=_status_on(data),
        created_by_id=actor.id,
    )
    db.add(goal)
    db.flush()
    audit.record("goal_added", obj=goal, actor=actor)
    case_record_changed.send(case, member=actor, what="goal", draft=False)
    return goal


@atomic
def update_goal(
    goal: TreatmentGoal, data: GoalData, *, actor: StaffMember, version: int | None = None
) -> TreatmentGoal:
    """Change a goal: its words, whose it is, its status (achieving or dropping retires it;
    setting it active again reopens it). ``version``: as the editor saw it; another change
    since is refused. Raises GoalError. Audited "goal_changed" (with the status)."""
    if version is not None and version != goal.version:
        raise GoalError(_("This goal was changed in another window. Reload the page."))
    case = db.get(Case, goal.case_id)
    check_goal(case, data)
    before = goal.status
    goal.title = data.title.strip()
    goal.description = data.description.strip()
    goal.owner_id = data.owner.id if data.owner else None
    goal.opened_on = data.opened_on
    goal.status = data.status
    if data.status == GoalStatus.ACTIVE:
        goal.status_on = None
    elif before != data.status or data.status_on is not None:
        goal.status_on = _status_on(data)
    goal.updated_at = utcnow()
    goal.version += 1
    db.flush()
    audit.record(
        "goal_changed", obj=goal, actor=actor, detail={"from": before, "status": goal.status}
    )
    case_record_changed.send(case, member=actor, what="goal", draft=False)
    return goal


# --- Ratings --------------------------------------------------------------------------------


def case_goals_by_id(case_id: int) -> dict[int, TreatmentGoal]:
    """The case's goals by id (one query)."""
    goals = db.scalars(select(TreatmentGoal).where(TreatmentGoal.case_id == case_id))
    return {goal.id: goal for goal in goals}


def check_session_open(therapy_session: TherapySession) -> None:
    """Refuse ratings at a signed (locked) or voided session."""
    if therapy_session.is_signed:
        raise GoalError(_("This session's note is signed: its goal ratings are locked."))
    if therapy_session.voided_at is not None:
        raise GoalError(_("This session was voided; its goal ratings cannot change."))


@atomic
def save_session_ratings(
    therapy_session: TherapySession,
    ratings: Mapping[tuple[int, int], int | None],
    *,
    actor: StaffMember,
) -> int:
    """Set the ratings given at ``therapy_session``: (goal id, partner id) -> 0-10; None leaves
    a partner unrated, and is refused for a rating already given (changed, never taken back).
    Only partners present and the case's goals (active ones for a new
    rating); raises GoalError, storing nothing, otherwise or once the note is signed. Returns
    how many ratings changed. Audited "goal_ratings_saved" (counts only)."""
    check_session_open(therapy_session)
    goals = case_goals_by_id(therapy_session.case_id)
    present = {p.id for p in therapy_session.attendees}
    existing = {
        (r.goal_id, r.partner_id): r
        for r in db.scalars(select(GoalRating).where(GoalRating.session_id == therapy_session.id))
    }
    changed = 0
    now = utcnow()
    for (goal_id, partner_id), value in ratings.items():
        goal = goals.get(goal_id)
        if goal is None:
            raise GoalError(_("That goal is not of this case."))
        if partner_id not in present:
            raise GoalError(_("Only a partner present at the session can rate a goal in it."))
        if value is not None:
            rules.parse_rating(value)  # raises ValueError for a caller that skipped the form
        row = existing.get((goal_id, partner_id))
        if row is None and value is None:
            continue
        if row is None:
            if not goal.active:
                raise GoalError(_("That goal is retired; it is no longer rated."))
            db.add(
                GoalRating(
                    goal_id=goal_id,
                    case_id=therapy_session.case_id,
                    partner_id=partner_id,
                    rating=value,
                    source=RatingSource.SESSION,
                    session_id=therapy_session.id,
                    rated_at=therapy_session.starts_at,
                    recorded_by_id=actor.id,
                    recorded_at=now,
                    updated_at=now,
                )
            )
        elif value is None:
            # Clinical rows are never deleted (but by the retention purge): change it instead.
            raise GoalError(_("A rating given at this session can be changed, not taken back."))
        elif row.rating != value:
            row.rating = value
            row.updated_at = now
            row.recorded_by_id = actor.id
        else:
            continue
        changed += 1
    db.flush()
    if changed:
        audit.record(
            "goal_ratings_saved", obj=therapy_session, actor=actor, detail={"changed": changed}
        )
        case = db.get(Case, therapy_session.case_id)
        case_record_changed.send(case, member=actor, what="goal", draft=True)
    return changed


@atomic
def add_session_rating(
    goal: TreatmentGoal,
    partner: Partner,
    therapy_session: TherapySession,
    rating: int,
    *,
    actor: StaffMember,
) -> GoalRating:
    """One partner's rating of ``goal`` at ``therapy_session`` (set or replaced): the API's
    write. Raises GoalError as :func:`save_session_ratings` does."""
    if therapy_session.case_id != goal.case_id or partner.case_id != goal.case_id:
        raise GoalError(_("That session or partner is not of this goal's case."))
    save_session_ratings(therapy_session, {(goal.id, partner.id): rating}, actor=actor)
    return db.scalars(
        select(GoalRating).where(
            GoalRating.session_id == therapy_session.id,
            GoalRating.goal_id == goal.id,
            GoalRating.partner_id == partner.id,
        )
    ).one()


def record_checkin_ratings(
    case: Case, partner_id: int, checkin_id: int, ratings: Mapping[int, int], at: datetime
) -> int:
    """Store a partner's own ratings from their check-in (goal id -> 0-10), for the case's
    active goals only (a goal retired since the page was shown is skipped). Part of the
    check-in's own transaction; never changed afterwards. Returns how many were stored."""
    goals = case_goals_by_id(case.id)
    stored = 0
    for goal_id, value in ratings.items():
        goal = goals.get(goal_id)
        if goal is None or not goal.active:
            continue
        db.add(
            GoalRating(
                goal_id=goal_id,
                case_id=case.id,
                partner_id=partner_id,
                rating=rules.parse_rating(value),
                source=RatingSource.CHECKIN,
                checkin_id=checkin_id,
                rated_at=at,
                recorded_at=at,
                updated_at=at,
            )
        )
        stored += 1
    if stored:
        db.flush()
        audit.record(
            "goal_ratings_received",
            obj=case,
            actor_label=PARTNER_ACTOR,
            detail={"partner_id": partner_id, "checkin_id": checkin_id, "count": stored},
        )
    return stored
