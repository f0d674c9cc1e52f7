"""Scripts: the admin library, assigning scripts, recording adoption, retiring assignments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from practice.models import (
    AssignmentStatus,
    AuditEvent,
    NoteStatus,
    Role,
    Script,
    ScriptAssignment,
    ScriptObservation,
)
from practice.scripts import operations, queries
from practice.scripts.adoption import OBSERVED

WITHDRAWER_SCRIPT = "I need time to process this, but I'm open to talk soon."
PURSUER_SCRIPT = "When would be a good time for us to sit with this together?"


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN)


@pytest.fixture
def visit(make_session, case):
    return make_session(case)


def script_by_text(db, text: str) -> Script:
    return db.scalar(select(Script).where(Script.text == text))


def give(db, session, partner, script, status=AssignmentStatus.ACTIVE) -> ScriptAssignment:
    assignment = ScriptAssignment(
        case_id=session.case_id,
        partner_id=partner.id,
        script_id=script.id,
        assigned_session_id=session.id,
        status=status,
    )
    db.add(assignment)
    db.commit()
    return assignment


def observe(db, assignment, session, level, note="") -> ScriptObservation:
    observation = ScriptObservation(
        assignment_id=assignment.id, session_id=session.id, level=level, note=note
    )
    db.add(observation)
    db.commit()
    return observation


def count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def audited(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def page(response) -> str:
    """The response's HTML."""
    return response.get_data(as_text=True)


# --- The library --------------------------------------------------------------------------------


def test_library_shows_the_seeded_scripts_by_category_with_their_role(client, auth, admin):
    auth.login(admin)
    response = client.get("/admin/scripts")
    html = page(response)
    assert response.status_code == 200
    assert WITHDRAWER_SCRIPT in html.replace("&#39;", "'")
    assert "<caption>Time-out and return</caption>" in html
    assert "<caption>Soft bid</caption>" in html
    assert "Withdrawer" in html and "Pursuer" in html and "Either partner" in html


def test_admin_adds_a_script(client, auth, admin, db):
    auth.login(admin)
    response = auth.post(
        "/admin/scripts",
        {"text": "  I hear you.  ", "intended_role": "withdrawer", "category": "Validation"},
    )
    assert response.status_code == 302
    script = script_by_text(db, "I hear you.")
    assert script is not None and script.active
    assert (script.intended_role, script.category) == ("withdrawer", "Validation")
    event_ = audited(db, "script_created")[-1]
    assert event_.object_id == str(script.id)
    assert "I hear you" not in str(event_.detail)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "x" * 301, "intended_role": "either", "category": "C"}, "300 characters"),
        ({"text": "", "intended_role": "either", "category": "C"}, "Write the script"),
        ({"text": "Fine words.", "intended_role": "either", "category": "c" * 41}, "40 characters"),
        ({"text": "Fine words.", "intended_role": "nobody", "category": "C"}, "Choose pursuer"),
        (
            {"text": "let me try that again.", "intended_role": "either", "category": "C"},
            "already in the library",
        ),
    ],
)
def test_bad_scripts_are_refused_with_the_form_refilled(client, auth, admin, db, data, message):
    auth.login(admin)
    before = count(db, Script)
    response = auth.post("/admin/scripts", {"category": "C", **data})
    assert response.status_code == 200
    assert message in page(response)
    assert count(db, Script) == before
    if data["category"] == "C":
        assert 'value="C"' in page(response)


def test_admin_edits_a_script(client, auth, admin, db):
    script = script_by_text(db, "Let me try that again.")
    auth.login(admin)
    form = client.get(f"/admin/scripts/{script.id}/edit")
    assert "Let me try that again." in page(form)
    response = auth.post(
        f"/admin/scripts/{script.id}/edit",
        {"text": "Let me try that once more.", "intended_role": "pursuer", "category": "Repair"},
    )
    assert response.status_code == 302
    db.expire_all()
    script = db.get(Script, script.id)
    assert (script.text, script.intended_role) == ("Let me try that once more.", "pursuer")
    assert audited(db, "script_updated")[-1].detail == {"fields": ["text", "intended_role"]}


