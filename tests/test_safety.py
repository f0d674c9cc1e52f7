"""Safety screens before joint work: recording them, the joint-signing gate and its override,
rescreens due, who may read them (audited), the pages, the API, the flags, and the reports
that never show them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from practice.models import AuditEvent, MomentType, NoteStatus, Role, TherapySession
from practice.moments import operations as moments
from practice.moments.operations import MomentData
from practice.reports.progress_report import build_report_html, report_context
from practice.safety import operations
from practice.safety.models import RescreenDue, SafetyScreen, ScreenOverride
from practice.safety.operations import ScreenError, ScreenMissing
from practice.sessions import operations as sessions
from practice.supervision import dashboard_queries
from practice.supervision.flags import SCREEN_OVERRIDE, Thresholds, case_flags
from tests.break_glass_support import open_break_glass
from tests.conftest import PASSWORD
from tests.report_text import report_words
from tests.test_api_support import ApiClient, issue_token

NOTE = {"note_data": "They named the cycle.", "note_assessment": "Stage 1.", "note_plan": "Next."}
SESSION_AT = datetime(2026, 6, 30, 15, 0, tzinfo=UTC)


@pytest.fixture
def unscreened(make_case, counsellor):
    """A couple of ``counsellor`` with no safety screen yet."""
    return make_case(counsellor, screened=False, opened_on=date(2026, 1, 5))


@pytest.fixture
def joint(db, make_session, unscreened):
    """A joint draft session (both partners attended) of ``unscreened`` with its note written."""
    return make_session(unscreened, starts_at=SESSION_AT, screened=False, **NOTE)


def _sign(app, db, therapy_session, member, **kw):
    with app.app_context():
        # Loaded afresh: an app context that ended (on a refusal, say) closed the session.
        sessions.sign_note(db.get(TherapySession, therapy_session.id), db.merge(member), **kw)
        db.commit()


def _record(app, db, case, partner, on, items=(1, 1, 1, 1), afraid=False, decision="joint_ok"):
    with app.app_context():
        case = db.merge(case)
        screen = operations.record_screen(
            case, partner.id, list(items), afraid, decision, on, case.counsellor
        )
        db.commit()
    return screen


def _status(db, therapy_session) -> str:
    db.expire_all()
    return db.get(TherapySession, therapy_session.id).status


def _actions(db, action):
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- The gate --------------------------------------------------------------------------------


def test_a_joint_note_without_screens_cannot_be_signed(app, db, joint, counsellor):
    with pytest.raises(ScreenMissing) as refused:
        _sign(app, db, joint, counsellor)
    assert "Alex has no safety screen" in str(refused.value)
    assert "Sam has no safety screen" in str(refused.value)
    assert _status(db, joint) == NoteStatus.DRAFT


def test_screens_90_days_before_the_session_let_it_be_signed_and_91_do_not(
    app, db, joint, unscreened, counsellor
):
    alex, sam = unscreened.partners
    _record(app, db, unscreened, alex, SESSION_AT.date() - timedelta(days=90))
    _record(app, db, unscreened, sam, SESSION_AT.date() - timedelta(days=91))
    with pytest.raises(ScreenMissing) as refused:
        _sign(app, db, joint, counsellor)
    assert refused.value.problems == [
        "Sam has no safety screen in the 90 days up to 30 Jun 2026: screen each partner alone "
        "before joint work."
    ]
    _record(app, db, unscreened, sam, SESSION_AT.date())
    _sign(app, db, joint, counsellor)
    assert _status(db, joint) == NoteStatus.SIGNED


def test_the_window_is_a_setting(app, db, joint, unscreened, counsellor):
    for partner in unscreened.partners:
        _record(app, db, unscreened, partner, SESSION_AT.date() - timedelta(days=40))
    app.config["PRACTICE_SAFETY_SCREEN_DAYS"] = 30
    try:
        with pytest.raises(ScreenMissing):
            _sign(app, db, joint, counsellor)
    finally:
        del app.config["PRACTICE_SAFETY_SCREEN_DAYS"]
    _sign(app, db, joint, counsellor)


def test_a_session_one_partner_missed_is_not_joint_and_needs_no_screen(
    app, db, make_session, unscreened, counsellor
):
    alone = make_session(unscreened, starts_at=SESSION_AT, screened=False, **NOTE)
    alone.attendees = unscreened.partners[:1]
    db.commit()
    _sign(app, db, alone, counsellor)
    assert _status(db, alone) == NoteStatus.SIGNED


def test_an_override_signs_records_the_reason_and_flags_the_supervisor(
    app, db, joint, unscreened, counsellor, supervisor, make_staff
):
    _sign(app, db, joint, counsellor, override_reason="  Crisis session; screens booked.  ")
    override = db.scalar(select(ScreenOverride).where(ScreenOverride.session_id == joint.id))
    assert override.reason == "Crisis session; screens booked."
    assert _status(db, joint) == NoteStatus.SIGNED
    event = _actions(db, "screen_override")[0]
    assert "Crisis" not in str(event.detail)  # the reason never reaches the audit detail
    now = datetime(2026, 7, 1, 12, tzinfo=UTC)
    with app.app_context():
        (line,) = [
            c
            for c in dashboard_queries.active_cases(supervisor, Thresholds(), now)
            if c.case_id == unscreened.id
        ]
        flags = case_flags(line.summary, now, Thresholds())
        # An administrator's dashboard holds no case at all, so no safety flag either.
        admin = make_staff(Role.ADMIN)
        seen_by_admin = dashboard_queries.active_cases(admin, Thresholds(), now)
    assert [f.kind for f in flags if f.kind == SCREEN_OVERRIDE] == [SCREEN_OVERRIDE]
    assert seen_by_admin == []


def test_an_override_reason_over_500_characters_is_refused(app, db, joint, counsellor):
    with pytest.raises(sessions.SessionError):
        _sign(app, db, joint, counsellor, override_reason="x" * 501)
    assert _status(db, joint) == NoteStatus.DRAFT


# --- Rescreens ---------------------------------------------------------------------------------


def test_mark_rescreen_due_blocks_joint_signing_until_the_partner_is_screened_again(
    app, db, joint, unscreened, counsellor
):
    alex, sam = unscreened.partners
    for partner in (alex, sam):
        _record(app, db, unscreened, partner, date(2026, 6, 1))
    with app.app_context():
        due = operations.mark_rescreen_due(
            unscreened, sam, "checkin_fear", datetime(2026, 6, 20, 8, tzinfo=UTC)
        )
        again = operations.mark_rescreen_due(
            unscreened, sam.id, "checkin_fear", datetime(2026, 6, 21, 8, tzinfo=UTC)
        )
        db.commit()
    assert again.id == due.id  # one open rescreen per partner and reason
    assert _actions(db, "rescreen_due")[0].detail == {
        "partner_id": sam.id,
        "reason": "checkin_fear",
    }
    with pytest.raises(ScreenMissing) as refused:
        _sign(app, db, joint, counsellor)
    assert refused.value.problems == [
        "A rescreen is due for Sam (afraid of partner in a check-in)."
    ]
    # A screen dated before the rescreen fell due does not close it; one on or after does.
    _record(app, db, unscreened, sam, date(2026, 6, 19))
    assert db.get(RescreenDue, due.id).closed_by_screen_id is None
    screen = _record(app, db, unscreened, sam, date(2026, 6, 20), decision="joint_with_plan")
    assert db.get(RescreenDue, due.id).closed_by_screen_id == screen.id
    _sign(app, db, joint, counsellor)


def test_mark_rescreen_due_refuses_an_unknown_reason_another_case_or_a_naive_time(
    app, db, unscreened, make_case, counsellor
):
    other = make_case(counsellor)
    at = datetime(2026, 6, 20, tzinfo=UTC)
    with app.app_context():
        with pytest.raises(ScreenError):
            operations.mark_rescreen_due(unscreened, unscreened.partners[0], "she said so", at)
        with pytest.raises(ScreenError):
            operations.mark_rescreen_due(unscreened, other.partners[0], "checkin_fear", at)
        with pytest.raises(ScreenError):
            operations.mark_rescreen_due(
                unscreened, unscreened.partners[0], "checkin_fear", at.replace(tzinfo=None)
            )


@pytest.mark.parametrize(
    ("key", "intensity", "due"), [("contempt", 5, True), ("contempt", 4, False)]
)
def test_contempt_at_the_top_intensity_makes_a_rescreen_due_for_both_partners(
    app, db, joint, unscreened, counsellor, key, intensity, due
):
    moment_type = db.scalar(select(MomentType).where(MomentType.key == key))
    with app.app_context():
        moments.add_moment(
            joint, counsellor, MomentData(moment_type.id, unscreened.partners[0].id, 10, intensity)
        )
        db.commit()
    reasons = db.scalars(select(RescreenDue.reason).where(RescreenDue.case_id == unscreened.id))
    assert list(reasons) == (["contempt_moment", "contempt_moment"] if due else [])


# --- Recording ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "on", "decision"),
    [
        ((0, 1, 1, 1), date(2026, 6, 1), "joint_ok"),
        ((1, 1, 1, 6), date(2026, 6, 1), "joint_ok"),
        ((1, 1, 1, 1), date(2025, 12, 31), "joint_ok"),  # before the case opened
        ((1, 1, 1, 1), date(2099, 1, 1), "joint_ok"),  # still to come
        ((1, 1, 1, 1), date(2026, 6, 1), "maybe"),
    ],
)
def test_a_screen_out_of_range_is_refused_and_nothing_is_stored(
    app, db, unscreened, items, on, decision
):
    with pytest.raises(ScreenError):
        _record(app, db, unscreened, unscreened.partners[0], on, items, decision=decision)
    assert db.scalar(select(SafetyScreen).where(SafetyScreen.case_id == unscreened.id)) is None


# --- Pages: who reads, what they see ---------------------------------------------------------


def test_only_the_counsellor_and_their_supervisor_read_screens(
    app, db, client, auth, unscreened, counsellor, supervisor, make_staff
):
    _record(app, db, unscreened, unscreened.partners[0], date(2026, 6, 1), (2, 3, 3, 3), True)
    admin = make_staff(Role.ADMIN)
    other_supervisor = make_staff(Role.SUPERVISOR)
    stranger = make_staff(Role.COUNSELLOR, supervisor=other_supervisor)
    url = f"/cases/{unscreened.id}/safety"
    # An administrator sees no case; with a break-glass opening they read the case's record,
    # and are still refused its screens.
    expected = {counsellor: 200, supervisor: 200, admin: 404, stranger: 404}
    for member, status in expected.items():
        auth.login(member)
        response = client.get(url)
        assert response.status_code == status, member.role
        if status == 200:
            page = response.get_data(as_text=True)
            assert '11 <span class="screen-positive">positive</span>' in page
        auth.logout()
    open_break_glass(db, admin, unscreened)
    auth.login(admin)
    assert client.get(f"/cases/{unscreened.id}").status_code == 200
    assert client.get(url).status_code == 403
    auth.logout()
    readers = {e.actor_id for e in _actions(db, "safety_screens_viewed")}
    assert readers == {counsellor.id, supervisor.id}
    # The supervisor reads but does not record.
    auth.login(supervisor)
    form_url = f"/cases/{unscreened.id}/safety/partners/{unscreened.partners[0].id}/screen"
    assert client.get(form_url).status_code == 403


def test_the_case_page_shows_each_partners_status_to_readers_only(
    app, db, client, auth, unscreened, counsellor, make_staff
):
    alex, sam = unscreened.partners
    _record(app, db, unscreened, alex, date.today() - timedelta(days=3))
    with app.app_context():
        operations.mark_rescreen_due(unscreened, sam, "threat_moment", datetime.now(UTC))
        db.commit()
    auth.login(counsellor)
    page = " ".join(client.get(f"/cases/{unscreened.id}").get_data(as_text=True).split())
    assert "Safety screens" in page
    assert "A rescreen is due" in page
    assert "Current</span> · screened" in page and "Joint work fine" in page
    assert "Rescreen due</span> · no screen recorded" in page
    assert "threat moment at top intensity" in page
    assert f"/safety/partners/{sam.id}/screen" in page
    assert _actions(db, "safety_status_viewed")
    auth.logout()
    auth.login(make_staff(Role.ADMIN))
    page = client.get(f"/cases/{unscreened.id}").get_data(as_text=True)
    assert "Safety screens" not in page and "Rescreen" not in page


def test_the_screen_form_records_and_a_bad_one_is_shown_again_filled_in(
    app, db, client, auth, unscreened, counsellor
):
    alex = unscreened.partners[0]
    url = f"/cases/{unscreened.id}/safety/partners/{alex.id}/screen"
    auth.login(counsellor)
    assert "Have you felt afraid of your partner?" in client.get(url).get_data(as_text=True)
    bad = {"screened_on": "2026-06-01", "hurt": "1", "insult": "9", "threaten": "2"}
    response = auth.post(url, {**bad, "afraid": "yes", "decision": "refer"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="2026-06-01"' in page
    assert re.search(r'<input checked[^>]*name="afraid"[^>]*value="yes"', page)
    assert re.search(r'<input checked[^>]*name="threaten"[^>]*value="2"', page)
    assert db.scalar(select(SafetyScreen).where(SafetyScreen.case_id == unscreened.id)) is None
    good = {"screened_on": "2026-06-01", "hurt": "1", "insult": "2", "threaten": "1"}
    response = auth.post(url, {**good, "scream": "3", "afraid": "no", "decision": "joint_ok"})
    assert response.status_code == 302
    screen = db.scalar(select(SafetyScreen).where(SafetyScreen.case_id == unscreened.id))
    assert (screen.items, screen.afraid, screen.decision) == ([1, 2, 1, 3], False, "joint_ok")


def test_the_sign_page_says_why_and_signs_with_a_reason(app, db, client, auth, joint, counsellor):
    auth.login(counsellor)
    url = f"/sessions/{joint.id}/sign"
    page = " ".join(client.get(url).get_data(as_text=True).split())
    assert "Safety screen needed before joint work" in page
    assert "Alex has no safety screen in the 90 days up to 30 Jun 2026" in page
    form = {"password": PASSWORD, "version": joint.version, "confirm_missing": "y"}
    response = auth.post(url, form)
    assert response.status_code == 200
    assert "give a reason to sign without a current screen" in response.get_data(as_text=True)
    assert _status(db, joint) == NoteStatus.DRAFT
    response = auth.post(url, {**form, "override_reason": "Seen in crisis."})
    assert response.status_code == 302
    assert _status(db, joint) == NoteStatus.SIGNED


# --- API ---------------------------------------------------------------------------------------


def test_api_lists_and_records_screens_with_the_same_rules_and_readers(
    app, db, client, unscreened, counsellor, supervisor, make_staff
):
    def api(member):
        return ApiClient(client, issue_token(app, db, member))

    alex = unscreened.partners[0]
    path = f"/cases/{unscreened.id}/safety-screens"
    body = {
        "partner_id": alex.id,
        "screened_on": "2026-06-01",
        "items": [2, 3, 3, 3],
        "afraid": True,
        "decision": "joint_with_plan",
    }
    created = api(counsellor).post(path, json=body)
    assert created.status_code == 201
    assert created.get_json()["total"] == 11 and created.get_json()["positive"] is True
    assert api(counsellor).post(path, json={**body, "items": [1, 1, 1, 0]}).status_code == 422
    assert api(counsellor).post(path, json={**body, "screened_on": "2025-01-01"}).status_code == 409
    assert api(supervisor).post(path, json=body).status_code == 403
    listed = api(supervisor).get(path)
    assert listed.status_code == 200
    assert [s["decision"] for s in listed.get_json()["items"]] == ["joint_with_plan"]
    admin = make_staff(Role.ADMIN)
    assert api(admin).get(path).status_code == 404
    open_break_glass(db, admin, unscreened)
    assert api(admin).get(path).status_code == 403
    assert api(make_staff(Role.COUNSELLOR)).get(path).status_code == 404
    assert _actions(db, "api_safety_screens_read")


def test_api_signing_a_joint_note_without_screens_is_409_with_the_reasons(
    app, db, client, joint, counsellor
):
    api = ApiClient(client, issue_token(app, db, counsellor))
    response = api.post(f"/sessions/{joint.id}/sign", json={"password": PASSWORD})
    assert response.status_code == 409
    reasons = response.get_json()["error"]["fields"]["override_reason"]
    assert len(reasons) == 2 and reasons[0].startswith("Alex has no safety screen")
    response = api.post(
        f"/sessions/{joint.id}/sign", json={"password": PASSWORD, "override_reason": "Crisis."}
    )
    assert response.status_code == 200


# --- Reports -----------------------------------------------------------------------------------

SCREEN_WORDS = ("HITS", "safety screen", "afraid", "safety plan", "rescreen", "Screened")


@pytest.mark.parametrize("audience", ["client", "referrer", "clinical"])
def test_no_report_shows_the_screens(app, db, joint, unscreened, counsellor, audience):
    """Decided: no audience shows screens, not even the clinical report (whose readers include
    administrators, who may not read them): the case's safety page is their one place."""
    alex, sam = unscreened.partners
    _record(app, db, unscreened, alex, date(2026, 6, 1), (2, 3, 3, 3), True, "joint_with_plan")
    _record(app, db, unscreened, sam, date(2026, 6, 1))
    _sign(app, db, joint, counsellor)
    with app.app_context():
        context = report_context(
            unscreened, date(2026, 1, 5), date(2026, 7, 31), audience, "", counsellor
        )
        words = report_words(build_report_html(context))
    assert "They named the cycle" in words or audience != "clinical"
    for term in SCREEN_WORDS:
        assert term.lower() not in words.lower(), term
