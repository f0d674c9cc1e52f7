"""API: moments of a session (tag, change, void) and the moment-type vocabulary."""

from sqlalchemy import select

from practice.models import Moment, MomentType, NoteStatus, TherapySession
from tests.test_api_support import audit_actions

pytest_plugins = ["tests.test_api_support"]


def _type_id(db, key: str) -> int:
    return db.scalar(select(MomentType.id).where(MomentType.key == key))


def test_moments_are_listed_in_minute_order(db, practice, api_as):
    listed = api_as(practice.supervisor).get(f"/sessions/{practice.session.id}/moments").get_json()
    assert [m["minute"] for m in listed["items"]] == [12, 30]
    assert listed["items"][0]["context"] == "Raised voice about the dishes."
    assert listed["items"][1]["partner_id"] is None
    assert "api_moments_read" in audit_actions(db, actor_id=practice.supervisor.id)


def test_the_counsellor_tags_a_moment(db, practice, api_as):
    withdrawer = practice.case.partners[1]
    response = api_as(practice.counsellor).post(
        f"/sessions/{practice.session.id}/moments",
        json={
            "moment_type_id": _type_id(db, "withdraw"),
            "partner_id": withdrawer.id,
            "minute": 20,
            "intensity": 2,
            "context": "Looked away.",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/moments/{body['id']}"
    assert (body["minute"], body["intensity"], body["partner_id"]) == (20, 2, withdrawer.id)
    assert "moment_added" in audit_actions(db, case_id=practice.case.id)


def test_a_moment_refused_by_the_rules_names_its_fields(db, practice, api_as):
    response = api_as(practice.counsellor).post(
        f"/sessions/{practice.session.id}/moments",
        json={
            "moment_type_id": _type_id(db, "withdraw"),
            "partner_id": practice.other_case.partners[0].id,
            "minute": 51,
        },
    )
    assert response.status_code == 409
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"partner_id", "minute"}
    assert fields["minute"][0].startswith("The minute must be a whole number from 0 to 50")


def test_an_intensity_of_nine_is_422(db, practice, api_as):
    response = api_as(practice.counsellor).post(
        f"/sessions/{practice.session.id}/moments",
        json={"moment_type_id": _type_id(db, "withdraw"), "minute": 3, "intensity": 9},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"intensity": ["Send a number from 1 to 5."]}


def test_a_moment_is_read_changed_and_voided(db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/moments/{practice.moment.id}"
    assert api.get(path).get_json()["intensity"] == 4
    changed = api.patch(path, json={"intensity": 5, "context": "Shouted."})
    assert changed.status_code == 200
    assert changed.get_json()["minute"] == 12
    assert changed.get_json()["context"] == "Shouted."
    removed = api.delete(path)
    assert removed.status_code == 204 and removed.data == b""
    assert api.get(path).status_code == 404
    assert api.delete(path).status_code == 404
    moment = db.get(Moment, practice.moment.id)
    assert moment.voided_at is not None  # kept, only voided
    listed = api.get(f"/sessions/{practice.session.id}/moments").get_json()
    assert practice.moment.id not in [m["id"] for m in listed["items"]]
    actions = audit_actions(db, case_id=practice.case.id)
    assert {"api_moment_read", "moment_updated", "moment_removed"} <= set(actions)


def test_moments_of_a_signed_note_are_locked(db, practice, api_as):
    db.get(TherapySession, practice.session.id).status = NoteStatus.SIGNED
    db.commit()
    api = api_as(practice.counsellor)
    response = api.patch(f"/moments/{practice.moment.id}", json={"minute": 1})
    assert response.status_code == 409
    assert "signed" in response.get_json()["error"]["message"]
    assert api.delete(f"/moments/{practice.moment.id}").status_code == 409


def test_the_supervisor_reads_moments_but_cannot_change_them(practice, api_as):
    api = api_as(practice.supervisor)
    assert api.get(f"/moments/{practice.moment.id}").status_code == 200
    assert api.patch(f"/moments/{practice.moment.id}", json={"minute": 1}).status_code == 403
    assert api.delete(f"/moments/{practice.moment.id}").status_code == 403
    body = {"moment_type_id": 1, "minute": 1}
    assert api.post(f"/sessions/{practice.session.id}/moments", json=body).status_code == 403


def test_another_counsellor_gets_404_for_moments(practice, api_as):
    api = api_as(practice.other)
    assert api.get(f"/moments/{practice.moment.id}").status_code == 404
    assert api.get(f"/sessions/{practice.session.id}/moments").status_code == 404
    assert api.delete(f"/moments/{practice.moment.id}").status_code == 404


def test_everyone_reads_the_vocabulary(db, practice, api_as):
    api = api_as(practice.counsellor)
    listed = api.get("/moment-types?per_page=200").get_json()
    assert listed["total"] == len(listed["items"]) >= 20
    keys = {t["key"] for t in listed["items"]}
    assert {"pursue", "withdraw", "softening"} <= keys
    one = api.get(f"/moment-types/{_type_id(db, 'softening')}").get_json()
    assert one["valence"] == "de-escalating"


def test_an_admin_adds_changes_and_retires_a_moment_type(db, practice, api_as):
    api = api_as(practice.admin)
    created = api.post(
        "/moment-types",
        json={"label": "Turning toward", "valence": "de-escalating", "colour": "#2A7A50"},
    )
    assert created.status_code == 201
    body = created.get_json()
    assert (body["key"], body["colour"], body["active"]) == ("turning_toward", "#2a7a50", True)
    path = f"/moment-types/{body['id']}"
    assert created.headers["Location"] == f"/api/v1{path}"
    changed = api.patch(path, json={"description": "Responds to a bid.", "active": False})
    assert changed.status_code == 200
    assert changed.get_json()["description"] == "Responds to a bid."
    assert changed.get_json()["active"] is False
    duplicate = api.post(
        "/moment-types", json={"label": "turning toward", "valence": "neutral", "colour": "#000000"}
    )
    assert duplicate.status_code == 409
    assert "label" in duplicate.get_json()["error"]["fields"]
    taken = api.patch(path, json={"shortcut": "z"})
    assert taken.status_code == 409
    assert {"moment_type_created", "moment_type_retired"} <= set(audit_actions(db))


def test_only_admins_change_the_vocabulary(db, practice, api_as):
    body = {"label": "X", "valence": "neutral", "colour": "#000000"}
    assert api_as(practice.counsellor).post("/moment-types", json=body).status_code == 403
    type_id = _type_id(db, "pursue")
    assert api_as(practice.supervisor).patch(f"/moment-types/{type_id}", json={}).status_code == 403
