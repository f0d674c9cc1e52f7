"""API: cases and partners, with the pages' authorization and audit."""

from datetime import timedelta

from practice.core.database import utcnow
from practice.models import Case, CaseStatus, Role
from tests.test_api_support import audit_actions

pytest_plugins = ["tests.test_api_support"]

NEW_CASE = {
    "kind": "couple",
    "opened_on": "2026-03-02",
    "presenting_concerns": "Arguments about money.",
    "goals": "Fewer escalations.",
    "partners": [
        {"display_name": "Ana", "cycle_role": "pursuer", "pronouns": "she/her"},
        {"display_name": "Ben", "cycle_role": "withdrawer"},
    ],
}


def test_the_list_holds_the_cases_in_scope_only(practice, api_as):
    mine = api_as(practice.counsellor).get("/cases").get_json()
    assert [c["reference"] for c in mine["items"]] == [practice.case.reference]
    assert set(mine["items"][0]) == {
        "id",
        "reference",
        "kind",
        "status",
        "opened_on",
        "closed_on",
        "eft_stage",
        "counsellor_id",
    }
    supervised = api_as(practice.supervisor).get("/cases").get_json()
    assert [c["id"] for c in supervised["items"]] == [practice.case.id]
    # Administrators read no clinical record: no case is in their scope.
    assert api_as(practice.admin).get("/cases").get_json()["total"] == 0


def test_the_list_filters_by_status(practice, api_as, make_case):
    make_case(practice.counsellor, status=CaseStatus.CLOSED)
    api = api_as(practice.counsellor)
    assert api.get("/cases").get_json()["total"] == 2
    closed = api.get("/cases?status=closed").get_json()
    assert [c["status"] for c in closed["items"]] == ["closed"]


def test_listing_and_reading_are_audited(db, practice, api_as):
    api = api_as(practice.supervisor)
    api.get("/cases")
    api.get(f"/cases/{practice.case.id}")
    assert "api_cases_listed" in audit_actions(db, actor_id=practice.supervisor.id)
    assert audit_actions(db, actor_id=practice.supervisor.id, case_id=practice.case.id) == [
        "api_case_read"
    ]


def test_a_counsellor_opens_a_case(db, practice, api_as):
    response = api_as(practice.counsellor).post("/cases", json=NEW_CASE)
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/cases/{body['id']}"
    assert body["reference"].startswith("C-")
    assert [p["display_name"] for p in body["partners"]] == ["Ana", "Ben"]
    assert body["partners"][0]["pronouns"] == "she/her"
    assert body["counsellor_id"] == practice.counsellor.id
    assert body["created_at"].endswith("+00:00")
    case = db.get(Case, body["id"])
    assert case.goals == "Fewer escalations."
    assert audit_actions(db, case_id=case.id) == ["case_created"]


def test_opening_a_case_refused_by_a_rule_is_409(practice, api_as):
    api = api_as(practice.counsellor)
    future = (utcnow() + timedelta(days=30)).date().isoformat()
    response = api.post("/cases", json={**NEW_CASE, "opened_on": future})
    assert response.status_code == 409
    assert response.get_json()["error"]["message"] == "The opening date cannot be in the future."
    trio = {**NEW_CASE, "partners": [*NEW_CASE["partners"], {"display_name": "Cy"}]}
    response = api.post("/cases", json=trio)
    assert response.status_code == 409
    assert "exactly two partners" in response.get_json()["error"]["message"]
    assert api.get("/cases").get_json()["total"] == 1


def test_opening_a_case_with_a_bad_body_is_422(practice, api_as):
    api = api_as(practice.counsellor)
    response = api.post("/cases", json={**NEW_CASE, "opened_on": "1850-01-01", "eft_stage": 4})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"opened_on", "eft_stage"}


def test_an_admin_opens_no_case(practice, api_as):
    assert api_as(practice.admin).post("/cases", json=NEW_CASE).status_code == 403


