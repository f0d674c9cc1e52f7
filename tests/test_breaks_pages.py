"""The break pages: recording from the case page and from a session, editing, live mode, the
timeline on the case page; validation re-shows the form filled in; scope and audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from practice.models import AuditEvent, BreakAccount, BreakEpisode


def page(response) -> str:
    return response.get_data(as_text=True)


def actions(db) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _form(case, **overrides) -> dict:
    alex, sam = case.partners
    data = {
        "told_by": str(sam.id),
        "called_by_id": str(sam.id),
        "called_at": "2026-03-10T20:00",
        "with_script": "y",
        "flooding": "y",
        "heart_rate": "110",
        "promised_return_at": "2026-03-10T20:30",
        "resumed_at": "2026-03-10T20:45",
        "resumed_by_id": str(alex.id),
        "with_invitation": "y",
        "outcome": "calmer",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_record_a_break_and_see_it(client, auth, counsellor, case, db):
    auth.login(counsellor)
    response = auth.post(f"/cases/{case.id}/breaks/new", _form(case))
    assert response.status_code == 302
    account = db.scalar(select(BreakAccount))
    assert account.source == "counsellor"
    assert account.called_at == datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    assert "break_account_recorded" in actions(db)
    html = page(client.get(f"/cases/{case.id}/breaks"))
    assert "Protective" in html and "after 45 min" in html
    assert "breaks_viewed" in actions(db)
    case_page = page(client.get(f"/cases/{case.id}"))
    assert "Breaks and returns" in case_page and "Protective" in case_page


def test_resume_before_call_is_refused_and_the_form_kept(client, auth, counsellor, case, db):
    auth.login(counsellor)
    response = auth.post(f"/cases/{case.id}/breaks/new", _form(case, resumed_at="2026-03-10T19:00"))
    html = page(response)
    assert response.status_code == 200
    assert "The conversation cannot resume before the break." in html
    assert 'value="2026-03-10T19:00"' in html and 'value="110"' in html
    assert db.scalar(select(BreakAccount)) is None


def test_outcome_without_return_is_refused(client, auth, counsellor, case, db):
    auth.login(counsellor)
    response = auth.post(
        f"/cases/{case.id}/breaks/new",
        _form(case, resumed_at="", resumed_by_id="", with_invitation=None),
    )
    assert "Say when the conversation resumed." in page(response)
    assert db.scalar(select(BreakAccount)) is None


def test_both_accounts_shown_where_they_differ(client, auth, counsellor, case, db):
    alex = case.partners[0]
    auth.login(counsellor)
    auth.post(f"/cases/{case.id}/breaks/new", _form(case))
    auth.post(
        f"/cases/{case.id}/breaks/new",
        _form(case, told_by=str(alex.id), resumed_at="2026-03-11T09:00", outcome="escalated"),
    )
    assert len(db.scalars(select(BreakEpisode)).all()) == 1
    html = page(client.get(f"/cases/{case.id}/breaks"))
    assert "The accounts differ on: resumed at, outcome" in html
    assert "Sam&#39;s account" in html and "Alex&#39;s account" in html


def test_edit_an_account(client, auth, counsellor, case, db):
    auth.login(counsellor)
    auth.post(f"/cases/{case.id}/breaks/new", _form(case))
    account = db.scalar(select(BreakAccount))
    form = page(client.get(f"/breaks/accounts/{account.id}/edit"))
    assert 'value="2026-03-10T20:45"' in form
    response = auth.post(
        f"/breaks/accounts/{account.id}/edit",
        {**_form(case, resumed_at="2026-03-10T20:10"), "version": "1"},
    )
    assert response.status_code == 302
    account = db.scalar(select(BreakAccount))
    assert account.version == 2
    assert account.resumed_at == datetime(2026, 3, 10, 20, 10, tzinfo=UTC)
    assert "break_account_changed" in actions(db)
    assert "Early return" in page(client.get(f"/cases/{case.id}/breaks"))


def test_from_a_session_and_live(client, auth, counsellor, case, make_session, db):
    therapy_session = make_session(case, starts_at=datetime.now(UTC) - timedelta(minutes=10))
    auth.login(counsellor)
    note_page = page(client.get(f"/sessions/{therapy_session.id}"))
    assert f"/cases/{case.id}/breaks/new?session_id={therapy_session.id}" in note_page
    response = auth.post(
        f"/cases/{case.id}/breaks/new?session_id={therapy_session.id}", _form(case)
    )
    assert response.status_code == 302
    live = page(client.get(f"/sessions/{therapy_session.id}/live"))
    assert "Break called" in live and 'data-break-key="j"' in live
    sam = case.partners[1]
    response = auth.post(
        f"/sessions/{therapy_session.id}/live/break", {"called_by_id": str(sam.id)}
    )
    assert response.status_code == 302
    sources = sorted(a.source for a in db.scalars(select(BreakAccount)))
    assert sources == ["live", "session"]


def test_another_counsellors_case_is_not_found(client, auth, make_staff, counsellor, case, db):
    auth.login(counsellor)
    auth.post(f"/cases/{case.id}/breaks/new", _form(case))
    account = db.scalar(select(BreakAccount))
    auth.logout()
    auth.login(make_staff())
    assert client.get(f"/cases/{case.id}/breaks").status_code == 404
    assert client.get(f"/breaks/accounts/{account.id}/edit").status_code == 404
    assert auth.post(f"/cases/{case.id}/breaks/new", _form(case)).status_code == 404


def test_the_supervisor_reads_but_does_not_edit(client, auth, supervisor, counsellor, case, db):
    auth.login(counsellor)
    auth.post(f"/cases/{case.id}/breaks/new", _form(case))
    account = db.scalar(select(BreakAccount))
    auth.logout()
    auth.login(supervisor)
    assert client.get(f"/cases/{case.id}/breaks").status_code == 200
    assert client.get(f"/breaks/accounts/{account.id}/edit").status_code == 403


def test_unreturned_breaks_reach_the_supervisors_dashboard(
    client, auth, supervisor, counsellor, case, db
):
    auth.login(counsellor)
    for days in (5, 3):
        called = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")
        data = _form(
            case,
            called_at=called,
            promised_return_at="",
            resumed_at="",
            resumed_by_id="",
            with_invitation=None,
            outcome="not_resumed",
        )
        assert auth.post(f"/cases/{case.id}/breaks/new", data).status_code == 302
    assert "2 breaks not returned to within 24 hours" in page(client.get(f"/cases/{case.id}"))
    auth.logout()
    auth.login(supervisor)
    dashboard = page(client.get("/supervision"))
    assert "Breaks not returned" in dashboard
    assert "2 breaks not returned to within 24 hours in the last 14 days" in dashboard