def test_editing_to_an_over_long_text_changes_nothing(client, auth, admin, db):
    script = script_by_text(db, "Let me try that again.")
    auth.login(admin)
    response = auth.post(
        f"/admin/scripts/{script.id}/edit",
        {"text": "y" * 301, "intended_role": "either", "category": "Repair"},
    )
    assert response.status_code == 200
    assert "300 characters" in page(response)
    db.expire_all()
    assert db.get(Script, script.id).text == "Let me try that again."


def test_retiring_a_script_keeps_it_on_assignments_and_out_of_the_assign_list(
    client, auth, admin, db, case, visit, counsellor
):
    script = script_by_text(db, WITHDRAWER_SCRIPT)
    assignment = give(db, visit, case.partners[1], script)
    auth.login(admin)
    assert auth.post(f"/admin/scripts/{script.id}/retire").status_code == 302
    db.expire_all()
    assert db.get(Script, script.id).active is False
    assert audited(db, "script_retired")[-1].object_id == str(script.id)
    assert db.get(ScriptAssignment, assignment.id).status == AssignmentStatus.ACTIVE

    auth.logout()
    auth.login(counsellor)
    html = page(client.get(f"/sessions/{visit.id}/scripts")).replace("&#39;", "'")
    script_select = html.split('name="script_id"')[1].split("</select>")[0]
    assert f'<option value="{script.id}"' not in script_select  # not offered any more
    assert PURSUER_SCRIPT in script_select
    assert WITHDRAWER_SCRIPT in html  # still on the partner's assignment

    auth.logout()
    auth.login(admin)
    auth.post(f"/admin/scripts/{script.id}/retire")
    db.expire_all()
    assert db.get(Script, script.id).active is True


def test_library_pages_are_for_admins_only(client, auth, make_staff, db):
    script_id = db.scalar(select(Script.id).limit(1))
    paths = ["/admin/scripts", f"/admin/scripts/{script_id}/edit"]
    assert client.get(paths[0]).headers["Location"].startswith("/login")
    for role in (Role.COUNSELLOR, Role.SUPERVISOR):
        auth.login(make_staff(role))
        for path in paths:
            assert client.get(path).status_code == 403
            assert auth.post(path, {"text": "x", "category": "x"}).status_code == 403
        assert auth.post(f"/admin/scripts/{script_id}/retire").status_code == 403
        auth.logout()
    assert db.get(Script, script_id).active


# --- Assigning -----------------------------------------------------------------------------------


def assign(auth, visit, partner_id, script_id):
    return auth.post(
        f"/sessions/{visit.id}/scripts",
        {"partner_id": str(partner_id), "script_id": str(script_id), "assign": "Assign script"},
    )


def test_counsellor_assigns_a_script_from_this_session(client, auth, counsellor, case, visit, db):
    sam = case.partners[1]  # the withdrawer
    script = script_by_text(db, WITHDRAWER_SCRIPT)
    auth.login(counsellor)
    response = assign(auth, visit, sam.id, script.id)
    assert response.status_code == 302
    assignment = db.scalar(select(ScriptAssignment).where(ScriptAssignment.partner_id == sam.id))
    assert assignment.script_id == script.id
    assert assignment.assigned_session_id == visit.id
    assert assignment.case_id == case.id
    assert assignment.status == AssignmentStatus.ACTIVE
    assert audited(db, "script_assigned")[-1].detail == {
        "script_id": script.id,
        "partner_id": sam.id,
        "session_id": visit.id,
    }
    html = page(client.get(response.headers["Location"]))
    assert "The script was assigned." in html
    assert "Note: this script is written for" not in html
    assert visit.starts_at.strftime("%d %b %Y") in html
    assert "Not yet adopted" in html


def test_a_script_for_the_other_role_is_assigned_with_a_note(
    client, auth, counsellor, case, visit, db
):
    alex = case.partners[0]  # the pursuer
    auth.login(counsellor)
    response = assign(auth, visit, alex.id, script_by_text(db, WITHDRAWER_SCRIPT).id)
    html = page(client.get(response.headers["Location"]))
    assert "Note: this script is written for a withdrawer, and this partner is the pursuer" in html
    assert "Written for a withdrawer; Alex is the pursuer" in html


