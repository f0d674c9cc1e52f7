"""Sessions: recording them, the DAP note with autosave and conflicts, signing and addenda."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from practice.core.database import utcnow
from practice.core.signals import note_signed
from practice.models import (
    Addendum,
    AuditEvent,
    CaseStatus,
    NoteStatus,
    ReviewStatus,
    Role,
    TherapySession,
)
from practice.sessions import operations as service
from practice.sessions import signed_notes
from practice.sessions.operations import NoteConflict, SessionDetails, SessionError
from practice.sessions.signed_notes import NoteSigned, require_draft
from tests.break_glass_support import open_break_glass
from tests.conftest import PASSWORD, Auth

NOTE = {
    "note_data": "Alex pursued; Sam went quiet.\nNamed the cycle together.",
    "note_assessment": "Early stage 1; both can see the dance.",
    "note_plan": "Practise the time-out script with a return time.",
}


@pytest.fixture
def counsellor(make_staff, supervisor):
    return make_staff(Role.COUNSELLOR, supervisor=supervisor, display_name="Robin Counsellor")


@pytest.fixture
def case(make_case, counsellor):
    return make_case(counsellor, opened_on=date(2026, 1, 5))


@pytest.fixture
def draft(make_session, case):
    return make_session(case)


def _reload(db, session_id: int) -> TherapySession:
    db.expire_all()
    return db.get(TherapySession, session_id)


def _actions(db, action: str) -> list[AuditEvent]:
    return list(
        db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def _details_form(case, **overrides) -> dict:
    data = {
        "starts_at": "2026-02-03T15:00",
        "duration_minutes": "50",
        "modality": "video",
        "attendance": [str(p.id) for p in case.partners],
        "eft_stage": "1",
    }
    data.update(overrides)
    return data


def _version_in(page: str) -> int:
    match = re.search(r'<input[^>]*name="version"[^>]*value="(\d+)"', page)
    assert match, "no version field on the page"
    return int(match.group(1))


def _sign(app, db, session: TherapySession, member) -> TherapySession:
    """Sign ``session`` with NOTE; returns it loaded again (the app context closed the old one)."""
    with app.app_context():
        for name, value in NOTE.items():
            setattr(session, name, value)
        db.flush()
        service.sign_note(session, member)
        db.commit()
    return db.get(TherapySession, session.id)


# --- Recording a session ---------------------------------------------------------------------


def test_new_session_form_defaults_to_all_partners(client, auth, counsellor, case):
    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}/sessions/new").get_data(as_text=True)
    assert "Start (UTC)" not in page and "in your local time (UTC)" in page
    assert page.count('type="checkbox"') == 2
    assert page.count("checked") == 2
    assert 'value="50"' in page


def test_counsellor_records_a_session(client, auth, counsellor, case, db):
    auth.login(counsellor)
    response = auth.post(f"/cases/{case.id}/sessions/new", _details_form(case))
    assert response.status_code == 302
    session = db.scalar(select(TherapySession).where(TherapySession.case_id == case.id))
    assert response.headers["Location"].endswith(f"/sessions/{session.id}")
    assert session.starts_at == datetime(2026, 2, 3, 15, 0, tzinfo=UTC)
    assert session.modality == "video"
    assert session.eft_stage == 1
    assert session.status == NoteStatus.DRAFT
    assert session.created_by_id == counsellor.id
    assert {p.id for p in session.attendees} == {p.id for p in case.partners}
    assert _actions(db, "session_created")[0].object_id == str(session.id)


def test_attendance_can_be_one_partner(client, auth, counsellor, case, db):
    auth.login(counsellor)
    alex = case.partners[0]
    auth.post(f"/cases/{case.id}/sessions/new", _details_form(case, attendance=[str(alex.id)]))
    session = db.scalar(select(TherapySession).where(TherapySession.case_id == case.id))
    assert [p.id for p in session.attendees] == [alex.id]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"starts_at": "2026-01-04T23:00"}, "before the case was opened"),
        ({"duration_minutes": "0"}, "between 1 and 600 minutes"),
        ({"duration_minutes": "601"}, "between 1 and 600 minutes"),
        ({"duration_minutes": "fifty"}, "Not a valid integer"),
        ({"attendance": []}, "Tick at least one partner"),
        ({"starts_at": ""}, "Enter the date and time"),
        ({"modality": "carrier pigeon"}, "Not a valid choice"),
        ({"eft_stage": "4"}, "Not a valid choice"),
    ],
)
def test_new_session_refusals(client, auth, counsellor, case, db, overrides, message):
    auth.login(counsellor)
    response = auth.post(f"/cases/{case.id}/sessions/new", _details_form(case, **overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert '<option selected value="video">' in page or "carrier pigeon" in str(overrides)
    assert db.scalar(select(func.count(TherapySession.id))) == 0


def test_a_start_more_than_a_day_ahead_is_refused(client, auth, counsellor, case, db):
    auth.login(counsellor)
    later = (utcnow() + timedelta(days=1, hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = auth.post(f"/cases/{case.id}/sessions/new", _details_form(case, starts_at=later))
    assert "more than a day from now" in response.get_data(as_text=True)
    soon = (utcnow() + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M")
    assert (
        auth.post(f"/cases/{case.id}/sessions/new", _details_form(case, starts_at=soon)).status_code
        == 302
    )
    assert db.scalar(select(func.count(TherapySession.id))) == 1


def test_a_partner_of_another_case_cannot_attend(client, auth, counsellor, case, make_case, db):
    other = make_case(counsellor)
    auth.login(counsellor)
    response = auth.post(
        f"/cases/{case.id}/sessions/new",
        _details_form(case, attendance=[str(other.partners[0].id)]),
    )
    assert response.status_code == 200
    assert "not a valid choice" in response.get_data(as_text=True)
    assert db.scalar(select(func.count(TherapySession.id))) == 0


def test_a_closed_case_takes_no_sessions(client, auth, counsellor, make_case, db):
    closed = make_case(counsellor, status=CaseStatus.CLOSED)
    auth.login(counsellor)
    assert "Reopen the case to record a session" in client.get(
        f"/cases/{closed.id}/sessions/new"
    ).get_data(as_text=True)
    response = auth.post(f"/cases/{closed.id}/sessions/new", _details_form(closed))
    assert response.status_code == 200
    assert "Reopen the case to record a session" in response.get_data(as_text=True)
    assert db.scalar(select(func.count(TherapySession.id))) == 0


def test_record_session_service_refuses_another_counsellor(app_context, case, make_staff):
    stranger = make_staff(Role.COUNSELLOR)
    details = SessionDetails(datetime(2026, 2, 3, 15, tzinfo=UTC), 50, "phone", [])
    with pytest.raises(SessionError, match="counsellor"):
        service.record_session(case, stranger, details)


# --- The note page ---------------------------------------------------------------------------


def test_note_page_shows_the_dap_editor_to_the_counsellor(client, auth, counsellor, draft, db):
    auth.login(counsellor)
    response = client.get(f"/sessions/{draft.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for label in ("Data", "Assessment", "Plan"):
        assert f">{label}</label>" in page
    assert _version_in(page) == draft.version
    assert f'action="/sessions/{draft.id}/note"' in page
    assert f'data-autosave-url="/sessions/{draft.id}/autosave"' in page
    assert f'href="/sessions/{draft.id}/sign"' in page
    assert f'href="/sessions/{draft.id}/edit"' in page
    assert 'id="note-save-status"' in page and 'aria-live="polite"' in page
    assert "js/autosave.js" in page
    assert "Alex: attended" in page and "Sam: attended" in page
    assert _actions(db, "session_viewed")[0].object_id == str(draft.id)


def test_supervisor_reads_the_draft_without_an_editor(
    client, auth, supervisor, draft, db, make_session
):
    draft.note_data = "Observed a soft bid."
    db.commit()
    auth.login(supervisor)
    page = client.get(f"/sessions/{draft.id}").get_data(as_text=True)
    assert "Observed a soft bid." in page
    assert 'name="note_data"' not in page  # no note editor (the comment form is another)
    assert "autosave.js" not in page
    assert "Draft: not signed yet" in page


def test_each_view_is_audited_without_text(client, auth, counsellor, draft, db):
    auth.login(counsellor)
    client.get(f"/sessions/{draft.id}")
    client.get(f"/sessions/{draft.id}")
    events = _actions(db, "session_viewed")
    assert len(events) == 2
    assert all(event.case_id == draft.case_id for event in events)


# --- Saving the note by hand -----------------------------------------------------------------


def test_save_note(client, auth, counsellor, draft, db):
    auth.login(counsellor)
    response = auth.post(f"/sessions/{draft.id}/note", {**NOTE, "version": draft.version})
    assert response.status_code == 302
    saved = _reload(db, draft.id)
    assert saved.note_data == NOTE["note_data"]
    assert saved.note_plan == NOTE["note_plan"]
    assert saved.version == 2
    event = _actions(db, "note_saved")[0]
    assert event.detail == {"version": 2}
    page = client.get(f"/sessions/{draft.id}").get_data(as_text=True)
    assert "Named the cycle together." in page
    assert _version_in(page) == 2


def test_over_long_note_is_refused_and_kept(client, auth, counsellor, draft, db):
    auth.login(counsellor)
    too_long = "x" * 20_001
    response = auth.post(
        f"/sessions/{draft.id}/note",
        {
            "note_data": too_long,
            "note_assessment": "kept assessment",
            "note_plan": "",
            "version": 1,
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "the limit is 20,000" in page
    assert too_long in page
    assert "kept assessment" in page
    saved = _reload(db, draft.id)
    assert saved.note_assessment == ""
    assert saved.version == 1
    assert _actions(db, "note_saved") == []


def test_note_limit_follows_the_config(app, client, auth, counsellor, draft, db):
    app.config["PRACTICE_MAX_NOTE_LENGTH"] = 10
    try:
        auth.login(counsellor)
        response = auth.post(
            f"/sessions/{draft.id}/note",
            {"note_data": "eleven char", "note_assessment": "", "note_plan": "", "version": 1},
        )
    finally:
        app.config["PRACTICE_MAX_NOTE_LENGTH"] = 20_000
    assert "the limit is 10" in response.get_data(as_text=True)
    assert _reload(db, draft.id).note_data == ""


def test_a_note_without_version_is_refused(client, auth, counsellor, draft, db):
    auth.login(counsellor)
    response = auth.post(f"/sessions/{draft.id}/note", {**NOTE})
    assert response.status_code == 200
    assert "lost its version" in response.get_data(as_text=True)
    assert _reload(db, draft.id).note_data == ""


def test_conflict_flow_keeps_both_texts(app, counsellor, draft, db):
    """A loads the note, B saves, A saves: A sees both texts and nothing of B's is lost."""
    a_client, b_client = app.test_client(), app.test_client()
    a, b = Auth(a_client), Auth(b_client)
    a.login(counsellor)
    b.login(counsellor)
    a_version = _version_in(a_client.get(f"/sessions/{draft.id}").get_data(as_text=True))
    b_version = _version_in(b_client.get(f"/sessions/{draft.id}").get_data(as_text=True))
    b_note = {"note_data": "B's data", "note_assessment": "B's assessment", "note_plan": "B plan"}
    assert b.post(f"/sessions/{draft.id}/note", {**b_note, "version": b_version}).status_code == 302

    a_note = {"note_data": "A's data", "note_assessment": "A's assessment", "note_plan": "A plan"}
    response = a.post(f"/sessions/{draft.id}/note", {**a_note, "version": a_version})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Saved by someone else (version 2)" in page
    assert "Yours" in page
    assert "B&#39;s data" in page and "A&#39;s data" in page
    assert re.search(r"<textarea[^>]*name=\"note_data\"[^>]*>\s*A&#39;s data</textarea>", page)
    assert _version_in(page) == 2
    saved = _reload(db, draft.id)
    assert saved.note_data == "B's data" and saved.note_plan == "B plan"
    assert saved.version == 2

    # A deliberately saves theirs over the current version.
    assert a.post(f"/sessions/{draft.id}/note", {**a_note, "version": 2}).status_code == 302
    assert _reload(db, draft.id).note_data == "A's data"


