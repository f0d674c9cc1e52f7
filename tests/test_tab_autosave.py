"""Autosave of the session tabs' CSI-4 answers and adoption levels: JSON routes that validate,
audit, need the CSRF header, refuse a signed note and change nothing when they refuse."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from practice.models import (
    AuditEvent,
    MeasureResponse,
    NoteStatus,
    Script,
    ScriptAssignment,
    ScriptObservation,
)
from practice.scripts.adoption import NO_OPPORTUNITY, OBSERVED

WITHDRAWER_SCRIPT = "I need time to process this, but I'm open to talk soon."


@pytest.fixture
def visit(make_session, case):
    return make_session(case)


def _post(client, auth, path: str, payload, csrf: bool = True):
    headers = {"X-CSRFToken": auth.csrf_token("/")} if csrf else {}
    return client.post(path, json=payload, headers=headers)


def _responses(db) -> list[tuple[int, list[int], int]]:
    db.expire_all()
    rows = db.scalars(select(MeasureResponse).order_by(MeasureResponse.partner_id))
    return [(r.partner_id, list(r.items), r.total) for r in rows]


def _audited(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _assign(db, session, partner) -> ScriptAssignment:
    script = db.scalar(select(Script).where(Script.text == WITHDRAWER_SCRIPT))
    assignment = ScriptAssignment(
        case_id=session.case_id,
        partner_id=partner.id,
        script_id=script.id,
        assigned_session_id=session.id,
    )
    db.add(assignment)
    db.commit()
    return assignment


def _observations(db) -> list[tuple]:
    db.expire_all()
    rows = db.scalars(select(ScriptObservation).order_by(ScriptObservation.id))
    return [(o.assignment_id, o.status, o.level, o.note) for o in rows]


# --- CSI-4 ---------------------------------------------------------------------------------------


def test_the_csi4_tab_offers_autosave(client, auth, counsellor, case, visit):
    auth.login(counsellor)
    html = client.get(f"/sessions/{visit.id}/measures").get_data(as_text=True)
    assert f'data-fieldsave-url="/sessions/{visit.id}/measures/autosave"' in html
    assert f'data-save-group="{case.partners[0].id}"' in html
    assert "js/fieldsave.js" in html


def test_csi4_answers_autosave_and_are_audited(client, auth, counsellor, case, visit, db):
    alex = case.partners[0]
    auth.login(counsellor)
    path = f"/sessions/{visit.id}/measures/autosave"
    response = _post(client, auth, path, {"partner_id": alex.id, "items": [4, 3, 4, 2]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 13
    assert body["below_cutoff"] is True
    assert _responses(db) == [(alex.id, [4, 3, 4, 2], 13)]
    assert len(_audited(db, "measure_recorded")) == 1

    # A change replaces the answers; the same answers again record nothing more.
    assert (
        _post(client, auth, path, {"partner_id": alex.id, "items": [5, 4, 4, 3]}).status_code == 200
    )
    assert (
        _post(client, auth, path, {"partner_id": alex.id, "items": [5, 4, 4, 3]}).status_code == 200
    )
    assert _responses(db) == [(alex.id, [5, 4, 4, 3], 16)]
    assert len(_audited(db, "measure_recorded")) == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"items": [1, 1, 1, 1]}, "partner_id"),
        ({"partner_id": "x", "items": [1, 1, 1, 1]}, "partner_id"),
        ({"partner_id": None, "items": [1, 1, 1]}, "items"),
        ({"partner_id": None, "items": [7, 1, 1, 1]}, "item_1"),
        ({"partner_id": None, "items": [1, 1, 1, -1]}, "item_4"),
        ({"partner_id": None, "items": [1, True, 1, 1]}, "item_2"),
        ({"partner_id": None, "items": [1, 1.5, 1, 1]}, "item_2"),
        ({"partner_id": None, "items": "1111"}, "items"),
        ([1, 2], None),
    ],
)
def test_a_bad_csi4_autosave_is_a_clear_400_and_changes_nothing(
    client, auth, counsellor, case, visit, db, payload, field
):
    alex = case.partners[0]
    auth.login(counsellor)
    path = f"/sessions/{visit.id}/measures/autosave"
    assert (
        _post(client, auth, path, {"partner_id": alex.id, "items": [4, 3, 4, 2]}).status_code == 200
    )
    if isinstance(payload, dict) and payload.get("partner_id", "") is None:
        payload = {**payload, "partner_id": alex.id}
    response = _post(client, auth, path, payload)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["message"]
    if field:
        assert field in error["fields"]
    assert _responses(db) == [(alex.id, [4, 3, 4, 2], 13)]


def test_a_partner_of_another_case_is_refused(client, auth, counsellor, make_case, visit, db):
    other = make_case(counsellor)
    auth.login(counsellor)
    response = _post(
        client,
        auth,
        f"/sessions/{visit.id}/measures/autosave",
        {"partner_id": other.partners[0].id, "items": [1, 1, 1, 1]},
    )
    assert response.status_code == 400
    assert "not in this case" in response.get_json()["error"]["message"]
    assert _responses(db) == []


def test_csi4_autosave_on_a_signed_note_is_refused(
    client, auth, counsellor, case, make_session, db
):
    signed = make_session(case, status=NoteStatus.SIGNED)
    auth.login(counsellor)
    response = _post(
        client,
        auth,
        f"/sessions/{signed.id}/measures/autosave",
        {"partner_id": case.partners[0].id, "items": [1, 1, 1, 1]},
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "signed"
    assert _responses(db) == []


def test_csi4_autosave_needs_the_csrf_header(client, auth, counsellor, case, visit, db):
    auth.login(counsellor)
    response = _post(
        client,
        auth,
        f"/sessions/{visit.id}/measures/autosave",
        {"partner_id": case.partners[0].id, "items": [1, 1, 1, 1]},
        csrf=False,
    )
    assert response.status_code == 400
    assert _responses(db) == []


def test_csi4_autosave_is_for_the_cases_counsellor_only(client, auth, supervisor, case, visit, db):
    auth.login(supervisor)
    response = _post(
        client,
        auth,
        f"/sessions/{visit.id}/measures/autosave",
        {"partner_id": case.partners[0].id, "items": [1, 1, 1, 1]},
    )
    assert response.status_code in (403, 404)
    assert _responses(db) == []


# --- Adoption levels -----------------------------------------------------------------------------


def test_the_scripts_tab_offers_autosave(client, auth, counsellor, case, visit, db):
    assignment = _assign(db, visit, case.partners[1])
    auth.login(counsellor)
    html = client.get(f"/sessions/{visit.id}/scripts").get_data(as_text=True)
    assert f'data-fieldsave-url="/sessions/{visit.id}/scripts/autosave"' in html
    assert f'data-save-group="{assignment.id}"' in html


def test_adoption_levels_autosave_and_are_audited(client, auth, counsellor, case, visit, db):
    assignment = _assign(db, visit, case.partners[1])
    auth.login(counsellor)
    path = f"/sessions/{visit.id}/scripts/autosave"
    response = _post(
        client, auth, path, {"assignment_id": assignment.id, "level": 2, "note": "Used it."}
    )
    assert response.status_code == 200
    assert response.get_json()["level"] == 2
    assert _observations(db) == [(assignment.id, OBSERVED, 2, "Used it.")]
    response = _post(
        client, auth, path, {"assignment_id": assignment.id, "level": NO_OPPORTUNITY, "note": ""}
    )
    assert response.status_code == 200
    assert _observations(db) == [(assignment.id, NO_OPPORTUNITY, None, "")]
    assert len(_audited(db, "adoption_recorded")) == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"level": 4}, "level"),
        ({"level": -1}, "level"),
        ({"level": "2"}, "level"),
        ({"level": True}, "level"),
        ({"level": "absent"}, "level"),
        ({"level": None}, "level"),
        ({"level": 2, "note": 5}, "note"),
        ({"level": 2, "note": "x" * 501}, "note"),
        ({"level": 2, "assignment_id": "one"}, "assignment_id"),
    ],
)
def test_a_bad_adoption_autosave_is_a_clear_400_and_changes_nothing(
    client, auth, counsellor, case, visit, db, payload, field
):
    assignment = _assign(db, visit, case.partners[1])
    auth.login(counsellor)
    path = f"/sessions/{visit.id}/scripts/autosave"
    assert (
        _post(client, auth, path, {"assignment_id": assignment.id, "level": 1}).status_code == 200
    )
    response = _post(client, auth, path, {"assignment_id": assignment.id, **payload})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and error["message"]
    assert field in error["fields"]
    assert _observations(db) == [(assignment.id, OBSERVED, 1, "")]


def test_an_adoption_autosave_for_another_cases_script_is_refused(
    client, auth, counsellor, make_case, make_session, visit, db
):
    other = make_case(counsellor)
    foreign = _assign(db, make_session(other), other.partners[1])
    auth.login(counsellor)
    response = _post(
        client,
        auth,
        f"/sessions/{visit.id}/scripts/autosave",
        {"assignment_id": foreign.id, "level": 2},
    )
    assert response.status_code == 400
    assert _observations(db) == []


def test_adoption_autosave_on_a_signed_note_is_refused(
    client, auth, counsellor, case, make_session, db
):
    signed = make_session(case, status=NoteStatus.SIGNED)
    assignment = _assign(db, signed, case.partners[1])
    auth.login(counsellor)
    response = _post(
        client,
        auth,
        f"/sessions/{signed.id}/scripts/autosave",
        {"assignment_id": assignment.id, "level": 2},
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "signed"
    assert db.scalar(select(func.count()).select_from(ScriptObservation)) == 0


def test_adoption_autosave_needs_the_csrf_header(client, auth, counsellor, case, visit, db):
    assignment = _assign(db, visit, case.partners[1])
    auth.login(counsellor)
    response = _post(
        client,
        auth,
        f"/sessions/{visit.id}/scripts/autosave",
        {"assignment_id": assignment.id, "level": 2},
        csrf=False,
    )
    assert response.status_code == 400
    assert _observations(db) == []
