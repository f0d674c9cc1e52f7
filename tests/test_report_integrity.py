"""Reports check each signed note against its signature hash and say so when one fails."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text, update

from practice.models import AuditEvent, NoteStatus, TherapySession
from practice.reporting import operations as reports
from practice.reports.progress_report import report_context
from practice.sessions.signed_notes import SEAL_UNKEYED, legacy_digest, seal
from tests.conftest import PASSWORD, Auth
from tests.test_api_support import API, bearer, issue_token

START, END = date(2026, 1, 1), date(2026, 12, 31)
WARNING = "does not match its signature hash"


def _signed(db, make_session, case, day: int, data: str) -> TherapySession:
    session = make_session(case, starts_at=datetime(2026, 2, day, 15, tzinfo=UTC))
    session.note_data = data
    session.status = NoteStatus.SIGNED
    session.signed_by_id = case.counsellor_id
    session.signed_at = datetime(2026, 2, day, 17, tzinfo=UTC)
    seal(session)
    db.commit()
    return session


# How a database writer changes a signed note: the text alone; the text with the unkeyed
# SHA-256 recomputed (which passed as intact before keyed seals); and that, with the seal
# version set back to the unkeyed one. None of them can make the keyed seal without the key.
FORGERIES = {"edited": "tampered", "rehashed": "tampered", "downgraded": "unkeyed"}


@pytest.fixture(params=FORGERIES)
def forgery(request) -> str:
    return request.param


@pytest.fixture
def tampered(db, app, case, make_session, forgery):
    """Two signed sessions; the note of the first was changed in the database afterwards."""
    with app.app_context():
        forged = _signed(db, make_session, case, 3, "ORIGINALTEXT")
        intact = _signed(db, make_session, case, 10, "INTACTTEXT")
    db.execute(
        text("UPDATE practice_session SET note_data = 'FORGEDTEXT' WHERE id = :id"),
        {"id": forged.id},
    )
    db.commit()
    db.expire_all()
    if forgery != "edited":
        values = {"note_sha256": legacy_digest(db.get(TherapySession, forged.id))}
        if forgery == "downgraded":
            values["note_seal_version"] = SEAL_UNKEYED
        db.execute(update(TherapySession).where(TherapySession.id == forged.id).values(values))
        db.commit()
        db.expire_all()
    return forged, intact


def test_context_names_the_tampered_note_and_withholds_its_text(app_context, case, tampered):
    forged, intact = tampered
    context = report_context(case, START, END, "clinical", "", case.counsellor)
    assert context["integrity_failures"] == [{"session_id": forged.id, "date": date(2026, 2, 3)}]
    rows = {row["session_id"]: row for row in context["sessions"]}
    assert rows[forged.id]["tampered"] and rows[forged.id]["note"] is None
    assert rows[intact.id]["note"]["data"] == "INTACTTEXT"


def test_intact_notes_give_no_warning(app_context, db, case, make_session):
    _signed(db, make_session, case, 3, "ORIGINALTEXT")
    context = report_context(case, START, END, "clinical", "", case.counsellor)
    assert context["integrity_failures"] == []
    assert "Integrity warning" not in reports.build_report_html(context)


@pytest.mark.parametrize("audience", ["clinical", "client"])
def test_warning_is_in_the_html_of_every_audience(app_context, case, tampered, audience):
    html = reports.build_report_html(
        report_context(case, START, END, audience, "", case.counsellor)
    )
    assert "Integrity warning" in html
    assert f"The signed note of the session on 03 Feb 2026 {WARNING}" in " ".join(html.split())
    assert "FORGEDTEXT" not in html


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")
def test_generated_pdf_warns_and_the_failure_is_audited(
    app, db, case, tampered, backend, tmp_path, monkeypatch
):
    if backend != "sqlite":
        pytest.skip("the PDF does not depend on the database; rendering twice only costs time")
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(tmp_path / "store"))
    forged, _intact = tampered
    with app.app_context():
        report = reports.generate_report(case, START, END, "clinical", "", case.counsellor)
        data = reports.stored_file(report).read_bytes()
        db.commit()
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(data)
    words = " ".join(
        subprocess.run(
            ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "Integrity warning" in words
    assert WARNING in words
    assert "FORGEDTEXT" not in words and "INTACTTEXT" in words
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "note_integrity_failed"))
    assert event is not None
    assert (event.object_id, event.case_id, event.outcome) == (str(forged.id), case.id, "failed")
    assert "FORGEDTEXT" not in str(event.detail)


def test_preview_audits_the_failure(app, db, case, tampered):
    forged, _intact = tampered
    with app.app_context():
        html = reports.preview_html(
            case, START, END, "referrer", "", case.counsellor, asset_url=lambda name: name
        )
        db.commit()
    assert WARNING in " ".join(html.split())
    ids = db.scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == "note_integrity_failed")
    ).all()
    assert ids == [str(forged.id)]


# --- Pages and the API that show a signed note check it too -------------------------------------

PAGE_WARNING = "no longer matches the fingerprint taken when it was signed"


def _integrity_failures(db) -> list[tuple]:
    db.remove()
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "note_integrity_failed")
        .order_by(AuditEvent.id)
    )
    return [(e.object_id, e.case_id, e.actor_id, e.outcome, e.detail) for e in events]


def _note_page(app, member, session_id: int):
    browser = app.test_client()
    Auth(browser).login(member)
    return browser.get(f"/sessions/{session_id}")


def _review_page(app, member, session_id: int):
    browser = app.test_client()
    Auth(browser).login(member)
    return browser.get(f"/review/sessions/{session_id}")


def _api_read(app, member, session_id: int):
    secret = issue_token(app, app.extensions["sqlalchemy"].session, member)
    return app.test_client().get(f"{API}/sessions/{session_id}", headers=bearer(secret))


# (how the note is read, by whom, the ``where`` its audit event names)
READS = {
    "note page": (_note_page, "counsellor", "note_page"),
    "review page": (_review_page, "supervisor", "review_page"),
    "API": (_api_read, "counsellor", "api_session_read"),
}


@pytest.mark.parametrize("way", READS)
def test_reading_a_tampered_note_warns_and_audits_the_failure(
    app, db, case, tampered, forgery, way
):
    read, role, where = READS[way]
    member = case.counsellor if role == "counsellor" else case.counsellor.supervisor
    forged, intact = tampered
    fine = read(app, member, intact.id)
    assert fine.status_code == 200
    assert _integrity_failures(db) == []
    shown = read(app, member, forged.id)
    assert shown.status_code == 200
    if way == "API":
        body = shown.get_json()
        assert (body["note_intact"], body["note_data"]) == (False, "FORGEDTEXT")
        assert fine.get_json()["note_intact"] is True
    else:
        assert PAGE_WARNING in shown.get_data(as_text=True)
        assert PAGE_WARNING not in fine.get_data(as_text=True)
    detail = {"where": where, "seal": FORGERIES[forgery]}
    failed = (str(forged.id), case.id, member.id, "failed", detail)
    assert _integrity_failures(db) == [failed]


def test_the_case_export_flags_and_audits_a_tampered_note(app, db, case, tampered, forgery):
    forged, intact = tampered
    browser = app.test_client()
    auth = Auth(browser)
    auth.login(case.counsellor)
    response = auth.post(f"/cases/{case.id}/export", {"password": PASSWORD})
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        record = json.loads(archive.read("case.json"))
    intact_by_id = {row["id"]: row["note_intact"] for row in record["sessions"]}
    assert (intact_by_id[forged.id], intact_by_id[intact.id]) == (False, True)
    detail = {"where": "case_export", "seal": FORGERIES[forgery]}
    failed = (str(forged.id), case.id, case.counsellor.id, "failed", detail)
    assert _integrity_failures(db) == [failed]