def test_another_counsellors_case_is_not_found(practice, api_as):
    api = api_as(practice.other)
    for path in ("", "/partners", "/sessions", "/assignments", "/reports"):
        response = api.get(f"/cases/{practice.case.id}{path}")
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
    assert api.patch(f"/cases/{practice.case.id}", json={"version": 1}).status_code == 404


def test_the_counsellor_edits_the_case(db, practice, api_as):
    case = practice.case
    _alex, sam = case.partners
    response = api_as(practice.counsellor).patch(
        f"/cases/{case.id}",
        json={
            "version": case.version,
            "goals": "Repair after fights.",
            "eft_stage": 2,
            "stage_reason": "De-escalated before the tracker was used.",
            "partners": [{"id": sam.id, "pronouns": "they/them"}],
        },
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["goals"] == "Repair after fights."
    assert body["eft_stage"] == 2
    assert body["presenting_concerns"] == "Repeated fights about chores."
    assert body["partners"][1]["pronouns"] == "they/them"
    assert body["partners"][1]["display_name"] == "Sam"
    assert body["version"] > case.version
    assert "case_updated" in audit_actions(db, case_id=case.id)


def test_a_stale_version_is_a_409_with_the_current_one(practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/cases/{practice.case.id}"
    version = api.get(path).get_json()["version"]
    assert api.patch(path, json={"version": version, "goals": "First."}).status_code == 200
    stale = api.patch(path, json={"version": version, "goals": "Second."})
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["error"]["code"] == "version_conflict"
    assert body["current_version"] == version + 1
    assert api.get(path).get_json()["goals"] == "First."


def test_closing_and_reopening_need_a_reason(practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/cases/{practice.case.id}"
    version = api.get(path).get_json()["version"]
    refused = api.patch(path, json={"version": version, "status": "closed"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["message"] == "Give a reason for the change."
    closed = api.patch(
        path, json={"version": version, "status": "closed", "status_reason": "Done."}
    )
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "closed"
    assert closed.get_json()["closed_on"] is not None


def test_a_partner_of_another_case_cannot_be_edited_through_this_one(practice, api_as):
    other_partner = practice.other_case.partners[0]
    response = api_as(practice.counsellor).patch(
        f"/cases/{practice.case.id}",
        json={"version": 1, "partners": [{"id": other_partner.id, "display_name": "X"}]},
    )
    assert response.status_code == 409
    assert other_partner.display_name != "X"


def test_the_supervisor_reads_but_cannot_change(practice, api_as):
    api = api_as(practice.supervisor)
    assert api.get(f"/cases/{practice.case.id}").status_code == 200
    response = api.patch(f"/cases/{practice.case.id}", json={"version": 1, "goals": "Mine."})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert (
        api.post(f"/cases/{practice.case.id}/partners", json={"display_name": "Z"}).status_code
        == 403
    )


def test_partners_are_listed_and_added(db, make_case, practice, api_as):
    family = make_case(practice.counsellor, kind="family", partners=("Ann", "Bo"))
    api = api_as(practice.counsellor)
    listed = api.get(f"/cases/{family.id}/partners").get_json()
    assert [p["display_name"] for p in listed["items"]] == ["Ann", "Bo"]
    added = api.post(
        f"/cases/{family.id}/partners", json={"display_name": "Cy", "cycle_role": "mixed"}
    )
    assert added.status_code == 201
    assert added.get_json()["position"] == 2
    assert api.get(f"/cases/{family.id}/partners").get_json()["total"] == 3
    full = api.post(f"/cases/{practice.case.id}/partners", json={"display_name": "Dee"})
    assert full.status_code == 409
    assert "partners_read" in " ".join(audit_actions(db, case_id=family.id))


def test_only_counsellors_and_supervisors_open_cases_for_themselves(practice, api_as):
    response = api_as(practice.supervisor).post("/cases", json=NEW_CASE)
    assert response.status_code == 201
    assert response.get_json()["counsellor_id"] == practice.supervisor.id
    assert practice.admin.role == Role.ADMIN
