"""The API's shell: authentication, the error shape, unknown URLs and methods, pagination, CSRF."""

import pytest

from practice.models import Account
from tests.conftest import _PASSWORD_HASH as HASH
from tests.conftest import PASSWORD
from tests.test_api_support import API, bearer

pytest_plugins = ["tests.test_api_support"]


def _error(response) -> dict:
    body = response.get_json()
    assert set(body) <= {"error", "current_version"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer("cct_not-a-real-token"),
        bearer("not even our prefix"),
        {"Authorization": "Basic x"},
    ],
)
def test_requests_without_a_valid_token_get_401_json(client, headers):
    response = client.get(f"{API}/cases", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _error(response)["code"] == "unauthorized"


def test_an_anonymous_write_gets_401_not_a_login_redirect(client):
    response = client.post(f"{API}/cases", json={})
    assert response.status_code == 401
    assert "Location" not in response.headers


def test_a_revoked_token_gets_401(app, db, practice, api_as):
    from practice.models import ApiToken

    api = api_as(practice.counsellor)
    assert api.get("/cases").status_code == 200
    for token in db.query(ApiToken).filter_by(staff_id=practice.counsellor.id):
        token.revoked_at = token.created_at
    db.commit()
    assert api.get("/cases").status_code == 401


def test_the_token_records_when_it_was_last_used(db, practice, api_as):
    from practice.models import ApiToken

    api_as(practice.counsellor).get("/cases")
    token = db.query(ApiToken).filter_by(staff_id=practice.counsellor.id).one()
    db.refresh(token)
    assert token.last_used_at is not None


def test_unknown_urls_and_methods_answer_json(practice, api_as):
    api = api_as(practice.counsellor)
    missing = api.get("/no-such-thing")
    assert missing.status_code == 404 and _error(missing)["code"] == "not_found"
    assert api.get("/cases/0").status_code == 404
    assert api.get("/cases/99999999999999999999").status_code == 404
    assert api.get("/cases/abc").status_code == 404
    wrong = api.delete("/cases")
    assert wrong.status_code == 405
    assert _error(wrong)["code"] == "method_not_allowed"
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert (
        api.client.open(f"{API}/cases", method="TRACE", headers=bearer(api.token)).status_code
        == 405
    )


def test_options_lists_the_methods_of_the_url(practice, api_as):
    api = api_as(practice.counsellor)
    response = api.client.options(f"{API}/moments/{practice.moment.id}", headers=bearer(api.token))
    assert response.status_code == 204
    assert set(response.headers["Allow"].split(", ")) == {
        "GET",
        "HEAD",
        "PATCH",
        "DELETE",
        "OPTIONS",
    }


def test_malformed_json_is_400_and_a_non_json_body_415(practice, api_as):
    api = api_as(practice.counsellor)
    headers = {"Content-Type": "application/json"}
    broken = api.post("/cases", data="{not json", headers=headers)
    assert broken.status_code == 400 and _error(broken)["code"] == "bad_json"
    assert api.post("/cases", data="NaN", headers=headers).status_code == 400
    form = api.post("/cases", data={"kind": "couple"})
    assert form.status_code == 415


def test_a_body_that_breaks_the_schema_is_422_with_fields(practice, api_as):
    api = api_as(practice.counsellor)
    response = api.post(
        "/cases",
        json={"kind": "trio", "partners": [{"display_name": ""}], "colour": "red"},
    )
    assert response.status_code == 422
    fields = _error(response)["fields"]
    assert fields["kind"] == ["Send one of: couple, individual, family."]
    assert fields["opened_on"] == ["This field is required."]
    assert fields["partners.0.display_name"] == ["Send 1 to 60 characters."]
    assert fields["colour"] == ["This field is not part of the request."]
    assert api.post("/cases", json=[1, 2]).status_code == 422


def test_lists_are_paginated(practice, api_as, make_case):
    for _ in range(4):
        make_case(practice.counsellor)
    api = api_as(practice.counsellor)
    first = api.get("/cases?per_page=2").get_json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 2, 5)
    assert len(first["items"]) == 2
    last = api.get("/cases?per_page=2&page=3").get_json()
    assert len(last["items"]) == 1
    beyond = api.get("/cases?per_page=2&page=9").get_json()
    assert beyond["items"] == [] and beyond["total"] == 5
    seen = [
        c["id"] for p in (1, 2, 3) for c in api.get(f"/cases?per_page=2&page={p}").json["items"]
    ]
    assert len(set(seen)) == 5
    assert api.get("/cases").get_json()["per_page"] == 50


@pytest.mark.parametrize("query", ["per_page=201", "per_page=0", "page=0", "page=x", "status=gone"])
def test_bad_pagination_arguments_are_422(practice, api_as, query):
    response = api_as(practice.counsellor).get(f"/cases?{query}")
    assert response.status_code == 422
    assert _error(response)["fields"]


def test_a_browser_session_works_but_its_writes_need_the_csrf_header(client, auth, practice):
    auth.login(practice.counsellor)
    assert client.get(f"{API}/cases").status_code == 200
    body = {"display_name": "Kim"}
    refused = client.post(f"{API}/cases/{practice.case.id}/partners", json=body)
    assert refused.status_code == 400 and _error(refused)["code"] == "bad_request"
    headers = {"X-CSRFToken": auth.csrf_token("/")}
    # A couple already has its two partners: the rule answers, so the CSRF gate was passed.
    allowed = client.post(f"{API}/cases/{practice.case.id}/partners", json=body, headers=headers)
    assert allowed.status_code == 409


def test_a_signed_in_user_without_a_staff_record_gets_403(client, auth, db):
    db.add(Account(email="nobody@test.example", display_name="Nobody", password_hash=HASH))
    db.commit()
    auth.login("nobody@test.example", PASSWORD)
    response = client.get(f"{API}/cases")
    assert response.status_code == 403
    assert _error(response)["code"] == "forbidden"


def test_roles_are_enforced_like_the_pages(practice, api_as):
    assert api_as(practice.admin).post("/cases", json={}).status_code == 403
    assert api_as(practice.counsellor).get("/caseload").status_code == 403
    assert api_as(practice.counsellor).post("/scripts", json={}).status_code == 403
    # A counsellor cannot reach an admin route even with a valid body.
    body = {"label": "New", "valence": "neutral", "colour": "#123456"}
    assert api_as(practice.counsellor).post("/moment-types", json=body).status_code == 403


def test_responses_are_json_and_not_cached(practice, api_as):
    response = api_as(practice.counsellor).get(f"/cases/{practice.case.id}")
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
