"""The audit log page and CSV for administrators, and the hash chain's tamper check."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from sqlalchemy import delete, select, update

from practice import audit
from practice.audit import search as audit_search
from practice.audit.search import AuditFilters
from practice.models import AuditEvent, Role
from tests.conftest import PASSWORD

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN, display_name="Ada Admin")


@pytest.fixture
def add_event(app, db):
    """``add_event(action, ...)``: append an event as if a request from ``remote`` made it."""

    def factory(action: str, *, remote: str = "192.0.2.10", at: datetime = T0, **kwargs):
        with (
            app.test_request_context(environ_base={"REMOTE_ADDR": remote}),
            mock.patch("practice.audit.trail.utcnow", return_value=at),
        ):
            event_id = audit.record(action, **kwargs).id
            db.commit()
        return event_id

    return factory


@pytest.fixture
def events(add_event, counsellor, supervisor, case):
    """A small log: two reads by the counsellor, a failed login, a permission change."""
    return {
        "viewed": add_event("case_viewed", obj=case, actor=counsellor),
        "session": add_event(
            "session_viewed",
            object_type="TherapySession",
            object_id=77,
            case_id=case.id,
            actor=counsellor,
            at=T0 + timedelta(days=1),
        ),
        "failed": add_event(
            "login_failed",
            actor_label="intruder@example.org",
            outcome="denied",
            remote="203.0.113.9",
            at=T0 + timedelta(days=2),
        ),
        "role": add_event(
            "permission_changed", obj=counsellor, actor=supervisor, at=T0 + timedelta(days=3)
        ),
    }


def _ids(filters: AuditFilters, **kwargs) -> list[int]:
    return [line.id for line in audit_search.search(filters, **kwargs).lines]


def _last(db, action: str) -> AuditEvent | None:
    return db.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    )


# --- Search -------------------------------------------------------------------------------------


def test_each_filter_narrows_the_search(app_context, events, counsellor, supervisor, case):
    viewed, session, failed, role = (events[k] for k in ("viewed", "session", "failed", "role"))
    assert _ids(AuditFilters()) == [role, failed, session, viewed]
    assert _ids(AuditFilters(actor_id=counsellor.id)) == [session, viewed]
    assert _ids(AuditFilters(actor="INTRUDER@")) == [failed]
    assert _ids(AuditFilters(actor="%")) == []  # LIKE wildcards are taken literally
    assert _ids(AuditFilters(action="permission_changed")) == [role]
    assert _ids(AuditFilters(object_type="TherapySession", object_id="77")) == [session]
    assert _ids(AuditFilters(object_id=str(counsellor.id), object_type="StaffMember")) == [role]
    assert _ids(AuditFilters(case_id=case.id)) == [session, viewed]
    assert _ids(AuditFilters(outcome="denied")) == [failed]
    assert _ids(AuditFilters(remote_addr="203.0.")) == [failed]
    day = T0.date()
    assert _ids(AuditFilters(start=day + timedelta(days=1))) == [role, failed, session]
    assert _ids(AuditFilters(end=day + timedelta(days=1))) == [session, viewed]
    both = AuditFilters(start=day + timedelta(days=1), end=day + timedelta(days=2))
    assert _ids(both) == [failed, session]
    assert _ids(AuditFilters(actor_id=counsellor.id, case_id=case.id, outcome="denied")) == []


def test_keyset_pages_walk_both_ways(app_context, add_event):
    ids = [add_event("case_viewed", object_type="Case", object_id=n) for n in range(7)]
    newest = ids[::-1]
    first = audit_search.search(AuditFilters(), size=3)
    assert [line.id for line in first.lines] == newest[:3]
    assert first.newer_than is None and first.older_than == newest[2]
    second = audit_search.search(AuditFilters(), before=first.older_than, size=3)
    assert [line.id for line in second.lines] == newest[3:6]
    assert second.newer_than == newest[3] and second.older_than == newest[5]
    last = audit_search.search(AuditFilters(), before=second.older_than, size=3)
    assert [line.id for line in last.lines] == newest[6:] and last.older_than is None
    back = audit_search.search(AuditFilters(), after=second.newer_than, size=3)
    assert [line.id for line in back.lines] == newest[:3] and back.newer_than is None


# --- The page -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv"])
@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.SUPERVISOR])
def test_only_administrators_read_the_log(client, auth, make_staff, path, role):
    auth.login(make_staff(role))
    assert client.get(path).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_page_lists_filters_and_is_itself_audited(client, auth, db, admin, events, counsellor):
    auth.login(admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert '<a href="/admin/audit" aria-current="page">Audit log</a>' in page
    page = page.split("<tbody>")[1]
    assert (
        page.index("permission_changed") < page.index("login_failed") < page.index("session_viewed")
    )
    assert "2026-03-05T09:30:00Z" in page and "intruder@example.org" in page
    assert "203.0.113.9" in page and "TherapySession #77" in page
    assert counsellor.display_name in page

    filtered = client.get(f"/admin/audit?actor_id={counsellor.id}&from=2026-03-03&to=2026-03-03")
    body = filtered.get_data(as_text=True)
    assert filtered.status_code == 200
    assert "session_viewed" in body.split("<tbody>")[1]
    assert "case_viewed" not in body.split("<tbody>")[1]
    assert f'<option selected value="{counsellor.id}">' in body
    event = _last(db, "audit_viewed")
    assert event.actor_id == admin.id and event.outcome == "ok"
    assert event.detail["filters"] == {
        "actor_id": str(counsellor.id),
        "from": "2026-03-03",
        "to": "2026-03-03",
    }
    assert event.detail["shown"] == 1


def test_page_links_to_older_and_newer_events(client, auth, admin, add_event, monkeypatch):
    monkeypatch.setattr(audit_search, "PAGE_SIZE", 2)
    for n in range(5):
        add_event("case_viewed", object_type="Case", object_id=n)
    auth.login(admin)  # adds a login event: six in all, three pages of two
    first = client.get("/admin/audit?action=case_viewed").get_data(as_text=True)
    assert "Case #4" in first and "Case #3" in first and "Case #2" not in first
    assert "Newer events" not in first
    older = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "action=case_viewed" in older
    second = client.get(older).get_data(as_text=True)
    assert "Case #2" in second and "Case #1" in second and "Case #4" not in second
    assert "Newer events" in second and "Older events" in second


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-03-05&to=2026-03-01", "The “to” date is before the “from” date."),
        ("case_id=abc", "Enter a number, such as 42."),
        ("object_id=12x", "Enter a number, such as 42."),
        ("actor_id=x", "Enter a number, such as 42."),
        ("case_id=99999999999", "Enter a number, such as 42."),
        ("case_id=9999999999", "No record has that id."),
        ("from=2026-13-01", "Enter a date as YYYY-MM-DD."),
        ("to=yesterday", "Enter a date as YYYY-MM-DD."),
        ("remote_addr=%3Cscript%3E", "Enter an IP address or its start"),
        ("outcome=DROP%20TABLE", "Choose an outcome."),
    ],
)
def test_bad_filters_get_a_message_not_an_error(client, auth, db, admin, query, message):
    auth.login(admin)
    response = client.get(f"/admin/audit?{query}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in body and "Some filters could not be used" in body
    assert "<tbody>" not in body
    assert _last(db, "audit_viewed") is None
    export = client.get(f"/admin/audit.csv?{query}")
    assert export.status_code == 302
    assert export.headers["Location"].endswith(f"/admin/audit?{query}")
    assert _last(db, "audit_exported") is None


def test_extreme_but_valid_dates_do_not_fail(client, auth, admin, events):
    auth.login(admin)
    response = client.get("/admin/audit?from=0001-01-01&to=9999-12-31")
    assert response.status_code == 200 and "login_failed" in response.get_data(as_text=True)


def test_verify_chain_button_reports_intact_then_broken(client, auth, db, admin, events):
    auth.login(admin)
    intact = client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "The chain verifies." in intact
    assert _last(db, "audit_viewed").detail["chain_intact"] is True
    db.execute(update(AuditEvent).where(AuditEvent.id == events["failed"]).values(outcome="ok"))
    db.commit()
    broken = client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "The chain is broken." in broken
    assert f"follow a removed event:\n    {events['failed']}." in broken
    assert _last(db, "audit_viewed").detail["chain_intact"] is False


# --- CSV ----------------------------------------------------------------------------------------


def _export(auth, query: str, password: str = PASSWORD):
    return auth.post(f"/admin/audit.csv?{query}", {"password": password})


def test_csv_export_asks_for_the_password_again(client, auth, db, admin, events, case):
    auth.login(admin)
    page = client.get(f"/admin/audit.csv?case_id={case.id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert 'name="password"' in body and f"case_id={case.id}" in body
    wrong = _export(auth, f"case_id={case.id}", "not-the-password")
    assert wrong.mimetype == "text/html"
    assert "That password is not right. Nothing was exported." in wrong.get_data(as_text=True)
    assert _last(db, "audit_exported") is None
    assert _last(db, "audit_export_failed").outcome == "denied"


def test_csv_export_streams_filtered_rows_and_is_audited(client, auth, db, admin, events, case):
    auth.login(admin)
    response = _export(auth, f"case_id={case.id}")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(audit_search.CSV_HEADER)
    assert [row[5] for row in rows[1:]] == ["session_viewed", "case_viewed"]
    viewed = db.get(AuditEvent, events["viewed"])
    assert rows[2][0] == str(viewed.id)
    assert rows[2][1] == "2026-03-02T09:30:00+00:00"
    assert rows[2][9] == case.reference and rows[2][11] == "192.0.2.10"
    assert rows[2][14] == viewed.row_hash
    exported = _last(db, "audit_exported")
    assert exported.actor_id == admin.id
    assert exported.detail == {"filters": {"case_id": str(case.id)}}


def test_csv_cells_cannot_run_as_formulas(client, auth, admin, add_event):
    add_event("login_failed", actor_label='=HYPERLINK("http://x")', outcome="denied")
    add_event("login_failed", actor_label="@SUM(A1)", remote="-1")
    auth.login(admin)
    text = _export(auth, "action=login_failed").get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells and "'@SUM(A1)" in cells and "'-1" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_csv_export_reads_in_batches(app_context, add_event, monkeypatch):
    ids = [add_event("case_viewed", object_type="Case", object_id=n) for n in range(5)]
    monkeypatch.setattr(audit_search, "EXPORT_BATCH", 2)
    lines = list(audit_search.iter_lines(AuditFilters(), batch_size=2))
    assert [line.id for line in lines] == ids[::-1]
    text = "".join(audit_search.csv_chunks(AuditFilters()))
    assert text.count("\r\n") == 6


# --- The hash chain -----------------------------------------------------------------------------


def _verify(runner):
    return runner.invoke(args=["practice", "audit", "verify"])


def test_intact_chain_verifies(app_context, runner, events):
    assert list(audit.broken_links()) == []
    result = _verify(runner)
    assert result.exit_code == 0 and "Audit chain intact." in result.output


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("occurred_at", T0 + timedelta(seconds=1)),
        ("actor_id", None),
        ("actor_label", "someone-else@example.org"),
        ("action", "case_listed"),
        ("object_type", "Case"),
        ("object_id", "78"),
        ("case_id", None),
        ("outcome", "ok"),
        ("remote_addr", "10.0.0.1"),
        ("detail", {"page": "other"}),
        ("prev_hash", "0" * 64),
    ],
)
def test_an_edited_column_breaks_the_chain(app, db, runner, events, column, value):
    target = events["session"] if column != "outcome" else events["failed"]
    db.execute(update(AuditEvent).where(AuditEvent.id == target).values({column: value}))
    db.commit()
    with app.app_context():
        broken = list(audit.broken_links())
    # A changed prev_hash also no longer matches the row's own hash: the row alone is flagged.
    assert broken == [target]
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"Audit chain broken at 1 event(s), first at id {target}." in result.output


def test_a_rewritten_row_hash_breaks_the_link_to_the_next_row(app, db, runner, events):
    """Recomputing an edited row's own hash still leaves its successor pointing elsewhere."""
    db.execute(
        update(AuditEvent).where(AuditEvent.id == events["session"]).values(row_hash="f" * 64)
    )
    db.commit()
    with app.app_context():
        assert list(audit.broken_links()) == [events["session"], events["failed"]]
    assert "first at id" in _verify(runner).output


