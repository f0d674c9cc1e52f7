"""Local time: the practice's zone (PRACTICE_TIMEZONE, the server's by default), each member's
own, entry in local time across daylight-saving changes, and pages that never say UTC."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from practice.core import local_time
from practice.core.settings import HostSetupError
from practice.models import AuditEvent, Role, StaffMember, TherapySession
from tests.conftest import make_test_app

SYDNEY = ZoneInfo("Australia/Sydney")
BERLIN = ZoneInfo("Europe/Berlin")
# 2 Mar 2026 23:30 UTC is 3 Mar 10:30 in Sydney (AEDT, UTC+11) and 3 Mar 00:30 in Berlin (CET).
KNOWN = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)


# --- The zone and the conversions (no app) ----------------------------------------------------


def test_a_time_skipped_by_daylight_saving_is_refused():
    # Sydney's clocks went from 02:00 to 03:00 on Sunday 4 Oct 2026; Berlin's on 29 Mar 2026.
    with pytest.raises(local_time.NonexistentLocalTime, match="Australia/Sydney"):
        local_time.from_local(datetime(2026, 10, 4, 2, 30), SYDNEY)
    with pytest.raises(local_time.NonexistentLocalTime):
        local_time.from_local(datetime(2026, 3, 29, 2, 30), BERLIN)
    # Either side of the gap is fine: 01:59 AEST (+10) and 03:00 AEDT (+11).
    assert local_time.from_local(datetime(2026, 10, 4, 1, 59), SYDNEY) == datetime(
        2026, 10, 3, 15, 59, tzinfo=UTC
    )
    assert local_time.from_local(datetime(2026, 10, 4, 3, 0), SYDNEY) == datetime(
        2026, 10, 3, 16, 0, tzinfo=UTC
    )


def test_a_time_repeated_when_the_clocks_go_back_is_its_first_occurrence():
    # Sydney went from 03:00 AEDT back to 02:00 AEST on Sunday 5 Apr 2026: 02:30 happened at
    # 15:30 UTC (AEDT, +11) and again at 16:30 UTC (AEST, +10). The first is taken.
    assert local_time.from_local(datetime(2026, 4, 5, 2, 30), SYDNEY) == datetime(
        2026, 4, 4, 15, 30, tzinfo=UTC
    )
    # Berlin: 25 Oct 2026 02:30 CEST (+2) is 00:30 UTC.
    assert local_time.from_local(datetime(2026, 10, 25, 2, 30), BERLIN) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "wall_clock",
    [datetime(2026, 3, 3, 10, 30), datetime(2026, 7, 1, 9, 0), datetime(2026, 10, 4, 3, 0)],
)
def test_local_entry_round_trips(wall_clock):
    moment = local_time.from_local(wall_clock, SYDNEY)
    assert moment.tzinfo is UTC
    assert local_time.to_local(moment, SYDNEY).replace(tzinfo=None) == wall_clock


def test_the_default_zone_is_the_servers(monkeypatch):
    import tzlocal

    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Europe/Berlin")
    assert local_time.practice_zone_name({}) == "Europe/Berlin"
    config: dict = {}
    local_time.check_settings(config)
    assert config["PRACTICE_TIMEZONE"] == "Europe/Berlin"
    assert config["PRACTICE_LOCALE"] == "en_GB"


def test_a_server_zone_that_cannot_be_read_falls_back_to_utc(monkeypatch):
    import tzlocal

    def broken():
        raise OSError("no zone")

    monkeypatch.setattr(tzlocal, "get_localzone_name", broken)
    assert local_time.server_zone_name() == "UTC"
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Not/AZone")
    assert local_time.server_zone_name() == "UTC"


def test_the_old_setting_name_still_works_and_warns():
    config = {"PRACTICE_TIME_ZONE": "Europe/Berlin"}
    with pytest.warns(DeprecationWarning, match="PRACTICE_TIMEZONE"):
        local_time.check_settings(config)
    assert config["PRACTICE_TIMEZONE"] == "Europe/Berlin"
    # The new name wins when both are set, without a warning.
    both = {"PRACTICE_TIMEZONE": "Australia/Sydney", "PRACTICE_TIME_ZONE": "Europe/Berlin"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        local_time.check_settings(both)
    assert local_time.practice_zone(both) == SYDNEY


@pytest.mark.parametrize(
    "config, setting",
    [
        ({"PRACTICE_TIMEZONE": "Mars/Olympus"}, "PRACTICE_TIMEZONE"),
        ({"PRACTICE_TIMEZONE": "UTC", "PRACTICE_LOCALE": "xx_YY_ZZ"}, "PRACTICE_LOCALE"),
    ],
)
def test_an_unknown_zone_or_locale_is_refused_at_start(config, setting):
    with pytest.raises(ValueError, match=setting):
        local_time.check_settings(dict(config))


def test_the_app_refuses_to_start_on_an_unknown_zone(tmp_path):
    with pytest.raises(HostSetupError, match="PRACTICE_TIMEZONE must be an IANA time zone"):
        make_test_app("sqlite://", tmp_path, PRACTICE_TIMEZONE="Mars/Olympus")


class Member:
    def __init__(self, time_zone=None, locale=None):
        self.time_zone, self.locale = time_zone, locale


def test_a_members_own_zone_and_locale_win_over_the_practices():
    config = {"PRACTICE_TIMEZONE": "Australia/Sydney", "PRACTICE_LOCALE": "en_GB"}
    assert local_time.zone_for(config) == SYDNEY
    assert local_time.zone_for(config, Member()) == SYDNEY
    assert local_time.zone_for(config, Member("Europe/Berlin")) == BERLIN
    assert str(local_time.locale_for(config, Member(locale="de_DE"))) == "de_DE"
    # A choice that is no longer a known zone falls back to the practice's.
    assert local_time.zone_for(config, Member("Gone/Away")) == SYDNEY


@pytest.mark.parametrize(
    "locale, expected",
    [
        ("en_GB", "03 Mar 2026, 10:30 AEDT"),
        ("en_US", "Mar 03, 2026, 10:30\u202fAM AEDT"),
        ("de_DE", "03.03.2026, 10:30 AEDT"),
    ],
)
def test_a_moment_is_written_for_the_locale_with_its_zone(locale, expected):
    shown = local_time.format_moment(KNOWN, SYDNEY, local_time.locale_for({}, Member(None, locale)))
    assert shown.replace("\u202f", " ") == expected.replace("\u202f", " ")


def test_the_day_is_the_local_day():
    en = local_time.locale_for({"PRACTICE_LOCALE": "en_GB"})
    assert local_time.format_day(KNOWN, SYDNEY, en) == "03 Mar 2026"
    assert local_time.format_day(KNOWN, ZoneInfo("UTC"), en) == "02 Mar 2026"
    assert local_time.iso_local(KNOWN, SYDNEY) == "2026-03-03T10:30:00+11:00"


# --- Pages ---------------------------------------------------------------------------------------


@pytest.fixture
def sydney(app, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_TIMEZONE", "Australia/Sydney")


@pytest.fixture
def known_session(make_session, case):
    return make_session(case, starts_at=KNOWN)


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def _visible(html: str) -> str:
    """The page's text and attribute values, without its scripts' code."""
    return re.sub(r"<script\b.*?</script>", "", html, flags=re.S)


def test_the_counsellors_pages_show_sydney_time_and_never_utc(
    client, auth, counsellor, case, known_session, sydney
):
    auth.login(counsellor)
    session_id = known_session.id
    pages = {
        path: _visible(_page(client, path))
        for path in (
            "/",
            "/cases",
            f"/cases/{case.id}",
            f"/sessions/{session_id}",
            f"/sessions/{session_id}/edit",
            f"/sessions/{session_id}/live",
            f"/cases/{case.id}/reports",
            f"/cases/{case.id}/sessions/new",
        )
    }
    for path, html in pages.items():
        assert "UTC" not in html, path
    session_page = pages[f"/sessions/{session_id}"]
    assert "03 Mar 2026, 10:30 AEDT" in session_page
    assert 'value="2026-03-03T10:30"' in pages[f"/sessions/{session_id}/edit"]
    assert "10:30 AEDT on 03 Mar 2026" in pages[f"/sessions/{session_id}/live"]
    assert "03 Mar 2026" in pages[f"/cases/{case.id}"]


def test_the_supervisors_and_administrators_pages_never_say_utc(
    client, auth, supervisor, make_staff, known_session, sydney
):
    auth.login(supervisor)
    for path in ("/", "/supervision", "/review", f"/sessions/{known_session.id}"):
        assert "UTC" not in _visible(_page(client, path)), path
    auth.logout()
    auth.login(make_staff(Role.ADMIN))
    audit_page = _visible(_page(client, "/admin/audit"))
    assert "UTC" not in audit_page
    assert "Times are in Australia/Sydney" in audit_page
    assert re.search(r"\d\d \w{3} 20\d\d, \d\d:\d\d AE[DS]T", audit_page)


def test_a_members_own_zone_overrides_the_practices(
    client, auth, db, counsellor, known_session, sydney
):
    counsellor.time_zone = "Europe/Berlin"
    db.commit()
    auth.login(counsellor)
    page = _page(client, f"/sessions/{known_session.id}")
    assert "03 Mar 2026, 00:30 CET" in page and "AEDT" not in page


def test_a_session_is_entered_in_local_time(client, auth, db, counsellor, case, sydney):
    auth.login(counsellor)
    data = {
        "starts_at": "2026-03-03T10:30",
        "duration_minutes": "50",
        "modality": "video",
        "attendance": [str(p.id) for p in case.partners],
        "eft_stage": "1",
    }
    response = auth.post(f"/cases/{case.id}/sessions/new", data)
    assert response.status_code == 302
    stored = db.scalar(select(TherapySession).where(TherapySession.case_id == case.id))
    assert stored.starts_at == KNOWN
    edit = _page(client, f"/sessions/{stored.id}/edit")
    assert 'value="2026-03-03T10:30"' in edit


def test_appointments_are_planned_listed_and_cancelled_in_local_time(
    client, auth, db, counsellor, case, sydney
):
    from practice.appointments.models import Appointment

    auth.login(counsellor)
    # 15 Jan 2027 09:30 in Sydney (AEDT, UTC+11) is 14 Jan 22:30 UTC: the local day differs.
    planned = datetime(2027, 1, 14, 22, 30, tzinfo=UTC)
    form = {"starts_at": "2027-01-15T09:30", "duration_minutes": "50", "mode": "video"}
    assert auth.post(f"/cases/{case.id}/appointments/new", form).status_code == 302
    appointment = db.scalar(select(Appointment).where(Appointment.case_id == case.id))
    assert appointment.starts_at == planned
    auth.post("/account/calendar", {"action": "renew"})
    pages = {
        path: _visible(_page(client, path))
        for path in (
            f"/appointments/{appointment.id}",
            f"/appointments/{appointment.id}/edit",
            f"/cases/{case.id}/appointments/new",
            f"/cases/{case.id}",
            "/appointments",
            "/appointments?from=2027-01-11",
            "/account/calendar",
        )
    }
    for path, html in pages.items():
        assert "UTC" not in html, path
    assert 'value="2027-01-15T09:30"' in pages[f"/appointments/{appointment.id}/edit"]
    assert "15 Jan 2027, 09:30 AEDT" in pages[f"/appointments/{appointment.id}"]
    # The week groups by the local day: the appointment is on Friday 15 Jan, not Thursday 14th.
    week = pages["/appointments?from=2027-01-11"]
    friday = week.index("Friday 15 Jan")
    assert week.index("Thursday 14 Jan") < friday < week.index("09:30–10:20 AEDT")
    assert week.index("09:30–10:20 AEDT") < week.index("Saturday 16 Jan")

    # Moved: the edit form reads its local time back the same way.
    moved = {**form, "starts_at": "2027-01-15T10:00", "version": str(appointment.version)}
    assert auth.post(f"/appointments/{appointment.id}/edit", moved).status_code == 302
    appointment = db.scalar(select(Appointment).where(Appointment.case_id == case.id))
    assert appointment.starts_at == datetime(2027, 1, 14, 23, 0, tzinfo=UTC)

    # A notice entered in local time: an hour ago on Sydney's clock.
    hour_ago = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    outcome = {
        "status": "cancelled",
        "cancelled_by": "partner_a",
        "notice_at": hour_ago.astimezone(SYDNEY).strftime("%Y-%m-%dT%H:%M"),
        "version": str(appointment.version),
    }
    assert auth.post(f"/appointments/{appointment.id}/outcome", outcome).status_code == 302
    appointment = db.scalar(select(Appointment).where(Appointment.case_id == case.id))
    assert (appointment.notice_at, appointment.late) == (hour_ago, False)
    shown = _visible(_page(client, f"/appointments/{appointment.id}"))
    assert "UTC" not in shown
    assert hour_ago.astimezone(SYDNEY).strftime("%d %b %Y, %H:%M AE") in shown


def test_a_skipped_local_time_is_refused_with_the_form_kept(
    client, auth, db, counsellor, case, sydney
):
    auth.login(counsellor)
    data = {
        "starts_at": "2026-10-04T02:30",
        "duration_minutes": "50",
        "modality": "video",
        "attendance": [str(p.id) for p in case.partners],
        "eft_stage": "1",
    }
    response = auth.post(f"/cases/{case.id}/sessions/new", data)
    assert response.status_code in (200, 400)
    page = response.get_data(as_text=True)
    assert "does not exist in Australia/Sydney" in page
    assert 'value="2026-10-04T02:30"' in page
    assert db.scalar(select(TherapySession).where(TherapySession.case_id == case.id)) is None


def test_autosave_status_is_local_time(client, auth, counsellor, known_session, sydney):
    auth.login(counsellor)
    response = client.post(
        f"/sessions/{known_session.id}/autosave",
        json={
            "version": known_session.version,
            "note_data": "Named the cycle.",
            "note_assessment": "",
            "note_plan": "",
        },
        headers={"X-CSRFToken": auth.csrf_token("/")},
    )
    assert response.status_code == 200
    assert re.fullmatch(r"\d\d:\d\d AE[DS]T", response.get_json()["saved_at"])


def _choices(db, member) -> tuple:
    db.expire_all()
    stored = db.get(StaffMember, member.id)
    return stored.time_zone, stored.locale


def test_a_member_chooses_their_zone_and_locale_audited(client, auth, db, counsellor):
    auth.login(counsellor)
    response = auth.post(
        "/account/time-and-language", {"time_zone": "Europe/Berlin", "locale": "de_DE"}
    )
    assert response.status_code == 302
    assert _choices(db, counsellor) == ("Europe/Berlin", "de_DE")
    event = db.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "preferences_changed")
        .order_by(AuditEvent.id.desc())
    )
    assert event.actor_id == counsellor.id
    assert event.detail["after"] == {"time_zone": "Europe/Berlin", "locale": "de_DE"}
    # Back to the practice's.
    auth.post("/account/time-and-language", {"time_zone": "", "locale": ""})
    assert _choices(db, counsellor) == (None, None)


def test_an_unknown_zone_is_refused_and_nothing_changes(client, auth, db, counsellor):
    auth.login(counsellor)
    response = auth.post("/account/time-and-language", {"time_zone": "Mars/Olympus", "locale": ""})
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert _choices(db, counsellor) == (None, None)


# --- Translation ----------------------------------------------------------------------------------


def test_extraction_finds_the_marked_messages(tmp_path):
    from pathlib import Path

    from babel.messages.frontend import CommandLineInterface

    root = Path(__file__).resolve().parent.parent
    pot = tmp_path / "practice.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(root / "babel.cfg"),
            "-k",
            "_l",
            "-o",
            str(pot),
            str(root),
        ]
    )
    text = pot.read_text()
    for message in (
        "Time and language",  # a template's {{ _() }}
        "Save time and language",  # a form label, lazily
        "Clock started at %(time)s.",  # a flash message
        "Your time zone and language are saved.",
    ):
        assert f'msgid "{message}"' in text, message


# --- The audit log ------------------------------------------------------------------------------


def test_the_audit_log_filters_by_local_days_and_exports_local_time(app, db, make_staff):
    from unittest import mock

    from practice import audit
    from practice.audit import search as audit_search
    from practice.audit.search import AuditFilters

    admin = make_staff(Role.ADMIN)
    ids = []
    # 2 Mar 12:59 UTC is 2 Mar 23:59 in Sydney; KNOWN (2 Mar 23:30 UTC) is 3 Mar 10:30 there.
    for at in (datetime(2026, 3, 2, 12, 59, tzinfo=UTC), KNOWN):
        with (
            app.test_request_context(),
            mock.patch("practice.audit.trail.utcnow", return_value=at),
        ):
            ids.append(audit.record("zone_probe", actor=admin).id)
            db.commit()
    with app.app_context():
        third_in_sydney = AuditFilters(
            action="zone_probe",
            start=datetime(2026, 3, 3).date(),
            end=datetime(2026, 3, 3).date(),
            zone="Australia/Sydney",
        )
        assert [line.id for line in audit_search.iter_lines(third_in_sydney)] == [ids[1]]
        second_in_utc = AuditFilters(
            action="zone_probe", start=datetime(2026, 3, 2).date(), end=datetime(2026, 3, 2).date()
        )
        assert sorted(line.id for line in audit_search.iter_lines(second_in_utc)) == ids
        rows = "".join(audit_search.csv_chunks(third_in_sydney)).splitlines()
    assert rows[0].endswith(",Local time")
    assert "2026-03-02T23:30:00+00:00" in rows[1]
    assert rows[1].endswith(",2026-03-03T10:30:00+11:00")


# --- The areas written before local time: breaks, check-ins, safety, hand-over, break-glass,
# co-signature and comments -----------------------------------------------------------------


def test_the_newer_areas_show_and_take_sydney_time_and_never_say_utc(
    app, client, auth, db, counsellor, supervisor, make_staff, case, known_session, sydney
):
    from babel import Locale

    from practice.models import (
        BreakAccount,
        BreakGlass,
        CaseAssignment,
        Checkin,
        CheckinLink,
        ScreenOverride,
        SupervisionComment,
    )
    from practice.sessions import operations as session_operations
    from tests.test_breaks_pages import _form as break_form
    from tests.test_checkins import _issue, _submit

    en_gb = Locale.parse("en_GB")
    admin = make_staff(Role.ADMIN)
    former = make_staff(Role.COUNSELLOR, supervisor=supervisor, display_name="Former Counsellor")
    case_id, session_id = case.id, known_session.id

    # A partner's check-in, sent through their link; then dated at the known moment.
    token, _link = _issue(app, db, case)
    assert _submit(client, token).status_code in (200, 302)
    checkin = db.scalars(select(Checkin)).one()
    checkin.submitted_at = KNOWN
    link = db.get(CheckinLink, checkin.link_id)
    link.issued_at = link.used_at = link.expires_at = KNOWN
    db.add(
        ScreenOverride(
            case_id=case_id,
            session_id=session_id,
            reason="Seen alone last week.",
            signed_by_id=counsellor.id,
            created_at=KNOWN,
        )
    )
    db.add(
        CaseAssignment(
            case_id=case_id,
            from_counsellor_id=former.id,
            to_counsellor_id=counsellor.id,
            assigned_by_id=admin.id,
            reason="Former counsellor left.",
            assigned_at=KNOWN,
        )
    )
    opened = datetime.now(UTC).replace(second=0, microsecond=0)
    db.add(
        BreakGlass(
            case_id=case_id,
            admin_id=admin.id,
            reason="Records request.",
            opened_at=opened,
            expires_at=opened + timedelta(hours=1),
        )
    )
    db.add(
        SupervisionComment(
            case_id=case_id,
            session_id=session_id,
            author_id=supervisor.id,
            body="What did Sam say next?",
            created_at=KNOWN,
        )
    )
    db.commit()

    auth.login(counsellor)
    # A break entered on Sydney's clock is stored as the UTC moment it was.
    entered = break_form(
        case,
        called_at="2026-03-03T10:30",
        promised_return_at="2026-03-03T10:50",
        resumed_at="2026-03-03T11:00",
    )
    assert auth.post(f"/cases/{case_id}/breaks/new", entered).status_code == 302
    # (the check-in told of a break too: that account is the partner's own)
    account = db.scalars(select(BreakAccount).where(BreakAccount.called_at == KNOWN)).one()
    pages = {
        path: _visible(_page(client, path))
        for path in (
            f"/cases/{case_id}",
            f"/cases/{case_id}/breaks",
            f"/cases/{case_id}/breaks/new",
            f"/breaks/accounts/{account.id}/edit",
            f"/cases/{case_id}/checkins",
            f"/cases/{case_id}/safety",
            "/comments",
        )
    }
    auth.logout()
    with app.test_request_context():
        note = db.get(TherapySession, session_id)
        note.note_data = "Alex pursued; Sam went quiet."
        note.note_assessment = "Early stage 1."
        note.note_plan = "Practise the time-out script."
        session_operations.sign_note(note, counsellor)
        db.commit()
    auth.login(supervisor)
    for path in ("/review", f"/review/sessions/{session_id}", f"/cases/{case_id}/reassign"):
        pages[path] = _visible(_page(client, path))
    auth.logout()
    auth.login(admin)
    pages["/admin/break-glass"] = _visible(_page(client, "/admin/break-glass"))

    for path, html in pages.items():
        assert "UTC" not in html, path
    sydney_moment = "03 Mar 2026, 10:30 AEDT"
    assert sydney_moment in pages[f"/cases/{case_id}/breaks"]
    assert 'value="2026-03-03T10:30"' in pages[f"/breaks/accounts/{account.id}/edit"]
    assert "Australia/Sydney" in pages[f"/cases/{case_id}/breaks/new"]
    assert sydney_moment in pages[f"/cases/{case_id}/checkins"]
    assert "03 Mar 2026" in pages[f"/cases/{case_id}"]  # the check-in link's dates
    assert "signed 03 Mar 2026" in pages[f"/cases/{case_id}/safety"]
    assert sydney_moment in pages[f"/cases/{case_id}/reassign"]  # the hand-over history
    assert local_time.format_moment(opened, SYDNEY, en_gb) in pages[f"/cases/{case_id}"]
    expires = local_time.format_clock(opened + timedelta(hours=1), SYDNEY, en_gb)
    assert expires in pages["/admin/break-glass"]
    assert "03 Mar 2026" in pages["/review"]
    assert "03 Mar 2026" in pages[f"/review/sessions/{session_id}"]
    assert "03 Mar" in pages["/comments"]
