"""The supervision hour: the supervisor's own comments, the whole session on the co-signature
page with a comment inline, and several notes co-signed with one password entry (all or none).
"""

from __future__ import annotations

from sqlalchemy import select

from practice.models import (
    AuditEvent,
    Moment,
    MomentType,
    ReviewStatus,
    Role,
    SupervisionComment,
)
from tests.conftest import PASSWORD
from tests.test_cosign import NOTE, _reload, _sign


def _value(db, session_id: int) -> str:
    note = _reload(db, session_id)
    return f"{note.id}:{note.version}:{len(note.addenda)}"


def _events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_supervisor_sees_their_own_comments(client, auth, db, supervisor, case):
    db.add(SupervisionComment(case_id=case.id, author_id=supervisor.id, body="Mine, about pacing."))
    db.commit()
    auth.login(supervisor)
    received = client.get("/comments").get_data(as_text=True)
    assert "Mine, about pacing." not in received
    mine = client.get("/comments?show=mine").get_data(as_text=True)
    assert "Mine, about pacing." in mine and "1 comment you wrote" in mine


def test_the_review_page_shows_the_whole_session(
    app, client, auth, db, supervisor, counsellor, case, make_session
):
    session = make_session(case, **NOTE)
    kind = db.scalars(select(MomentType).where(MomentType.key == "softening")).first()
    kind = kind or db.scalars(select(MomentType)).first()
    db.add(
        Moment(
            session_id=session.id,
            moment_type_id=kind.id,
            partner_id=case.partners[0].id,
            minute=14,
            intensity=4,
            context="Voice dropped.",
            created_by_id=counsellor.id,
        )
    )
    db.commit()
    _sign(app, db, session.id)
    auth.login(supervisor)
    page = client.get(f"/review/sessions/{session.id}").get_data(as_text=True)
    assert NOTE["note_plan"] in page
    assert "Cycle moments (1)" in page and "Minute 14" in page and "Voice dropped." in page
    assert "CSI-4" in page and "Script adoption" in page
    # A comment inline, back on the same page.
    response = auth.post(
        f"/sessions/{session.id}/comments", {"body": "Good pacing.", "return_to": "review"}
    )
    assert f"/review/sessions/{session.id}#comment-" in response.headers["Location"]
    # Co-signing with a comment leaves both.
    decision = {
        "version": str(_reload(db, session.id).version),
        "addenda_seen": "0",
        "password": PASSWORD,
        "comment": "Co-signed; keep the time-out script going.",
    }
    assert auth.post(f"/review/sessions/{session.id}/cosign", decision).status_code == 302
    assert _reload(db, session.id).review_status == ReviewStatus.COSIGNED
    bodies = db.scalars(
        select(SupervisionComment.body).where(SupervisionComment.session_id == session.id)
    ).all()
    assert sorted(bodies) == ["Co-signed; keep the time-out script going.", "Good pacing."]


def test_several_notes_with_one_password(app, client, auth, db, supervisor, case, make_session):
    notes = [make_session(case, **NOTE).id for _ in range(3)]
    _sign(app, db, *notes)
    auth.login(supervisor)
    queue = client.get("/review").get_data(as_text=True)
    assert 'type="checkbox" name="notes"' in queue
    chosen = [_value(db, n) for n in notes[:2]]
    response = auth.post("/review/cosign", {"notes": chosen, "password": PASSWORD})
    assert response.status_code == 302
    states = [_reload(db, n).review_status for n in notes]
    assert states == [ReviewStatus.COSIGNED, ReviewStatus.COSIGNED, ReviewStatus.PENDING]
    assert len(_events(db, "note_cosigned")) == 2
    assert len(_events(db, "notes_cosigned_in_batch")) == 1


def test_a_wrong_password_cosigns_nothing(app, client, auth, db, supervisor, case, make_session):
    notes = [make_session(case, **NOTE).id for _ in range(2)]
    _sign(app, db, *notes)
    auth.login(supervisor)
    chosen = [_value(db, n) for n in notes]
    page = auth.post("/review/cosign", {"notes": chosen, "password": "wrong"})
    assert "No note was co-signed." in page.get_data(as_text=True)
    assert {_reload(db, n).review_status for n in notes} == {ReviewStatus.PENDING}
    assert _events(db, "note_cosign_failed")


def test_one_refusal_cosigns_none(app, client, auth, db, supervisor, case, make_session):
    """All or none: a note that changed since the queue was shown stops the whole batch."""
    notes = [make_session(case, **NOTE).id for _ in range(2)]
    _sign(app, db, *notes)
    auth.login(supervisor)
    first = _value(db, notes[0])
    stale = f"{notes[1]}:{_reload(db, notes[1]).version + 1}:0"
    page = auth.post("/review/cosign", {"notes": [first, stale], "password": PASSWORD})
    text = page.get_data(as_text=True)
    assert "Nothing was co-signed." in text and "changed since you opened it" in text
    assert {_reload(db, n).review_status for n in notes} == {ReviewStatus.PENDING}
    assert _events(db, "note_cosigned") == []


def test_a_batch_out_of_scope_cosigns_nothing(
    app, client, auth, db, make_staff, case, make_session
):
    note = make_session(case, **NOTE).id
    _sign(app, db, note)
    auth.login(make_staff(Role.SUPERVISOR))
    page = auth.post("/review/cosign", {"notes": [_value(db, note)], "password": PASSWORD})
    text = page.get_data(as_text=True)
    assert "not one you can co-sign" in text and case.reference not in text
    assert _reload(db, note).review_status == ReviewStatus.PENDING
    empty = auth.post("/review/cosign", {"password": PASSWORD}).get_data(as_text=True)
    assert "Tick the notes to co-sign." in empty
