"""Refused access leaves an ``access_denied`` audit event (OWASP ASVS 7.2.2): a 404 for an
object out of scope, a 403 for a role that may not, a 401 for a bad API token. Anonymous
requests, URLs no route answers and public endpoints leave nothing.
"""

from __future__ import annotations

import logging

import pytest
from flask import abort
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import OperationalError, ProgrammingError

from practice import audit
from practice.accounts.tokens import revoke_token
from practice.cases import page_views as case_page
from practice.models import ApiToken, AuditEvent, Role, StaffMember
from tests.conftest import PASSWORD
from tests.test_api_support import API, bearer, issue_token

QUERY_MARKER = "Qz-query-5521"


@pytest.fixture
def other(make_staff):
    """A counsellor to whom ``case`` does not belong."""
    return make_staff(Role.COUNSELLOR)


def _last_id(db) -> int:
    return db.scalar(select(func.max(AuditEvent.id))) or 0


def _denials(db, since: int) -> list[AuditEvent]:
    db.expire_all()
    query = select(AuditEvent).where(AuditEvent.id > since, AuditEvent.action == "access_denied")
    return list(db.scalars(query.order_by(AuditEvent.id)))


def _only_denial(db, since: int) -> AuditEvent:
    found = _denials(db, since)
    assert len(found) == 1, [event.detail for event in found]
    return found[0]


def test_another_counsellors_case_is_hidden_and_the_attempt_recorded(client, auth, db, case, other):
    auth.login(other)
    since = _last_id(db)
    response = client.get(f"/cases/{case.id}?q={QUERY_MARKER}")
    assert response.status_code == 404
    event = _only_denial(db, since)
    assert (event.actor_id, event.actor_label, event.outcome) == (other.id, other.email, "denied")
    assert event.detail == {
        "endpoint": "practice.case_page.show",
        "method": "GET",
        "status": 404,
        "view_args": {"case_id": case.id},
    }
    assert (event.object_type, event.object_id, event.case_id) == ("Case", str(case.id), case.id)
    assert QUERY_MARKER not in str(event.detail)  # never the query string
    assert event.row_hash  # linked into the chain like any other event


def test_a_case_that_does_not_exist_is_recorded_without_a_case(client, auth, db, other):
    auth.login(other)
    since = _last_id(db)
    assert client.get("/cases/987654").status_code == 404
    event = _only_denial(db, since)
    assert event.case_id is None
    assert event.detail["view_args"] == {"case_id": 987654}


def test_a_counsellor_on_an_admin_page_is_forbidden_and_recorded(client, auth, db, counsellor):
    auth.login(counsellor)
    since = _last_id(db)
    assert client.get("/admin/audit").status_code == 403
    event = _only_denial(db, since)
    assert event.actor_id == counsellor.id
    assert event.detail == {
        "endpoint": "practice.audit_log.index",
        "method": "GET",
        "status": 403,
        "view_args": {},
    }


def test_a_read_only_supervisor_changing_a_note_is_recorded(
    client, auth, db, supervisor, case, make_session
):
    """A 403 from the scoping (in scope, but not the note's counsellor), on a form post."""
    session = make_session(case, note_data="Words typed by the counsellor.")
    auth.login(supervisor)
    since = _last_id(db)
    response = auth.post(f"/sessions/{session.id}/note", {"note_data": "Secret words."})
    assert response.status_code == 403
    event = _only_denial(db, since)
    assert event.detail["method"] == "POST" and event.detail["status"] == 403
    assert event.detail["view_args"] == {"session_id": session.id}
    assert (event.object_type, event.object_id) == ("TherapySession", str(session.id))
    assert "Secret" not in str(event.detail)  # never the form


