"""Tagging cycle moments on the session page: add, edit, remove, refusals, access, the rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from practice.models import AuditEvent, Moment, MomentType, NoteStatus, Role
from practice.moments import operations
from practice.moments.balance import CycleBalance
from practice.moments.operations import MomentData, MomentError
from practice.sessions.signed_notes import NoteSigned
from tests.break_glass_support import open_break_glass


def type_id(db, key: str) -> int:
    return db.scalar(select(MomentType.id).where(MomentType.key == key))


def standing(db, session) -> list[Moment]:
    return list(
        db.scalars(
            select(Moment)
            .where(Moment.session_id == session.id, Moment.voided_at.is_(None))
            .order_by(Moment.id)
        )
    )


def count_moments(db) -> int:
    return db.scalar(select(func.count(Moment.id)))


def audited(db, action: str) -> int:
    return db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


def add(db, session, member, key, minute, *, partner=None, intensity=3, context=""):
    """Arrange a moment directly in the database."""
    moment = Moment(
        session_id=session.id,
        moment_type_id=type_id(db, key),
        partner_id=partner.id if partner else None,
        minute=minute,
        intensity=intensity,
        context=context,
        created_by_id=member.id,
    )
    db.add(moment)
    db.commit()
    return moment


@pytest.fixture
def session(make_session, case):
    return make_session(case, duration_minutes=50)


def form_for(db, case, **overrides) -> dict:
    data = {
        "moment_type_id": str(type_id(db, "softening")),
        "partner_id": str(case.partners[0].id),
        "minute": "12",
        "intensity": "4",
        "context": "I just want you to see me.",
    }
    data.update(overrides)
    return data


# --- The Moments tab ---------------------------------------------------------------------------


def test_counsellor_adds_a_moment_without_javascript(client, auth, db, counsellor, case, session):
    auth.login(counsellor)
    page = client.get(f"/sessions/{session.id}/moments").get_data(as_text=True)
    assert 'method="post"' in page and 'name="csrf_token"' in page
    assert '<optgroup label="Escalating">' in page and '<optgroup label="De-escalating">' in page

    response = auth.post(f"/sessions/{session.id}/moments", form_for(db, case))

    assert response.status_code == 302
    [moment] = standing(db, session)
    assert (moment.minute, moment.intensity, moment.partner_id) == (12, 4, case.partners[0].id)
    assert moment.context == "I just want you to see me."
    assert moment.created_by_id == counsellor.id
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "moment_added"))
    assert event.case_id == case.id
    assert "see me" not in str(event.detail)  # never clinical text in the audit log
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Moment added at minute 12." in page
    assert "Softening" in page and "De-escalating" in page and "Alex" in page


def test_both_partners_is_stored_as_no_partner(client, auth, db, counsellor, case, session):
    auth.login(counsellor)
    auth.post(f"/sessions/{session.id}/moments", form_for(db, case, partner_id=""))
    [moment] = standing(db, session)
    assert moment.partner_id is None
    page = client.get(f"/sessions/{session.id}/moments").get_data(as_text=True)
    assert "<td>Both</td>" in page


def test_tab_lists_standing_moments_in_minute_order_with_the_cycle_balance(
    client, auth, db, counsellor, case, session
):
    alex, sam = case.partners
    add(db, session, counsellor, "pursue", 30, partner=alex, intensity=4)
    add(db, session, counsellor, "softening", 5, partner=sam, intensity=2)
    add(db, session, counsellor, "trigger_identified", 17, intensity=5)
    voided = add(db, session, counsellor, "contempt", 1, intensity=5)
    voided.voided_at = datetime.now(UTC)
    db.commit()
    auth.login(counsellor)

    page = client.get(f"/sessions/{session.id}/moments").get_data(as_text=True)

    assert page.index("Softening") < page.index("Trigger identified") < page.index("Pursue")
    listed = page.split('<table class="data moments"')[1].split("</table>")[0]
    assert "Contempt" not in listed  # voided: not listed
    # E = 4, D = 2 (neutral counts in neither): share 2 / 6 = 33%.
    assert 'id="tally-escalating-load">4</td>' in page
    assert 'id="tally-deescalating-load">2</td>' in page
    assert 'id="tally-share">33%</td>' in page
    assert audited(db, "moments_viewed") == 1


def test_deescalation_share_is_a_dash_without_loads(client, auth, db, counsellor, session):
    add(db, session, counsellor, "trigger_identified", 3)
    auth.login(counsellor)
    page = client.get(f"/sessions/{session.id}/moments").get_data(as_text=True)
    assert 'id="tally-share">—' in page


def test_colour_is_shown_with_words_never_alone(client, auth, db, counsellor, session):
    add(db, session, counsellor, "pursue", 3)
    auth.login(counsellor)
    page = client.get(f"/sessions/{session.id}/moments").get_data(as_text=True)
    assert 'fill="#b03a2e"' in page
    assert "Pursue / protest" in page and "Escalating</span>" in page
    assert 'style="' not in page


# --- Refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"minute": "51"}, "The minute must be a whole number from 0 to 50"),
        ({"minute": "-1"}, "The minute must be a whole number from 0 to 50"),
        ({"minute": "abc"}, "Enter a whole number."),
        ({"intensity": "9"}, "Intensity must be a whole number from 1 to 5."),
        ({"intensity": "0"}, "Intensity must be a whole number from 1 to 5."),
        ({"intensity": "abc"}, "Enter a whole number."),
        ({"moment_type_id": "999999"}, "Choose a moment type from the list."),
        ({"moment_type_id": "abc"}, "Choose a moment type from the list."),
        ({"context": "x" * 501}, "Keep the context to 500 characters or fewer"),
    ],
)
def test_bad_input_is_refused_and_the_form_kept(
    client, auth, db, counsellor, case, session, overrides, message
):
    auth.login(counsellor)
    before = count_moments(db)
    data = form_for(db, case, **overrides)

    response = auth.post(f"/sessions/{session.id}/moments", data)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert count_moments(db) == before
    if "context" not in overrides:
        assert "I just want you to see me." in page  # what was typed is not lost


def test_every_problem_is_shown_at_once(client, auth, db, counsellor, case, session):
    auth.login(counsellor)
    response = auth.post(
        f"/sessions/{session.id}/moments", form_for(db, case, minute="99", intensity="9")
    )
    page = response.get_data(as_text=True)
    assert 'id="minute-error"' in page and 'id="intensity-error"' in page
    assert standing(db, session) == []


def test_a_partner_from_another_case_is_refused(
    client, auth, db, counsellor, case, session, make_case
):
    other = make_case(counsellor, partners=("Jo", "Kim"))
    auth.login(counsellor)
    response = auth.post(
        f"/sessions/{session.id}/moments", form_for(db, case, partner_id=str(other.partners[0].id))
    )
    assert response.status_code == 200
    assert "That partner is not part of this case." in response.get_data(as_text=True)
    assert standing(db, session) == []


def test_a_retired_type_is_refused(client, auth, db, counsellor, case, session):
    softening = db.get(MomentType, type_id(db, "softening"))
    softening.active = False
    db.commit()
    auth.login(counsellor)
    response = auth.post(f"/sessions/{session.id}/moments", form_for(db, case))
    page = response.get_data(as_text=True)
    assert "“Softening” is retired; choose an active moment type." in page
    assert standing(db, session) == []


def test_a_moment_on_a_signed_note_is_refused(client, auth, db, counsellor, case, make_session):
    signed = make_session(
        case,
        status=NoteStatus.SIGNED,
        signed_at=datetime(2026, 2, 1, tzinfo=UTC),
        signed_by_id=counsellor.id,
    )
    auth.login(counsellor)
    page = client.get(f"/sessions/{signed.id}/moments").get_data(as_text=True)
    assert "Add a moment" not in page
    assert "This note is signed" in page

    response = auth.post(f"/sessions/{signed.id}/moments", form_for(db, case))

    assert response.status_code == 409
    assert "its moments can no longer change" in response.get_data(as_text=True)
    assert standing(db, signed) == []


# --- Edit and remove ---------------------------------------------------------------------------


def test_counsellor_edits_a_moment(client, auth, db, counsellor, case, session):
    moment = add(db, session, counsellor, "pursue", 10, partner=case.partners[0], context="old")
    auth.login(counsellor)
    page = client.get(f"/moments/{moment.id}/edit").get_data(as_text=True)
    assert 'value="10"' in page and "old</textarea>" in page

    response = auth.post(
        f"/moments/{moment.id}/edit",
        form_for(db, case, moment_type_id=str(type_id(db, "withdraw")), minute="20", context="new"),
    )

    assert response.status_code == 302
    moment = db.get(Moment, moment.id)
    assert (moment.minute, moment.context) == (20, "new")
    assert moment.moment_type.key == "withdraw"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "moment_updated"))
    assert set(event.detail["fields"]) == {"moment_type_id", "minute", "intensity", "context"}


def test_an_edit_past_the_end_is_refused_with_the_typing_kept(
    client, auth, db, counsellor, case, session
):
    moment = add(db, session, counsellor, "pursue", 10)
    auth.login(counsellor)
    response = auth.post(
        f"/moments/{moment.id}/edit", form_for(db, case, minute="75", context="kept text")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The minute must be a whole number from 0 to 50" in page
    assert 'value="75"' in page and "kept text" in page
    moment = db.get(Moment, moment.id)
    assert moment.minute == 10


def test_editing_keeps_a_retired_type_but_cannot_choose_one(
    client, auth, db, counsellor, case, session
):
    moment = add(db, session, counsellor, "pursue", 10)
    pursue = db.get(MomentType, type_id(db, "pursue"))
    pursue.active = False
    db.commit()
    auth.login(counsellor)
    page = client.get(f"/moments/{moment.id}/edit").get_data(as_text=True)
    assert "Pursue / protest (retired)" in page

    kept = auth.post(
        f"/moments/{moment.id}/edit",
        form_for(db, case, moment_type_id=str(pursue.id), context="only the context"),
    )
    assert kept.status_code == 302

    other = add(db, session, counsellor, "softening", 3)
    refused = auth.post(
        f"/moments/{other.id}/edit", form_for(db, case, moment_type_id=str(pursue.id))
    )
    assert "is retired" in refused.get_data(as_text=True)
    other = db.get(Moment, other.id)
    assert other.moment_type.key == "softening"


def test_remove_voids_and_keeps_the_record(client, auth, db, counsellor, session):
    moment = add(db, session, counsellor, "pursue", 10)
    auth.login(counsellor)

    response = auth.post(f"/moments/{moment.id}/remove", {"reason": "tagged the wrong partner"})

    assert response.status_code == 302
    moment = db.get(Moment, moment.id)
    assert moment.voided_at is not None
    assert moment.void_reason == "tagged the wrong partner"
    assert moment.voided_by_id == counsellor.id
    assert db.get(Moment, moment.id) is not None
    assert standing(db, session) == []
    assert "No moments tagged" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/moments/{moment.id}/edit").status_code == 404


def test_edit_and_remove_on_a_signed_note_are_refused(client, auth, db, counsellor, case, session):
    moment = add(db, session, counsellor, "pursue", 10)
    session.status = NoteStatus.SIGNED
    session.signed_at = datetime(2026, 2, 1, tzinfo=UTC)
    db.commit()
    auth.login(counsellor)

    edit = auth.post(f"/moments/{moment.id}/edit", form_for(db, case, minute="20"))
    remove = auth.post(f"/moments/{moment.id}/remove", follow_redirects=True)

    assert edit.status_code == 409
    assert "its moments can no longer change" in edit.get_data(as_text=True)
    assert "its moments can no longer change" in remove.get_data(as_text=True)
    moment = db.get(Moment, moment.id)
    assert (moment.minute, moment.voided_at) == (10, None)


# --- Access ------------------------------------------------------------------------------------


def test_another_counsellor_gets_404_everywhere(
    client, auth, db, counsellor, case, session, make_staff
):
    moment = add(db, session, counsellor, "pursue", 10)
    auth.login(make_staff(Role.COUNSELLOR))
    assert client.get(f"/sessions/{session.id}/moments").status_code == 404
    assert auth.post(f"/sessions/{session.id}/moments", form_for(db, case)).status_code == 404
    assert client.get(f"/moments/{moment.id}/edit").status_code == 404
    assert auth.post(f"/moments/{moment.id}/remove").status_code == 404
    assert len(standing(db, session)) == 1


def test_supervisor_reads_but_cannot_change(
    client, auth, db, counsellor, supervisor, case, session
):
    moment = add(db, session, counsellor, "pursue", 10)
    auth.login(supervisor)
    response = client.get(f"/sessions/{session.id}/moments")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Pursue / protest" in page
    assert "Add a moment" not in page and "/remove" not in page
    assert auth.post(f"/sessions/{session.id}/moments", form_for(db, case)).status_code == 403
    assert client.get(f"/moments/{moment.id}/edit").status_code == 403
    assert auth.post(f"/moments/{moment.id}/remove").status_code == 403
    assert len(standing(db, session)) == 1


def test_admin_reads_read_only_under_break_glass(client, auth, db, make_staff, session):
    admin = make_staff(Role.ADMIN)
    auth.login(admin)
    assert client.get(f"/sessions/{session.id}/moments").status_code == 404
    open_break_glass(db, admin, session.case)
    page = client.get(f"/sessions/{session.id}/moments").get_data(as_text=True)
    assert "Cycle moments" in page and "Add a moment" not in page


def test_anonymous_is_sent_to_login(client, db, counsellor, session):
    moment = add(db, session, counsellor, "pursue", 10)
    for path in (f"/sessions/{session.id}/moments", f"/moments/{moment.id}/edit"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_a_voided_session_is_not_found(client, auth, db, counsellor, session):
    session.voided_at = datetime.now(UTC)
    db.commit()
    auth.login(counsellor)
    assert client.get(f"/sessions/{session.id}/moments").status_code == 404


# --- The service rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("minute", 51),
        ("minute", -1),
        ("minute", True),
        ("intensity", 9),
        ("intensity", 0),
        ("intensity", "3"),
        ("moment_type_id", None),
        ("context", "y" * 501),
    ],
)
def test_add_moment_refuses_each_bad_value(app_context, db, counsellor, session, field, value):
    values = {
        "moment_type_id": type_id(db, "pursue"),
        "partner_id": None,
        "minute": 5,
        "intensity": 3,
        "context": "",
    }
    values[field] = value
    with pytest.raises(MomentError) as refused:
        operations.add_moment(session, counsellor, MomentData(**values))
    assert set(refused.value.fields) == {field}


def test_add_moment_on_a_signed_note_raises_note_signed(app_context, db, counsellor, session):
    session.status = NoteStatus.SIGNED
    with pytest.raises(NoteSigned):
        operations.add_moment(session, counsellor, MomentData(type_id(db, "pursue"), None, 5))


def test_the_minute_bounds_are_inclusive(app_context, db, counsellor, session):
    for minute in (0, 50):
        moment = operations.add_moment(
            session, counsellor, MomentData(type_id(db, "pursue"), None, minute)
        )
        assert moment.minute == minute


def test_session_tally_counts_and_weighs_standing_moments(app_context, db, counsellor, session):
    add(db, session, counsellor, "pursue", 1, intensity=5)
    add(db, session, counsellor, "withdraw", 2, intensity=1)
    add(db, session, counsellor, "softening", 3, intensity=3)
    add(db, session, counsellor, "attachment_need", 4, intensity=2)
    gone = add(db, session, counsellor, "repair_attempt", 5, intensity=5)
    operations.remove_moment(gone)

    tally = operations.session_tally(session)

    assert (tally.escalating, tally.deescalating, tally.neutral) == (2, 1, 1)
    assert tally.balance == CycleBalance(escalating=6, deescalating=3)
    assert tally.deescalation_share == pytest.approx(3 / 9)


def test_removing_twice_is_refused(app_context, db, counsellor, session):
    moment = add(db, session, counsellor, "pursue", 1)
    operations.remove_moment(moment)
    with pytest.raises(MomentError, match="removed already"):
        operations.remove_moment(moment)
