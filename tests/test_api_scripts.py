"""API: the script library, assignments, adoption levels, and CSI-4 answers."""

from sqlalchemy import select

from practice.models import AssignmentStatus, NoteStatus, Script, ScriptObservation, TherapySession
from tests.test_api_support import audit_actions

pytest_plugins = ["tests.test_api_support"]


def _script_ids(db) -> list[int]:
    return list(db.scalars(select(Script.id).where(Script.active.is_(True)).order_by(Script.id)))


def test_the_library_is_read_by_everyone_and_grown_by_admins(db, practice, api_as):
    listed = api_as(practice.counsellor).get("/scripts").get_json()
    assert listed["total"] >= 2
    assert any("open to talk soon" in s["text"] for s in listed["items"])
    body = {"text": "Can we pause and come back at eight?", "category": "Time-out"}
    assert api_as(practice.counsellor).post("/scripts", json=body).status_code == 403
    created = api_as(practice.admin).post("/scripts", json=body)
    assert created.status_code == 201
    assert created.get_json()["intended_role"] == "either"
    again = api_as(practice.admin).post("/scripts", json=body)
    assert again.status_code == 409
    script_id = created.get_json()["id"]
    assert api_as(practice.counsellor).get(f"/scripts/{script_id}").status_code == 200


def test_assignments_are_listed_with_their_adoption(db, practice, api_as):
    listed = api_as(practice.supervisor).get(f"/cases/{practice.case.id}/assignments").get_json()
    assert [a["id"] for a in listed["items"]] == [practice.assignment.id]
    item = listed["items"][0]
    assert item["status"] == "active" and item["adopted_session_id"] is None
    assert item["script_text"] == practice.assignment.script.text
    one = api_as(practice.supervisor).get(f"/assignments/{practice.assignment.id}")
    assert one.get_json() == item
    assert "api_assignments_read" in audit_actions(db, actor_id=practice.supervisor.id)


