"""Treatment goals through the pages, the check-in, the reports and the API: adding and
retiring a goal, session ratings (validation, lock at signing), a partner's own ratings in
their check-in (never the other's), consent in the reports, scope and audit."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import select, update

from practice.checkins import operations as checkin_operations
from practice.goals.models import GoalRating, GoalStatus, RatingSource, TreatmentGoal
from practice.measures.models import ScoreSharingConsent
from practice.models import AuditEvent
from practice.reports.progress_report import report_context
from practice.sessions.models import NoteStatus, TherapySession

pytest_plugins = ["tests.test_api_support"]

_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def page(response) -> str:
    return response.get_data(as_text=True)


def actions(db) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _goal(db, case, title="Talk without shutting down", **kw) -> TreatmentGoal:
    goal = TreatmentGoal(
        case_id=case.id,
        title=title,
        description="",
        opened_on=kw.pop("opened_on", date(2026, 1, 5)),
        created_by_id=case.counsellor_id,
        **kw,
    )
    db.add(goal)
    db.commit()
    return goal


def test_add_a_goal_and_retire_it(client, auth, counsellor, case, db):
    auth.login(counsellor)
    alex = case.partners[0]
    response = auth.post(
        f"/cases/{case.id}/goals/new",
        {
            "title": "Ask gently",
            "owner_id": str(alex.id),
            "opened_on": "2026-01-10",
            "status": "active",
        },
    )
    assert response.status_code == 302
    goal = db.scalar(select(TreatmentGoal))
    assert goal.owner_id == alex.id and goal.status == GoalStatus.ACTIVE
    assert "goal_added" in actions(db)
    html = page(client.get(f"/cases/{case.id}"))
    assert "Treatment goals" in html and "Ask gently" in html
    assert "Goals in the couple&#39;s words" in html or "Goals in the couple's words" in html
    edited = auth.post(
        f"/goals/{goal.id}/edit",
        {
            "title": "Ask gently",
            "owner_id": str(alex.id),
            "opened_on": "2026-01-10",
            "status": "achieved",
            "status_on": "2026-02-01",
            "version": "1",
        },
    )
    assert edited.status_code == 302
    db.expire_all()
    goal = db.scalar(select(TreatmentGoal))
    assert goal.status == GoalStatus.ACHIEVED and goal.status_on == date(2026, 2, 1)
    assert db.scalar(select(TreatmentGoal).where(TreatmentGoal.id == goal.id)) is not None


def test_a_bad_goal_is_reshown_filled_in(client, auth, counsellor, case, db):
    auth.login(counsellor)
    response = auth.post(
        f"/cases/{case.id}/goals/new",
        {"title": "", "description": "kept text", "opened_on": "2026-01-10", "status": "active"},
    )
    assert response.status_code == 400
    assert "Give the goal a short title." in page(response) and "kept text" in page(response)
    future = auth.post(
        f"/cases/{case.id}/goals/new",
        {"title": "Later", "opened_on": "2099-01-01", "status": "active"},
    )
    assert "A goal cannot open on a day to come." in page(future)
    assert db.scalar(select(TreatmentGoal)) is None


def test_session_ratings_validate_save_and_lock_when_signed(
    client, auth, counsellor, case, make_session, db
):
    goal = _goal(db, case)
    therapy_session = make_session(case)
    alex, sam = case.partners
    auth.login(counsellor)
    html = page(client.get(f"/sessions/{therapy_session.id}"))
    assert "Goal ratings" in html and f"rating-{goal.id}-{alex.id}" in html
    url = f"/sessions/{therapy_session.id}/goal-ratings"
    for bad in ("11", "-1", "7.5", "seven"):
        refused = auth.post(url, {f"rating-{goal.id}-{alex.id}": bad})
        assert refused.status_code == 400
        assert "Give a whole number from 0 to 10." in page(refused)
        assert f'value="{bad}"' in page(refused)
    assert db.scalar(select(GoalRating)) is None
    saved = auth.post(url, {f"rating-{goal.id}-{alex.id}": "4", f"rating-{goal.id}-{sam.id}": "6"})
    assert saved.status_code == 302
    ratings = {r.partner_id: r.rating for r in db.scalars(select(GoalRating))}
    assert ratings == {alex.id: 4, sam.id: 6}
    # A rating given is changed, never taken back (clinical rows are not deleted): a blank
    # for one already given is refused and nothing changes.
    taken_back = {f"rating-{goal.id}-{alex.id}": "5", f"rating-{goal.id}-{sam.id}": ""}
    refused = auth.post(url, taken_back)
    assert refused.status_code == 400 and "changed, not taken back" in page(refused)
    assert {r.partner_id: r.rating for r in db.scalars(select(GoalRating))} == ratings
    changed = auth.post(
        url, {f"rating-{goal.id}-{alex.id}": "5", f"rating-{goal.id}-{sam.id}": "6"}
    )
    assert changed.status_code == 302
    assert {r.partner_id: r.rating for r in db.scalars(select(GoalRating))} == {
        alex.id: 5,
        sam.id: 6,
    }
    assert "goal_ratings_saved" in actions(db)
    db.execute(
        update(TherapySession)
        .where(TherapySession.id == therapy_session.id)
        .values(status=NoteStatus.SIGNED)
    )
    db.commit()
    locked = auth.post(url, {f"rating-{goal.id}-{alex.id}": "9"})
    assert locked.status_code == 400 and "locked" in page(locked)
    assert db.scalar(select(GoalRating.rating).where(GoalRating.partner_id == alex.id)) == 5
    assert f'name="rating-{goal.id}-{alex.id}"' not in page(
        client.get(f"/sessions/{therapy_session.id}")
    )


def test_only_partners_present_are_rated(client, auth, counsellor, case, make_session, db):
    goal = _goal(db, case)
    alex, sam = case.partners
    therapy_session = make_session(case)
    therapy_session.attendees = [alex]
    db.commit()
    auth.login(counsellor)
    html = page(client.get(f"/sessions/{therapy_session.id}"))
    assert f"rating-{goal.id}-{alex.id}" in html and f"rating-{goal.id}-{sam.id}" not in html


def _checkin(app, client, db, case, partner_index, goal_value):
    with app.app_context():
        token, _ = checkin_operations.issue_link(
            case, case.partners[partner_index].id, case.counsellor
        )
        db.commit()
    form_page = page(client.get(f"/checkin/{token}"))
    data = {
        "csrf_token": _CSRF_FIELD.search(form_page).group(1),
        "pattern_count": "1",
        "hardest_moment": "3",
        "felt_afraid": "no",
    }
    data.update(goal_value)
    return form_page, client.post(f"/checkin/{token}", data=data)


def test_a_partner_rates_goals_in_their_check_in_and_never_sees_the_others(
    app, client, case, db, make_session
):
    goal = _goal(db, case, title="Come back after a break")
    _goal(db, case, title="Old goal", status=GoalStatus.DROPPED, status_on=date(2026, 1, 6))
    alex, sam = case.partners
    db.add(
        GoalRating(
            goal_id=goal.id,
            case_id=case.id,
            partner_id=alex.id,
            rating=9,
            source=RatingSource.SESSION,
            session_id=make_session(case).id,
            rated_at=datetime(2026, 1, 6, 15, tzinfo=UTC),
        )
    )
    db.commit()
    form_page, bad = _checkin(app, client, db, case, 1, {f"goal{goal.id}_rating": "12"})
    assert "Come back after a break" in form_page and "Old goal" not in form_page
    assert bad.status_code == 400 and "Give a whole number from 0 to 10." in page(bad)
    form_page, sent = _checkin(app, client, db, case, 1, {f"goal{goal.id}_rating": "3"})
    # Sam's page asks Sam's own question only: neither Alex nor Alex's 9 is on it, and no
    # choice comes ticked.
    assert "Alex" not in form_page
    assert "checked" not in form_page.split("Your goals")[1].split("</fieldset>")[0]
    assert sent.status_code == 200
    mine = db.scalars(select(GoalRating).where(GoalRating.source == RatingSource.CHECKIN)).all()
    assert [(r.partner_id, r.rating) for r in mine] == [(sam.id, 3)]
    assert mine[0].checkin_id is not None
    assert "goal_ratings_received" in actions(db)
    # Skipping the goal stores nothing for it.
    _, skipped = _checkin(app, client, db, case, 0, {})
    assert skipped.status_code == 200
    assert len(db.scalars(select(GoalRating).where(GoalRating.source == "checkin")).all()) == 1


def _rated(db, case, make_session):
    goal = _goal(db, case, title="Stay in the room")
    alex, sam = case.partners
    first, last = make_session(case), make_session(case)
    # Alex 3 -> 8 (+5, forward, largely met); Sam 6 -> 5 (-1, about the same).
    for therapy_session, a, s in ((first, 3, 6), (last, 8, 5)):
        for partner, value in ((alex, a), (sam, s)):
            db.add(
                GoalRating(
                    goal_id=goal.id,
                    case_id=case.id,
                    partner_id=partner.id,
                    rating=value,
                    source=RatingSource.SESSION,
                    session_id=therapy_session.id,
                    rated_at=therapy_session.starts_at,
                )
            )
    db.commit()
    return goal


def test_reports_show_attainment_under_consent(app, db, counsellor, case, make_session):
    _rated(db, case, make_session)
    alex = case.partners[0]
    with app.test_request_context():
        clinical = report_context(
            case, date(2026, 1, 1), date(2026, 3, 1), "clinical", "", counsellor
        )
        lines = clinical["goal_report"]["items"][0]["lines"]
        assert [
            (line["partner"], line["first"], line["latest"], line["change_text"], line["statement"])
            for line in lines
        ] == [
            ("Alex", 3, 8, "+5", "moved forward; largely met"),
            ("Sam", 6, 5, "-1", "about the same"),
        ]
        assert clinical["goal_report"]["items"][0]["chart"].startswith("data:image/svg+xml")
        client_report = report_context(
            case, date(2026, 1, 1), date(2026, 3, 1), "client", "", counsellor
        )
        item = client_report["goal_report"]["items"][0]
        assert item["title"] == "Stay in the room" and item["lines"] == []  # nobody consented
        assert item["chart"] is None and client_report["goal_report"]["hidden"]
        referrer = report_context(
            case, date(2026, 1, 1), date(2026, 3, 1), "referrer", "", counsellor
        )
        assert referrer["goal_report"]["items"][0]["lines"] == []
    db.add(
        ScoreSharingConsent(
            case_id=case.id,
            partner_id=alex.id,
            audience="partner",
            given_on=date(2026, 1, 5),
            recorded_by_id=counsellor.id,
        )
    )
    db.commit()
    with app.test_request_context():
        client_report = report_context(
            case, date(2026, 1, 1), date(2026, 3, 1), "client", "", counsellor
        )
        lines = client_report["goal_report"]["items"][0]["lines"]
        # Alex shared with Sam: Alex's numbers in warm words; Sam's stay Sam's own.
        assert [(line["partner"], line["statement"]) for line in lines] == [
            ("Alex", "has moved forward and feels largely there")
        ]
        referrer = report_context(
            case, date(2026, 1, 1), date(2026, 3, 1), "referrer", "", counsellor
        )
        assert referrer["goal_report"]["items"][0]["lines"] == []  # no referrer consent


def test_api_goals_crud_and_ratings(db, practice, api_as):
    api = api_as(practice.counsellor)
    case = practice.case
    created = api.post(
        f"/cases/{case.id}/goals", {"title": "Ask gently", "opened_on": "2026-01-10"}
    )
    assert created.status_code == 201, created.get_json()
    goal = created.get_json()
    assert goal["status"] == "active" and goal["owner_id"] is None
    partner = practice.session.attendees[0]
    rated = api.post(
        f"/goals/{goal['id']}/ratings",
        {"session_id": practice.session.id, "partner_id": partner.id, "rating": 7},
    )
    assert rated.status_code == 201 and rated.get_json()["rating"] == 7
    bad = api.post(
        f"/goals/{goal['id']}/ratings",
        {"session_id": practice.session.id, "partner_id": partner.id, "rating": 11},
    )
    assert bad.status_code == 422
    listed = api.get(f"/goals/{goal['id']}/ratings").get_json()
    assert [r["rating"] for r in listed["items"]] == [7]
    retired = api.put(
        f"/goals/{goal['id']}",
        {"title": "Ask gently", "opened_on": "2026-01-10", "status": "dropped", "version": 1},
    )
    assert retired.status_code == 200 and retired.get_json()["status"] == "dropped"
    assert api.get(f"/cases/{case.id}/goals").get_json()["items"][0]["attainment"][0]["latest"] in (
        7,
        None,
    )
    assert api_as(practice.other).get(f"/cases/{case.id}/goals").status_code == 404
    supervisor = api_as(practice.supervisor)
    assert supervisor.get(f"/goals/{goal['id']}").status_code == 200
    assert (
        supervisor.post(
            f"/cases/{case.id}/goals", {"title": "x", "opened_on": "2026-01-10"}
        ).status_code
        == 403
    )


def test_pages_are_scoped(client, auth, make_staff, case, db):
    goal = _goal(db, case)
    outsider = make_staff()
    auth.login(outsider)
    assert client.get(f"/cases/{case.id}/goals").status_code == 404
    assert client.get(f"/goals/{goal.id}/edit").status_code == 404


def test_the_case_page_costs_the_same_statements_however_many_goals_and_ratings(
    app, client, auth, counsellor, case, make_session, db
):
    from practice.cases.models import Case
    from tests.test_case_page import count_statements

    case_id = case.id
    auth.login(counsellor)
    path = f"/cases/{case_id}"
    _goal(db, case)
    before = count_statements(app, client, path)
    case = db.get(Case, case_id)
    for n in range(3):
        goal = _goal(db, case, title=f"Goal {n}")
        therapy_session = make_session(case)
        for partner in case.partners:
            db.add(
                GoalRating(
                    goal_id=goal.id,
                    case_id=case.id,
                    partner_id=partner.id,
                    rating=n + 3,
                    source=RatingSource.SESSION,
                    session_id=therapy_session.id,
                    rated_at=therapy_session.starts_at,
                )
            )
    db.commit()
    html = page(client.get(path))
    assert html.count('class="goal-chart"') == 8  # 4 goals, a wide and a narrow drawing each
    assert count_statements(app, client, path) == before


def test_the_export_holds_every_goal_and_rating(app_context, db, case, make_session):
    from practice.goals.export import goals_record

    goal = _rated(db, case, make_session)
    _goal(db, case, title="Dropped", status=GoalStatus.DROPPED, status_on=date(2026, 1, 20))
    record = goals_record(case)
    assert [g["title"] for g in record] == ["Stay in the room", "Dropped"]
    assert record[0]["id"] == goal.id
    assert [r["rating"] for r in record[0]["ratings"]] == [3, 6, 8, 5]
    assert record[1]["status"] == "dropped" and record[1]["status_on"] == "2026-01-20"


def test_the_demo_couple_rates_three_goals_rising_unevenly(app_context, db):
    from practice.cases.models import Case
    from practice.demo.seed import seed_demo
    from practice.goals.queries import case_goals

    seed_demo(scale=1, seed=2026)
    showcase = db.scalar(select(Case).where(Case.reference == "C-0001"))
    views = case_goals(showcase)
    assert len(views) == 3
    assert [v.goal.status for v in views] == ["active", "active", "achieved"]
    sources = {r.source for v in views for c in v.courses for r in c.ratings}
    assert sources == {"session", "checkin"}
    for view in views:
        for course in view.courses:
            values = [r.rating for r in course.ratings]
            assert values[-1] > values[0]  # each partner moved forward on every goal
    # Unevenly: someone's rating dips at least once on the way.
    dips = [
        later < earlier
        for v in views
        for c in v.courses
        for earlier, later in zip(
            [r.rating for r in c.ratings], [r.rating for r in c.ratings][1:], strict=False
        )
    ]
    assert any(dips)


def test_the_supervisor_reads_session_ratings_but_cannot_change_them(
    client, auth, supervisor, counsellor, case, make_session, db
):
    goal = _goal(db, case)
    alex = case.partners[0]
    therapy_session = make_session(case)
    db.add(
        GoalRating(
            goal_id=goal.id,
            case_id=case.id,
            partner_id=alex.id,
            rating=6,
            source=RatingSource.SESSION,
            session_id=therapy_session.id,
            rated_at=therapy_session.starts_at,
        )
    )
    db.commit()
    session_id = therapy_session.id
    auth.login(supervisor)
    html = page(client.get(f"/sessions/{session_id}"))
    assert "Goal ratings" in html and 'name="rating-' not in html and ">6<" in html
    refused = auth.post(
        f"/sessions/{session_id}/goal-ratings", {f"rating-{goal.id}-{alex.id}": "9"}
    )
    assert refused.status_code in (403, 404)
    assert db.scalar(select(GoalRating.rating)) == 6


def test_a_retired_goal_takes_no_new_session_rating(
    app_context, db, case, make_session, counsellor
):
    from practice.goals import operations

    goal = _goal(db, case, status=GoalStatus.ACHIEVED, status_on=date(2026, 1, 20))
    therapy_session = make_session(case)
    partner = case.partners[0]
    try:
        operations.save_session_ratings(
            therapy_session, {(goal.id, partner.id): 5}, actor=counsellor
        )
    except operations.GoalError as refusal:
        assert "retired" in str(refusal)
    else:
        raise AssertionError("a retired goal was rated")
    assert db.scalar(select(GoalRating)) is None