def test_race_between_check_and_update_is_a_conflict(app_context, draft, db):
    session = db.get(TherapySession, draft.id)
    # Someone else's save lands after we loaded the row, behind the ORM's back.
    db.execute(
        update(TherapySession)
        .where(TherapySession.id == draft.id)
        .values(note_data="theirs", version=TherapySession.version + 1)
        .execution_options(synchronize_session=False)
    )
    db.commit()
    with pytest.raises(NoteConflict) as raised:
        service.save_note(session, {**NOTE}, expected_version=session.version)
    assert raised.value.current_version is None
    db.rollback()
    assert _reload(db, draft.id).note_data == "theirs"


def test_service_conflict_carries_the_saved_text(app_context, draft, db):
    service.save_note(draft, NOTE, expected_version=1)
    with pytest.raises(NoteConflict) as raised:
        service.save_note(draft, {**NOTE, "note_plan": "other"}, expected_version=1)
    assert raised.value.current_version == 2
    assert raised.value.saved == NOTE


def test_a_stale_version_with_the_note_unchanged_is_saved(app_context, draft, db):
    """Only the session's details moved on (the live-mode clock): the note is as the editor
    saw it, so their save goes through; the same save without its base is a conflict."""
    base = service.draft_digest(service.note_fields(draft))
    draft.starts_at = draft.starts_at + timedelta(minutes=5)
    db.flush()
    assert draft.version == 2
    with pytest.raises(NoteConflict):
        service.save_note(draft, NOTE, expected_version=1)
    service.save_note(draft, NOTE, expected_version=1, base_digest=base)
    assert (draft.version, draft.note_data) == (3, NOTE["note_data"])


