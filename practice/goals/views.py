"""The goal pages: a case's goals (and the case page's panel), adding and editing a goal, and
the session page's ratings form.

Thin: the forms validate, ``operations`` records (audited), the request commits. A refusal or a
rating that is not a whole number 0-10 is shown on the form, filled in as it was sent.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for

from practice import audit
from practice.cases.models import Case
from practice.cases.scoping import can_edit, case_for_editor, case_for_viewer, session_for_editor
from practice.core.database import db
from practice.core.errors import NotFound
from practice.core.i18n import _
from practice.goals import operations, queries
from practice.goals.charts import goal_svg
from practice.goals.forms import GoalForm, rating_field, read_ratings
from practice.goals.models import TreatmentGoal
from practice.goals.settings import thresholds
from practice.reports.charts.goals import NARROW_WIDTH
from practice.sessions.models import TherapySession
from practice.web import access, localisation
from practice.web.refusals import refusal_shown_on

bp = Blueprint("goals", __name__)


def case_panel(case: Case) -> dict:
    """The case page's goals: each goal with both partners' courses and its chart (two
    queries, however many goals or ratings)."""
    rule = thresholds()
    views = queries.case_goals(case)
    days: dict[datetime, str] = {}

    def local_day_month(at: datetime) -> str:
        # The goals share their sessions' times: each is written once (Babel is not free).
        if at not in days:
            days[at] = localisation.local_day_month(at)
        return days[at]

    return {
        "goals": [
            {
                "view": view,
                "chart": goal_svg(
                    view,
                    local_day_month,
                    chart_id=f"goal-chart-{view.goal.id}",
                    met_rating=rule.met_rating,
                ),
                # The same chart for a phone (the page shows one of the two below 40rem).
                "narrow_chart": goal_svg(
                    view,
                    local_day_month,
                    chart_id=f"goal-chart-{view.goal.id}-narrow",
                    met_rating=rule.met_rating,
                    width=NARROW_WIDTH,
                ),
            }
            for view in views
        ],
        "rule": rule.explained(),
    }


@bp.route("/cases/<int:case_id>/goals")
@access.staff
def index(case_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    audit.record("goals_viewed", obj=case)
    return render_template(
        "practice/goals/index.html",
        case=case,
        goals_panel=case_panel(case),
        can_edit=can_edit(member, case),
    )


def _render_form(case: Case, form: GoalForm, goal: TreatmentGoal | None, status: int = 200):
    """The goal form, shown or shown again; its read audited (a goal's words are clinical)."""
    if goal is not None:
        audit.record("goal_viewed", obj=goal)
    else:
        audit.record("goal_form_viewed", obj=case)
    return render_template("practice/goals/form.html", case=case, form=form, goal=goal), status


@bp.route("/cases/<int:case_id>/goals/new", methods=["GET", "POST"])
@access.staff
def new(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    if request.method == "GET":
        data = {"opened_on": operations.practice_today()}
        return _render_form(case, GoalForm(case.partners, formdata=None, data=data), None)
    form = GoalForm(case.partners)
    if form.validate():
        with refusal_shown_on(form):
            operations.add_goal(case, form.data_of(), actor=member)
            flash(_("The goal was added."), "success")
            return redirect(url_for(".index", case_id=case.id))
    return _render_form(case, form, None, 400)


@bp.route("/goals/<int:goal_id>/edit", methods=["GET", "POST"])
@access.staff
def edit(goal_id: int):
    member = access.current_staff()
    goal = db.get(TreatmentGoal, goal_id)
    if goal is None:
        raise NotFound()
    case = case_for_editor(member, goal.case_id)
    if request.method == "GET":
        form = GoalForm(case.partners, formdata=None, data=GoalForm.prefill(goal))
        return _render_form(case, form, goal)
    form = GoalForm(case.partners)
    if form.validate():
        with refusal_shown_on(form):
            version = request.form.get("version", "")
            operations.update_goal(
                goal,
                form.data_of(),
                actor=member,
                version=int(version) if version.isdigit() else None,
            )
            flash(_("The goal was saved."), "success")
            return redirect(url_for(".index", case_id=case.id))
    return _render_form(case, form, goal, 400)


def session_panel(therapy_session: TherapySession, editing: bool) -> dict:
    """The session page's goal ratings: the case's goals (active ones, and any rated here),
    the partners present, the ratings given; the form while the note is unsigned and
    ``editing``. Two queries."""
    given = queries.session_ratings(therapy_session.id)
    rated = {goal_id for goal_id, _ in given}
    goals = [
        g
        for g in operations.case_goals_by_id(therapy_session.case_id).values()
        if g.active or g.id in rated
    ]
    goals.sort(key=lambda g: (g.opened_on, g.id))
    present = sorted(therapy_session.attendees, key=lambda p: (p.position, p.id))
    open_ = editing and not therapy_session.is_signed and therapy_session.voided_at is None
    return {
        "goals": goals,
        "partners": present,
        "values": {rating_field(g, p): str(v) for (g, p), v in given.items()},
        "errors": {},
        "open": open_,
    }


@bp.route("/sessions/<int:session_id>/goal-ratings", methods=["POST"])
@access.staff
def rate_at_session(session_id: int):
    member = access.current_staff()
    therapy_session = session_for_editor(member, session_id)
    panel = session_panel(therapy_session, editing=True)
    keys = [(g.id, p.id) for g in panel["goals"] for p in panel["partners"]]
    values, errors = read_ratings(request.form, keys)
    panel["values"] = {
        rating_field(g, p): request.form.get(rating_field(g, p), "") for g, p in keys
    }
    panel["errors"] = errors
    form_error = ""
    if not errors:
        try:
            operations.save_session_ratings(therapy_session, values, actor=member)
        except operations.GoalError as refusal:
            form_error = str(refusal)
        else:
            flash(_("Goal ratings saved."), "success")
            return redirect(url_for("practice.sessions.show", session_id=session_id) + "#goals")
    audit.record("session_viewed", obj=therapy_session, detail={"page": "goal_ratings"})
    return render_template(
        "practice/goals/session_ratings.html",
        therapy_session=therapy_session,
        case=therapy_session.case,
        goal_ratings=panel,
        form_error=form_error or _("Some ratings need a look; nothing was saved."),
    ), 400
