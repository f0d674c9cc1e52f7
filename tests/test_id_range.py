"""Ids past the database's integer range in URLs and forms: 404 or a form error, never a 500,
and a refused URL is audited like any other (both databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from practice.models import AuditEvent, Role, SupervisionComment
from tests.test_api_support import API, bearer, issue_token

TOO_LARGE = ("2147483648", "9223372036854775808", "99999999999999999999999")


def _last_id(db) -> int:
    return db.scalar(select(func.max(AuditEvent.id))) or 0


def _denials(db, since: int) -> list[AuditEvent]:
    db.expire_all()
    query = select(AuditEvent).where(AuditEvent.id > since, AuditEvent.action == "access_denied")
    return list(db.scalars(query))


@pytest.mark.parametrize("number", [*TOO_LARGE, "0"])
@pytest.mark.parametrize(
    "path",
    [
        "/cases/{n}",
        "/cases/{n}/edit",
        "/sessions/{n}",
        "/comments/{n}",
        "/cases/{n}/sessions/{n}",
    ],
)
def test_a_page_url_with_an_id_out_of_range_is_404_and_audited(
    client, auth, db, case, path, number
):
    auth.login(case.counsellor)
    since = _last_id(db)
    response = client.get(path.format(n=number))
    assert response.status_code == 404
    # Routed URLs are refused and audited once; unrouted ones (no such page) are plain 404s.
    assert len(_denials(db, since)) <= 1


@pytest.mark.parametrize("number", TOO_LARGE)
def test_the_case_page_refusal_is_audited(client, auth, db, case, number):
    auth.login(case.counsellor)
    since = _last_id(db)
    assert client.get(f"/cases/{number}").status_code == 404
    (event,) = _denials(db, since)
    assert event.detail["status"] == 404 and event.detail["endpoint"] == "practice.case_page.show"


@pytest.mark.parametrize("number", TOO_LARGE)
def test_a_post_to_a_url_with_an_id_out_of_range_is_404(client, auth, case, number):
    auth.login(case.counsellor)
    response = auth.post(f"/cases/{number}/comments", {"body": "A question."})
    assert response.status_code == 404
    assert auth.post(f"/sessions/{number}/comments", {"body": "x"}).status_code == 404


@pytest.mark.parametrize("number", TOO_LARGE)
def test_an_api_url_with_an_id_out_of_range_is_a_json_404(app, client, db, case, number):
    secret = issue_token(app, db, case.counsellor)
    response = client.get(f"{API}/cases/{number}", headers=bearer(secret))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("number", TOO_LARGE)
def test_a_comment_parent_id_out_of_range_is_a_form_error(
    client, auth, db, case, make_session, number
):
    session = make_session(case)
    auth.login(case.counsellor)
    response = auth.post(
        f"/sessions/{session.id}/comments", {"body": "A reply.", "parent_id": number}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The comment you answered could not be found." in html and "A reply." in html
    assert db.scalar(select(func.count()).select_from(SupervisionComment)) == 0


def test_a_partner_id_out_of_range_is_a_form_error(client, auth, db, make_staff, make_case):
    counsellor = make_staff(Role.COUNSELLOR)
    case = make_case(counsellor)
    auth.login(counsellor)
    response = auth.post(
        f"/cases/{case.id}/score-sharing",
        {"partner_id": "2147483648", "audience": "partner", "given_on": "2026-01-05"},
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("does not exist") == 1


@pytest.mark.parametrize("number", TOO_LARGE)
def test_a_page_number_out_of_range_is_no_error(client, auth, case, number):
    auth.login(case.counsellor)
    assert client.get(f"/comments?page={number}").status_code == 200
    assert client.get(f"/cases?page={number}").status_code == 200


@pytest.mark.parametrize("number", TOO_LARGE)
def test_hidden_ids_out_of_range_in_other_forms_are_refused_without_a_500(
    client, auth, db, case, make_session, number
):
    from practice.models import Script, ScriptAssignment

    visit = make_session(case)
    partner = case.partners[0]
    script = db.scalars(select(Script).where(Script.active.is_(True))).first()
    auth.login(case.counsellor)
    assigned = auth.post(
        f"/sessions/{visit.id}/scripts",
        {"partner_id": number, "script_id": str(script.id), "assign": "Assign script"},
    )
    assert assigned.status_code == 200
    assert db.scalar(select(func.count()).select_from(ScriptAssignment)) == 0
    auth.post(
        f"/sessions/{visit.id}/scripts",
        {"partner_id": str(partner.id), "script_id": str(script.id), "assign": "Assign script"},
    )
    assignment = db.scalars(select(ScriptAssignment)).one()
    retired = auth.post(f"/assignments/{assignment.id}/retire", {"session_id": number})
    assert retired.status_code == 302
    db.expire_all()
    assert db.get(ScriptAssignment, assignment.id).retired_session_id is None