def test_a_form_with_a_garbled_base_is_refused_not_an_error(client, auth, counsellor, draft, db):
    auth.login(counsellor)
    response = auth.post(f"/sessions/{draft.id}/note", {**NOTE, "version": 1, "note_base": "é"})
    assert response.status_code == 200
    assert "lost track of the note it started from" in response.get_data(as_text=True)
    assert _reload(db, draft.id).note_data == ""


def test_a_stale_base_is_still_a_conflict(app_context, draft, db):
    base = service.draft_digest(service.note_fields(draft))
    service.save_note(draft, NOTE, expected_version=1)
    with pytest.raises(NoteConflict):
        service.save_note(
            draft, {**NOTE, "note_plan": "mine"}, expected_version=1, base_digest=base
        )
    assert draft.note_plan == NOTE["note_plan"]


def test_saving_unchanged_text_keeps_the_version(app_context, draft, db):
    service.save_note(draft, NOTE, expected_version=1)
    service.save_note(draft, NOTE, expected_version=2)
    assert draft.version == 2


# --- Autosave --------------------------------------------------------------------------------


def _autosave(client, auth, session_id: int, payload, **kwargs):
    headers = {"X-CSRFToken": auth.csrf_token("/")}
    return client.post(f"/sessions/{session_id}/autosave", json=payload, headers=headers, **kwargs)


