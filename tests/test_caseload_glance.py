"""The counsellor's caseload at a glance: initials, last and next session, trend, unsigned
notes and flags; filters and order in the query string, a search only in a POST body; a fixed
number of statements whatever the caseload."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import select

from practice.appointments.models import Appointment
from practice.core.database import utcnow
from practice.models import AuditEvent, CaseStatus, Role
from practice.supervision.caseload_glance import glance_query, initials
from tests.conftest import Auth


def test_initials_are_the_first_letters_of_each_word():
    assert initials("Mary Jo") == "MJ"
    assert initials("sam") == "S"
    assert initials("  ") == ""


def test_the_query_string_never_carries_a_search():
    query = glance_query({"q": "Alex", "sort": "-next", "status": "bogus", "flag": "any"})
    assert query.search == ""
    assert (query.sort, query.descending, query.status, query.flag) == ("next", True, "all", "any")
    assert "q" not in query.args(search="x")


def rows(html: str) -> list[str]:
    return re.findall(r'<th scope="row">\s*<a href="/cases/\d+">([^<]+)</a>', html)


def appointment(db, case, starts_at, **kw):
    db.add(Appointment(case=case, starts_at=starts_at, created_by_id=case.counsellor_id, **kw))
    db.commit()


def test_each_case_shows_initials_sessions_unsigned_notes_and_flags(
    client, auth, counsellor, make_case, make_session, db
):
    now = utcnow()
    stale = make_case(counsellor, partners=("Alex Rivera", "Sam"), reference="C-0001")
    make_session(stale, starts_at=now - timedelta(days=40))
    booked = make_case(counsellor, partners=("Kim", "Lee"), reference="C-0002")
    make_session(booked, starts_at=now - timedelta(days=2))
    next_at = (now + timedelta(days=5)).replace(second=0, microsecond=0)
    appointment(db, booked, next_at)
    auth.login(counsellor)
    html = client.get("/").get_data(as_text=True)
    assert rows(html) == ["C-0001", "C-0002"]
    assert "AR &amp; S" in html and "K &amp; L" in html
    assert "Alex" not in html and "Kim" not in html
    assert next_at.strftime("%d %b %Y, %H:%M") in html
    assert "No recent session" in html and "Unsigned note" in html
    # Filters and order from the query string.
    flagged = client.get("/?flag=no_recent_session").get_data(as_text=True)
    assert rows(flagged) == ["C-0001"]
    by_next = client.get("/?sort=next").get_data(as_text=True)
    assert rows(by_next) == ["C-0002", "C-0001"]  # a case without a next session goes last
    assert rows(client.get("/?sort=-reference").get_data(as_text=True)) == ["C-0002", "C-0001"]


def test_a_search_by_name_is_posted_and_its_term_is_neither_audited_nor_logged(
    client, auth, counsellor, make_case, db, caplog
):
    make_case(counsellor, partners=("Alex", "Sam"), reference="C-0001")
    make_case(counsellor, partners=("Kim", "Lee"), reference="C-0002")
    make_case(counsellor, partners=("Jo", "Ro"), reference="C-0003", status=CaseStatus.CLOSED)
    auth.login(counsellor)
    # A name in the URL is not taken as a search.
    assert rows(client.get("/?q=Kim").get_data(as_text=True)) == ["C-0001", "C-0002", "C-0003"]
    with caplog.at_level(logging.INFO):
        html = auth.post("/", {"q": "kim"}).get_data(as_text=True)
    assert rows(html) == ["C-0002"]
    assert "kim" not in caplog.text.lower()
    assert rows(auth.post("/", {"q": "0003", "status": "closed"}).get_data(as_text=True)) == [
        "C-0003"
    ]
    # Sorting search results re-posts the search.
    assert 'name="resort"' in html
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "caseload_listed").order_by(AuditEvent.id)
    ).all()
    searched = [e.detail for e in events if e.detail["searched"]]
    assert searched == [
        {"cases": 1, "shown": 1, "searched": True},
        {"cases": 1, "shown": 1, "status": "closed", "searched": True},
    ]
    assert all("kim" not in str(e.detail).lower() for e in events)


def test_others_cases_are_not_listed_and_a_search_finds_none_of_them(
    client, auth, counsellor, make_staff, make_case
):
    make_case(make_staff(Role.COUNSELLOR), partners=("Kim", "Lee"), reference="C-0009")
    auth.login(counsellor)
    assert rows(auth.post("/", {"q": "Kim"}).get_data(as_text=True)) == []


def count_statements(app, client) -> int:
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    client.get("/")
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get("/")
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(statements)


def test_the_list_issues_the_same_number_of_statements_whatever_the_caseload(
    app, make_staff, make_case, make_session, db
):
    now = utcnow()
    small = make_staff(Role.COUNSELLOR)
    make_session(make_case(small), starts_at=now - timedelta(days=3))
    large = make_staff(Role.COUNSELLOR)
    for k in range(6):
        case = make_case(large, status=CaseStatus.PAUSED if k == 5 else CaseStatus.ACTIVE)
        for n in range(3):
            make_session(case, starts_at=now - timedelta(days=7 * n + k))
        appointment(db, case, now + timedelta(days=k + 1))
        appointment(db, case, now - timedelta(days=1), status="no_show")
    counts = {}
    for name, member in (("small", small), ("large", large)):
        client = app.test_client()
        Auth(client).login(member)
        counts[name] = count_statements(app, client)
    assert counts["small"] == counts["large"]