@pytest.mark.parametrize(
    "tamper", ["other_case_partner", "retired_script", "unknown_script", "not_a_number"]
)
def test_bad_assignments_are_refused(
    client, auth, counsellor, case, visit, db, make_case, make_staff, tamper
):
    partner_id = case.partners[1].id
    script = script_by_text(db, WITHDRAWER_SCRIPT)
    script_id: object = script.id
    if tamper == "other_case_partner":
        partner_id = make_case(make_staff()).partners[1].id
        message = "That partner is not in this case."
    elif tamper == "retired_script":
        script.active = False
        db.commit()
        message = "That script is retired"
    elif tamper == "unknown_script":
        script_id = 999_999
        message = "That script is not in the library."
    else:
        script_id = "seven"
        message = "Choose a script."
    auth.login(counsellor)
    response = assign(auth, visit, partner_id, script_id)
    assert response.status_code == 200
    assert message in page(response)
    assert count(db, ScriptAssignment) == 0
    assert audited(db, "script_assigned") == []


def test_the_same_script_cannot_be_given_twice_while_active(
    client, auth, counsellor, case, visit, db
):
    script = script_by_text(db, WITHDRAWER_SCRIPT)
    sam = case.partners[1]
    auth.login(counsellor)
    assert assign(auth, visit, sam.id, script.id).status_code == 302
    response = assign(auth, visit, sam.id, script.id)
    assert response.status_code == 200
    assert "Sam is already working on this script." in page(response)
    assert count(db, ScriptAssignment) == 1


def test_a_retired_assignment_can_be_given_again(client, auth, counsellor, case, visit, db):
    script = script_by_text(db, WITHDRAWER_SCRIPT)
    give(db, visit, case.partners[1], script, status=AssignmentStatus.RETIRED)
    auth.login(counsellor)
    assert assign(auth, visit, case.partners[1].id, script.id).status_code == 302
    assert count(db, ScriptAssignment) == 2


# --- Recording adoption --------------------------------------------------------------------------


def record(auth, visit, entries: list[tuple[int, object, str]]):
    data = {"record": "Save adoption levels"}
    for i, (assignment_id, level, note) in enumerate(entries):
        data[f"observations-{i}-assignment_id"] = str(assignment_id)
        if level is not None:
            data[f"observations-{i}-level"] = str(level)
        data[f"observations-{i}-note"] = note
    return auth.post(f"/sessions/{visit.id}/scripts", data)


@pytest.fixture
def assignment(db, case, visit):
    return give(db, visit, case.partners[1], script_by_text(db, WITHDRAWER_SCRIPT))


def test_the_form_lists_each_active_assignment_with_the_level_words(
    client, auth, counsellor, assignment, visit
):
    auth.login(counsellor)
    html = page(client.get(f"/sessions/{visit.id}/scripts"))
    assert 'name="observations-0-assignment_id"' in html
    assert f'value="{assignment.id}"' in html
    for words in (
        "Not used",
        "Used when prompted in session",
        "Reported used at home",
        "No opportunity this session",
    ):
        assert words in html
    assert html.count('type="radio"') == 5  # the four levels and "no opportunity"


def test_counsellor_records_adoption_and_recording_again_updates(
    client, auth, counsellor, assignment, visit, db
):
    auth.login(counsellor)
    assert record(auth, visit, [(assignment.id, 1, "prompted once")]).status_code == 302
    assert record(auth, visit, [(assignment.id, 2, "said it unprompted")]).status_code == 302
    observations = list(db.scalars(select(ScriptObservation)))
    assert len(observations) == 1
    assert (observations[0].level, observations[0].note) == (2, "said it unprompted")
    assert observations[0].session_id == visit.id
    assert len(audited(db, "adoption_recorded")) == 2
    assert "unprompted" not in str(audited(db, "adoption_recorded")[-1].detail)
    html = page(client.get(f"/sessions/{visit.id}/scripts"))
    assert 'checked id="observations-0-level-2"' in html  # pre-filled from the stored one
    assert "said it unprompted" in html


def test_a_blank_level_records_nothing(client, auth, counsellor, assignment, visit, db):
    auth.login(counsellor)
    response = record(auth, visit, [(assignment.id, None, "")])
    assert response.status_code == 200
    assert "Choose a level, or “no opportunity”, for at least one script." in page(response)
    assert count(db, ScriptObservation) == 0