def test_autosave_saves_and_returns_the_new_version(client, auth, counsellor, draft, db):
    auth.login(counsellor)
    response = _autosave(client, auth, draft.id, {"version": 1, **NOTE})
    assert response.status_code == 200
    body = response.get_json()
    assert body["version"] == 2
    assert re.fullmatch(r"\d\d:\d\d UTC", body["saved_at"])
    assert _reload(db, draft.id).note_assessment == NOTE["note_assessment"]
    assert _actions(db, "note_saved")[0].detail == {"version": 2}
    again = _autosave(client, auth, draft.id, {"version": 2, **NOTE, "note_plan": "more"})
    assert again.get_json()["version"] == 3


def test_autosave_conflict(client, auth, counsellor, draft, db):
    auth.login(counsellor)
    _autosave(client, auth, draft.id, {"version": 1, **NOTE})
    response = _autosave(client, auth, draft.id, {"version": 1, **NOTE, "note_plan": "stale"})
    body = response.get_json()
    assert response.status_code == 409
    assert body["error"]["code"] == "conflict"
    assert body["error"]["message"]
    assert body["error"]["fields"] == {}
    assert body["current_version"] == 2
    assert _reload(db, draft.id).note_plan == NOTE["note_plan"]


def test_starting_the_clock_does_not_stop_the_note_tab_autosaving(
    client, auth, counsellor, draft, db
):
    auth.login(counsellor)
    page = client.get(f"/sessions/{draft.id}").get_data(as_text=True)
    version = _version_in(page)
    base = re.search(r'name="note_base" type="hidden" value="([0-9a-f]{64})"', page).group(1)
    assert auth.post(f"/sessions/{draft.id}/live/start").status_code == 302  # another tab
    assert _reload(db, draft.id).version == version + 1

    saved = _autosave(client, auth, draft.id, {"version": version, "base": base, **NOTE})
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert body["base"] == service.draft_digest(NOTE)
    more = {"version": body["version"], "base": body["base"], **NOTE, "note_plan": "more"}
    assert _autosave(client, auth, draft.id, more).status_code == 200
    assert _reload(db, draft.id).note_plan == "more"
    # The Save button's full POST takes the same path.
    form = {**NOTE, "note_plan": "by hand", "version": version, "note_base": body["base"]}
    assert auth.post(f"/sessions/{draft.id}/note", form).status_code == 409  # note changed
    fresh = client.get(f"/sessions/{draft.id}").get_data(as_text=True)
    auth.post(f"/sessions/{draft.id}/live/start")
    form["version"] = _version_in(fresh)
    form["note_base"] = re.search(r'name="note_base" type="hidden" value="([^"]+)"', fresh)[1]
    assert auth.post(f"/sessions/{draft.id}/note", form).status_code == 302
    assert _reload(db, draft.id).note_plan == "by hand"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"version": "1", **NOTE}, "version"),
        ({"version": True, **NOTE}, "version"),
        ({"version": 1, "note_data": "only data"}, "note_plan"),
        ({"version": 1, **NOTE, "note_plan": 5}, "note_plan"),
        ({"version": 1, **NOTE, "note_data": "x" * 20_001}, "note_data"),
        ({"version": 1, **NOTE, "base": 7}, "base"),
        ({"version": 1, **NOTE, "base": "f" * 65}, "base"),
        ({"version": 1, **NOTE, "base": "é"}, "base"),
        ({"version": 1, **NOTE, "base": "F" * 64}, "base"),
        ([1, 2, 3], None),
    ],
)
def test_autosave_bad_input(client, auth, counsellor, draft, db, payload, field):
    auth.login(counsellor)
    response = _autosave(client, auth, draft.id, payload)
    body = response.get_json()
    assert response.status_code == 400
    assert body["error"]["code"] == "invalid"
    assert body["error"]["message"]
    if field:
        assert field in body["error"]["fields"]
    assert _reload(db, draft.id).version == 1


