"""Appointments: planning, outcomes (late cancellation at the notice period's edge), one click
to the session record, scoping, audit, and the private calendar feed."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from practice.appointments import rules
from practice.appointments.models import Appointment, AppointmentStatus, CalendarFeed
from practice.core.database import utcnow
from practice.core.secret_tokens import token_digest
from practice.models import AuditEvent, Role, TherapySession

# --- Rules (pure) -------------------------------------------------------------------------------

START = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("notice_before", "late"),
    [
        (timedelta(hours=24), False),  # exactly the notice period: in time
        (timedelta(hours=24, minutes=1), False),
        (timedelta(hours=23, minutes=59), True),
        (timedelta(0), True),
        (-timedelta(minutes=10), True),  # after the start
    ],
)
def test_a_cancellation_is_late_less_than_the_notice_period_before_the_start(notice_before, late):
    assert rules.is_late_cancellation(START, START - notice_before, 24) is late


def test_the_notice_period_is_a_setting_and_zero_means_only_after_the_start():
    assert rules.is_late_cancellation(START, START - timedelta(hours=47), 48) is True
    assert rules.is_late_cancellation(START, START - timedelta(hours=49), 48) is False
    assert rules.is_late_cancellation(START, START, 0) is False
    with pytest.raises(ValueError):
        rules.is_late_cancellation(START, START, -1)


def test_a_no_show_needs_the_appointment_to_have_begun():
    assert rules.outcome_problem("no_show", START, START - timedelta(minutes=1))
    assert rules.outcome_problem("no_show", START, START) is None
    assert rules.outcome_problem("cancelled", START, START - timedelta(days=3)) is None
    assert rules.outcome_problem("attended", START, START)


def test_who_may_cancel_depends_on_how_many_partners():
    assert rules.cancelled_by_choices(2) == ["partner_a", "partner_b", "both", "counsellor"]
    assert rules.cancelled_by_choices(1) == ["partner_a", "counsellor"]


# --- Pages ---------------------------------------------------------------------------------------


def page(response) -> str:
    return response.get_data(as_text=True)


def actions(db) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def plan(db, case, starts_at, **kw) -> Appointment:
    appointment = Appointment(
        case=case, starts_at=starts_at, created_by_id=case.counsellor_id, **kw
    )
    db.add(appointment)
    db.commit()
    return appointment


def reload(db, appointment: Appointment) -> Appointment:
    db.expire_all()
    return db.get(Appointment, appointment.id)


def local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_a_counsellor_plans_an_appointment_and_sees_it_on_the_case_page(
    client, auth, counsellor, case, db
):
    auth.login(counsellor)
    start = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = auth.post(
        f"/cases/{case.id}/appointments/new",
        {"starts_at": local(start), "duration_minutes": "60", "mode": "video"},
    )
    assert response.status_code == 302
    appointment = db.scalar(select(Appointment).where(Appointment.case_id == case.id))
    assert (appointment.starts_at, appointment.duration_minutes, appointment.mode) == (
        start,
        60,
        "video",
    )
    assert appointment.status == AppointmentStatus.PLANNED
    assert "appointment_planned" in actions(db)
    html = page(client.get(f"/cases/{case.id}"))
    assert start.strftime("%d %b %Y, %H:%M") in html
    assert "No session planned" not in html


def test_bad_input_is_shown_on_the_form_and_nothing_is_planned(client, auth, counsellor, case, db):
    auth.login(counsellor)
    response = auth.post(
        f"/cases/{case.id}/appointments/new",
        {"starts_at": "2025-01-01T10:00", "duration_minutes": "0", "mode": "video"},
    )
    assert response.status_code == 200
    assert "between 1 and 600" in page(response)
    assert 'value="2025-01-01T10:00"' in page(response)
    assert db.scalar(select(Appointment)) is None


def test_one_click_makes_the_session_record_and_lands_on_it(client, auth, counsellor, case, db):
    start = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    appointment = plan(db, case, start, duration_minutes=45, mode="phone")
    auth.login(counsellor)
    html = page(client.get(f"/appointments/{appointment.id}"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    response = auth.post(f"/appointments/{appointment.id}/session", {"version": version})
    assert response.status_code == 302
    therapy_session = db.scalar(select(TherapySession).where(TherapySession.case_id == case.id))
    assert response.headers["Location"].endswith(f"/sessions/{therapy_session.id}")
    assert (
        therapy_session.starts_at,
        therapy_session.duration_minutes,
        therapy_session.modality,
    ) == (start, 45, "phone")
    assert {p.id for p in therapy_session.attendees} == {p.id for p in case.partners}
    appointment = reload(db, appointment)
    assert appointment.status == AppointmentStatus.ATTENDED
    assert appointment.session_id == therapy_session.id
    assert {"session_created", "appointment_outcome"} <= set(actions(db))
    # Twice is refused: the appointment is attended already.
    again = auth.post(f"/appointments/{appointment.id}/session", {})
    assert again.status_code == 422
    assert "already recorded as attended" in page(again)
    assert (
        db.scalar(select(TherapySession.id).where(TherapySession.id != therapy_session.id)) is None
    )


def test_an_appointment_more_than_a_day_ahead_cannot_become_a_session_yet(
    client, auth, counsellor, case, db
):
    appointment = plan(db, case, utcnow() + timedelta(days=3))
    auth.login(counsellor)
    response = auth.post(f"/appointments/{appointment.id}/session", {})
    assert response.status_code == 422
    assert "more than a day from now" in page(response)
    appointment = reload(db, appointment)
    assert appointment.status == AppointmentStatus.PLANNED


def test_a_late_cancellation_by_partner_b_is_recorded(client, auth, counsellor, case, db):
    appointment = plan(db, case, utcnow() + timedelta(hours=5))
    auth.login(counsellor)
    response = auth.post(
        f"/appointments/{appointment.id}/outcome",
        {"status": "cancelled", "cancelled_by": "partner_b"},
    )
    assert response.status_code == 302
    appointment = reload(db, appointment)
    assert (appointment.status, appointment.cancelled_by, appointment.late) == (
        "cancelled",
        "partner_b",
        True,
    )
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "appointment_outcome"))
    assert event.detail == {"status": "cancelled", "cancelled_by": "partner_b", "late": True}
    assert "by partner b, late" in page(client.get(f"/appointments/{appointment.id}"))


def test_a_cancellation_needs_who_and_a_future_no_show_is_refused(
    client, auth, counsellor, case, db
):
    appointment = plan(db, case, utcnow() + timedelta(days=2))
    auth.login(counsellor)
    response = auth.post(f"/appointments/{appointment.id}/outcome", {"status": "cancelled"})
    assert response.status_code == 422
    assert "Say who cancelled" in page(response)
    response = auth.post(f"/appointments/{appointment.id}/outcome", {"status": "no_show"})
    assert "once the appointment has begun" in page(response)
    appointment = reload(db, appointment)
    assert appointment.status == AppointmentStatus.PLANNED


def test_others_cannot_see_or_change_a_case_s_appointments(
    client, auth, make_staff, supervisor, counsellor, case, db
):
    appointment = plan(db, case, utcnow() + timedelta(days=2))
    stranger = make_staff(Role.COUNSELLOR)
    auth.login(stranger)
    assert client.get(f"/appointments/{appointment.id}").status_code == 404
    assert auth.post(f"/appointments/{appointment.id}/session", {}).status_code == 404
    auth.logout()
    auth.login(supervisor)
    assert client.get(f"/appointments/{appointment.id}").status_code == 200
    assert auth.post(f"/appointments/{appointment.id}/outcome", {}).status_code == 403


def test_the_week_lists_own_appointments_by_reference(client, auth, counsellor, case, db):
    plan(db, case, utcnow() + timedelta(hours=2))
    auth.login(counsellor)
    html = page(client.get("/appointments"))
    assert case.reference in html
    assert "Alex" not in html
    for odd in ("0001-01-01", "9999-12-31", "2026-02-30", "x"):
        assert client.get(f"/appointments?from={odd}").status_code == 200
    later = page(client.get("/appointments?from=2027-01-04"))
    assert "Monday 04 Jan" in later and case.reference not in later


# --- The calendar feed ---------------------------------------------------------------------------


def feed_url(client, auth) -> str:
    html = page(auth.post("/account/calendar", {"action": "renew"}))
    return re.search(r'<code class="feed-url">([^<]+)</code>', html).group(1).replace("&amp;", "&")


def test_the_feed_is_valid_icalendar_without_clinical_text(
    client, auth, counsellor, case, db, caplog
):
    case.presenting_concerns = "Recurring fights about money"
    db.commit()
    upcoming = plan(db, case, (utcnow() + timedelta(days=1)).replace(microsecond=0), mode="video")
    plan(
        db,
        case,
        utcnow() - timedelta(days=2),
        status="cancelled",
        cancelled_by="both",
        notice_at=utcnow() - timedelta(days=3),
        late=False,
    )
    auth.login(counsellor)
    url = feed_url(client, auth)
    token = url.split("key=")[1]
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    stored = db.scalar(select(CalendarFeed.token_sha256))
    assert token not in stored and stored == token_digest(token)
    auth.logout()
    with caplog.at_level(logging.INFO):
        response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    calendar = Calendar.from_ical(response.data)
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    first = next(e for e in events if str(e["uid"]) == f"appointment-{upcoming.id}@practice")
    assert str(first["summary"]) == f"Session {case.reference}"
    assert str(first["location"]) == "Video"
    assert first.decoded("dtstart") == upcoming.starts_at
    assert {str(e["status"]) for e in events} == {"CONFIRMED", "CANCELLED"}
    for text in ("Alex", "Sam", "money"):
        assert text not in body
    assert token not in caplog.text


def test_renewing_the_feed_kills_the_old_address(client, auth, counsellor, case, db):
    auth.login(counsellor)
    old = feed_url(client, auth)
    new = feed_url(client, auth)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    auth.post("/account/calendar", {"action": "stop"})
    assert client.get(new).status_code == 404
    assert client.get("/calendar.ics").status_code == 404
    assert {"calendar_feed_created", "calendar_feed_renewed", "calendar_feed_stopped"} <= set(
        actions(db)
    )


def test_the_dashboard_flag_reads_planned_and_missed_appointments(
    app_context, supervisor, counsellor, case, make_session, db
):
    from practice.supervision.dashboard import caseload_dashboard

    now = utcnow()
    make_session(case, starts_at=now - timedelta(days=30))
    plan(
        db,
        case,
        now - timedelta(days=7),
        status="no_show",
    )

    def reason() -> str | None:
        (line,) = caseload_dashboard(supervisor, now=now).lines
        return next((f.reason for f in line.flags if f.kind == "no_recent_session"), None)

    assert reason() == "no session for 30 days (1 appointment since cancelled or missed)"
    plan(db, case, now + timedelta(days=3))
    assert reason() is None


def test_the_notice_period_comes_from_the_practice_s_setting(
    app, client, auth, counsellor, case, db, monkeypatch
):
    monkeypatch.setitem(app.config, "PRACTICE_LATE_CANCELLATION_HOURS", 48)
    appointment = plan(db, case, utcnow() + timedelta(hours=30))
    auth.login(counsellor)
    auth.post(
        f"/appointments/{appointment.id}/outcome",
        {"status": "cancelled", "cancelled_by": "counsellor"},
    )
    assert reload(db, appointment).late is True


def test_a_planned_appointment_can_be_moved_but_a_stale_form_changes_nothing(
    client, auth, counsellor, case, db
):
    start = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    appointment = plan(db, case, start)
    auth.login(counsellor)
    html = page(client.get(f"/appointments/{appointment.id}/edit"))
    assert f'value="{local(start)}"' in html
    moved = start + timedelta(hours=2)
    form = {"starts_at": local(moved), "duration_minutes": "80", "mode": "phone", "version": "1"}
    assert auth.post(f"/appointments/{appointment.id}/edit", form).status_code == 302
    appointment = reload(db, appointment)
    assert (appointment.starts_at, appointment.duration_minutes, appointment.mode) == (
        moved,
        80,
        "phone",
    )
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "appointment_changed"))
    assert set(event.detail["changed"]) == {"starts_at", "duration_minutes", "mode"}
    stale = auth.post(f"/appointments/{appointment.id}/edit", form | {"duration_minutes": "30"})
    assert stale.status_code == 200
    assert "changed elsewhere" in page(stale)
    assert reload(db, appointment).duration_minutes == 80


def test_closing_a_case_cancels_its_appointments_still_ahead(client, auth, counsellor, case, db):
    # One ahead (cancelled by the counsellor, in time: 3 days' notice > 24 h), one tomorrow
    # morning inside the notice period (cancelled, late), one already begun and unrecorded
    # (stays planned for the counsellor to record), one attended (untouched).
    ahead = plan(db, case, utcnow() + timedelta(days=3))
    soon = plan(db, case, utcnow() + timedelta(hours=5))
    begun = plan(db, case, utcnow() - timedelta(hours=2))
    attended = plan(db, case, utcnow() - timedelta(days=7), status=AppointmentStatus.ATTENDED)
    auth.login(counsellor)
    assert "cancels its appointments still ahead" in page(client.get(f"/cases/{case.id}/status"))
    response = auth.post(f"/cases/{case.id}/status", {"action": "close", "reason": "Goals met"})
    assert response.status_code == 302
    ahead, soon, begun, attended = (reload(db, a) for a in (ahead, soon, begun, attended))
    assert (ahead.status, ahead.cancelled_by, ahead.late) == ("cancelled", "counsellor", False)
    assert (soon.status, soon.cancelled_by, soon.late) == ("cancelled", "counsellor", True)
    assert ahead.outcome_by_id == counsellor.id
    assert begun.status == "planned"
    assert attended.status == "attended"
    outcomes = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "appointment_outcome").order_by(AuditEvent.id)
    ).all()
    # Soonest first.
    assert [event.object_id for event in outcomes] == [str(soon.id), str(ahead.id)]
    assert all(event.detail["because"] == "case_closed" for event in outcomes)
    # Pausing cancels nothing.
    later = plan(db, case, utcnow() + timedelta(days=10))
    auth.post(f"/cases/{case.id}/status", {"action": "reopen", "reason": "Back"})
    auth.post(f"/cases/{case.id}/status", {"action": "pause", "reason": "Travel"})
    assert reload(db, later).status == "planned"