@pytest.mark.parametrize(
    ("level", "note", "message"),
    [
        ("4", "", "Choose an adoption level from 0 to 3, or “no opportunity”."),
        ("-1", "", "Choose an adoption level from 0 to 3, or “no opportunity”."),
        ("two", "", "Choose an adoption level from 0 to 3, or “no opportunity”."),
        ("1", "n" * 501, "Keep the note to 500 characters or fewer."),
        (None, "a note but no level", "Choose a level, or “no opportunity”, to go with the note."),
    ],
)
def test_bad_levels_and_notes_are_refused(
    client, auth, counsellor, assignment, visit, db, level, note, message
):
    auth.login(counsellor)
    response = record(auth, visit, [(assignment.id, level, note)])
    assert response.status_code == 200
    assert message in page(response)
    assert count(db, ScriptObservation) == 0
    if note:
        assert note[:20] in page(response)  # what was typed is kept


def test_an_observation_for_another_cases_assignment_is_refused(
    client, auth, counsellor, assignment, visit, db, make_case, make_session
):
    other_case = make_case(counsellor)
    other_visit = make_session(other_case)
    foreign = give(db, other_visit, other_case.partners[0], script_by_text(db, PURSUER_SCRIPT))
    auth.login(counsellor)
    response = record(auth, visit, [(assignment.id, 2, ""), (foreign.id, 3, "")])
    assert response.status_code == 200
    assert "not in this case" in page(response)
    assert count(db, ScriptObservation) == 0


def test_an_observation_for_a_retired_assignment_is_refused(
    client, auth, counsellor, case, visit, db
):
    retired = give(
        db, visit, case.partners[0], script_by_text(db, PURSUER_SCRIPT), AssignmentStatus.RETIRED
    )
    auth.login(counsellor)
    html = page(client.get(f"/sessions/{visit.id}/scripts"))
    assert "observations-0-assignment_id" not in html  # retired ones are not offered
    response = record(auth, visit, [(retired.id, 2, "")])
    assert response.status_code == 200
    assert "A retired script cannot get new adoption levels." in page(response)
    assert count(db, ScriptObservation) == 0


def test_no_observation_before_the_assigning_session(
    client, auth, counsellor, case, visit, db, make_session
):
    later = make_session(case)
    late = give(db, later, case.partners[1], script_by_text(db, WITHDRAWER_SCRIPT))
    auth.login(counsellor)
    assert "observations-0-assignment_id" not in page(client.get(f"/sessions/{visit.id}/scripts"))
    response = record(auth, visit, [(late.id, 1, "")])
    assert "before it was assigned" in page(response)
    assert count(db, ScriptObservation) == 0


def test_nothing_changes_on_a_signed_note(client, auth, counsellor, case, db, make_session):
    signed = make_session(case, status=NoteStatus.SIGNED)
    assignment = give(db, signed, case.partners[1], script_by_text(db, WITHDRAWER_SCRIPT))
    auth.login(counsellor)
    html = page(client.get(f"/sessions/{signed.id}/scripts"))
    assert "shown read-only" in html
    assert "Save adoption levels" not in html and "Assign script" not in html
    assert ">Retire<" not in html

    response = record(auth, signed, [(assignment.id, 2, "")])
    assert response.status_code == 200
    assert "note is signed" in page(response)
    response = assign(auth, signed, case.partners[0].id, script_by_text(db, PURSUER_SCRIPT).id)
    assert "note is signed" in page(response)
    response = auth.post(
        f"/assignments/{assignment.id}/retire", {"session_id": signed.id}, follow_redirects=True
    )
    assert "note is signed" in page(response)
    assert count(db, ScriptObservation) == 0
    assert count(db, ScriptAssignment) == 1
    db.expire_all()
    assert db.get(ScriptAssignment, assignment.id).status == AssignmentStatus.ACTIVE


# --- The adopted point ---------------------------------------------------------------------------


@pytest.fixture
def five_sessions(make_session, case):
    start = datetime(2026, 8, 5, 10, 0, tzinfo=UTC)
    return [make_session(case, starts_at=start + timedelta(weeks=n)) for n in range(5)]


