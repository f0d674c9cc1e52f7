"""Supervision comments: threads on cases and sessions, replies, unread counts, the inbox."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from practice.models import (
    AuditEvent,
    CommentRead,
    Role,
    StaffMember,
    SupervisionComment,
    TherapySession,
)
from practice.supervision import comments as service

QUESTION = "How did Sam respond when Alex named the cycle?"
ANSWER = "He turned towards her and asked for a minute, then came back."


@pytest.fixture
def other_supervisor(make_staff):
    return make_staff(Role.SUPERVISOR, display_name="Other Supervisor")


@pytest.fixture
def other_counsellor(make_staff, other_supervisor):
    return make_staff(Role.COUNSELLOR, supervisor=other_supervisor, display_name="Other Counsellor")


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN, display_name="Ada Admin")


@pytest.fixture
def session(make_session, case):
    return make_session(case)


def _badge(client) -> int:
    """The unread count the navigation shows, 0 without a badge."""
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'<span class="badge">(\d+)<span class="visually-hidden"> unread', page)
    return int(match.group(1)) if match else 0


def _comments(db) -> list[SupervisionComment]:
    db.expire_all()
    return list(db.scalars(select(SupervisionComment).order_by(SupervisionComment.id)))


def _comment(db, case, author, body=QUESTION, session=None, parent=None) -> SupervisionComment:
    comment = SupervisionComment(
        case_id=case.id,
        session_id=session.id if session else None,
        parent_id=parent.id if parent else None,
        author_id=author.id,
        body=body,
        created_at=datetime.now(UTC),
    )
    db.add(comment)
    db.commit()
    return comment


# --- Comment, reply, unread on both sides -------------------------------------------------------


def test_comment_reply_and_unread_counts_on_both_sides(
    client, auth, db, counsellor, supervisor, case, session
):
    auth.login(supervisor)
    response = auth.post(f"/sessions/{session.id}/comments", {"body": QUESTION})
    [question] = _comments(db)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sessions/{session.id}#comment-{question.id}")
    assert (question.case_id, question.session_id, question.parent_id) == (
        case.id,
        session.id,
        None,
    )
    assert question.author_id == supervisor.id and not question.returns_note
    assert _badge(client) == 0  # one's own comment is never unread
    auth.logout()

    auth.login(counsellor)
    assert _badge(client) == 1
    inbox = client.get("/comments").get_data(as_text=True)
    assert "1 unread" in inbox
    item = re.search(r'<li class="inbox-item is-unread">.*?</li>', inbox, re.S).group(0)
    assert "New" in item and QUESTION in item and case.reference in item
    assert f'href="/comments/{question.id}"' in item
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert QUESTION in page and "1 unread comment" in page
    assert _badge(client) == 1  # reading a page writes nothing

    opened = client.get(f"/comments/{question.id}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/sessions/{session.id}#comment-{question.id}")
    assert _badge(client) == 1  # a GET changes nothing
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert f'action="/comments/{question.id}/read"' in page
    marked = auth.post(f"/comments/{question.id}/read")
    assert marked.headers["Location"] == opened.headers["Location"]
    assert _badge(client) == 0
    assert 'class="inbox-item is-unread"' not in client.get("/comments").get_data(as_text=True)

    reply = auth.post(
        f"/sessions/{session.id}/comments", {"body": ANSWER, "parent_id": str(question.id)}
    )
    assert reply.status_code == 302
    answer = _comments(db)[-1]
    assert answer.parent_id == question.id and answer.author_id == counsellor.id
    auth.logout()

    auth.login(supervisor)
    assert _badge(client) == 1
    inbox = client.get("/comments").get_data(as_text=True)
    assert "replied" in inbox and ANSWER in inbox
    auth.post(f"/comments/{answer.id}/read")
    assert _badge(client) == 0
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert page.index(QUESTION) < page.index(ANSWER)
    assert f'id="comment-{answer.id}"' in page


def test_case_comments_live_on_the_case_page(client, auth, db, counsellor, supervisor, case):
    auth.login(supervisor)
    response = auth.post(f"/cases/{case.id}/comments", {"body": QUESTION})
    [comment] = _comments(db)
    assert comment.session_id is None
    assert response.headers["Location"].endswith(f"/cases/{case.id}#comment-{comment.id}")
    auth.logout()

    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Comments on this case" in page and QUESTION in page
    assert f'action="/cases/{case.id}/comments"' in page
    inbox = client.get("/comments").get_data(as_text=True)
    assert "case discussion" in inbox
    opened = client.get(f"/comments/{comment.id}")
    assert opened.headers["Location"].endswith(f"/cases/{case.id}#comment-{comment.id}")
    assert _badge(client) == 1
    auth.post(f"/comments/{comment.id}/read")
    assert _badge(client) == 0


def test_marking_read_marks_the_whole_discussion_and_opening_marks_nothing(
    client, auth, db, counsellor, supervisor, case, session
):
    first = _comment(db, case, supervisor, "First.", session=session)
    _comment(db, case, supervisor, "Second.", session=session)
    elsewhere = _comment(db, case, supervisor, "On the case.")
    auth.login(counsellor)
    assert _badge(client) == 3
    client.get(f"/comments/{first.id}")
    assert _badge(client) == 3
    assert db.scalar(select(func.count()).select_from(CommentRead)) == 0
    assert client.get(f"/comments/{first.id}/read").status_code == 405
    auth.post(f"/comments/{first.id}/read")
    assert _badge(client) == 1
    auth.post(f"/comments/{elsewhere.id}/read")
    assert _badge(client) == 0
    assert db.scalar(select(func.count()).select_from(CommentRead)) == 3


def test_a_reply_to_a_reply_joins_the_top_of_its_thread(
    client, auth, db, counsellor, supervisor, case, session
):
    top = _comment(db, case, supervisor, session=session)
    reply = _comment(db, case, counsellor, ANSWER, session=session, parent=top)
    auth.login(supervisor)
    auth.post(
        f"/sessions/{session.id}/comments", {"body": "Thank you.", "parent_id": str(reply.id)}
    )
    assert _comments(db)[-1].parent_id == top.id


def test_the_author_has_read_what_they_answer(
    client, auth, db, counsellor, supervisor, case, session
):
    question = _comment(db, case, supervisor, session=session)
    auth.login(counsellor)
    assert _badge(client) == 1
    auth.post(f"/sessions/{session.id}/comments", {"body": ANSWER, "parent_id": str(question.id)})
    assert _badge(client) == 0


# --- Validation: nothing is saved ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write the comment before sending it."),
        (" \r\n ", "Write the comment before sending it."),
        ("y" * 5_001, "at most 5,000 characters"),
    ],
)
@pytest.mark.parametrize("place", ["case", "session"])
def test_empty_or_over_long_comments_are_refused(
    client, auth, db, supervisor, case, session, body, message, place
):
    auth.login(supervisor)
    path = f"/cases/{case.id}/comments" if place == "case" else f"/sessions/{session.id}/comments"
    response = auth.post(path, {"body": body})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    if body.strip():
        assert body in page  # what was typed is kept
    assert _comments(db) == []
    assert not list(db.scalars(select(AuditEvent).where(AuditEvent.action == "comment_added")))


def test_exactly_5000_characters_are_accepted(client, auth, db, supervisor, case):
    auth.login(supervisor)
    # Line ends count once, as stored, however the browser sends them.
    body = "z" * 4_998 + "\r\nz"
    assert auth.post(f"/cases/{case.id}/comments", {"body": body}).status_code == 302
    assert len(_comments(db)[0].body) == 5_000


def test_a_reply_to_another_discussion_is_refused(
    client, auth, db, counsellor, supervisor, case, session, make_session, make_case
):
    other_session = make_session(case)
    other_case = make_case(counsellor)
    on_other_session = _comment(db, case, supervisor, session=other_session)
    on_the_case = _comment(db, case, supervisor)
    on_other_case = _comment(db, other_case, supervisor)
    attempts = [
        (f"/sessions/{session.id}/comments", on_other_session.id),
        (f"/sessions/{session.id}/comments", on_the_case.id),
        (f"/cases/{case.id}/comments", on_other_case.id),
        (f"/cases/{case.id}/comments", on_other_session.id),
        (f"/cases/{case.id}/comments", 999_999),
    ]
    before = len(_comments(db))
    auth.login(counsellor)
    for path, parent_id in attempts:
        response = auth.post(path, {"body": ANSWER, "parent_id": str(parent_id)})
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "not part of this discussion" in page
        assert ANSWER in page
        # The text can be sent again as a new comment instead.
        assert 'name="parent_id"' not in page.split('class="comment-form"')[1].split("</form>")[0]
    assert len(_comments(db)) == before


def test_a_parent_id_that_is_not_a_number_is_refused(client, auth, db, supervisor, case):
    auth.login(supervisor)
    response = auth.post(f"/cases/{case.id}/comments", {"body": ANSWER, "parent_id": "abc"})
    assert response.status_code == 200
    assert "could not be found" in response.get_data(as_text=True)
    assert _comments(db) == []


def test_comment_text_stays_out_of_audit_and_urls(
    client, auth, db, counsellor, supervisor, case, session
):
    auth.login(supervisor)
    response = auth.post(f"/sessions/{session.id}/comments", {"body": QUESTION})
    assert "Sam" not in response.headers["Location"]
    added = db.scalar(select(AuditEvent).where(AuditEvent.action == "comment_added"))
    assert added.detail["session_id"] == session.id and added.case_id == case.id
    client.get("/comments")
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "comments_viewed"))
    assert not any("Sam" in str(event.detail) for event in db.scalars(select(AuditEvent)))


# --- Scope of unread counts and the inbox -------------------------------------------------------


def test_unread_counts_stay_within_scope(
    app,
    db,
    counsellor,
    supervisor,
    other_counsellor,
    other_supervisor,
    admin,
    make_case,
    make_session,
    case,
):
    mine = _comment(db, case, supervisor)
    other_case = make_case(other_counsellor)
    voided = make_session(other_case)
    _comment(db, other_case, other_supervisor)
    _comment(db, other_case, other_supervisor, session=voided)
    db.execute(
        update(TherapySession)
        .where(TherapySession.id == voided.id)
        .values(voided_at=datetime.now(UTC), void_reason="Recorded on the wrong case.")
    )
    db.commit()
    with app.app_context():
        members = {m.id: m for m in db.scalars(select(StaffMember))}
        assert service.unread_count(members[counsellor.id]) == 1
        assert service.unread_count(members[supervisor.id]) == 0
        assert service.unread_count(members[other_counsellor.id]) == 1  # not the voided one
        # Administrators read no supervision comments (least privilege).
        assert service.unread_count(members[admin.id]) == 0
        page = service.inbox(members[counsellor.id])
        assert [item.comment_id for item in page.items] == [mine.id]
        assert service.comment_for_viewer(members[other_counsellor.id], mine.id) is None


def test_marking_read_twice_marks_nothing_new(app, db, counsellor, supervisor, case, session):
    _comment(db, case, supervisor, session=session)
    with app.app_context():
        member = db.get(StaffMember, counsellor.id)
        assert service.mark_place_read(member, case.id, session.id) == 1
        assert service.mark_place_read(member, case.id, session.id) == 0
        db.commit()


def test_excerpt_cuts_at_a_word():
    assert service.excerpt("short  text\nhere") == "short text here"
    long = "word " * 60
    cut = service.excerpt(long, 20)
    assert cut.endswith("…") and len(cut) <= 21 and "wor…" not in cut


def test_inbox_pages(app, client, auth, db, counsellor, supervisor, case, monkeypatch):
    monkeypatch.setattr(service, "INBOX_PAGE_SIZE", 2)
    for n in range(3):
        _comment(db, case, supervisor, f"Comment number {n}.")
    auth.login(counsellor)
    first = client.get("/comments").get_data(as_text=True)
    assert "Comment number 2." in first and "Comment number 0." not in first
    second = client.get("/comments?page=2").get_data(as_text=True)
    assert "Comment number 0." in second and "Page 2 of 2" in second
    assert client.get("/comments?page=abc").status_code == 200


# --- Access: every comment route for every role -------------------------------------------------

ROLES = ("owner", "other_counsellor", "supervisor", "other_supervisor", "admin", "anonymous")
ROUTES = {
    "comment_case": ("POST", "/cases/{case}/comments"),
    "comment_session": ("POST", "/sessions/{session}/comments"),
    "inbox": ("GET", "/comments"),
    "open_comment": ("GET", "/comments/{comment}"),
    "mark_read": ("POST", "/comments/{comment}/read"),
}
EXPECTED = {
    "comment_case": {"owner": 302, "other_counsellor": 404, "supervisor": 302,
                     "other_supervisor": 404, "admin": 404},
    "comment_session": {"owner": 302, "other_counsellor": 404, "supervisor": 302,
                        "other_supervisor": 404, "admin": 404},
    "inbox": {"owner": 200, "other_counsellor": 200, "supervisor": 200, "other_supervisor": 200,
              "admin": 200},
    "open_comment": {"owner": 302, "other_counsellor": 404, "supervisor": 302,
                     "other_supervisor": 404, "admin": 404},
    "mark_read": {"owner": 302, "other_counsellor": 404, "supervisor": 302,
                  "other_supervisor": 404, "admin": 404},
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES)
def test_comment_route_access(
    client, auth, db, counsellor, supervisor, other_counsellor, other_supervisor, admin,
    case, session, route, role,
):  # fmt: skip
    members = {
        "owner": counsellor,
        "other_counsellor": other_counsellor,
        "supervisor": supervisor,
        "other_supervisor": other_supervisor,
        "admin": admin,
    }
    comment = _comment(db, case, supervisor, session=session)
    before = len(_comments(db))
    method, path = ROUTES[route]
    path = path.format(case=case.id, session=session.id, comment=comment.id)
    data = {"body": ANSWER}
    if role == "anonymous":
        response = client.open(path, method=method, data=data)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert len(_comments(db)) == before
        return
    auth.login(members[role])
    response = client.get(path) if method == "GET" else auth.post(path, data)
    assert response.status_code == EXPECTED[route][role]
    added = len(_comments(db)) - before
    writes = method == "POST" and route != "mark_read"
    assert added == (1 if writes and response.status_code == 302 else 0)
