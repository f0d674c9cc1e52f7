"""No hard deletes of clinical rows: every way to take one back voids it, with a reason.

Removable through the UI or API today: moments (the Moments tab, live mode's undo, the API's
DELETE) and draft sessions (void). Each keeps the row with when, by whom and why, leaves it out
of lists and figures, shows it as voided in the history, and audits it without the reason.
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

import practice
from practice.models import (
    Addendum,
    AuditEvent,
    Case,
    MeasureResponse,
    Moment,
    MomentType,
    NoteStatus,
    Partner,
    Report,
    Role,
    ScriptAssignment,
    ScriptObservation,
    SupervisionComment,
    TherapySession,
    session_attendance,
)
from practice.progress.case_progress import case_progress
from tests.test_api_support import ApiClient, issue_token

PACKAGE = Path(practice.__file__).parent
# The retention purge is the one sanctioned delete (the legal end of the record).
# Besides it, a counsellor's calendar feed (a secret address, no clinical record) is removed
# when they stop it, so the old address cannot be brought back.
ALLOWED_DELETES = {
    PACKAGE / "records" / "retention.py",
    PACKAGE / "appointments" / "calendar_feed.py",
}


CLINICAL = {
    "Case": Case.__tablename__,
    "Partner": Partner.__tablename__,
    "TherapySession": TherapySession.__tablename__,
    "session_attendance": session_attendance.name,
    "Addendum": Addendum.__tablename__,
    "Moment": Moment.__tablename__,
    "ScriptAssignment": ScriptAssignment.__tablename__,
    "ScriptObservation": ScriptObservation.__tablename__,
    "MeasureResponse": MeasureResponse.__tablename__,
    "SupervisionComment": SupervisionComment.__tablename__,
    "Report": Report.__tablename__,
    "AuditEvent": AuditEvent.__tablename__,
}


def _deletes_clinical(node: ast.AST, tables: tuple[str, ...]) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = " ".join(node.value.lower().split())
        return any(table in text for table in tables)
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):  # session.delete(obj), query.delete(), sa.delete(…)
        return func.attr == "delete"
    if getattr(func, "id", "") != "delete" or not node.args:
        return False
    target = node.args[0]
    if isinstance(target, ast.Attribute):  # delete(Model.__table__)
        target = target.value
    return getattr(target, "id", "") in CLINICAL


def _deletes(path: Path) -> list[int]:
    """Lines of ``path`` that delete clinical rows: ``session.delete(obj)`` (any object),
    ``delete(<clinical model>)`` or SQL text deleting from a clinical table."""
    tree = ast.parse(path.read_text(), filename=str(path))
    tables = tuple(f"delete from {table}" for table in CLINICAL.values())
    return [node.lineno for node in ast.walk(tree) if _deletes_clinical(node, tables)]


def test_no_code_deletes_rows_except_the_retention_purge():
    found = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in ALLOWED_DELETES and (lines := _deletes(path))
    }
    assert found == {}
    assert _deletes(PACKAGE / "records" / "retention.py")  # the scan does find deletes


@pytest.mark.parametrize(
    "source",
    [
        "session.delete(note)",
        "db.query(Moment).filter_by(id=1).delete()",
        "sa.delete(Moment)",
        "delete(Moment).where(Moment.id == 1)",
        "delete(Moment.__table__)",
        "session.execute(text('DELETE FROM practice_moment'))",
    ],
)
def test_the_delete_scan_finds_every_spelling(source, tmp_path):
    module = tmp_path / "module.py"
    module.write_text(source + "\n")
    assert _deletes(module) == [1]


# --- Moments -------------------------------------------------------------------------------------


@pytest.fixture
def moment(db, counsellor, case, make_session) -> Moment:
    session = make_session(case)
    pursue = db.scalar(select(MomentType).where(MomentType.key == "pursue"))
    moment = Moment(
        session_id=session.id,
        moment_type_id=pursue.id,
        minute=7,
        intensity=4,
        created_by_id=counsellor.id,
    )
    db.add(moment)
    db.commit()
    return moment


def test_removing_a_moment_asks_for_a_reason(client, auth, db, counsellor, moment):
    auth.login(counsellor)
    page = client.get(f"/moments/{moment.id}/remove").text
    assert 'name="reason"' in page and "minute 7" in page
    for reason in ("", "   ", "x" * 201):
        response = auth.post(f"/moments/{moment.id}/remove", {"reason": reason})
        assert response.status_code == 200
        assert 'class="error"' in response.text
    db.expire_all()
    assert db.get(Moment, moment.id).voided_at is None


def test_a_removed_moment_stays_with_its_reason_and_shows_in_the_history(
    app, client, auth, db, counsellor, case, moment
):
    case_id = case.id
    auth.login(counsellor)
    response = auth.post(f"/moments/{moment.id}/remove", {"reason": "  tagged  the wrong partner"})
    assert response.status_code == 302
    db.expire_all()
    kept = db.get(Moment, moment.id)
    assert kept.void_reason == "tagged the wrong partner"
    assert kept.voided_by_id == counsellor.id and kept.voided_at is not None
    tab = client.get(f"/sessions/{moment.session_id}/moments").text
    assert "No moments tagged in this session yet." in tab
    assert "1 removed moment" in tab and "tagged the wrong partner" in tab
    assert counsellor.display_name in tab.split("voided-history")[1]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "moment_removed"))
    assert event.object_id == str(moment.id) and "wrong partner" not in str(event.detail)
    with app.app_context():
        assert case_progress(db.get(Case, case_id)).sessions[0].moment_count == 0


def test_live_undo_and_the_api_void_too(app, client, auth, db, counsellor, moment):
    session_id = moment.session_id
    api = ApiClient(client, issue_token(app, db, counsellor))
    assert api.delete(f"/moments/{moment.id}").status_code == 204
    db.expire_all()
    by_api = db.get(Moment, moment.id)
    assert (by_api.void_reason, by_api.voided_by_id) == ("removed by counsellor", counsellor.id)

    auth.login(counsellor)
    again = Moment(
        session_id=session_id,
        moment_type_id=by_api.moment_type_id,
        minute=9,
        created_by_id=counsellor.id,
    )
    db.add(again)
    db.commit()
    assert auth.post(f"/sessions/{session_id}/live/undo").status_code == 200
    db.expire_all()
    undone = db.get(Moment, again.id)
    assert (undone.void_reason, undone.voided_by_id) == ("undone in live mode", counsellor.id)


# --- Sessions ------------------------------------------------------------------------------------


def test_voiding_a_session_needs_a_reason(client, auth, db, counsellor, case, make_session):
    session = make_session(case)
    auth.login(counsellor)
    assert 'name="reason"' in client.get(f"/sessions/{session.id}/void").text
    response = auth.post(f"/sessions/{session.id}/void", {"reason": " "})
    assert response.status_code == 200 and "Give the reason" in response.text
    db.expire_all()
    assert db.get(TherapySession, session.id).voided_at is None


def test_a_voided_session_stays_in_the_history(
    app, client, auth, db, counsellor, case, make_session
):
    kept_id, case_id = make_session(case).id, case.id
    session = make_session(case)
    auth.login(counsellor)
    assert f"/sessions/{session.id}/void" in client.get(f"/sessions/{session.id}").text
    response = auth.post(f"/sessions/{session.id}/void", {"reason": "recorded twice"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    db.expire_all()
    voided = db.get(TherapySession, session.id)
    assert voided.void_reason == "recorded twice" and voided.voided_by_id == counsellor.id
    assert client.get(f"/sessions/{session.id}").status_code == 404
    page = client.get(f"/cases/{case.id}").text
    assert "1 voided session" in page and "recorded twice" in page
    with app.app_context():
        assert [p.session_id for p in case_progress(db.get(Case, case_id)).sessions] == [kept_id]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "session_voided"))
    assert event.object_id == str(session.id) and "twice" not in str(event.detail)


def test_a_signed_session_is_not_voided(client, auth, db, counsellor, case, make_session):
    session = make_session(
        case,
        status=NoteStatus.SIGNED,
        note_data="n",
        signed_by_id=counsellor.id,
        signed_at=datetime(2026, 1, 6, 17, tzinfo=UTC),
    )
    auth.login(counsellor)
    assert f"/sessions/{session.id}/void" not in client.get(f"/sessions/{session.id}").text
    response = auth.post(f"/sessions/{session.id}/void", {"reason": "recorded twice"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(TherapySession, session.id).voided_at is None


def test_only_the_counsellor_voids(client, auth, db, make_staff, supervisor, case, make_session):
    session = make_session(case)
    auth.login(supervisor)
    assert auth.post(f"/sessions/{session.id}/void", {"reason": "x"}).status_code == 403
    auth.logout()
    auth.login(make_staff(Role.COUNSELLOR))
    assert auth.post(f"/sessions/{session.id}/void", {"reason": "x"}).status_code == 404
    db.expire_all()
    assert db.get(TherapySession, session.id).voided_at is None
