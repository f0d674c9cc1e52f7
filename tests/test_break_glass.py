"""Break-glass: an administrator reads one case's record only with a reason, for a limited
time, audited, and its counsellor is told until they acknowledge it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from practice.cases import break_glass
from practice.models import AuditEvent, BreakGlass, Role
from tests.break_glass_support import open_break_glass

REASON = "Records request from the clients' solicitor, ref 2026/114."
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# --- The rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (T0 - timedelta(seconds=1), False),  # before the opening
        (T0, True),  # at the opening
        (T0 + timedelta(minutes=59, seconds=59), True),  # the last second
        (T0 + timedelta(minutes=60), False),  # at the end: closed
        (T0 + timedelta(hours=5), False),
    ],
)
def test_an_opening_admits_reads_from_its_start_up_to_its_end(now, expected):
    assert break_glass.is_open(T0, break_glass.expiry(T0, 60), now) is expected


def test_an_opening_lasts_at_least_a_minute():
    assert break_glass.expiry(T0, 0) == T0 + timedelta(minutes=1)
    assert break_glass.expiry(T0, 90) == T0 + timedelta(minutes=90)


@pytest.mark.parametrize("reason", [None, "", "   ", "because"])
def test_a_reason_is_required(reason):
    with pytest.raises(break_glass.BreakGlassError):
        break_glass.check_reason(reason)
    with pytest.raises(break_glass.BreakGlassError):
        break_glass.check_reason("x" * (break_glass.MAX_REASON_LENGTH + 1))
    assert break_glass.check_reason(f"  {REASON} ") == REASON


# --- The pages ----------------------------------------------------------------------------------


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN, display_name="Ada Admin")


@pytest.fixture
def counsellor(make_staff):
    return make_staff(Role.COUNSELLOR, display_name="Cora Counsellor")


@pytest.fixture
def case(make_case, make_session, counsellor):
    case = make_case(counsellor)
    make_session(case, note_data="They named the cycle.")
    return case


def _openings(db) -> list[BreakGlass]:
    db.expire_all()
    return list(db.scalars(select(BreakGlass)))


def test_without_a_reason_nothing_opens(client, auth, db, admin, case):
    auth.login(admin)
    assert client.get(f"/cases/{case.id}").status_code == 404
    page = auth.post("/admin/break-glass", {"reference": case.reference, "reason": ""})
    assert page.status_code == 200 and "Give the reason" in page.get_data(as_text=True)
    unknown = auth.post("/admin/break-glass", {"reference": "C-9999", "reason": REASON})
    assert "No case has this reference." in unknown.get_data(as_text=True)
    assert _openings(db) == []
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_an_opening_lets_the_admin_read_audited_and_read_only(client, auth, db, admin, case):
    auth.login(admin)
    response = auth.post("/admin/break-glass", {"reference": case.reference, "reason": REASON})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    (opening,) = _openings(db)
    assert opening.reason == REASON
    assert opening.expires_at - opening.opened_at == timedelta(minutes=60)
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "break_glass_opened"))
    assert event.case_id == case.id and event.actor_id == admin.id
    assert event.detail["reason"] == REASON
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200
    assert "under a break-glass opening" in page.get_data(as_text=True)
    assert "Add comment" not in page.get_data(as_text=True)
    session_id = case.sessions[0].id
    assert client.get(f"/sessions/{session_id}").status_code == 200
    reads = db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.actor_id == admin.id, AuditEvent.case_id == case.id
        )
    ).all()
    assert "case_viewed" in reads
    # Read only: no change, no comment, no export.
    assert client.get(f"/cases/{case.id}/edit").status_code == 403
    assert auth.post(f"/cases/{case.id}/comments", {"body": "Hello"}).status_code == 403
    assert client.get(f"/cases/{case.id}/export").status_code == 403


def test_after_the_opening_ends_the_admin_is_refused(client, auth, db, admin, case):
    open_break_glass(db, admin, case, minutes=60, ago=timedelta(minutes=61))
    auth.login(admin)
    assert client.get(f"/cases/{case.id}").status_code == 404
    open_break_glass(db, admin, case, minutes=60, ago=timedelta(minutes=59))
    assert client.get(f"/cases/{case.id}").status_code == 200


def test_an_opening_is_the_admins_own(client, auth, db, admin, make_staff, case):
    open_break_glass(db, admin, case)
    auth.login(make_staff(Role.ADMIN))
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_the_setting_sets_the_length(app, client, auth, db, admin, case, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_BREAK_GLASS_MINUTES", 15)
    auth.login(admin)
    auth.post("/admin/break-glass", {"reference": case.reference, "reason": REASON})
    (opening,) = _openings(db)
    assert opening.expires_at - opening.opened_at == timedelta(minutes=15)


def test_the_counsellor_sees_the_opening_until_acknowledged(
    client, auth, db, admin, counsellor, case
):
    open_break_glass(db, admin, case)
    auth.login(counsellor)
    for path in ("/", f"/cases/{case.id}"):
        text = client.get(path).get_data(as_text=True)
        assert "An administrator (Ada Admin) opened the record of" in text
        assert "because: Records request from the clients&#39; solicitor" in text
    response = auth.post(f"/cases/{case.id}/break-glass/acknowledge")
    assert response.status_code == 302
    (opening,) = _openings(db)
    assert opening.acknowledged_by_id == counsellor.id
    assert "An administrator (Ada Admin)" not in client.get("/").get_data(as_text=True)
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "break_glass_acknowledged"))


def test_only_the_cases_counsellor_acknowledges(client, auth, db, admin, make_staff, case):
    open_break_glass(db, admin, case)
    auth.login(make_staff(Role.COUNSELLOR))
    assert auth.post(f"/cases/{case.id}/break-glass/acknowledge").status_code == 404
    (opening,) = _openings(db)
    assert opening.acknowledged_at is None