def test_autosave_refuses_text_that_is_not_json(client, auth, counsellor, draft, db):
    auth.login(counsellor)
    response = client.post(
        f"/sessions/{draft.id}/autosave",
        data="{not json",
        content_type="application/json",
        headers={"X-CSRFToken": auth.csrf_token("/")},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid"


def test_autosave_needs_the_csrf_header(client, auth, counsellor, draft, db):
    auth.login(counsellor)
    response = client.post(f"/sessions/{draft.id}/autosave", json={"version": 1, **NOTE})
    assert response.status_code == 400
    assert _reload(db, draft.id).note_data == ""


# --- Editing details -------------------------------------------------------------------------


def test_edit_details(client, auth, counsellor, case, draft, db):
    auth.login(counsellor)
    page = client.get(f"/sessions/{draft.id}/edit").get_data(as_text=True)
    assert 'value="2026-01-06T15:00"' in page
    sam = case.partners[1]
    response = auth.post(
        f"/sessions/{draft.id}/edit",
        _details_form(case, attendance=[str(sam.id)], duration_minutes="75", version="1"),
    )
    assert response.status_code == 302
    saved = _reload(db, draft.id)
    assert saved.duration_minutes == 75
    assert [p.id for p in saved.attendees] == [sam.id]
    assert saved.version == 2
    assert _actions(db, "session_updated")[0].detail["fields"]


def test_attendance_only_edit_bumps_the_version(app_context, case, draft, db):
    details = SessionDetails(draft.starts_at, 50, draft.modality, [case.partners[0].id])
    service.update_details(draft, details, expected_version=1)
    assert draft.version == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"starts_at": "2025-12-31T10:00"}, "before the case was opened"),
        ({"duration_minutes": "700"}, "between 1 and 600 minutes"),
        ({"attendance": []}, "Tick at least one partner"),
    ],
)
def test_edit_refusals(client, auth, counsellor, case, draft, db, overrides, message):
    auth.login(counsellor)
    response = auth.post(
        f"/sessions/{draft.id}/edit", _details_form(case, version="1", **overrides)
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    saved = _reload(db, draft.id)
    assert saved.version == 1 and saved.duration_minutes == 50


def test_edit_with_a_stale_version_is_a_conflict(client, auth, counsellor, case, draft, db):
    auth.login(counsellor)
    auth.post(f"/sessions/{draft.id}/note", {**NOTE, "version": 1})
    response = auth.post(
        f"/sessions/{draft.id}/edit", _details_form(case, duration_minutes="80", version="1")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this session" in page
    assert 'value="80"' in page
    assert _version_in(page) == 2
    assert _reload(db, draft.id).duration_minutes == 50


def test_edit_on_a_closed_case_is_refused(client, auth, counsellor, case, draft, db):
    case.status = CaseStatus.CLOSED
    db.commit()
    auth.login(counsellor)
    response = auth.post(f"/sessions/{draft.id}/edit", _details_form(case, version="1"))
    assert "Reopen the case" in response.get_data(as_text=True)


# --- Signing ---------------------------------------------------------------------------------


def test_sign_page_summarises_the_note(client, auth, counsellor, draft, db):
    draft.note_plan = "Return-time script."
    db.commit()
    auth.login(counsellor)
    page = client.get(f"/sessions/{draft.id}/sign").get_data(as_text=True)
    assert "Return-time script." in page
    assert "Enter your password to sign" in page
    assert 'autocomplete="current-password"' in page


def test_sign_with_a_wrong_password_changes_nothing(client, auth, counsellor, draft, db):
    draft.note_data = "Something observed."
    db.commit()
    version = draft.version
    auth.login(counsellor)
    response = auth.post(
        f"/sessions/{draft.id}/sign",
        {"password": "not my password", "version": version, "confirm_missing": "y"},
    )
    assert response.status_code == 200
    assert "password is not right" in response.get_data(as_text=True)
    saved = _reload(db, draft.id)
    assert saved.status == NoteStatus.DRAFT
    assert saved.signed_at is None and saved.note_sha256 is None
    assert saved.version == version
    assert _actions(db, "note_signed") == []
    assert _actions(db, "note_sign_failed")[0].outcome == "denied"


def test_an_empty_note_cannot_be_signed(client, auth, counsellor, draft, db):
    draft.note_data = "   "
    db.commit()
    auth.login(counsellor)
    response = auth.post(
        f"/sessions/{draft.id}/sign",
        {"password": PASSWORD, "version": draft.version, "confirm_missing": "y"},
    )
    assert response.status_code == 200
    assert "The note is empty" in response.get_data(as_text=True)
    assert _reload(db, draft.id).status == NoteStatus.DRAFT


def test_signing_locks_the_note(app, client, auth, counsellor, case, draft, db):
    received = []

    def listener(sender, **kwargs):
        received.append((sender.id, kwargs["member"].id))

    auth.login(counsellor)
    auth.post(f"/sessions/{draft.id}/note", {**NOTE, "version": 1})
    with note_signed.connected_to(listener):
        response = auth.post(
            f"/sessions/{draft.id}/sign",
            {"password": PASSWORD, "version": 2, "confirm_missing": "y"},
        )
    assert response.status_code == 302
    signed = _reload(db, draft.id)
    assert signed.status == NoteStatus.SIGNED
    assert signed.signed_by_id == counsellor.id
    assert abs(signed.signed_at - utcnow()) < timedelta(minutes=1)
    assert signed.note_seal_version == signed_notes.SEAL_KEYED
    with app.app_context():
        assert signed_notes.note_intact(signed)
    assert signed.review_status == ReviewStatus.PENDING
    assert received == [(draft.id, counsellor.id)]
    assert _actions(db, "note_signed")[0].object_id == str(draft.id)

    page = client.get(f"/sessions/{draft.id}").get_data(as_text=True)
    when = signed.signed_at
    assert f"Signed by Robin Counsellor on {when:%d %b %Y} at {when:%H:%M} UTC" in " ".join(
        page.split()
    )
    assert "<textarea" in page  # only the addendum form
    assert 'name="note_data"' not in page
    assert "no longer matches" not in page

    # After signing: no note change by form or autosave, no details change, no re-signing.
    version = signed.version
    refused = auth.post(f"/sessions/{draft.id}/note", {**NOTE, "note_plan": "late", "version": 3})
    text = refused.get_data(as_text=True)
    assert "This note is signed; add an addendum instead" in text
    assert "late" in text  # the text typed in a stale tab is shown back, not lost
    auto = _autosave(client, auth, draft.id, {"version": version, **NOTE, "note_plan": "late"})
    assert auto.status_code == 409 and auto.get_json()["error"]["code"] == "signed"
    assert (
        auth.post(f"/sessions/{draft.id}/edit", _details_form(case, version=str(version)))
        .headers["Location"]
        .endswith(f"/sessions/{draft.id}")
    )
    assert client.get(f"/sessions/{draft.id}/sign").status_code == 302
    after = _reload(db, draft.id)
    assert after.note_plan == NOTE["note_plan"]
    assert after.version == version
    assert after.duration_minutes == 50
    with pytest.raises(NoteSigned):
        require_draft(after)


def test_a_note_changed_since_the_sign_page_opened_is_not_signed(
    client, auth, counsellor, draft, db
):
    auth.login(counsellor)
    auth.post(f"/sessions/{draft.id}/note", {**NOTE, "version": 1})
    page = client.get(f"/sessions/{draft.id}/sign").get_data(as_text=True)
    assert _version_in(page) == 2
    # Another tab saves a change after the sign page was opened.
    auth.post(f"/sessions/{draft.id}/note", {**NOTE, "note_plan": "changed", "version": 2})
    response = auth.post(
        f"/sessions/{draft.id}/sign", {"password": PASSWORD, "version": 2, "confirm_missing": "y"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The note changed since you opened this page" in page
    assert "changed" in page
    assert _version_in(page) == 3
    assert _reload(db, draft.id).status == NoteStatus.DRAFT
    assert (
        auth.post(
            f"/sessions/{draft.id}/sign",
            {"password": PASSWORD, "version": 3, "confirm_missing": "y"},
        ).status_code
        == 302
    )
    assert _reload(db, draft.id).status == NoteStatus.SIGNED


def test_signing_without_a_supervisor_needs_no_review(app, make_staff, make_case, db):
    solo = make_staff(Role.COUNSELLOR)
    session = TherapySession(
        case=make_case(solo), starts_at=datetime(2026, 2, 1, 9, tzinfo=UTC), created_by_id=solo.id
    )
    db.add(session)
    db.flush()
    session = _sign(app, db, session, solo)
    assert session.review_status == ReviewStatus.NOT_REQUIRED


def test_only_the_counsellor_signs(app_context, draft, supervisor, db):
    draft.note_data = "text"
    with pytest.raises(SessionError, match="counsellor"):
        service.sign_note(draft, supervisor)


def test_a_tampered_signed_note_is_flagged(app, client, auth, counsellor, draft, db):
    draft = _sign(app, db, draft, counsellor)
    db.execute(
        update(TherapySession).where(TherapySession.id == draft.id).values(note_plan="edited")
    )
    db.commit()
    auth.login(counsellor)
    assert "no longer matches" in client.get(f"/sessions/{draft.id}").get_data(as_text=True)


# --- note_seal -------------------------------------------------------------------------------


KEY = b"k" * 32


def _seal(therapy_session: TherapySession, key: bytes = KEY) -> str:
    return signed_notes.note_seal(therapy_session, key)


def _signed_copy(**overrides) -> TherapySession:
    values = {
        "id": 7,
        "signed_by_id": 3,
        "signed_at": datetime(2026, 8, 12, 14, 2, tzinfo=UTC),
        **NOTE,
    }
    values.update(overrides)
    return TherapySession(**values)


def test_note_seal_is_stable():
    first = _seal(_signed_copy())
    assert first == _seal(_signed_copy())
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    # The same instant written in another time zone has the same canonical (UTC) form.
    same_instant = datetime(2026, 8, 12, 16, 2, tzinfo=timezone(timedelta(hours=2)))
    assert _seal(_signed_copy(signed_at=same_instant)) == first


@pytest.mark.parametrize(
    "change",
    [
        {"id": 8},
        {"note_data": NOTE["note_data"] + "."},
        {"note_assessment": "Different."},
        {"note_plan": ""},
        {"signed_by_id": 4},
        {"signed_at": datetime(2026, 8, 12, 14, 3, tzinfo=UTC)},
    ],
)
def test_note_seal_changes_with_every_part(change):
    assert _seal(_signed_copy(**change)) != _seal(_signed_copy())


def test_a_note_seal_needs_the_key():
    """The seal is keyed: the unkeyed SHA-256 a database writer can recompute is not it, and
    neither is the seal under another key."""
    note = _signed_copy()
    assert _seal(note) != _seal(note, b"other key" * 4)
    assert _seal(note) != signed_notes.legacy_digest(note)
    signed_notes.seal(note, KEY)
    assert signed_notes.seal_status(note, KEY) == signed_notes.INTACT
    assert signed_notes.seal_status(note, b"other key" * 4) == signed_notes.TAMPERED


def test_an_unkeyed_seal_is_never_intact():
    note = _signed_copy(note_seal_version=signed_notes.SEAL_UNKEYED)
    note.note_sha256 = signed_notes.legacy_digest(note)
    assert signed_notes.seal_status(note, KEY) == signed_notes.UNKEYED
    assert not signed_notes.note_intact(note, KEY)
    note.note_data = "changed"
    assert signed_notes.seal_status(note, KEY) == signed_notes.TAMPERED


def test_note_seal_needs_a_signed_note():
    with pytest.raises(ValueError):
        _seal(TherapySession(id=1, **NOTE))


# --- Addenda ---------------------------------------------------------------------------------


def test_addendum_on_a_signed_note(app, client, auth, counsellor, draft, db):
    draft = _sign(app, db, draft, counsellor)
    auth.login(counsellor)
    response = auth.post(f"/sessions/{draft.id}/addenda", {"text": "Sam called after session."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#addenda")
    auth.post(f"/sessions/{draft.id}/addenda", {"text": "Second thought."})
    page = client.get(f"/sessions/{draft.id}").get_data(as_text=True)
    assert page.index("Sam called after session.") < page.index("Second thought.")
    assert "Robin Counsellor," in page
    addenda = db.scalars(select(Addendum).where(Addendum.session_id == draft.id)).all()
    assert [a.author_id for a in addenda] == [counsellor.id, counsellor.id]
    assert len(_actions(db, "addendum_added")) == 2
    assert _reload(db, draft.id).note_data == NOTE["note_data"]


def test_addendum_sends_a_cosigned_note_back_for_review(
    app, client, auth, counsellor, supervisor, draft, db
):
    draft = _sign(app, db, draft, counsellor)
    draft.review_status = ReviewStatus.COSIGNED
    draft.cosigned_by_id = supervisor.id
    draft.cosigned_at = utcnow()
    db.commit()
    auth.login(counsellor)
    auth.post(f"/sessions/{draft.id}/addenda", {"text": "Correction: it was Sam who left."})
    saved = _reload(db, draft.id)
    assert saved.review_status == ReviewStatus.PENDING
    assert saved.cosigned_by_id is None
    event = _actions(db, "addendum_added")[0]
    assert event.detail["was_cosigned_by_id"] == supervisor.id


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Write the addendum"), ("   ", "Write the addendum"), ("y" * 5_001, "at most 5,000")],
)
def test_addendum_refusals(app, client, auth, counsellor, draft, db, text, message):
    draft = _sign(app, db, draft, counsellor)
    auth.login(counsellor)
    response = auth.post(f"/sessions/{draft.id}/addenda", {"text": text})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.scalar(select(func.count(Addendum.id))) == 0


def test_no_addendum_on_a_draft(client, auth, counsellor, draft, db, app):
    auth.login(counsellor)
    response = auth.post(
        f"/sessions/{draft.id}/addenda", {"text": "Too early."}, follow_redirects=True
    )
    assert "Addenda are for signed notes" in response.get_data(as_text=True)
    assert db.scalar(select(func.count(Addendum.id))) == 0
    with app.app_context(), pytest.raises(SessionError):
        service.add_addendum(draft, counsellor, "Too early.")


# --- Access ----------------------------------------------------------------------------------

GET_ROUTES = [
    "/sessions/{id}",
    "/sessions/{id}/edit",
    "/sessions/{id}/sign",
    "/cases/{case}/sessions/new",
]
POST_ROUTES = [
    "/sessions/{id}/note",
    "/sessions/{id}/autosave",
    "/sessions/{id}/edit",
    "/sessions/{id}/sign",
    "/sessions/{id}/addenda",
    "/cases/{case}/sessions/new",
]


def _path(template: str, session: TherapySession) -> str:
    return template.format(id=session.id, case=session.case_id)


@pytest.mark.parametrize("route", GET_ROUTES)
def test_owner_reaches_every_page(client, auth, counsellor, draft, route):
    auth.login(counsellor)
    assert client.get(_path(route, draft)).status_code == 200


@pytest.mark.parametrize("route", GET_ROUTES)
def test_another_counsellor_gets_404(client, auth, make_staff, draft, route):
    auth.login(make_staff(Role.COUNSELLOR))
    assert client.get(_path(route, draft)).status_code == 404


@pytest.mark.parametrize("route", POST_ROUTES)
def test_another_counsellor_cannot_post(client, auth, make_staff, draft, db, route):
    auth.login(make_staff(Role.COUNSELLOR))
    response = auth.post(_path(route, draft), {**NOTE, "version": 1, "password": PASSWORD})
    assert response.status_code == 404
    assert _reload(db, draft.id).version == 1


def test_supervisor_reads_the_note(client, auth, supervisor, draft):
    auth.login(supervisor)
    assert client.get(f"/sessions/{draft.id}").status_code == 200


@pytest.mark.parametrize(
    "route", ["/sessions/{id}/edit", "/sessions/{id}/sign", "/cases/{case}/sessions/new"]
)
def test_supervisor_cannot_open_editing_pages(client, auth, supervisor, draft, route):
    auth.login(supervisor)
    assert client.get(_path(route, draft)).status_code == 403


@pytest.mark.parametrize("route", POST_ROUTES)
def test_supervisor_cannot_change_anything(client, auth, supervisor, case, draft, db, route):
    auth.login(supervisor)
    data = {**NOTE, **_details_form(case), "version": 1, "password": PASSWORD, "text": "x"}
    assert auth.post(_path(route, draft), data).status_code == 403
    saved = _reload(db, draft.id)
    assert saved.version == 1 and saved.status == NoteStatus.DRAFT
    assert db.scalar(select(func.count(TherapySession.id))) == 1


def test_supervisor_cannot_autosave(client, auth, supervisor, draft, db):
    auth.login(supervisor)
    assert _autosave(client, auth, draft.id, {"version": 1, **NOTE}).status_code == 403


def test_admin_reads_only_under_break_glass_and_does_not_edit(client, auth, make_staff, draft, db):
    admin = make_staff(Role.ADMIN)
    auth.login(admin)
    assert client.get(f"/sessions/{draft.id}").status_code == 404
    open_break_glass(db, admin, draft.case)
    assert client.get(f"/sessions/{draft.id}").status_code == 200
    assert auth.post(f"/sessions/{draft.id}/note", {**NOTE, "version": 1}).status_code == 403


@pytest.mark.parametrize("route", GET_ROUTES)
def test_anonymous_is_sent_to_login(client, draft, route):
    response = client.get(_path(route, draft))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("route", POST_ROUTES)
def test_anonymous_posts_are_refused(client, auth, draft, db, route):
    token = auth.csrf_token("/login")
    response = client.post(_path(route, draft), data={**NOTE, "version": 1, "csrf_token": token})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert _reload(db, draft.id).version == 1


def test_voided_sessions_are_not_found(client, auth, counsellor, draft, db):
    draft.voided_at = utcnow()
    db.commit()
    auth.login(counsellor)
    assert client.get(f"/sessions/{draft.id}").status_code == 404