def test_adopted_at_the_fourth_session_for_levels_1_2_1_2_3(
    client, auth, counsellor, case, five_sessions, db
):
    assignment = give(db, five_sessions[0], case.partners[1], script_by_text(db, WITHDRAWER_SCRIPT))
    for visit, level in zip(five_sessions, [1, 2, 1, 2, 3], strict=True):
        observe(db, assignment, visit, level)
    auth.login(counsellor)
    html = page(client.get(f"/sessions/{five_sessions[4].id}/scripts"))
    assert "Adopted at the session of 26 Aug 2026" in html  # the 4th: 5 Aug + 3 weeks
    assert "Not yet adopted" not in html


def test_not_adopted_while_no_two_consecutive_levels_reach_2(
    client, auth, counsellor, case, five_sessions, db
):
    assignment = give(db, five_sessions[0], case.partners[1], script_by_text(db, WITHDRAWER_SCRIPT))
    for visit, level in zip(five_sessions, [2, 1, 3, 0, 2], strict=True):
        observe(db, assignment, visit, level)
    auth.login(counsellor)
    assert "Not yet adopted" in page(client.get(f"/sessions/{five_sessions[4].id}/scripts"))


def test_assignment_rows_in_a_fixed_number_of_queries(
    app_context, db, case, five_sessions, make_session
):
    scripts = db.scalars(select(Script).order_by(Script.id)).all()
    for n, script in enumerate(scripts[:4]):
        assignment = give(db, five_sessions[0], case.partners[n % 2], script)
        for visit, level in zip(five_sessions, [1, 2, 1, 2, 3], strict=True):
            observe(db, assignment, visit, level)
    retired = give(db, five_sessions[1], case.partners[0], scripts[4], AssignmentStatus.RETIRED)
    db.expire_all()
    assert case.reference  # the view has the case loaded already

    statements: list[str] = []
    connection = db.connection()

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", remember)
    try:
        rows = queries.assignment_rows(case)
        shown = [
            (r.assignment.script.text, r.assignment.partner.display_name, r.adopted) for r in rows
        ]
    finally:
        event.remove(connection, "before_cursor_execute", remember)
    assert len(statements) == 3  # assignments, observations, check-ins' home reports
    assert len(shown) == 5
    assert rows[-1].assignment.id == retired.id  # active first, then retired
    assert all(r.adopted.session_id == five_sessions[3].id for r in rows[:4])
    assert [o.level for o in rows[0].observations] == [1, 2, 1, 2, 3]


# --- Retiring an assignment ----------------------------------------------------------------------


def test_counsellor_retires_an_assignment_keeping_its_history(
    client, auth, counsellor, case, visit, assignment, db, make_session
):
    observe(db, assignment, visit, 2)
    later = make_session(case)
    auth.login(counsellor)
    response = auth.post(f"/assignments/{assignment.id}/retire", {"session_id": later.id})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sessions/{later.id}/scripts")
    db.expire_all()
    retired = db.get(ScriptAssignment, assignment.id)
    assert retired.status == AssignmentStatus.RETIRED
    assert retired.retired_session_id == later.id
    assert retired.retired_at is not None
    assert count(db, ScriptObservation) == 1
    assert audited(db, "assignment_retired")[-1].detail == {"session_id": later.id}
    html = page(client.get(f"/sessions/{later.id}/scripts"))
    assert "Retired" in html and f"at the session of {later.starts_at:%d %b %Y}" in html
    assert "observations-0-assignment_id" not in html


@pytest.mark.parametrize(
    "problem", ["other_case_session", "already_retired", "no_session", "before_assigned"]
)
def test_bad_retirements_are_refused(
    client, auth, counsellor, case, visit, assignment, db, make_case, make_session, problem
):
    data = {"session_id": visit.id}
    message = "This script was already retired."
    if problem == "other_case_session":
        data["session_id"] = make_session(make_case(counsellor)).id
        message = "That session is not of this assignment&#39;s case."
    elif problem == "already_retired":
        assignment.status = AssignmentStatus.RETIRED
        db.commit()
    elif problem == "before_assigned":
        earlier = make_session(case, starts_at=visit.starts_at - timedelta(weeks=1))
        data["session_id"] = earlier.id
        message = "A script cannot be retired at a session before it was assigned."
    else:
        data = {}
        message = "The session to retire the script at was missing."
    auth.login(counsellor)
    response = auth.post(f"/assignments/{assignment.id}/retire", data, follow_redirects=True)
    assert response.status_code == 200
    assert message in page(response)
    assert audited(db, "assignment_retired") == []
    db.expire_all()
    if problem != "already_retired":
        assert db.get(ScriptAssignment, assignment.id).status == AssignmentStatus.ACTIVE
        assert db.get(ScriptAssignment, assignment.id).retired_session_id is None


