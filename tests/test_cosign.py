"""Co-signature: the queue, co-signing with the password, returning a note, and who may."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from practice.demo.seed import seed_demo
from practice.models import (
    AuditEvent,
    NoteStatus,
    ReviewStatus,
    Role,
    StaffMember,
    SupervisionComment,
    TherapySession,
)
from practice.sessions import operations as session_operations
from practice.supervision import cosign as service
from tests.conftest import PASSWORD

NOTE = {
    "note_data": "Alex pursued; Sam went quiet. Named the cycle together.",
    "note_assessment": "Early stage 1; both can see the dance.",
    "note_plan": "Practise the time-out script with a return time.",
}
RETURN_TEXT = "Say which partner named the cycle first, and how the other responded."


@pytest.fixture
def other_supervisor(make_staff):
    return make_staff(Role.SUPERVISOR, display_name="Other Supervisor")


@pytest.fixture
def other_counsellor(make_staff, other_supervisor):
    return make_staff(Role.COUNSELLOR, supervisor=other_supervisor, display_name="Other Counsellor")


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN, display_name="Ada Admin")


def _reload(db, session_id: int) -> TherapySession:
    db.expire_all()
    return db.get(TherapySession, session_id)


def _actions(db, action: str) -> list[AuditEvent]:
    return list(
        db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def _sign(app, db, *session_ids: int) -> TherapySession:
    """Sign sessions' notes as their counsellor, through the operation; returns the first.

    Arrange every session first: signing ends the app context, detaching what was loaded.
    """
    with app.app_context():
        for session_id in session_ids:
            note = db.get(TherapySession, session_id)
            session_operations.sign_note(note, note.case.counsellor)
        db.commit()
    return _reload(db, session_ids[0])


@pytest.fixture
def signed_note(app, db, make_session, case):
    """A signed note of ``counsellor`` (who has a supervisor), waiting for co-signature."""
    return _sign(app, db, make_session(case, **NOTE).id)


def _decision(db, session_id: int, **extra) -> dict:
    """The hidden fields the review page sends: the version and addenda as read."""
    note = _reload(db, session_id)
    addenda = len(note.addenda)
    return {"version": str(note.version), "addenda_seen": str(addenda), **extra}


def _queue_ids(client) -> list[int]:
    page = client.get("/review").get_data(as_text=True)
    return [int(n) for n in re.findall(r'href="/review/sessions/(\d+)"', page)]


# --- The whole flow -----------------------------------------------------------------------------


def test_sign_queue_wrong_password_cosign_and_empty_queue(
    client, auth, db, counsellor, supervisor, case, make_session
):
    draft = make_session(case, **NOTE)
    auth.login(counsellor)
    signed = auth.post(
        f"/sessions/{draft.id}/sign", {"password": PASSWORD, "version": "1", "confirm_missing": "y"}
    )
    assert signed.status_code == 302
    assert _reload(db, draft.id).review_status == ReviewStatus.PENDING
    auth.logout()

    auth.login(supervisor)
    queue = client.get("/review")
    page = queue.get_data(as_text=True)
    assert queue.status_code == 200
    assert case.reference in page and counsellor.display_name in page
    assert _queue_ids(client) == [draft.id]
    assert _actions(db, "cosign_queue_viewed")

    review = client.get(f"/review/sessions/{draft.id}").get_data(as_text=True)
    assert NOTE["note_plan"] in review
    assert "matches the fingerprint" in review
    assert f'action="/review/sessions/{draft.id}/cosign"' in review
    assert _actions(db, "note_reviewed")[0].object_id == str(draft.id)

    wrong = auth.post(
        f"/review/sessions/{draft.id}/cosign", _decision(db, draft.id, password="not mine")
    )
    assert wrong.status_code == 200
    assert "That password is not right" in wrong.get_data(as_text=True)
    note = _reload(db, draft.id)
    assert note.review_status == ReviewStatus.PENDING and note.cosigned_by_id is None
    assert _actions(db, "note_cosign_failed")[0].outcome == "denied"
    assert _actions(db, "note_cosigned") == []

    done = auth.post(
        f"/review/sessions/{draft.id}/cosign", _decision(db, draft.id, password=PASSWORD)
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/review")
    note = _reload(db, draft.id)
    assert note.review_status == ReviewStatus.COSIGNED
    assert note.cosigned_by_id == supervisor.id
    assert abs(note.cosigned_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert _actions(db, "note_cosigned")[0].object_id == str(draft.id)
    assert _queue_ids(client) == []
    assert "No notes are waiting" in client.get("/review").get_data(as_text=True)

    auth.logout()
    auth.login(counsellor)
    shown = client.get(f"/sessions/{draft.id}").get_data(as_text=True)
    assert f"Co-signed by {supervisor.display_name}" in shown


def test_cosign_from_the_session_page_form(client, auth, db, supervisor, signed_note):
    auth.login(supervisor)
    page = client.get(f"/sessions/{signed_note.id}").get_data(as_text=True)
    assert f'action="/review/sessions/{signed_note.id}/cosign"' in page
    assert f'action="/review/sessions/{signed_note.id}/return"' in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    addenda = re.search(r'name="addenda_seen" value="(\d+)"', page).group(1)
    response = auth.post(
        f"/review/sessions/{signed_note.id}/cosign",
        {"version": version, "addenda_seen": addenda, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert _reload(db, signed_note.id).review_status == ReviewStatus.COSIGNED


def test_the_counsellor_sees_no_review_forms(client, auth, counsellor, signed_note):
    auth.login(counsellor)
    page = client.get(f"/sessions/{signed_note.id}").get_data(as_text=True)
    assert "Waiting for co-signature." in page
    assert "/cosign" not in page and "/return" not in page


def test_a_missing_password_is_asked_for(client, auth, db, supervisor, signed_note):
    auth.login(supervisor)
    response = auth.post(f"/review/sessions/{signed_note.id}/cosign", _decision(db, signed_note.id))
    assert response.status_code == 200
    assert "Enter your password to co-sign." in response.get_data(as_text=True)
    assert _reload(db, signed_note.id).review_status == ReviewStatus.PENDING


def test_lost_hidden_fields_are_reported(client, auth, db, supervisor, signed_note):
    auth.login(supervisor)
    response = auth.post(f"/review/sessions/{signed_note.id}/cosign", {"password": PASSWORD})
    assert response.status_code == 200
    assert "Reload the page" in response.get_data(as_text=True)
    assert _reload(db, signed_note.id).review_status == ReviewStatus.PENDING


# --- The queue ----------------------------------------------------------------------------------


def test_queue_lists_pending_notes_of_supervisees_oldest_first(
    app, client, auth, db, supervisor, counsellor, other_counsellor, admin, make_case, make_session
):
    case = make_case(counsellor)
    older, newer, _draft, cosigned = (make_session(case, **NOTE) for _ in range(4))
    elsewhere = make_session(make_case(other_counsellor), **NOTE)
    _sign(app, db, older.id, newer.id, cosigned.id, elsewhere.id)
    now = datetime.now(UTC)
    # The queue sorts by the time a note started to wait, whatever the session dates.
    for note, values in (
        (newer, {"signed_at": now - timedelta(hours=5)}),
        (older, {"signed_at": now - timedelta(days=3, hours=1)}),
        (cosigned, {"review_status": ReviewStatus.COSIGNED}),
    ):
        db.execute(update(TherapySession).where(TherapySession.id == note.id).values(**values))
    db.commit()

    auth.login(supervisor)
    assert _queue_ids(client) == [older.id, newer.id]
    page = client.get("/review").get_data(as_text=True)
    assert "3 days" in page and "5 hours" in page
    auth.logout()

    # Administrators read no clinical record: the queue is not theirs.
    auth.login(admin)
    assert client.get("/review").status_code == 403


def test_addendum_after_cosignature_puts_the_note_back_in_the_queue(
    client, auth, db, counsellor, supervisor, signed_note
):
    auth.login(supervisor)
    auth.post(
        f"/review/sessions/{signed_note.id}/cosign",
        _decision(db, signed_note.id, password=PASSWORD),
    )
    assert _queue_ids(client) == []
    auth.logout()

    auth.login(counsellor)
    added = auth.post(f"/sessions/{signed_note.id}/addenda", {"text": "Sam spoke first."})
    assert added.status_code == 302
    auth.logout()

    auth.login(supervisor)
    assert _queue_ids(client) == [signed_note.id]
    row = re.search(
        r"<tr>\s*<td><input type=\"checkbox\".*?</tr>", client.get("/review").get_data(True), re.S
    )
    assert "(since an addendum)" in row.group(0)
    assert '<td class="num">1</td>' in row.group(0)


# --- Who may co-sign ----------------------------------------------------------------------------


@pytest.fixture
def senior(make_staff):
    return make_staff(Role.SUPERVISOR, display_name="Senior Supervisor")


def test_a_supervisor_cannot_cosign_their_own_note(
    app, client, auth, db, make_staff, make_case, make_session, senior
):
    # A supervisor who carries a caseload, supervised in turn: their note waits for review.
    carrying = make_staff(Role.SUPERVISOR, supervisor=senior, display_name="Carrying Supervisor")
    own = _sign(app, db, make_session(make_case(carrying), **NOTE).id)
    assert own.review_status == ReviewStatus.PENDING

    auth.login(carrying)
    assert own.id not in _queue_ids(client)
    page = client.get(f"/review/sessions/{own.id}").get_data(as_text=True)
    assert "You cannot review your own note" in page
    assert "/cosign" not in page
    response = auth.post(
        f"/review/sessions/{own.id}/cosign", _decision(db, own.id, password=PASSWORD)
    )
    assert response.status_code == 200
    assert "You cannot review your own note" in response.get_data(as_text=True)
    assert _reload(db, own.id).review_status == ReviewStatus.PENDING
    auth.logout()

    auth.login(senior)
    assert _queue_ids(client) == [own.id]


def test_a_self_supervised_supervisor_cannot_cosign_either(
    app, db, make_staff, make_case, make_session
):
    member = make_staff(Role.SUPERVISOR)
    member.supervisor_id = member.id
    db.commit()
    own = _sign(app, db, make_session(make_case(member), **NOTE).id)
    with app.app_context():
        note = db.get(TherapySession, own.id)
        with pytest.raises(service.CosignError, match="your own note"):
            service.cosign_note(note, db.get(StaffMember, member.id))
        assert service.cosign_queue(db.get(StaffMember, member.id)).items == []


def test_an_admin_may_not_cosign_any_note(app, client, auth, db, admin, signed_note):
    """Least privilege: administrators co-sign nothing, by page or by the rule."""
    auth.login(admin)
    response = auth.post(
        f"/review/sessions/{signed_note.id}/cosign",
        _decision(db, signed_note.id, password=PASSWORD),
    )
    assert response.status_code == 403
    assert _reload(db, signed_note.id).review_status == ReviewStatus.PENDING
    with app.app_context():
        note = db.get(TherapySession, signed_note.id)
        with pytest.raises(service.CosignError, match="supervisor"):
            service.cosign_note(note, db.get(StaffMember, admin.id))


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("draft", "not signed yet"),
        (ReviewStatus.COSIGNED, "already co-signed"),
        (ReviewStatus.NOT_REQUIRED, "does not need a co-signature"),
        (ReviewStatus.RETURNED, "returned to its counsellor"),
    ],
)
def test_only_pending_notes_are_cosigned(
    app, client, auth, db, supervisor, case, make_session, state, message
):
    target = make_session(case, **NOTE)
    if state != "draft":
        _sign(app, db, target.id)
        db.execute(
            update(TherapySession).where(TherapySession.id == target.id).values(review_status=state)
        )
        db.commit()
    before = _reload(db, target.id)
    status, version = before.review_status, before.version
    auth.login(supervisor)
    for action, extra in (("cosign", {"password": PASSWORD}), ("return", {"comment": "x"})):
        response = auth.post(
            f"/review/sessions/{target.id}/{action}", _decision(db, target.id, **extra)
        )
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    after = _reload(db, target.id)
    assert (after.review_status, after.version, after.cosigned_by_id) == (status, version, None)
    assert db.scalar(select(SupervisionComment.id)) is None


def test_a_note_changed_since_it_was_opened_is_not_cosigned(
    client, auth, db, counsellor, supervisor, signed_note
):
    auth.login(supervisor)
    seen = _decision(db, signed_note.id, password=PASSWORD)
    auth.logout()
    auth.login(counsellor)
    auth.post(f"/sessions/{signed_note.id}/addenda", {"text": "Sam spoke first."})
    auth.logout()

    auth.login(supervisor)
    response = auth.post(f"/review/sessions/{signed_note.id}/cosign", seen)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "An addendum was added since you opened this note" in page
    assert "Sam spoke first." in page
    # The page now offers the note as it is, so the next submission co-signs it.
    assert 'name="addenda_seen" value="1"' in page
    assert _reload(db, signed_note.id).review_status == ReviewStatus.PENDING


def test_a_tampered_note_is_flagged_on_the_review_page(client, auth, db, supervisor, signed_note):
    db.execute(
        update(TherapySession)
        .where(TherapySession.id == signed_note.id)
        .values(note_plan="edited behind the signature")
    )
    db.commit()
    auth.login(supervisor)
    page = client.get(f"/review/sessions/{signed_note.id}").get_data(as_text=True)
    assert "no longer matches the fingerprint" in page


# --- Returning a note ---------------------------------------------------------------------------


def test_return_with_a_comment_reaches_the_counsellor(
    client, auth, db, counsellor, supervisor, case, signed_note
):
    auth.login(supervisor)
    response = auth.post(
        f"/review/sessions/{signed_note.id}/return",
        _decision(db, signed_note.id, comment=RETURN_TEXT),
    )
    assert response.status_code == 302
    note = _reload(db, signed_note.id)
    assert note.review_status == ReviewStatus.RETURNED and note.cosigned_by_id is None
    comment = db.scalar(select(SupervisionComment))
    assert (comment.session_id, comment.case_id) == (signed_note.id, case.id)
    assert comment.returns_note and comment.author_id == supervisor.id
    assert comment.body == RETURN_TEXT
    returned = _actions(db, "note_returned")[0]
    assert returned.detail["comment_id"] == comment.id
    assert _queue_ids(client) == []
    auth.logout()

    auth.login(counsellor)
    inbox = client.get("/comments").get_data(as_text=True)
    assert "Notes returned to you" in inbox
    returned_section = inbox.split("Notes returned to you")[1].split("</section>")[0]
    assert case.reference in returned_section and RETURN_TEXT in returned_section
    assert f"/sessions/{signed_note.id}#review" in returned_section
    page = client.get(f"/sessions/{signed_note.id}").get_data(as_text=True)
    today = datetime.now(UTC).strftime("%d %b %Y")
    assert f"Returned by {supervisor.display_name} on {today}:" in page
    assert RETURN_TEXT in page


def test_an_addendum_to_a_returned_note_puts_it_back_in_the_queue(
    client, auth, db, counsellor, supervisor, signed_note
):
    auth.login(supervisor)
    auth.post(
        f"/review/sessions/{signed_note.id}/return",
        _decision(db, signed_note.id, comment=RETURN_TEXT),
    )
    auth.logout()
    auth.login(counsellor)
    added = auth.post(f"/sessions/{signed_note.id}/addenda", {"text": "Alex named it first."})
    assert added.status_code == 302
    auth.logout()
    auth.login(supervisor)
    assert _reload(db, signed_note.id).review_status == ReviewStatus.PENDING
    assert _queue_ids(client) == [signed_note.id]


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("", "Write a comment saying why you return the note."),
        ("   \n  ", "Write a comment saying why you return the note."),
        ("x" * 5_001, "at most 5,000 characters"),
    ],
)
def test_return_needs_a_comment_of_at_most_5000_characters(
    client, auth, db, supervisor, signed_note, comment, message
):
    auth.login(supervisor)
    response = auth.post(
        f"/review/sessions/{signed_note.id}/return", _decision(db, signed_note.id, comment=comment)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    if comment.strip():
        assert comment in page  # what was typed is kept
    assert _reload(db, signed_note.id).review_status == ReviewStatus.PENDING
    assert db.scalar(select(SupervisionComment.id)) is None
    assert _actions(db, "note_returned") == []


def test_return_text_stays_out_of_the_audit_trail(client, auth, db, supervisor, signed_note):
    auth.login(supervisor)
    auth.post(
        f"/review/sessions/{signed_note.id}/return",
        _decision(db, signed_note.id, comment=RETURN_TEXT),
    )
    details = [str(event.detail) for event in db.scalars(select(AuditEvent))]
    assert details and not any("partner named" in detail for detail in details)


# --- Access: every review route for every role --------------------------------------------------

ROLES = ("owner", "other_counsellor", "supervisor", "other_supervisor", "admin", "anonymous")
ROUTES = {
    "queue": ("GET", "/review", {}),
    "review": ("GET", "/review/sessions/{id}", {}),
    "cosign": ("POST", "/review/sessions/{id}/cosign", {"password": PASSWORD}),
    "return": ("POST", "/review/sessions/{id}/return", {"comment": RETURN_TEXT}),
}
EXPECTED = {
    "queue": {"owner": 403, "other_counsellor": 403, "supervisor": 200, "other_supervisor": 200,
              "admin": 403},
    "review": {"owner": 403, "other_counsellor": 403, "supervisor": 200, "other_supervisor": 404,
               "admin": 403},
    "cosign": {"owner": 403, "other_counsellor": 403, "supervisor": 302, "other_supervisor": 404,
               "admin": 403},
    "return": {"owner": 403, "other_counsellor": 403, "supervisor": 302, "other_supervisor": 404,
               "admin": 403},
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES)
def test_review_route_access(
    client, auth, db, counsellor, supervisor, other_counsellor, other_supervisor, admin,
    signed_note, route, role,
):  # fmt: skip
    members = {
        "owner": counsellor,
        "other_counsellor": other_counsellor,
        "supervisor": supervisor,
        "other_supervisor": other_supervisor,
        "admin": admin,
    }
    method, path, data = ROUTES[route]
    path = path.format(id=signed_note.id)
    if role == "anonymous":
        response = client.open(path, method=method, data=data)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        return
    auth.login(members[role])
    if method == "GET":
        response = client.get(path)
    else:
        response = auth.post(path, _decision(db, signed_note.id, **data))
    assert response.status_code == EXPECTED[route][role]
    changed = _reload(db, signed_note.id).review_status != ReviewStatus.PENDING
    assert changed == (method == "POST" and response.status_code == 302)


# --- Rules without a request --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed", "label"),
    [
        (timedelta(minutes=59), "under an hour"),
        (timedelta(hours=1, minutes=5), "1 hour"),
        (timedelta(hours=23), "23 hours"),
        (timedelta(hours=30), "1 day"),
        (timedelta(days=4, hours=2), "4 days"),
    ],
)
def test_waiting_label(elapsed, label):
    now = datetime(2026, 8, 12, 12, 0, tzinfo=UTC)
    assert service.waiting_label(now - elapsed, now) == label


def test_review_refusal_names_the_reason(
    app, db, counsellor, supervisor, other_supervisor, signed_note
):
    with app.app_context():
        note = db.get(TherapySession, signed_note.id)
        assert service.review_refusal(db.get(StaffMember, supervisor.id), note) is None
        stranger = db.get(StaffMember, other_supervisor.id)
        assert "Only the counsellor's supervisor" in service.review_refusal(stranger, note)
        owner = db.get(StaffMember, counsellor.id)
        assert "your own note" in service.review_refusal(owner, note)
        assert note.status == NoteStatus.SIGNED


def test_the_queue_holds_exactly_the_notes_the_single_note_check_allows(
    app_context, db, monkeypatch
):
    # Both read the one definition of who may review which note; on the demo practice, every
    # member's queue (all its pages) is the set of notes review_refusal lets them review.
    monkeypatch.setattr(service, "QUEUE_PAGE_SIZE", 3)
    seed_demo(scale=0.5)
    notes = db.scalars(select(TherapySession).order_by(TherapySession.id)).all()
    pending = {note.id for note in notes if note.review_status == ReviewStatus.PENDING}
    # Every pending note, and a tenth of the others (drafts, co-signed, returned) to keep it fast.
    checked = [note for n, note in enumerate(notes) if note.id in pending or n % 10 == 0]
    reviewed = set()
    for member in db.scalars(select(StaffMember)):
        queued, page = set(), 1
        while True:
            shown = service.cosign_queue(member, page)
            queued |= {row.session_id for row in shown.items}
            if not shown.has_next:
                break
            page += 1
        allowed = {note.id for note in checked if service.review_refusal(member, note) is None}
        assert queued == allowed, member.email
        assert allowed <= pending
        if member.role == Role.COUNSELLOR:
            assert not allowed
        reviewed |= allowed
    assert reviewed == pending and len(pending) > service.QUEUE_PAGE_SIZE