def test_the_counsellor_assigns_a_script_at_a_session(db, practice, api_as):
    pursuer = practice.case.partners[0]
    script_id = _script_ids(db)[1]
    response = api_as(practice.counsellor).post(
        f"/cases/{practice.case.id}/assignments",
        json={"session_id": practice.later.id, "partner_id": pursuer.id, "script_id": script_id},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert (body["partner_id"], body["script_id"]) == (pursuer.id, script_id)
    assert body["assigned_session_id"] == practice.later.id
    assert response.headers["Location"] == f"/api/v1/assignments/{body['id']}"
    assert "script_assigned" in audit_actions(db, case_id=practice.case.id)


def test_an_assignment_refused_by_the_rules_is_409(db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/cases/{practice.case.id}/assignments"
    stranger = practice.other_case.partners[0].id
    body = {
        "session_id": practice.later.id,
        "partner_id": stranger,
        "script_id": _script_ids(db)[0],
    }
    assert api.post(path, json=body).status_code == 409
    duplicate = {
        "session_id": practice.later.id,
        "partner_id": practice.assignment.partner_id,
        "script_id": practice.assignment.script_id,
    }
    assert api.post(path, json=duplicate).status_code == 409
    other_session = practice.other_session.id
    foreign = {**duplicate, "session_id": other_session, "script_id": _script_ids(db)[1]}
    assert api.post(path, json=foreign).status_code == 404


def test_adoption_levels_are_recorded_and_read(db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/sessions/{practice.later.id}/observations"
    assert api.get(path).get_json()["items"] == []
    saved = api.put(path, json={"levels": [{"assignment_id": practice.assignment.id, "level": 2}]})
    assert saved.status_code == 200
    items = saved.get_json()["items"]
    assert [(i["assignment_id"], i["level"]) for i in items] == [(practice.assignment.id, 2)]
    assert items[0]["level_label"] == "Used spontaneously in session"
    # Replaced, not duplicated.
    api.put(path, json={"levels": [{"assignment_id": practice.assignment.id, "level": 3}]})
    rows = db.scalars(
        select(ScriptObservation).where(ScriptObservation.session_id == practice.later.id)
    )
    assert [r.level for r in rows] == [3]
    first = api.get(f"/sessions/{practice.session.id}/observations").get_json()["items"]
    assert [(i["level"], i["note"]) for i in first] == [(1, "Tried.")]
    assert "adoption_recorded" in audit_actions(db, case_id=practice.case.id)


def test_adoption_levels_refused(db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/sessions/{practice.later.id}/observations"
    out_of_range = api.put(path, json={"levels": [{"assignment_id": 1, "level": 4}]})
    assert out_of_range.status_code == 422
    assert api.put(path, json={"levels": []}).status_code == 422
    unknown = api.put(path, json={"levels": [{"assignment_id": 999999, "level": 1}]})
    assert unknown.status_code == 409
    assert api_as(practice.supervisor).put(path, json={"levels": []}).status_code == 403


def test_an_assignment_is_retired_from_a_session_on(db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/assignments/{practice.assignment.id}/retire"
    response = api.post(path, json={"session_id": practice.later.id})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == AssignmentStatus.RETIRED
    assert body["retired_session_id"] == practice.later.id
    assert api.post(path, json={"session_id": practice.later.id}).status_code == 409
    assert api_as(practice.supervisor).post(path, json={"session_id": 1}).status_code == 403
    assert api_as(practice.other).post(path, json={"session_id": 1}).status_code == 404
    assert api_as(practice.other).get(f"/assignments/{practice.assignment.id}").status_code == 404


def test_csi4_answers_are_recorded_and_read(db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/sessions/{practice.session.id}/measures"
    before = api.get(path).get_json()
    assert [(m["partner_id"], m["total"], m["below_cutoff"]) for m in before["items"]] == [
        (practice.case.partners[0].id, 12, True)
    ]
    pursuer, withdrawer = practice.case.partners
    saved = api.put(
        path,
        json={
            "responses": [
                {"partner_id": pursuer.id, "items": [5, 4, 4, 4]},
                {"partner_id": withdrawer.id, "items": [2, 2, 2, 2]},
            ]
        },
    )
    assert saved.status_code == 200
    totals = {m["partner_id"]: (m["items"], m["total"]) for m in saved.get_json()["items"]}
    assert totals == {pursuer.id: ([5, 4, 4, 4], 17), withdrawer.id: ([2, 2, 2, 2], 8)}
    assert "measure_recorded" in audit_actions(db, case_id=practice.case.id)


def test_csi4_answers_refused(db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/sessions/{practice.session.id}/measures"
    pursuer = practice.case.partners[0].id
    three = api.put(path, json={"responses": [{"partner_id": pursuer, "items": [1, 2, 3]}]})
    assert three.status_code == 422
    # Item 2 goes up to 5 only: a rule of the measure, answered 409 with the reason.
    six = api.put(path, json={"responses": [{"partner_id": pursuer, "items": [6, 6, 0, 0]}]})
    assert six.status_code == 409
    assert "CSI-4 item 2" in six.get_json()["error"]["message"]
    stranger = practice.other_case.partners[0].id
    assert (
        api.put(path, json={"responses": [{"partner_id": stranger, "items": [1, 1, 1, 1]}]})
    ).status_code == 409
    db.get(TherapySession, practice.session.id).status = NoteStatus.SIGNED
    db.commit()
    signed = api.put(path, json={"responses": [{"partner_id": pursuer, "items": [1, 1, 1, 1]}]})
    assert signed.status_code == 409
    assert api.get(path).get_json()["items"][0]["items"] == [3, 3, 3, 3]


def test_measures_and_observations_are_out_of_scope_for_others(practice, api_as):
    api = api_as(practice.other)
    for tab in ("measures", "observations"):
        assert api.get(f"/sessions/{practice.session.id}/{tab}").status_code == 404
    body = {"responses": [{"partner_id": 1, "items": [1, 1, 1, 1]}]}
    assert (
        api_as(practice.supervisor)
        .put(f"/sessions/{practice.session.id}/measures", json=body)
        .status_code
        == 403
    )
