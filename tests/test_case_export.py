"""A case's full export: the password asked again, who may export, and what the ZIP holds."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from practice.core.integrity import load_key
from practice.models import (
    Addendum,
    AuditEvent,
    MeasureResponse,
    Moment,
    MomentType,
    NoteStatus,
    Report,
    Role,
    ScoreSharingConsent,
    Script,
    ScriptAssignment,
    ScriptObservation,
    SupervisionComment,
)
from practice.sessions.signed_notes import seal
from tests.conftest import PASSWORD

NOTE = "Zanzibar lighthouse argument"
PDF = b"%PDF-1.7\n% a stand-in for a rendered report\n%%EOF\n"


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    folder = tmp_path / "store"
    folder.mkdir()
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(folder))
    return folder


@pytest.fixture
def record(app, db, case, counsellor, supervisor, make_session, store):
    """A case with a signed note and addendum, a voided moment, a script, CSI-4, a comment
    and a stored report (plus one whose file is missing)."""
    signed = make_session(case, note_data=NOTE)
    signed.status = NoteStatus.SIGNED
    signed.signed_by_id = counsellor.id
    signed.signed_at = datetime(2026, 1, 6, 17, tzinfo=UTC)
    seal(signed, load_key(app))
    db.add(Addendum(therapy_session=signed, author_id=counsellor.id, text="addendum text"))
    pursue = db.scalar(select(MomentType).where(MomentType.key == "pursue"))
    db.add(
        Moment(
            therapy_session=signed,
            moment_type=pursue,
            minute=4,
            intensity=3,
            context="tagged in error",
            created_by_id=counsellor.id,
            voided_at=datetime(2026, 1, 6, 16, tzinfo=UTC),
            voided_by_id=counsellor.id,
            void_reason="wrong partner",
        )
    )
    script = db.scalar(select(Script).order_by(Script.id))
    assignment = ScriptAssignment(
        case_id=case.id,
        partner=case.partners[0],
        script=script,
        assigned_session_id=signed.id,
    )
    db.add(assignment)
    db.add(ScriptObservation(assignment=assignment, session_id=signed.id, level=2, note="obs"))
    db.add(
        MeasureResponse(
            session_id=signed.id,
            partner_id=case.partners[0].id,
            items=[3, 3, 3, 3],
            total=12,
            recorded_by_id=counsellor.id,
        )
    )
    db.add(
        ScoreSharingConsent(
            case_id=case.id,
            partner_id=case.partners[1].id,
            audience="partner",
            given_on=date(2026, 1, 6),
            recorded_by_id=counsellor.id,
        )
    )
    db.add(
        SupervisionComment(case_id=case.id, session_id=signed.id, author_id=supervisor.id, body="c")
    )
    (store / "1-kept.pdf").write_bytes(PDF)
    for path in ("1-kept.pdf", "2-gone.pdf"):
        db.add(
            Report(
                case_id=case.id,
                audience="clinical",
                period_start=case.opened_on,
                period_end=case.opened_on,
                generated_by_id=counsellor.id,
                sha256=hashlib.sha256(PDF).hexdigest(),
                size_bytes=len(PDF),
                storage_path=path,
            )
        )
    db.commit()
    return case


def _url(case) -> str:
    return f"/cases/{case.id}/export"


def _actions(db, case) -> list[str]:
    return list(
        db.scalars(
            select(AuditEvent.action).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
        )
    )


def test_the_page_asks_for_the_password(client, auth, counsellor, case):
    auth.login(counsellor)
    response = client.get(_url(case))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'type="password"' in page and case.reference in page


def test_the_export_holds_the_whole_record_and_the_reports(client, auth, db, counsellor, record):
    auth.login(counsellor)
    response = auth.post(_url(record), {"password": PASSWORD})
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert f'filename="{record.reference}-export-' in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("case.json"))
    assert data["schema_version"] == "2"
    assert data["case"]["reference"] == record.reference
    assert data["case"]["opened_on"] == record.opened_on.isoformat()
    assert [p["display_name"] for p in data["partners"]] == ["Alex", "Sam"]
    (session,) = data["sessions"]
    assert session["note"]["data"] == NOTE
    assert session["note_intact"] is True and len(session["note_sha256"]) == 64
    assert session["signed_at"] == "2026-01-06T17:00:00+00:00"
    assert [a["text"] for a in session["addenda"]] == ["addendum text"]
    (moment,) = session["moments"]
    assert moment["voided"] and moment["void_reason"] == "wrong partner"
    assert moment["voided_by_id"] == counsellor.id
    (assignment,) = data["script_assignments"]
    assert [(o["status"], o["level"]) for o in assignment["observations"]] == [("observed", 2)]
    assert [m["total"] for m in data["measures"]] == [12]
    (consent,) = data["score_sharing_consents"]
    assert (consent["audience"], consent["given_on"], consent["withdrawn_on"]) == (
        "partner",
        "2026-01-06",
        None,
    )
    assert [c["body"] for c in data["supervision_comments"]] == ["c"]
    assert data["break_episodes"] == []
    assert data["change_events"] == [] and data["stage_overrides"] == []
    kept, gone = data["reports"]
    assert kept["file_status"] == "included" and archive.read(kept["file"]) == PDF
    assert gone["file_status"] == "missing" and gone["file"] is None
    assert sorted(archive.namelist()) == ["case.json", kept["file"]]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "case_exported"))
    assert (event.actor_id, event.case_id, event.outcome) == (counsellor.id, record.id, "ok")
    assert event.detail == {
        "schema_version": "2",
        "sessions": 1,
        "reports": 1,
        "reports_not_included": 1,
    }


def test_a_wrong_password_exports_nothing_and_is_audited(client, auth, db, counsellor, case):
    auth.login(counsellor)
    response = auth.post(_url(case), {"password": "not-my-password"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "That password is not right. Nothing was exported." in response.get_data(True)
    assert "case_exported" not in _actions(db, case)
    denied = db.scalar(select(AuditEvent).where(AuditEvent.action == "case_export_failed"))
    assert (denied.outcome, denied.case_id) == ("denied", case.id)


def test_an_empty_password_or_missing_csrf_token_exports_nothing(
    client, auth, db, counsellor, case
):
    auth.login(counsellor)
    assert auth.post(_url(case), {"password": ""}).mimetype == "text/html"
    assert client.post(_url(case), data={"password": PASSWORD}).status_code == 400
    assert "case_exported" not in _actions(db, case)


def test_an_administrator_may_not_export(client, auth, db, make_staff, case):
    """Least privilege: administrators read no clinical record, so they take none away."""
    admin = make_staff(Role.ADMIN)
    auth.login(admin)
    assert client.get(f"/cases/{case.id}").status_code == 404
    response = auth.post(_url(case), {"password": PASSWORD})
    assert response.status_code == 404


def test_a_supervisor_reviews_but_does_not_export(client, auth, supervisor, case):
    auth.login(supervisor)
    assert "/export" not in client.get(f"/cases/{case.id}").text
    assert client.get(_url(case)).status_code == 403
    assert auth.post(_url(case), {"password": PASSWORD}).status_code == 403


def test_out_of_scope_is_not_found(client, auth, make_staff, case):
    auth.login(make_staff(Role.COUNSELLOR))
    assert client.get(_url(case)).status_code == 404
    assert client.get("/cases/999999/export").status_code == 404


def test_the_case_page_links_to_the_export(client, auth, counsellor, case):
    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}").text
    assert f'href="/cases/{case.id}/export"' in page
