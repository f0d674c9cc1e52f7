"""API: sessions, their details and DAP notes under a version, and signing with the password."""

from sqlalchemy import select

from practice.models import MeasureResponse, NoteStatus, ReviewStatus, TherapySession
from tests.conftest import PASSWORD
from tests.test_api_support import audit_actions

pytest_plugins = ["tests.test_api_support"]


def test_sessions_of_a_case_are_listed_oldest_first(practice, api_as):
    listed = api_as(practice.supervisor).get(f"/cases/{practice.case.id}/sessions").get_json()
    assert [s["id"] for s in listed["items"]] == [practice.session.id, practice.later.id]
    assert listed["items"][0]["starts_at"] == "2026-02-03T15:00:00+00:00"
    assert listed["items"][0]["status"] == "draft"


def test_a_session_is_read_with_its_note_and_audited(db, practice, api_as):
    response = api_as(practice.supervisor).get(f"/sessions/{practice.session.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["note_data"] == "They described the cycle."
    assert sorted(body["attendee_ids"]) == sorted(p.id for p in practice.case.partners)
    assert body["addenda"] == []
    assert "api_session_read" in audit_actions(db, actor_id=practice.supervisor.id)


def test_the_counsellor_records_a_session(db, practice, api_as):
    alex = practice.case.partners[0]
    response = api_as(practice.counsellor).post(
        f"/cases/{practice.case.id}/sessions",
        json={
            "starts_at": "2026-02-17T16:00:00+01:00",
            "duration_minutes": 60,
            "modality": "video",
            "attendee_ids": [alex.id],
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["starts_at"] == "2026-02-17T15:00:00+00:00"
    assert body["attendee_ids"] == [alex.id]
    assert response.headers["Location"] == f"/api/v1/sessions/{body['id']}"
    session = db.get(TherapySession, body["id"])
    assert session.duration_minutes == 60
    assert "session_created" in audit_actions(db, case_id=practice.case.id)


def test_all_partners_attend_when_none_are_named(practice, api_as):
    response = api_as(practice.counsellor).post(
        f"/cases/{practice.case.id}/sessions", json={"starts_at": "2026-02-17T15:00:00Z"}
    )
    assert response.status_code == 201
    assert len(response.get_json()["attendee_ids"]) == 2


def test_a_session_refused_by_the_rules_is_409(practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/cases/{practice.case.id}/sessions"
    early = api.post(path, json={"starts_at": "2025-01-01T10:00:00Z"})
    assert early.status_code == 409
    assert "before the case was opened" in early.get_json()["error"]["message"]
    stranger = practice.other_case.partners[0].id
    wrong = api.post(path, json={"starts_at": "2026-02-17T15:00:00Z", "attendee_ids": [stranger]})
    assert wrong.status_code == 409
    naive = api.post(path, json={"starts_at": "2026-02-17T15:00:00"})
    assert naive.status_code == 422
    assert api.get(path).get_json()["total"] == 2


def test_the_note_is_saved_with_its_version(db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/sessions/{practice.session.id}"
    version = api.get(path).get_json()["version"]
    response = api.patch(
        path, json={"version": version, "note_assessment": "Pursuer softened.", "eft_stage": 1}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["note_assessment"] == "Pursuer softened."
    assert body["note_data"] == "They described the cycle."
    assert body["eft_stage"] == 1
    assert body["version"] > version
    actions = audit_actions(db, case_id=practice.case.id)
    assert "session_updated" in actions and "note_saved" in actions


def test_a_stale_note_version_is_a_409_and_saves_nothing(db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/sessions/{practice.session.id}"
    version = api.get(path).get_json()["version"]
    assert api.patch(path, json={"version": version, "note_plan": "Mine."}).status_code == 200
    stale = api.patch(
        path, json={"version": version, "note_plan": "Theirs.", "duration_minutes": 5}
    )
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["error"]["code"] == "version_conflict"
    assert body["current_version"] == version + 1
    now = api.get(path).get_json()
    assert (now["note_plan"], now["duration_minutes"]) == ("Mine.", 50)


def test_an_over_long_note_is_refused(app, practice, api_as):
    limit = app.config["PRACTICE_MAX_NOTE_LENGTH"]
    api = api_as(practice.counsellor)
    path = f"/sessions/{practice.session.id}"
    response = api.patch(path, json={"version": 1, "note_plan": "x" * (limit + 1)})
    assert response.status_code == 409
    assert api.get(path).get_json()["note_plan"] == ""


def test_the_counsellor_signs_with_the_token_owners_password(db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/sessions/{practice.session.id}"
    wrong = api.post(f"{path}/sign", json={"password": "not my password"})
    assert wrong.status_code == 403
    assert wrong.get_json()["error"]["code"] == "password_incorrect"
    assert "note_sign_failed" in audit_actions(db, case_id=practice.case.id)
    signed = api.post(f"{path}/sign", json={"password": PASSWORD})
    assert signed.status_code == 200
    body = signed.get_json()
    assert body["status"] == NoteStatus.SIGNED
    assert body["signed_by_id"] == practice.counsellor.id
    assert body["review_status"] == ReviewStatus.PENDING
    assert len(body["note_sha256"]) == 64
    assert "note_signed" in audit_actions(db, case_id=practice.case.id)
    # Signed notes are fixed.
    again = api.patch(path, json={"version": body["version"], "note_data": "Changed."})
    assert again.status_code == 409
    assert api.post(f"{path}/sign", json={"password": PASSWORD}).status_code == 409


def test_signing_a_note_changed_since_it_was_read_is_refused(practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/sessions/{practice.session.id}"
    version = api.get(path).get_json()["version"]
    api.patch(path, json={"version": version, "note_plan": "More."})
    response = api.post(f"{path}/sign", json={"password": PASSWORD, "version": version})
    assert response.status_code == 409
    assert response.get_json()["current_version"] == version + 1


def test_an_empty_note_is_not_signed(practice, api_as):
    response = api_as(practice.counsellor).post(
        f"/sessions/{practice.later.id}/sign", json={"password": PASSWORD}
    )
    assert response.status_code == 409
    assert "empty" in response.get_json()["error"]["message"]


def test_a_browser_session_signs_with_the_signed_in_password(client, auth, practice):
    auth.login(practice.counsellor)
    headers = {"X-CSRFToken": auth.csrf_token("/")}
    response = client.post(
        f"/api/v1/sessions/{practice.session.id}/sign",
        json={"password": PASSWORD},
        headers=headers,
    )
    assert response.status_code == 200


def test_the_supervisor_cannot_change_or_sign(practice, api_as):
    api = api_as(practice.supervisor)
    path = f"/sessions/{practice.session.id}"
    assert api.patch(path, json={"version": 1, "note_data": "x"}).status_code == 403
    assert api.post(f"{path}/sign", json={"password": PASSWORD}).status_code == 403
    body = {"starts_at": "2026-02-17T15:00:00Z"}
    assert api.post(f"/cases/{practice.case.id}/sessions", json=body).status_code == 403


def test_another_counsellor_gets_404(practice, api_as):
    api = api_as(practice.other)
    path = f"/sessions/{practice.session.id}"
    assert api.get(path).status_code == 404
    assert api.patch(path, json={"version": 1}).status_code == 404
    assert api.post(f"{path}/sign", json={"password": PASSWORD}).status_code == 404


def test_wrong_passwords_through_a_token_lock_the_account(app, db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/sessions/{practice.session.id}/sign"
    for _ in range(app.config["PRACTICE_LOGIN_MAX_FAILURES"]):
        assert api.post(path, json={"password": "a wrong guess"}).status_code == 403
    # Locked now, as after as many failed logins: even the right password is refused.
    assert api.post(path, json={"password": PASSWORD}).status_code == 403
    assert "login_failed" in audit_actions(db)


def test_the_api_lists_what_a_draft_lacks_as_the_sign_page_does(db, client, auth, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/sessions/{practice.session.id}/before-signing"
    response = api.get(path)
    assert response.status_code == 200
    body = response.get_json()
    # The seed recorded the pursuer's CSI-4 and their script's level and the Data part: left
    # are the other partner's CSI-4, then the two empty parts of the note, in the tabs' order.
    measured = db.scalar(select(MeasureResponse.partner_id))
    unmeasured = next(p for p in practice.case.partners if p.id != measured)
    assert [item["kind"] for item in body["missing"]] == ["csi4", "note", "note"]
    assert unmeasured.display_name in body["missing"][0]["text"]
    assert [item["text"] for item in body["missing"] if item["kind"] == "note"] == [
        "The Assessment part of the note is empty.",
        "The Plan part of the note is empty.",
    ]
    assert isinstance(body["screen_problems"], list)
    assert "api_session_sign_check_read" in audit_actions(db, case_id=practice.case.id)
    # The sign page lists the same.
    auth.login(practice.counsellor)
    page = client.get(f"/sessions/{practice.session.id}/sign").get_data(as_text=True)
    assert all(item["text"].split("“")[0] in page for item in body["missing"])
    # Only the counsellor, only a draft.
    assert api_as(practice.supervisor).get(path).status_code == 403
    assert api_as(practice.other).get(path).status_code == 404
    api.post(f"/sessions/{practice.session.id}/sign", json={"password": PASSWORD})
    assert api.get(path).status_code == 409