def test_the_live_screens_json_refusal_is_recorded_once(
    client, auth, db, case, other, make_session
):
    session = make_session(case)
    auth.login(other)
    csrf = auth.csrf_token("/")
    since = _last_id(db)
    response = client.post(
        f"/sessions/{session.id}/live/tags", json={}, headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    event = _only_denial(db, since)
    assert event.detail["endpoint"] == "practice.live.tag"


@pytest.mark.parametrize("token", ["cct_not-a-real-token", "revoked"])
def test_a_revoked_token_is_recorded_without_its_text_a_made_up_one_not_at_all(
    app, client, db, case, counsellor, token
):
    revoked = token == "revoked"
    if revoked:
        token = issue_token(app, db, counsellor)
        with app.test_request_context():
            record = db.scalar(select(ApiToken).where(ApiToken.staff_id == counsellor.id))
            revoke_token(record, counsellor)
            db.commit()
    since = _last_id(db)
    response = client.get(f"{API}/cases/{case.id}", headers=bearer(token))
    assert response.status_code == 401
    if not revoked:  # made up: anyone can send one, so it costs no audit row
        assert _denials(db, since) == []
        return
    event = _only_denial(db, since)
    record_id = db.scalar(select(ApiToken.id).where(ApiToken.staff_id == counsellor.id))
    assert (event.actor_id, event.actor_label) == (None, f"api-token:{record_id}")
    assert event.detail["status"] == 401
    assert event.detail["endpoint"] == "practice.api.case_read"
    row = [str(getattr(event, column.name)) for column in AuditEvent.__table__.columns]
    assert not any(token in value for value in row)


def test_an_api_read_out_of_scope_is_recorded(app, client, db, case, other):
    headers = bearer(issue_token(app, db, other))
    since = _last_id(db)
    response = client.get(f"{API}/cases/{case.id}", headers=headers)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    event = _only_denial(db, since)
    assert event.actor_id == other.id and event.case_id == case.id


def test_a_wrong_signing_password_is_audited_once_not_twice(
    app, client, db, case, counsellor, make_session
):
    """The sign view audits its own refusal (note_sign_failed); no access_denied on top."""
    session = make_session(case)
    headers = bearer(issue_token(app, db, counsellor))
    since = _last_id(db)
    response = client.post(
        f"{API}/sessions/{session.id}/sign", json={"password": "not " + PASSWORD}, headers=headers
    )
    assert response.status_code == 403
    assert _denials(db, since) == []
    failed = db.scalar(select(func.count()).where(AuditEvent.action == "note_sign_failed"))
    assert failed == 1


@pytest.mark.parametrize(
    "path", ["/no/such/page", "/cases/not-a-number", f"{API}/no/such/thing", "/static/nope.css"]
)
def test_urls_no_route_answers_and_static_files_leave_nothing(app, client, auth, db, other, path):
    auth.login(other)
    headers = bearer(issue_token(app, db, other))
    since = _last_id(db)
    assert client.get(path).status_code == 404
    assert client.get(path, headers=headers).status_code == 404
    assert _denials(db, since) == []


def test_anonymous_requests_leave_nothing(client, db, case):
    since = _last_id(db)
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert client.get(f"{API}/cases/{case.id}").status_code == 401  # no token at all
    assert client.get("/reports/assets/no-such.css").status_code == 404
    assert _denials(db, since) == []


def test_a_failed_recording_still_answers_the_refusal(
    client, auth, db, case, other, monkeypatch, caplog
):
    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT ...", {}, Exception("disk full"))

    monkeypatch.setattr(audit, "record_denied", broken)
    auth.login(other)
    since = _last_id(db)
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/cases/{case.id}")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)
    assert "could not record a refused access: OperationalError" in caplog.text
    assert "disk full" not in caplog.text
    assert _denials(db, since) == []


def test_a_transaction_in_error_is_rolled_back_before_recording(
    client, auth, db, case, other, monkeypatch
):
    """A view whose statement failed, then refused: on PostgreSQL the transaction is aborted
    until rolled back, and the event must still be written."""
    failed = []

    def failing_then_hidden(member, case_id):
        try:
            db.execute(text("SELECT no_such_column FROM practice_case"))
        except (ProgrammingError, OperationalError) as error:
            failed.append(type(error).__name__)
        abort(404)

    monkeypatch.setattr(case_page, "case_for_viewer", failing_then_hidden)
    auth.login(other)
    since = _last_id(db)
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert failed  # the view did run into the database error
    assert _only_denial(db, since).actor_id == other.id


def test_the_admin_finds_refusals_by_action_and_outcome(client, auth, db, make_staff, case, other):
    auth.login(other)
    assert client.get(f"/cases/{case.id}").status_code == 404
    auth.logout()
    auth.login(make_staff(Role.ADMIN))
    page = client.get("/admin/audit?action=access_denied&outcome=denied")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<option selected value="access_denied">' in html
    rows = html.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr") == 1
    assert other.email in rows and "practice.case_page.show" in rows


def test_a_signed_in_user_without_a_staff_record_is_recorded_by_user_id(
    client, auth, db, make_staff
):
    """A host user the tracker does not know (here: a staff record since deactivated)."""
    member = make_staff(Role.COUNSELLOR)
    auth.login(member)
    db.execute(update(StaffMember).where(StaffMember.id == member.id).values(active=False))
    db.commit()
    since = _last_id(db)
    assert client.get("/cases").status_code == 403
    event = _only_denial(db, since)
    assert (event.actor_id, event.actor_label) == (None, f"user:{member.user_id}")


def test_made_up_bearer_headers_cost_no_audit_rows(client, db, case):
    since = _last_id(db)
    for path in (f"{API}/cases/{case.id}", f"/cases/{case.id}", "/admin/audit"):
        for token in ("x", "cct_" + "0" * 40):
            assert client.get(path, headers=bearer(token)).status_code == 401
    assert _denials(db, since) == []
