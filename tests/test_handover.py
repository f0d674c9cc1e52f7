"""Hand-over: a counsellor with open cases is deactivated only once each case has someone to
go to; every reassignment is recorded with its reason and shown in the case's history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from practice.accounts import operations as accounts
from practice.cases import handover
from practice.models import AuditEvent, CaseAssignment, CaseStatus, Role, StaffMember

REASON = "Leaving the practice at the end of March."


@pytest.fixture
def team(make_staff):
    supervisor = make_staff(Role.SUPERVISOR, display_name="Sue Supervisor")
    return {
        "admin": make_staff(Role.ADMIN, display_name="Ada Admin"),
        "supervisor": supervisor,
        "leaving": make_staff(Role.COUNSELLOR, supervisor=supervisor, display_name="Lee Leaving"),
        "staying": make_staff(Role.COUNSELLOR, supervisor=supervisor, display_name="Sam Staying"),
        "elsewhere": make_staff(Role.COUNSELLOR, display_name="Eli Elsewhere"),
    }


def _reload(db, model, id_):
    db.expire_all()
    return db.get(model, id_)


def test_deactivation_is_refused_while_open_cases_remain(app, db, team, make_case):
    make_case(team["leaving"])
    with app.app_context():
        leaving = db.get(StaffMember, team["leaving"].id)
        with pytest.raises(accounts.AccountError, match="1 open case: hand them over first"):
            accounts.set_active(leaving, False)


def test_closed_cases_do_not_block_deactivation(app, db, team, make_case):
    make_case(team["leaving"], status=CaseStatus.CLOSED)
    with app.app_context():
        accounts.set_active(db.get(StaffMember, team["leaving"].id), False)
        assert db.get(StaffMember, team["leaving"].id).active is False


def test_deactivating_asks_where_each_case_goes(client, auth, db, team, make_case):
    first, second = make_case(team["leaving"]), make_case(team["leaving"], status="paused")
    auth.login(team["admin"])
    response = auth.post(f"/admin/staff/{team['leaving'].id}/active")
    assert response.headers["Location"].endswith(f"/admin/staff/{team['leaving'].id}/hand-over")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert first.reference in page and second.reference in page
    assert "Sam Staying" in page and "Lee Leaving (counsellor)" not in page
    # One case left without a destination: nothing is handed over, nobody deactivated.
    url = f"/admin/staff/{team['leaving'].id}/hand-over"
    partial = {f"case_{first.id}": team["staying"].id, f"case_{second.id}": 0, "reason": REASON}
    page = auth.post(url, partial).get_data(as_text=True)
    assert f"Choose who takes over {second.reference}." in page
    assert _reload(db, StaffMember, team["leaving"].id).active is True
    assert db.scalars(select(CaseAssignment)).all() == []
    # Both given: both handed over, then deactivated.
    whole = {**partial, f"case_{second.id}": team["elsewhere"].id}
    assert auth.post(url, whole).status_code == 302
    assert _reload(db, StaffMember, team["leaving"].id).active is False
    moves = db.scalars(select(CaseAssignment).order_by(CaseAssignment.case_id)).all()
    assert [(m.case_id, m.to_counsellor_id, m.reason) for m in moves] == [
        (first.id, team["staying"].id, REASON),
        (second.id, team["elsewhere"].id, REASON),
    ]
    assert {m.from_counsellor_id for m in moves} == {team["leaving"].id}
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "case_reassigned")).all()
    assert sorted(e.case_id for e in events) == [first.id, second.id]


def test_the_new_counsellor_sees_the_whole_history(client, auth, db, team, make_case, make_session):
    case = make_case(team["leaving"])
    session = make_session(case, note_data="They named the cycle.")
    auth.login(team["supervisor"])
    response = auth.post(
        f"/cases/{case.id}/reassign",
        {"to_counsellor_id": team["staying"].id, "reason": "Caseload balance."},
    )
    assert response.status_code == 302
    auth.logout()
    auth.login(team["staying"])
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Hand-overs" in page
    assert "from Lee Leaving to Sam Staying, by Sue Supervisor. Reason: Caseload balance." in page
    assert client.get(f"/sessions/{session.id}").status_code == 200
    auth.logout()
    auth.login(team["leaving"])
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_who_may_reassign(client, auth, db, team, make_case):
    case = make_case(team["leaving"])
    url = f"/cases/{case.id}/reassign"
    expected = {"leaving": 403, "staying": 403, "elsewhere": 403, "supervisor": 200, "admin": 200}
    for who, status in expected.items():
        auth.login(team[who])
        assert client.get(url).status_code == status, who
        auth.logout()
    # A supervisor hands over within their team only; the reason is required.
    auth.login(team["supervisor"])
    page = client.get(url).get_data(as_text=True)
    assert "Eli Elsewhere" not in page
    refused = auth.post(url, {"to_counsellor_id": team["elsewhere"].id, "reason": "Balance."})
    assert refused.status_code == 200
    no_reason = auth.post(url, {"to_counsellor_id": team["staying"].id, "reason": " "})
    assert "Give the reason." in no_reason.get_data(as_text=True)
    assert _reload(db, type(case), case.id).counsellor_id == team["leaving"].id


def test_an_admin_reassigns_without_reading_the_record(client, auth, db, team, make_case):
    case = make_case(team["leaving"], partners=("Alexandra", "Samuel"))
    auth.login(team["admin"])
    page = client.get(f"/cases/{case.id}/reassign").get_data(as_text=True)
    assert case.reference in page and "Alexandra" not in page
    auth.post(
        f"/cases/{case.id}/reassign",
        {"to_counsellor_id": team["elsewhere"].id, "reason": "Conflict of interest."},
    )
    assert _reload(db, type(case), case.id).counsellor_id == team["elsewhere"].id


def test_a_case_cannot_go_to_its_own_counsellor_or_an_inactive_one(app, db, team, make_case):
    case = make_case(team["leaving"])
    with app.app_context():
        admin = db.get(StaffMember, team["admin"].id)
        current = db.get(type(case), case.id)
        with pytest.raises(handover.HandoverError, match="Choose an active counsellor"):
            handover.reassign_case(current, current.counsellor, admin, REASON)
        staying = db.get(StaffMember, team["staying"].id)
        staying.active = False
        with pytest.raises(handover.HandoverError, match="Choose an active counsellor"):
            handover.reassign_case(current, staying, admin, REASON)
        with pytest.raises(handover.HandoverError, match="Only an administrator"):
            handover.reassign_case(current, staying, current.counsellor, REASON)