def test_a_deleted_middle_row_breaks_the_chain(app, db, runner, events):
    db.execute(delete(AuditEvent).where(AuditEvent.id == events["session"]))
    db.commit()
    with app.app_context():
        assert list(audit.broken_links()) == [events["failed"]]
    result = _verify(runner)
    assert result.exit_code == 1 and f"first at id {events['failed']}" in result.output


def test_verify_chain_lists_a_few_broken_ids(app_context, db, add_event):
    ids = [add_event("case_viewed", object_type="Case", object_id=n) for n in range(4)]
    db.execute(update(AuditEvent).where(AuditEvent.id.in_(ids)).values(outcome="x"))
    check = audit_search.verify_chain(limit=2)
    assert check.broken == ids[:2] and check.more and not check.intact


def test_the_page_shows_the_detail_as_key_value_lines(client, auth, admin, add_event, case):
    add_event(
        "access_denied",
        obj=case,
        outcome="denied",
        detail={"endpoint": "practice.case_page.show", "status": 404, "view_args": {"case_id": 7}},
    )
    auth.login(admin)
    page = client.get("/admin/audit?action=access_denied").get_data(as_text=True)
    assert (
        "<code>endpoint: practice.case_page.show</code><br><code>status: 404</code><br>"
        "<code>view_args.case_id: 7</code>"
    ) in page