# --- Who may see and change what -----------------------------------------------------------------


def test_owner_reads_the_tab_and_the_read_is_audited(client, auth, counsellor, visit, db):
    auth.login(counsellor)
    response = client.get(f"/sessions/{visit.id}/scripts")
    assert response.status_code == 200
    assert 'aria-current="page">Scripts &amp; adoption' in page(response)
    assert audited(db, "scripts_viewed")[-1].object_id == str(visit.id)


def test_another_counsellor_gets_404(client, auth, make_staff, visit, assignment, case, db):
    auth.login(make_staff(Role.COUNSELLOR))
    assert client.get(f"/sessions/{visit.id}/scripts").status_code == 404
    assert assign(auth, visit, case.partners[0].id, 1).status_code == 404
    assert record(auth, visit, [(assignment.id, 2, "")]).status_code == 404
    retire = auth.post(f"/assignments/{assignment.id}/retire", {"session_id": visit.id})
    assert retire.status_code == 404
    assert count(db, ScriptObservation) == 0


def test_the_supervisor_reads_but_cannot_change(
    client, auth, supervisor, visit, assignment, case, db
):
    observe(db, assignment, visit, 2)
    auth.login(supervisor)
    response = client.get(f"/sessions/{visit.id}/scripts")
    assert response.status_code == 200
    assert "Save adoption levels" not in page(response)
    assert "Assign script" not in page(response)
    assert assign(auth, visit, case.partners[0].id, 1).status_code == 403
    assert record(auth, visit, [(assignment.id, 3, "")]).status_code == 403
    retire = auth.post(f"/assignments/{assignment.id}/retire", {"session_id": visit.id})
    assert retire.status_code == 403
    db.expire_all()
    assert db.scalar(select(ScriptObservation.level)) == 2
    assert db.get(ScriptAssignment, assignment.id).status == AssignmentStatus.ACTIVE


def test_anonymous_is_sent_to_login(client, visit, assignment):
    assert client.get(f"/sessions/{visit.id}/scripts").headers["Location"].startswith("/login")
    assert client.post(f"/assignments/{assignment.id}/retire").status_code in (302, 400)


# --- The operations on their own ----------------------------------------------------------------


@pytest.mark.parametrize("level", [True, 4, -1, "2", 2.0, None])
def test_record_adoption_refuses_anything_but_a_level_0_to_3(
    app_context, db, visit, assignment, level
):
    with pytest.raises(operations.ScriptError, match="whole number from 0 to 3"):
        operations.record_adoption(
            visit, {assignment.id: operations.ObservationInput(OBSERVED, level)}
        )
    assert count(db, ScriptObservation) == 0


def test_record_adoption_refuses_all_when_one_is_wrong(app_context, db, case, visit, assignment):
    other = give(db, visit, case.partners[0], script_by_text(db, PURSUER_SCRIPT))
    with pytest.raises(operations.ScriptError, match="not in this case"):
        observed = operations.ObservationInput
        operations.record_adoption(
            visit,
            {
                assignment.id: observed(OBSERVED, 2),
                other.id: observed(OBSERVED, 1),
                999_999: observed(OBSERVED, 1),
            },
        )
    db.rollback()
    assert count(db, ScriptObservation) == 0


def test_role_mismatch_only_for_known_opposite_roles(app_context, db, case):
    alex, sam = case.partners
    withdrawer = script_by_text(db, WITHDRAWER_SCRIPT)
    either = script_by_text(db, "Let me try that again.")
    assert operations.role_mismatch(withdrawer, alex)
    assert not operations.role_mismatch(withdrawer, sam)
    assert not operations.role_mismatch(either, alex)
    alex.cycle_role = "unclear"
    assert not operations.role_mismatch(withdrawer, alex)
