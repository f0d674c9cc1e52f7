"""CSI-4 entry per partner per session: items in range, total on the server, the cut-off."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from practice.measures import operations
from practice.measures.csi4 import csi4_reading
from practice.models import AuditEvent, MeasureResponse, NoteStatus, Role


@pytest.fixture
def visit(make_session, case):
    return make_session(case, starts_at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))


def page(response) -> str:
    """The response's HTML."""
    return response.get_data(as_text=True)


def responses(db) -> list[MeasureResponse]:
    return list(db.scalars(select(MeasureResponse).order_by(MeasureResponse.partner_id)))


def audited(db, action: str) -> list[AuditEvent]:
    return list(
        db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def csi4(auth, visit, answers: list[tuple[int, list[object]]]):
    """POST the CSI-4 form: (partner id, four answers; None leaves an item blank)."""
    data = {"submit": "Save CSI-4"}
    for i, (partner_id, items) in enumerate(answers):
        data[f"partners-{i}-partner_id"] = str(partner_id)
        for n, score in enumerate(items, start=1):
            if score is not None:
                data[f"partners-{i}-item_{n}"] = str(score)
    return auth.post(f"/sessions/{visit.id}/measures", data)


def test_the_form_shows_four_items_per_partner_with_ranges_and_scale_ends(
    client, auth, counsellor, visit, db
):
    auth.login(counsellor)
    response = client.get(f"/sessions/{visit.id}/measures")
    html = page(response)
    assert response.status_code == 200
    assert re.search(r"<legend>(<svg [^>]*>.*?</svg>)?Alex</legend>", html)
    assert re.search(r"<legend>(<svg [^>]*>.*?</svg>)?Sam</legend>", html)
    assert "1. Happiness with the relationship, all things considered (0–6)" in html
    assert "2. A warm and comfortable relationship with my partner (0–5)" in html
    assert "0 = Extremely unhappy, 6 = Perfect" in html
    assert html.count('name="partners-0-item_1"') == 7
    assert html.count('name="partners-0-item_2"') == 6
    assert html.count("Not measured this session") == 2
    assert audited(db, "measures_viewed")[-1].object_id == str(visit.id)


def test_counsellor_records_both_partners_and_the_server_computes_the_totals(
    client, auth, counsellor, case, visit, db
):
    alex, sam = case.partners
    auth.login(counsellor)
    response = csi4(auth, visit, [(alex.id, [4, 3, 3, 3]), (sam.id, [5, 4, 4, 3])])
    assert response.status_code == 302
    stored = responses(db)
    assert [(r.partner_id, r.items, r.total) for r in stored] == [
        (alex.id, [4, 3, 3, 3], 13),
        (sam.id, [5, 4, 4, 3], 16),
    ]
    assert all(r.measure == "CSI-4" and r.recorded_by_id == counsellor.id for r in stored)
    events = audited(db, "measure_recorded")
    assert len(events) == 2
    assert events[0].case_id == case.id
    assert "total" not in events[0].detail and "items" not in events[0].detail
    html = page(client.get(f"/sessions/{visit.id}/measures"))
    assert "13 — below the 13.5 cut-off: notable relationship dissatisfaction" in html
    assert "16 — at or above the 13.5 cut-off" in html


def test_a_partner_can_be_left_blank(client, auth, counsellor, case, visit, db):
    alex, sam = case.partners
    auth.login(counsellor)
    response = csi4(auth, visit, [(alex.id, [None] * 4), (sam.id, [6, 5, 5, 5])])
    assert response.status_code == 302
    assert [(r.partner_id, r.total) for r in responses(db)] == [(sam.id, 21)]
    html = page(client.get(f"/sessions/{visit.id}/measures"))
    assert html.count("Not measured this session") == 1
    assert "21 — at or above the 13.5 cut-off" in html


def test_recording_again_updates_without_a_duplicate(client, auth, counsellor, case, visit, db):
    sam = case.partners[1]
    auth.login(counsellor)
    assert csi4(auth, visit, [(sam.id, [1, 1, 1, 1])]).status_code == 302
    assert csi4(auth, visit, [(sam.id, [2, 3, 4, 5])]).status_code == 302
    db.expire_all()
    assert [(r.items, r.total) for r in responses(db)] == [([2, 3, 4, 5], 14)]
    html = page(client.get(f"/sessions/{visit.id}/measures"))
    assert 'checked id="partners-1-item_4-5"' in html  # the form is pre-filled


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([7, 3, 3, 3], "Item 1 must be a whole number from 0 to 6."),
        ([3, 6, 3, 3], "Item 2 must be a whole number from 0 to 5."),
        ([3, 3, -1, 3], "Item 3 must be a whole number from 0 to 5."),
        ([3, 3, 3, "four"], "Item 4 must be a whole number from 0 to 5."),
        ([3, 3, 2.5, 3], "Item 3 must be a whole number from 0 to 5."),
        ([3, None, 3, 3], "Answer all four items, or leave all four blank."),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_stored(
    client, auth, counsellor, case, visit, db, items, message
):
    alex, sam = case.partners
    auth.login(counsellor)
    response = csi4(auth, visit, [(alex.id, [4, 4, 4, 4]), (sam.id, items)])
    html = page(response)
    assert response.status_code == 200
    assert message in html
    assert responses(db) == []
    assert audited(db, "measure_recorded") == []
    assert 'checked id="partners-0-item_1-4"' in html  # the other partner's answers are kept


def test_an_empty_form_is_refused(client, auth, counsellor, case, visit, db):
    auth.login(counsellor)
    response = csi4(auth, visit, [(p.id, [None] * 4) for p in case.partners])
    assert response.status_code == 200
    assert "Answer the four items for at least one partner." in page(response)
    assert responses(db) == []


def test_a_partner_of_another_case_is_refused(
    client, auth, counsellor, visit, db, make_case, make_staff
):
    stranger = make_case(make_staff()).partners[0]
    auth.login(counsellor)
    response = csi4(auth, visit, [(stranger.id, [3, 3, 3, 3])])
    assert response.status_code == 200
    assert "That partner is not in this case." in page(response)
    assert responses(db) == []


def test_a_refusal_for_one_partner_keeps_nothing_of_the_other(
    client, auth, counsellor, case, visit, db, make_case, make_staff
):
    stranger = make_case(make_staff()).partners[0]
    auth.login(counsellor)
    response = csi4(auth, visit, [(case.partners[0].id, [4, 4, 4, 4]), (stranger.id, [3] * 4)])
    assert response.status_code == 200
    assert "That partner is not in this case." in page(response)
    assert responses(db) == []
    assert audited(db, "measure_recorded") == []


def test_nothing_changes_on_a_signed_note(client, auth, counsellor, case, db, make_session):
    signed = make_session(case, status=NoteStatus.SIGNED)
    db.add(
        MeasureResponse(
            session_id=signed.id,
            partner_id=case.partners[0].id,
            items=[1, 1, 1, 1],
            total=4,
            recorded_by_id=counsellor.id,
        )
    )
    db.commit()
    auth.login(counsellor)
    html = page(client.get(f"/sessions/{signed.id}/measures"))
    assert "shown read-only" in html and "Save CSI-4" not in html
    assert "4 — below the 13.5 cut-off" in html
    response = csi4(auth, signed, [(case.partners[0].id, [6, 5, 5, 5])])
    assert response.status_code == 200
    assert "note is signed" in page(response)
    db.expire_all()
    assert [r.total for r in responses(db)] == [4]


def test_earlier_totals_are_shown_for_context(
    client, auth, counsellor, case, visit, db, make_session
):
    earlier = make_session(case, starts_at=datetime(2026, 2, 3, 15, 0, tzinfo=UTC))
    later = make_session(case, starts_at=datetime(2026, 4, 7, 15, 0, tzinfo=UTC))
    for session, total in ((earlier, 9), (later, 20)):
        db.add(
            MeasureResponse(
                session_id=session.id,
                partner_id=case.partners[1].id,
                items=[total - 15, 5, 5, 5],
                total=total,
                recorded_by_id=counsellor.id,
            )
        )
    db.commit()
    auth.login(counsellor)
    html = page(client.get(f"/sessions/{visit.id}/measures"))
    history = html.split("Earlier CSI-4 totals")[1]
    assert ">03 Feb 2026</th>" in history and re.search(
        r"<td>(<svg [^>]*>.*?</svg>)?Sam</td>", history
    )
    assert '<td class="num">9</td>' in history and "Below the cut-off" in history
    assert "07 Apr 2026" not in history  # a later session is not "earlier"


# --- Who may see and change what -----------------------------------------------------------------


def test_another_counsellor_gets_404(client, auth, make_staff, case, visit, db):
    auth.login(make_staff(Role.COUNSELLOR))
    assert client.get(f"/sessions/{visit.id}/measures").status_code == 404
    assert csi4(auth, visit, [(case.partners[0].id, [3, 3, 3, 3])]).status_code == 404
    assert responses(db) == []


def test_the_supervisor_reads_but_cannot_record(client, auth, supervisor, case, visit, db):
    auth.login(supervisor)
    response = client.get(f"/sessions/{visit.id}/measures")
    assert response.status_code == 200
    assert "Save CSI-4" not in page(response)
    assert csi4(auth, visit, [(case.partners[0].id, [3, 3, 3, 3])]).status_code == 403
    assert responses(db) == []


def test_anonymous_is_sent_to_login(client, visit):
    assert client.get(f"/sessions/{visit.id}/measures").headers["Location"].startswith("/login")


# --- The operations on their own ----------------------------------------------------------------


@pytest.mark.parametrize(
    "items", [[7, 0, 0, 0], [0, 0, 0, 6], [0, 0, 0], [True, 1, 1, 1], [1.0, 1, 1, 1]]
)
def test_record_csi4_refuses_items_outside_the_rules(app_context, db, case, visit, items):
    with pytest.raises(operations.MeasureError, match="Alex: CSI-4"):
        operations.record_csi4(visit, case.partners[0].id, items)
    assert db.scalar(select(func.count()).select_from(MeasureResponse)) == 0


def test_record_csi4_stores_the_sum_and_defaults_the_recorder(app_context, db, case, visit):
    response = operations.record_csi4(visit, case.partners[0].id, [6, 5, 5, 5])
    assert response.total == 21
    assert response.recorded_by_id == case.counsellor_id


@pytest.mark.parametrize(
    ("total", "text"),
    [
        (13, "13 — below the 13.5 cut-off: notable relationship dissatisfaction"),
        (14, "14 — at or above the 13.5 cut-off"),
        (0, "0 — below the 13.5 cut-off: notable relationship dissatisfaction"),
    ],
)
def test_csi4_reading(total, text):
    assert csi4_reading(total) == text
