"""Every read of clinical data and every change, sign-in and permission change leaves an audit
event (who, when in UTC, what, from where, outcome), and none holds the clinical text typed.

Each test works through the real pages (or the API with a token) from a documentation address,
then checks the events those requests appended and every column of every audit row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from practice.models import AuditEvent, Report, Role, StaffMember, TherapySession
from tests.conftest import PASSWORD
from tests.test_api_support import ApiClient, issue_token

ADDRESS = "198.51.100.23"  # TEST-NET-2: proves the address comes from the request
MARKER = "QZX-clinical-marker-5521"  # typed into every free-text field; never audited


@pytest.fixture
def client(app):
    """The test client, sending its requests from ``ADDRESS``."""
    test_client = app.test_client()
    test_client.environ_base["REMOTE_ADDR"] = ADDRESS
    return test_client


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(tmp_path / "store"))


@pytest.fixture
def draft(make_session, case):
    return make_session(case)


def _last_id(db) -> int:
    return db.scalar(select(func.max(AuditEvent.id))) or 0


def _expect(
    db,
    since: int,
    action: str,
    *,
    actor: StaffMember | None,
    object_type: str,
    object_id: object,
    case_id: int | None = None,
    outcome: str = "ok",
) -> AuditEvent:
    """The one ``action`` event after id ``since``, checked field by field."""
    db.expire_all()
    found = list(
        db.scalars(select(AuditEvent).where(AuditEvent.id > since, AuditEvent.action == action))
    )
    assert len(found) == 1, f"expected one {action} event, found {len(found)}"
    event = found[0]
    assert event.actor_id == (actor.id if actor else None)
    if actor is not None:
        assert event.actor_label == actor.email
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert abs(event.occurred_at - datetime.now(UTC)) < timedelta(minutes=2)
    assert (event.object_type, event.object_id) == (object_type, str(object_id))
    assert event.case_id == case_id
    assert event.outcome == outcome
    assert event.remote_addr == ADDRESS
    previous = db.scalar(
        select(AuditEvent.row_hash).where(AuditEvent.id < event.id).order_by(AuditEvent.id.desc())
    )
    assert len(event.row_hash) == 64 and event.prev_hash == (previous or "")
    return event


def _assert_no_clinical_text(db, *texts: str) -> None:
    """No column of any audit row, the detail JSON included, holds ``MARKER`` or ``texts``."""
    db.expire_all()
    rows = db.scalars(select(AuditEvent)).all()
    assert rows
    for event in rows:
        columns = [str(getattr(event, c.key)) for c in AuditEvent.__table__.columns]
        blob = " ".join(columns) + json.dumps(event.detail)
        for text in (MARKER, *texts):
            assert text not in blob, f"{text!r} leaked into audit event {event.action}"


def _note(suffix: str) -> dict[str, str]:
    return {
        "note_data": f"{MARKER} data {suffix}: she reached, he went quiet.",
        "note_assessment": f"{MARKER} assessment {suffix}",
        "note_plan": f"{MARKER} plan {suffix}",
    }


def test_failed_login_login_and_logout(client, auth, db, counsellor):
    account_id = int(counsellor.user_id)
    since = _last_id(db)
    auth.login(counsellor, password=MARKER)
    failed = _expect(
        db,
        since,
        "login_failed",
        actor=None,
        object_type="Account",
        object_id=account_id,
        outcome="denied",
    )
    assert failed.actor_label == counsellor.email

    since = _last_id(db)
    assert auth.login(counsellor).status_code == 302
    _expect(db, since, "login", actor=counsellor, object_type="Account", object_id=account_id)

    since = _last_id(db)
    assert auth.logout().status_code == 302
    _expect(
        db, since, "logout", actor=counsellor, object_type="StaffMember", object_id=counsellor.id
    )
    _assert_no_clinical_text(db, PASSWORD)


def test_note_reads_changes_sign_addendum_and_cosign(
    client, auth, db, counsellor, supervisor, case, draft
):
    where = {"case_id": case.id}
    auth.login(counsellor)

    since = _last_id(db)
    assert client.get(f"/cases/{case.id}").status_code == 200
    _expect(
        db, since, "case_viewed", actor=counsellor, object_type="Case", object_id=case.id, **where
    )

    since = _last_id(db)
    assert client.get(f"/sessions/{draft.id}").status_code == 200
    session_event = {"object_type": "TherapySession", "object_id": draft.id, **where}
    _expect(db, since, "session_viewed", actor=counsellor, **session_event)

    since = _last_id(db)
    saved = auth.post(f"/sessions/{draft.id}/note", {**_note("draft"), "version": "1"})
    assert saved.status_code == 302
    _expect(db, since, "note_saved", actor=counsellor, **session_event)

    since = _last_id(db)
    version = str(db.get(TherapySession, draft.id).version)
    signed = auth.post(
        f"/sessions/{draft.id}/sign",
        {"password": PASSWORD, "version": version, "confirm_missing": "y"},
    )
    assert signed.status_code == 302
    _expect(db, since, "note_signed", actor=counsellor, **session_event)

    since = _last_id(db)
    added = auth.post(f"/sessions/{draft.id}/addenda", {"text": f"{MARKER} addendum text"})
    assert added.status_code == 302
    _expect(db, since, "addendum_added", actor=counsellor, **session_event)
    auth.logout()

    auth.login(supervisor)
    since = _last_id(db)
    note = db.get(TherapySession, draft.id)
    decision = {"version": str(note.version), "addenda_seen": "1", "password": PASSWORD}
    cosigned = auth.post(f"/review/sessions/{draft.id}/cosign", decision)
    assert cosigned.status_code == 302
    _expect(db, since, "note_cosigned", actor=supervisor, **session_event)
    _assert_no_clinical_text(db, PASSWORD)


def test_report_generated_and_downloaded(client, auth, db, counsellor, case, make_session, store):
    make_session(case, **_note("report"))
    auth.login(counsellor)
    since = _last_id(db)
    form = {
        "period_start": "2026-01-05",
        "period_end": "2026-03-31",
        "audience": "clinical",
        "narrative": f"{MARKER} narrative",
    }
    assert auth.post(f"/cases/{case.id}/reports", form).status_code == 302
    report = db.scalar(select(Report).where(Report.case_id == case.id))
    where = {"object_type": "Report", "object_id": report.id, "case_id": case.id}
    _expect(db, since, "report_generated", actor=counsellor, **where)

    since = _last_id(db)
    download = client.get(f"/reports/{report.id}/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    _expect(db, since, "report_downloaded", actor=counsellor, **where)
    _assert_no_clinical_text(db)


def test_caseload_export(client, auth, db, supervisor, case, make_session):
    make_session(case, **_note("export"))
    auth.login(supervisor)
    since = _last_id(db)
    response = client.get("/supervision/export.csv")
    if response.mimetype != "text/csv":  # exports may ask for the password again first
        response = auth.post("/supervision/export.csv", {"password": PASSWORD})
    assert response.status_code == 200 and case.reference in response.get_data(as_text=True)
    _expect(
        db,
        since,
        "caseload_exported",
        actor=supervisor,
        object_type="Caseload",
        object_id=supervisor.id,
    )
    _assert_no_clinical_text(db, PASSWORD)


def test_api_reads_with_a_bearer_token(app, client, db, counsellor, case, make_session):
    session = make_session(case, **_note("api"))
    api = ApiClient(client, issue_token(app, db, counsellor))
    since = _last_id(db)
    assert api.get(f"/cases/{case.id}").status_code == 200
    _expect(
        db,
        since,
        "api_case_read",
        actor=counsellor,
        object_type="Case",
        object_id=case.id,
        case_id=case.id,
    )

    since = _last_id(db)
    read = api.get(f"/sessions/{session.id}")
    assert read.status_code == 200 and MARKER in read.get_data(as_text=True)
    _expect(
        db,
        since,
        "api_session_read",
        actor=counsellor,
        object_type="TherapySession",
        object_id=session.id,
        case_id=case.id,
    )
    _assert_no_clinical_text(db, api.token)


def test_permission_change_by_an_administrator(
    client, auth, db, make_staff, counsellor, supervisor
):
    admin = make_staff(Role.ADMIN)
    auth.login(admin)
    since = _last_id(db)
    response = auth.post(
        f"/admin/staff/{counsellor.id}", {"role": "supervisor", "supervisor_id": str(supervisor.id)}
    )
    assert response.status_code == 302
    event = _expect(
        db,
        since,
        "permission_changed",
        actor=admin,
        object_type="StaffMember",
        object_id=counsellor.id,
    )
    assert event.detail["before"]["role"] == "counsellor"
    assert event.detail["after"]["role"] == "supervisor"
    _assert_no_clinical_text(db, PASSWORD)
