"""API: a case's goals (list, add, change; never deleted: retired by their status) and a
goal's ratings (list, add one at a session).

The same rules, scope and audit as the pages: read by whoever may see the case, written only
by its counsellor, refusals answered 409 with the fields at fault."""

from __future__ import annotations

from practice.api.routing import ID, body, bp, operation, page_body, paginate_list, read, saved
from practice.api.schemas import PageArgsSchema, page_of
from practice.cases.models import Case, Partner
from practice.cases.scoping import case_for_editor, case_for_viewer
from practice.core.database import db
from practice.core.errors import NotFound
from practice.goals import operations, queries
from practice.goals.models import TreatmentGoal
from practice.goals.schemas import (
    GoalCreateSchema,
    GoalRatingCreateSchema,
    GoalRatingSchema,
    GoalSchema,
    GoalUpdateSchema,
)
from practice.sessions.models import TherapySession
from practice.web import access

GoalPageSchema = page_of(GoalSchema, "Goal")
GoalRatingPageSchema = page_of(GoalRatingSchema, "GoalRating")

_GOAL_FIELDS = (
    "id",
    "case_id",
    "title",
    "description",
    "owner_id",
    "opened_on",
    "status",
    "status_on",
    "created_at",
    "updated_at",
    "version",
)
_RATING_FIELDS = (
    "id",
    "goal_id",
    "partner_id",
    "rating",
    "source",
    "session_id",
    "checkin_id",
    "rated_at",
)


def _goal_body(view: queries.GoalView) -> dict:
    return GoalSchema().dump(
        {
            **{name: getattr(view.goal, name) for name in _GOAL_FIELDS},
            "attainment": [
                {
                    "partner_id": course.partner.id,
                    "ratings": len(course.ratings),
                    "first": course.attainment.first if course.attainment else None,
                    "latest": course.attainment.latest if course.attainment else None,
                    "change": course.attainment.change if course.attainment else None,
                    "statement": course.attainment.statement if course.attainment else None,
                }
                for course in view.courses
            ],
        }
    )


def _view_of(case: Case, goal_id: int) -> dict:
    return _goal_body(next(v for v in queries.case_goals(case) if v.goal.id == goal_id))


def _goal(goal_id: int) -> TreatmentGoal:
    goal = db.get(TreatmentGoal, goal_id)
    if goal is None:
        raise NotFound()
    return goal


def _owner(case: Case, owner_id: int | None) -> Partner | None:
    if owner_id is None:
        return None
    partner = db.get(Partner, owner_id)
    if partner is None or partner.case_id != case.id:
        message = "That partner is not in this case."
        raise operations.GoalError(message, fields={"owner_id": message})
    return partner


def _data(case: Case, data: dict) -> operations.GoalData:
    return operations.GoalData(
        title=data["title"],
        description=data["description"],
        owner=_owner(case, data["owner_id"]),
        opened_on=data["opened_on"],
        status=data["status"],
        status_on=data["status_on"],
    )


@bp.route(f"/cases/<{ID}:case_id>/goals")
@access.staff
@operation(
    "List a case's treatment goals",
    tag="Goals",
    description=(
        "Active goals first, then retired ones (achieved or dropped), each with every partner's "
        "attainment: first and latest 0-10 rating, the change and the statement (moved forward "
        "at +PRACTICE_GOAL_FORWARD_POINTS (2) or more, moved back at -2 or less, otherwise "
        "about the same; largely met at PRACTICE_GOAL_MET_RATING (8) or more)."
    ),
    query=PageArgsSchema,
    returns=GoalPageSchema,
)
def goals_list(case_id: int, args: dict):
    case = case_for_viewer(access.current_staff(), case_id)
    rows, total = paginate_list([_goal_body(v) for v in queries.case_goals(case)], args)
    return read(page_body(rows, total, args), "api_goals_read", obj=case)


@bp.route(f"/cases/<{ID}:case_id>/goals", methods=["POST"])
@access.staff
@operation(
    "Add a treatment goal",
    tag="Goals",
    description="Only the case's counsellor. `owner_id` null: the couple's shared goal.",
    body=GoalCreateSchema,
    status=201,
    returns=GoalSchema,
    errors=(409,),
)
def goals_create(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    goal = operations.add_goal(case, _data(case, body()), actor=member)
    return saved(_view_of(case, goal.id), 201)


@bp.route(f"/goals/<{ID}:goal_id>")
@access.staff
@operation("Read a treatment goal", tag="Goals", returns=GoalSchema)
def goals_read(goal_id: int):
    goal = _goal(goal_id)
    case = case_for_viewer(access.current_staff(), goal.case_id)
    return read(_view_of(case, goal.id), "api_goal_read", obj=goal)


@bp.route(f"/goals/<{ID}:goal_id>", methods=["PUT"])
@access.staff
@operation(
    "Change or retire a treatment goal",
    tag="Goals",
    description=(
        "Only the case's counsellor; send the goal's `version` as last read. Goals are never "
        "deleted: set `status` to `achieved` or `dropped` (with `status_on`, today if null) to "
        "retire one, `active` to reopen it."
    ),
    body=GoalUpdateSchema,
    returns=GoalSchema,
    errors=(409,),
)
def goals_update(goal_id: int):
    member = access.current_staff()
    goal = _goal(goal_id)
    case = case_for_editor(member, goal.case_id)
    data = body()
    operations.update_goal(goal, _data(case, data), actor=member, version=data["version"])
    return saved(_view_of(case, goal.id))


@bp.route(f"/goals/<{ID}:goal_id>/ratings")
@access.staff
@operation(
    "List a goal's ratings",
    tag="Goals",
    description="Every partner's 0-10 ratings, oldest first: at sessions and in check-ins.",
    query=PageArgsSchema,
    returns=GoalRatingPageSchema,
)
def goal_ratings_list(goal_id: int, args: dict):
    goal = _goal(goal_id)
    case = case_for_viewer(access.current_staff(), goal.case_id)
    view = next(v for v in queries.case_goals(case) if v.goal.id == goal.id)
    ratings = sorted(
        (r for course in view.courses for r in course.ratings), key=lambda r: (r.rated_at, r.id)
    )
    items = [
        GoalRatingSchema().dump({name: getattr(r, name) for name in _RATING_FIELDS})
        for r in ratings
    ]
    rows, total = paginate_list(items, args)
    return read(page_body(rows, total, args), "api_goal_ratings_read", obj=goal)


@bp.route(f"/goals/<{ID}:goal_id>/ratings", methods=["POST"])
@access.staff
@operation(
    "Rate a goal at a session",
    tag="Goals",
    description=(
        "Only the case's counsellor: a partner present at the session rates the goal 0-10 "
        "(a second rating at the same session replaces the first). Refused (409) once the "
        "session's note is signed, for a voided session, a partner absent or of another case, "
        "or a retired goal."
    ),
    body=GoalRatingCreateSchema,
    status=201,
    returns=GoalRatingSchema,
    errors=(409,),
)
def goal_ratings_create(goal_id: int):
    member = access.current_staff()
    goal = _goal(goal_id)
    case = case_for_editor(member, goal.case_id)
    data = body()
    therapy_session = db.get(TherapySession, data["session_id"])
    if therapy_session is None or therapy_session.case_id != case.id:
        message = "That session is not of this case."
        raise operations.GoalError(message, fields={"session_id": message})
    partner = _owner(case, data["partner_id"])
    assert partner is not None
    rating = operations.add_session_rating(
        goal, partner, therapy_session, data["rating"], actor=member
    )
    return saved(GoalRatingSchema().dump({n: getattr(rating, n) for n in _RATING_FIELDS}), 201)
