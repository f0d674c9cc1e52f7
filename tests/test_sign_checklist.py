"""The sign page lists what the session has not recorded, and signs only once the counsellor
confirms having read the list; the rule itself is pure (``sessions.before_signing``)."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from practice.measures.csi4 import CSI4_MEASURE
from practice.models import (
    MeasureResponse,
    Role,
    Script,
    ScriptAssignment,
    ScriptObservation,
    TherapySession,
)
from practice.scripts.adoption import ABSENT, NO_OPPORTUNITY
from practice.sessions.before_signing import (
    ADOPTION,
    CSI4,
    NOTE,
    Attendee,
    OpenScript,
    missing_before_signing,
)
from tests.conftest import PASSWORD

FULL_NOTE = {"note_data": "Data.", "note_assessment": "Assessment.", "note_plan": "Plan."}
ALEX, SAM = Attendee(1, "Alex"), Attendee(2, "Sam")
SAMS_SCRIPT = OpenScript(10, 2, "Sam", "Let me try that again.")
ALEXS_SCRIPT = OpenScript(11, 1, "Alex", "When would be a good time?")

# --- The rule ------------------------------------------------------------------------------------


def test_nothing_is_missing_when_everything_is_recorded():
    assert missing_before_signing(FULL_NOTE, [ALEX, SAM], {1, 2}, [SAMS_SCRIPT], {10}) == []


def test_each_missing_thing_is_listed_in_the_order_of_the_tabs():
    note = {"note_data": "Data.", "note_assessment": "  ", "note_plan": ""}
    missing = missing_before_signing(note, [ALEX, SAM], {1}, [SAMS_SCRIPT, ALEXS_SCRIPT], {11})
    assert [(m.kind, m.text) for m in missing] == [
        (CSI4, "No CSI-4 recorded for Sam, who attended."),
        (
            ADOPTION,
            "No adoption level recorded for Sam's script “Let me try that again.” "
            "(or “no opportunity”).",
        ),
        (NOTE, "The Assessment part of the note is empty."),
        (NOTE, "The Plan part of the note is empty."),
    ]


def test_an_absent_partner_is_asked_for_nothing():
    # Sam did not come: no CSI-4 expected, and Sam's script is recorded as absent.
    assert missing_before_signing(FULL_NOTE, [ALEX], {1}, [SAMS_SCRIPT], set()) == []


def test_an_empty_note_lists_no_empty_parts():
    # An empty note cannot be signed at all; the page says so on its own.
    assert missing_before_signing({}, [ALEX], {1}, [], set()) == []


# --- The page ------------------------------------------------------------------------------------


@pytest.fixture
def counsellor(make_staff, supervisor):
    return make_staff(Role.COUNSELLOR, supervisor=supervisor, display_name="Robin Counsellor")


@pytest.fixture
def visit(make_session, case):
    return make_session(case, note_data="Alex pursued; Sam went quiet.", note_plan="Time-out.")


def _assign(db, session, partner) -> ScriptAssignment:
    script = db.scalar(select(Script).order_by(Script.id))
    assignment = ScriptAssignment(
        case_id=session.case_id,
        partner_id=partner.id,
        script_id=script.id,
        assigned_session_id=session.id,
    )
    db.add(assignment)
    db.commit()
    return assignment


def _missing_items(page: str) -> list[str]:
    section = page.split('class="missing-list"')[1].split("</ul>")[0]
    items = [item.split("</li>")[0] for item in section.split("<li")[1:]]
    return [html.unescape(item.split(">", 1)[1].split(" <a")[0]).strip() for item in items]


def test_the_sign_page_lists_what_is_missing(client, auth, counsellor, case, visit, db):
    alex, sam = case.partners
    script = _assign(db, visit, sam)
    text = script.script.text
    db.add(
        MeasureResponse(
            session_id=visit.id,
            partner_id=alex.id,
            measure=CSI4_MEASURE,
            items=[4, 3, 4, 3],
            total=14,
            recorded_by_id=counsellor.id,
        )
    )
    db.commit()
    auth.login(counsellor)
    page = client.get(f"/sessions/{visit.id}/sign").get_data(as_text=True)
    assert _missing_items(page) == [
        "No CSI-4 recorded for Sam, who attended.",
        f"No adoption level recorded for Sam's script “{text}” (or “no opportunity”).",
        "The Assessment part of the note is empty.",
    ]
    assert f'href="/sessions/{visit.id}/measures">CSI-4 tab</a>' in page
    assert 'id="confirm_missing"' in page


def test_recorded_things_leave_the_list(client, auth, counsellor, case, visit, db):
    alex, sam = case.partners
    script = _assign(db, visit, sam)
    for partner in (alex, sam):
        db.add(
            MeasureResponse(
                session_id=visit.id,
                partner_id=partner.id,
                measure=CSI4_MEASURE,
                items=[4, 3, 4, 3],
                total=14,
                recorded_by_id=counsellor.id,
            )
        )
    db.add(
        ScriptObservation(
            assignment_id=script.id, session_id=visit.id, status=NO_OPPORTUNITY, level=None
        )
    )
    visit.note_assessment = "Both named the cycle."
    db.commit()
    auth.login(counsellor)
    page = client.get(f"/sessions/{visit.id}/sign").get_data(as_text=True)
    assert "missing-list" not in page
    assert 'id="confirm_missing"' not in page


def test_an_absent_partners_script_is_not_missing(client, auth, counsellor, case, make_session, db):
    alex, sam = case.partners
    visit = make_session(case, note_data="Alex came alone.", note_assessment="A.", note_plan="P.")
    visit.attendees = [alex]
    db.commit()
    script = _assign(db, visit, sam)
    db.add(ScriptObservation(assignment_id=script.id, session_id=visit.id, status=ABSENT))
    db.add(
        MeasureResponse(
            session_id=visit.id,
            partner_id=alex.id,
            measure=CSI4_MEASURE,
            items=[4, 3, 4, 3],
            total=14,
            recorded_by_id=counsellor.id,
        )
    )
    db.commit()
    auth.login(counsellor)
    page = client.get(f"/sessions/{visit.id}/sign").get_data(as_text=True)
    assert "missing-list" not in page


def test_signing_with_something_missing_needs_the_confirmation(
    client, auth, counsellor, case, visit, db
):
    auth.login(counsellor)
    path = f"/sessions/{visit.id}/sign"
    refused = auth.post(path, {"password": PASSWORD, "version": str(visit.version)})
    assert refused.status_code == 200
    assert "Tick this box to sign" in refused.get_data(as_text=True)
    db.expire_all()
    assert not db.get(TherapySession, visit.id).is_signed

    signed = auth.post(
        path, {"password": PASSWORD, "version": str(visit.version), "confirm_missing": "y"}
    )
    assert signed.status_code == 302
    db.expire_all()
    assert db.get(TherapySession, visit.id).is_signed


def test_nothing_missing_signs_without_the_confirmation(
    client, auth, counsellor, case, make_session, db
):
    visit = make_session(case, **FULL_NOTE)
    for partner in case.partners:
        db.add(
            MeasureResponse(
                session_id=visit.id,
                partner_id=partner.id,
                measure=CSI4_MEASURE,
                items=[4, 3, 4, 3],
                total=14,
                recorded_by_id=counsellor.id,
            )
        )
    db.commit()
    auth.login(counsellor)
    signed = auth.post(f"/sessions/{visit.id}/sign", {"password": PASSWORD, "version": "1"})
    assert signed.status_code == 302
