"""Private check-ins between sessions: a link's life, what a partner sends, and who may read it."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select

from practice.audit.models import AuditEvent
from practice.checkins import operations, rules
from practice.checkins.models import Checkin, CheckinBreak, CheckinLink, CheckinScriptAnswer
from practice.core.secret_tokens import token_digest
from practice.measures.models import MeasureResponse
from practice.models import Role
from practice.scripts import adoption
from practice.scripts.models import ScriptAssignment
from practice.web.request_log import redact_path

_CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

# --- Rules (no database) -------------------------------------------------------------------------


def test_a_token_has_256_random_bits_and_is_stored_as_its_sha256():
    token = rules.new_token()
    assert len(token) >= 43 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert rules.new_token() != token
    assert token_digest(token) == hashlib.sha256(token.encode()).hexdigest()


@pytest.mark.parametrize(
    ("used", "revoked", "now", "state"),
    [
        (None, None, T0 + timedelta(days=7) - timedelta(seconds=1), "open"),
        (None, None, T0 + timedelta(days=7), "expired"),
        (T0, None, T0, "used"),
        (None, T0, T0, "revoked"),
    ],
)
def test_a_link_is_open_until_the_moment_it_expires_and_never_after_use_or_revocation(
    used, revoked, now, state
):
    assert rules.link_state(used, revoked, T0 + timedelta(days=7), now) == state


def test_every_fourth_check_in_asks_the_csi4():
    assert [n for n in range(1, 13) if rules.csi4_due(n)] == [4, 8, 12]
    with pytest.raises(ValueError):
        rules.csi4_due(0)


def test_only_the_other_partners_yes_corroborates_a_script():
    assert rules.corroborates(writer_partner_id=2, owner_partner_id=1, used_by_partner=True)
    assert not rules.corroborates(2, 1, False)
    assert not rules.corroborates(2, 1, None)
    # A partner's word about their own script (or their partner's use of it) is kept only.
    assert not rules.corroborates(1, 1, True)


def _obs(key, level):
    return adoption.Observation(key, adoption.OBSERVED, level)


def test_a_home_report_after_a_spontaneous_session_adopts_the_script_at_that_session():
    sessions = [(T0, _obs("s1", 2))]
    history = adoption.with_home_reports(sessions, [(T0 + timedelta(days=3), "c1")])
    assert [(o.key, o.level) for o in history] == [("s1", 2), ("c1", adoption.HOME_LEVEL)]
    assert adoption.adoption_course(history).adopted_at == "s1"


def test_a_home_report_after_a_prompted_session_does_not_adopt_it():
    sessions = [(T0, _obs("s1", 1))]
    history = adoption.with_home_reports(sessions, [(T0 + timedelta(days=3), "c1")])
    assert not adoption.adoption_course(history).adopted
    # …until the next session is at level 2: the home report and it make the pair.
    later = [*sessions, (T0 + timedelta(days=7), _obs("s2", 2))]
    history = adoption.with_home_reports(later, [(T0 + timedelta(days=3), "c1")])
    assert adoption.adoption_course(history).adopted_at == "c1"


def test_the_token_is_redacted_from_a_logged_path():
    assert redact_path("/practice/checkin/abcDEF-_123") == "/practice/checkin/[token]"
    assert redact_path("/cases/1/checkins") == "/cases/1/checkins"


# --- The link's life, end to end -------------------------------------------------------------


def _form_data(page: str, **overrides) -> dict:
    match = _CSRF_FIELD.search(page)
    assert match, "no CSRF field on the check-in page"
    data = {
        "csrf_token": match.group(1),
        "pattern_count": "3",
        "hardest_moment": "6",
        "felt_afraid": "no",
        "break1_called_by": "me",
        "break1_days_ago": "2",
        "break1_with_script": "yes",
        "break1_returned": "within_day",
        "break1_resumed_by": "partner+words",
        "break1_outcome": "calmer",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _submit(client, token: str, **overrides):
    page = client.get(f"/checkin/{token}")
    assert page.status_code == 200
    return client.post(
        f"/checkin/{token}", data=_form_data(page.get_data(as_text=True), **overrides)
    )


def _issue(app, db, case, partner_index=0, **changes):
    with app.app_context():
        token, link = operations.issue_link(case, case.partners[partner_index].id, case.counsellor)
        for name, value in changes.items():
            setattr(link, name, value)
        db.commit()
    return token, link


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_a_link_from_the_cli_opens_once_then_answers_410(app, db, runner, case):
    result = runner.invoke(args=["practice", "checkin-link", case.reference, "--partner", "sam"])
    assert result.exit_code == 0, result.output
    url = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"http://localhost:5000/checkin/[A-Za-z0-9_-]{43}", url)
    token = url.rsplit("/", 1)[1]
    client = app.test_client()
    page = client.get(f"/checkin/{token}")
    assert page.status_code == 200
    data = _form_data(page.get_data(as_text=True))
    response = client.post(f"/checkin/{token}", data=data)
    assert response.status_code == 200
    assert "Thank you" in response.get_data(as_text=True)
    checkin = db.scalar(select(Checkin))
    assert checkin.partner_id == case.partners[1].id
    assert (checkin.pattern_count, checkin.hardest_moment, checkin.felt_afraid) == (3, 6, False)
    told = [
        (b.days_ago, b.called_by, b.with_script, b.returned, b.resumed_by, b.with_invitation)
        for b in checkin.breaks
    ]
    assert told == [(2, "me", True, "within_day", "partner", True)]
    assert checkin.breaks[0].outcome == "calmer"
    # Used: the page and a second submission get the plain 410, and nothing more is stored.
    again = client.get(f"/checkin/{token}")
    assert again.status_code == 410
    assert "not available" in again.get_data(as_text=True)
    assert client.post(f"/checkin/{token}", data=data).status_code == 410
    assert _count(db, Checkin) == 1 and _count(db, CheckinBreak) == 1


@pytest.mark.parametrize("how", ["expired", "revoked", "wrong"])
def test_a_late_revoked_or_wrong_link_gets_410_and_stores_nothing(app, db, case, counsellor, how):
    token, link = _issue(app, db, case)
    client = app.test_client()
    page = client.get(f"/checkin/{token}").get_data(as_text=True)  # opened while still open
    if how == "expired":
        with app.app_context():
            db.get(CheckinLink, link.id).expires_at = datetime.now(UTC) - timedelta(seconds=1)
            db.commit()
    elif how == "revoked":
        with app.app_context():
            operations.revoke_link(case, link.id, counsellor)
            db.commit()
    else:
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/checkin/{token}").status_code == 410
    response = client.post(f"/checkin/{token}", data=_form_data(page))
    assert response.status_code == 410
    assert _count(db, Checkin) == 0 and _count(db, CheckinBreak) == 0
    assert db.get(CheckinLink, link.id).used_at is None


def test_the_token_is_stored_only_as_its_digest(app, db, case):
    token, link = _issue(app, db, case)
    row = db.get(CheckinLink, link.id)
    assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    for column in inspect(CheckinLink).columns:
        assert token not in str(getattr(row, column.key))


def test_bad_answers_re_show_the_form_filled_in_and_store_nothing(app, db, case):
    token, _ = _issue(app, db, case)
    client = app.test_client()
    page = client.get(f"/checkin/{token}").get_data(as_text=True)
    response = client.post(
        f"/checkin/{token}", data=_form_data(page, pattern_count="37", felt_afraid=None)
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'value="37"' in text and "Please choose one." in text
    assert _count(db, Checkin) == 0
    assert _submit(client, token).status_code == 200  # the link still works


def test_the_page_is_rate_limited_per_link_and_per_address(app, db, case, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_CHECKIN_TOKEN_MAX_REQUESTS", 3)
    token, _ = _issue(app, db, case)
    client = app.test_client()
    assert [client.get(f"/checkin/{token}").status_code for _ in range(4)] == [200, 200, 200, 429]
    monkeypatch.setitem(app.config, "PRACTICE_CHECKIN_ADDRESS_MAX_REQUESTS", 5)
    codes = [client.get(f"/checkin/guess{n}").status_code for n in range(3)]
    assert codes[-1] == 429  # the address had used up its five requests


def test_the_token_never_reaches_the_request_log(app, db, case, monkeypatch, capsys):
    monkeypatch.setitem(app.config, "PRACTICE_LOG_JSON", True)
    token, _ = _issue(app, db, case)
    capsys.readouterr()
    _submit(app.test_client(), token)
    logged = capsys.readouterr().err
    assert token not in logged
    assert logged.count('"path":"/checkin/[token]"') == 2


def test_the_gunicorn_access_line_shows_no_token(tmp_path, monkeypatch):
    import datetime as dt
    from types import SimpleNamespace

    from tests.test_gunicorn import _plain_access_logger

    logger = _plain_access_logger(tmp_path, monkeypatch)
    token = rules.new_token()
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/checkin/{token}",
        "PATH_INFO": f"/checkin/{token}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://x.example/checkin/{token}",
    }
    response = SimpleNamespace(status="200 OK", status_code=200, sent=9, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, dt.timedelta(0, 0, 5))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = (tmp_path / "access.log").read_text()
    assert token not in line and "/checkin/[token]" in line


def test_the_page_loads_nothing_from_elsewhere_and_sends_the_usual_headers(app, db, case):
    token, _ = _issue(app, db, case)
    response = app.test_client().get(f"/checkin/{token}")
    page = response.get_data(as_text=True)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert not re.search(r'(src|href)="(https?:)?//', page)


# --- Whose it is ---------------------------------------------------------------------------------


def test_each_partners_check_in_stays_theirs(app, db, case, auth, counsellor):
    alex_token, _ = _issue(app, db, case, 0)
    sam_token, _ = _issue(app, db, case, 1)
    client = app.test_client()
    assert _submit(client, alex_token, pattern_count="42", felt_afraid="yes").status_code == 200
    # Sam's page shows nothing of Alex's check-in (its words, not digits a random CSRF token
    # or nonce may hold by chance).
    sam_page = client.get(f"/checkin/{sam_token}").get_data(as_text=True)
    assert "42 times" not in sam_page and "Safety" not in sam_page
    assert 'value="42"' not in sam_page
    # The counsellor reads it on the case's check-ins page, and the read is audited.
    auth.login(counsellor)
    page = auth.client.get(f"/cases/{case.id}/checkins")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "42 times" in text and "afraid of your partner" in text
    assert (
        db.scalar(
            select(func.count()).where(
                AuditEvent.action == "checkins_viewed", AuditEvent.case_id == case.id
            )
        )
        == 1
    )
    assert db.scalar(select(func.count()).where(AuditEvent.action == "checkin_received")) == 1


def test_another_counsellor_cannot_read_the_check_ins(app, db, case, auth, make_staff):
    _issue(app, db, case)
    other = make_staff(Role.COUNSELLOR)
    auth.login(other)
    assert auth.client.get(f"/cases/{case.id}/checkins").status_code == 404
    assert auth.client.post(f"/cases/{case.id}/checkin-links", data={}).status_code in (400, 404)


def _answers(**changes) -> operations.CheckinAnswers:
    values = {"pattern_count": 2, "hardest_moment": 4, "felt_afraid": False}
    values.update(changes)
    return operations.CheckinAnswers(**values)


def test_the_fourth_check_in_asks_the_csi4_and_records_it_as_that_partners(app, db, case):
    with app.app_context():
        for _ in range(3):
            token, _ = operations.issue_link(case, case.partners[0].id, case.counsellor)
            operations.submit_checkin(token, _answers(csi4=[5, 5, 5, 5]))  # not due: ignored
        db.commit()
    assert _count(db, MeasureResponse) == 0
    token, _ = _issue(app, db, case)
    client = app.test_client()
    page = client.get(f"/checkin/{token}").get_data(as_text=True)
    assert 'name="csi4_item1"' in page
    items = {f"csi4_item{n}": str(v) for n, v in zip(range(1, 5), (4, 3, 3, 2), strict=True)}
    assert client.post(f"/checkin/{token}", data=_form_data(page, **items)).status_code == 200
    response = db.scalar(select(MeasureResponse))
    assert (response.partner_id, response.source, response.session_id) == (
        case.partners[0].id,
        "check-in",
        None,
    )
    assert (response.items, response.total) == ([4, 3, 3, 2], 12)
    assert db.scalar(select(Checkin).where(Checkin.number == 4)).csi4_response_id == response.id


def test_the_other_partners_word_counts_as_home_use_of_the_script(app, db, counsellor):
    from practice.progress.case_progress import case_progress
    from tests.report_text import build_case

    with app.app_context():
        case = build_case(db, counsellor, reference="H-0001", sessions=3)  # levels 0, 1, 2
        db.commit()
        alex, sam = case.partners
        alex_script = db.scalar(
            select(ScriptAssignment).where(ScriptAssignment.partner_id == alex.id)
        )
        assert not _line(case_progress(case), alex_script.id).course.adopted
        # Alex's own word corroborates nothing…
        token, _ = operations.issue_link(case, alex.id, counsellor)
        operations.submit_checkin(token, _answers(scripts={alex_script.id: (True, True)}))
        assert not _line(case_progress(case), alex_script.id).course.adopted
        # …Sam's does: the third session (level 2) and Sam's report make the pair.
        token, _ = operations.issue_link(case, sam.id, counsellor)
        operations.submit_checkin(token, _answers(scripts={alex_script.id: (None, True)}))
        line = _line(case_progress(case), alex_script.id)
        assert line.course.adopted and line.adopted_on.isoformat() == "2026-01-20"
        assert _count(db, CheckinScriptAnswer) == 2
        # The session's scripts tab and the supervisor's dashboard say the same (one rule).
        assert _adoption_elsewhere(case, alex_script) == (True, "2026-01-20", True)


def test_without_the_other_partners_word_no_page_calls_the_script_adopted(app, db, counsellor):
    from practice.progress.case_progress import case_progress
    from tests.report_text import build_case

    with app.app_context():
        case = build_case(db, counsellor, reference="H-0002", sessions=3)  # levels 0, 1, 2
        db.commit()
        alex, sam = case.partners
        alex_script = db.scalar(
            select(ScriptAssignment).where(ScriptAssignment.partner_id == alex.id)
        )
        # Sam says Alex did not use it: no corroboration anywhere.
        token, _ = operations.issue_link(case, sam.id, counsellor)
        operations.submit_checkin(token, _answers(scripts={alex_script.id: (None, False)}))
        assert not _line(case_progress(case), alex_script.id).course.adopted
        assert _adoption_elsewhere(case, alex_script) == (False, None, False)


def _adoption_elsewhere(case, assignment):
    """(adopted on the scripts tab, the day it says, adopted on the dashboard)."""
    from practice.scripts.queries import assignment_rows
    from practice.supervision import dashboard_queries

    row = next(r for r in assignment_rows(case) if r.assignment.id == assignment.id)
    numbers = dashboard_queries._partner_numbers([case.id])
    summaries = dashboard_queries._assignments([case.id], numbers)[case.id]
    (summary,) = [s for s in summaries if s.partner_number == numbers[assignment.partner_id][1]]
    day = row.adopted.starts_at.date().isoformat() if row.adopted else None
    return row.course.adopted, day, summary.adopted


def _line(progress, assignment_id):
    return next(line for line in progress.adoption if line.assignment_id == assignment_id)


def test_neither_the_client_report_nor_the_other_partner_sees_a_check_in(app, db, counsellor):
    from datetime import date

    from practice.checkins.forms import FEAR_QUESTION
    from practice.measures import operations as measures
    from practice.reports.progress_report import build_report_html, report_context
    from tests.report_text import build_case

    with app.app_context():
        case = build_case(db, counsellor, reference="P-0001", sessions=3)
        for partner in case.partners:  # both share their scores with each other
            measures.give_score_consent(case, partner.id, "partner", date(2026, 1, 6), counsellor)
        for _ in range(4):
            token, _ = operations.issue_link(case, case.partners[0].id, counsellor)
            operations.submit_checkin(
                token, _answers(pattern_count=77, felt_afraid=True, csi4=[0, 0, 0, 1])
            )
        db.commit()
        for audience in ("client", "referrer"):
            html = build_report_html(
                report_context(case, date(2026, 1, 1), date(2026, 12, 31), audience, "", counsellor)
            )
            for words in (str(FEAR_QUESTION), "afraid", "check-in", "Check-in", "77"):
                assert words not in html, (audience, words)


# --- What a check-in tells the break and safety areas -------------------------------------------


@pytest.mark.parametrize(
    ("band", "kind"),
    [("early", "early"), ("within_day", "protective"), ("later", "unreturned")],
)
def test_each_return_band_lands_in_the_same_kind_of_break(band, kind):
    from practice.breaks import rules as break_rules

    for days_ago in (0, 1, 6):
        called, resumed = rules.break_times(T0, days_ago, band)
        assert resumed <= T0 and called <= T0 - timedelta(days=days_ago)
        facts = break_rules.BreakFacts(called_at=called, resumed_at=resumed)
        assert break_rules.classify(facts, T0) == kind
    assert rules.break_times(T0, 2, "not_yet") == (T0 - timedelta(days=2), None)


def test_a_break_row_without_its_return_is_shown_again_with_the_reason(app, db, case):
    token, _ = _issue(app, db, case)
    client = app.test_client()
    page = client.get(f"/checkin/{token}").get_data(as_text=True)
    response = client.post(f"/checkin/{token}", data=_form_data(page, break1_outcome=""))
    assert response.status_code == 400
    assert "Please say how it went." in response.get_data(as_text=True)
    assert _count(db, Checkin) == 0


def test_breaks_become_the_partners_accounts_and_fear_makes_a_rescreen_due(app, db, case):
    from practice.breaks.models import BreakAccount
    from practice.safety.models import RescreenDue

    token, _ = _issue(app, db, case, 1)
    assert _submit(app.test_client(), token, felt_afraid="yes").status_code == 200
    checkin = db.scalar(select(Checkin))
    account = db.scalar(select(BreakAccount))
    sam = case.partners[1]
    assert (account.checkin_id, account.told_by_id, account.called_by_id) == (
        checkin.id,
        sam.id,
        sam.id,
    )
    assert account.resumed_at - account.called_at == timedelta(hours=2)
    due = db.scalar(select(RescreenDue))
    assert (due.partner_id, due.reason) == (sam.id, "checkin_fear")


def test_the_fear_answer_is_for_the_counsellor_and_their_supervisor_only(
    app, db, case, auth, counsellor, supervisor, make_staff
):
    token, _ = _issue(app, db, case)
    assert _submit(app.test_client(), token, felt_afraid="yes").status_code == 200
    admin = make_staff(Role.ADMIN)
    for member, shown in ((counsellor, True), (supervisor, True), (admin, False)):
        auth.login(member)
        text = auth.client.get(f"/cases/{case.id}/checkins").get_data(as_text=True)
        assert ("Safety:" in text) is shown, member.role
        auth.logout()


def test_a_check_in_sends_the_signal_that_prepares_the_default_report_again(app, db, case):
    from practice.core.signals import case_record_changed

    sent = []

    def listener(sender, **kw):
        sent.append((sender.id, kw.get("what")))

    token, _ = _issue(app, db, case)
    case_record_changed.connect(listener)
    try:
        with app.app_context():
            operations.submit_checkin(token, _answers())
    finally:
        case_record_changed.disconnect(listener)
    assert (case.id, "checkin") in sent


def test_a_link_is_e_mailed_only_where_smtp_is_set_up_and_in_plain_words(
    app, db, case, monkeypatch
):
    sent = []

    class FakeSmtp:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            pass

        def login(self, user, password):
            pass

        def send_message(self, message):
            sent.append(("message", message["To"], message["Subject"], message.get_content()))

    monkeypatch.setattr(operations.smtplib, "SMTP", FakeSmtp)
    _token, link = _issue(app, db, case)
    with app.app_context():
        with pytest.raises(operations.CheckinError):
            operations.email_link(
                link, "https://x.example/checkin/t", "a@example.org", case.counsellor
            )
        assert sent == []
        app.config.update(PRACTICE_SMTP_HOST="smtp.example.org", PRACTICE_SMTP_FROM="p@example.org")
        try:
            operations.email_link(
                db.get(CheckinLink, link.id),
                "https://x.example/checkin/t",
                "a@example.org",
                case.counsellor,
            )
        finally:
            app.config.update(PRACTICE_SMTP_HOST=None, PRACTICE_SMTP_FROM=None)
    (_, to, subject, body) = sent[-1]
    assert to == "a@example.org" and "https://x.example/checkin/t" in body
    # The practice's own name is the sender's; nothing else says what the link is for.
    for word in ("check-in", "counsel", "therapy", "afraid", "partner", case.reference, "Alex"):
        assert word.lower() not in (subject + body).lower(), word


def test_a_check_in_csi4_joins_the_series_by_date_and_the_change_from_baseline(app, db, counsellor):
    from practice.measures import csi4
    from practice.measures.change import case_change
    from practice.measures.queries import csi4_history
    from practice.supervision import dashboard_queries
    from tests.report_text import build_case

    with app.app_context():
        # Alex in session: 10 (baseline), 12, 14.
        case = build_case(
            db, counsellor, reference="M-0001", sessions=3, csi4={"Alex": [10, 12, 14]}
        )
        db.commit()
        alex = case.partners[0]
        # With an index of 4: +4 from the baseline, across the 13.5 cut-off: recovered.
        before = next(p for p in case_change(case, 4.0).partners if p.partner_id == alex.id)
        assert (before.change.baseline, before.change.latest) == (10, 14)
        assert before.change.category == csi4.RECOVERED
        # Alex's fourth check-in asks the CSI-4: 1 + 1 + 1 + 2 = 5.
        for n in range(4):
            token, _ = operations.issue_link(case, alex.id, counsellor)
            checkin = operations.submit_checkin(
                token, _answers(csi4=[1, 1, 1, 2] if n == 3 else None)
            )
        db.commit()
        rows = [(r.total, r.from_checkin, r.session_id) for r in csi4_history(case)]
        assert rows == [
            (10, False, rows[0][2]),
            (12, False, rows[1][2]),
            (14, False, rows[2][2]),
            (5, True, None),
        ]
        assert csi4_history(case)[-1].starts_at == checkin.submitted_at
        # 5 − 10 = −5, at least the index of 4 down: reliably worse, dated by the check-in.
        after = next(p for p in case_change(case, 4.0).partners if p.partner_id == alex.id)
        assert (after.change.baseline, after.change.latest, after.change.change) == (10, 5, -5)
        assert after.change.category == csi4.DETERIORATED
        assert after.latest_at == checkin.submitted_at
        # The case page's chart: a fourth column, after the three sessions, from the check-in.
        from practice.progress.case_progress import case_progress
        from practice.reports.case_charts import case_charts, csi4_columns

        progress = case_progress(case)
        line = next(line for line in progress.csi4 if line.partner_id == alex.id)
        assert line.checkins == {checkin.submitted_at: 5}
        labels, columns = csi4_columns(progress, ["06 Jan", "13 Jan", "20 Jan"])
        assert labels[:3] == ["06 Jan", "13 Jan", "20 Jan"]
        assert labels[3].endswith("(check-in)") and columns[3] == ("checkin", checkin.submitted_at)
        assert "(check-in)" in case_charts(progress).csi4
        # The dashboard's flags read the same series.
        numbers = dashboard_queries._partner_numbers([case.id])
        readings = dashboard_queries._csi4_readings(numbers)[case.id]
        assert [(r.total, r.from_checkin) for r in readings] == [
            (10, False),
            (12, False),
            (14, False),
            (5, True),
        ]


def test_a_check_in_csi4_follows_the_partners_score_sharing_consent_in_a_report(
    app, db, counsellor
):
    from practice.progress.case_progress import case_progress
    from practice.reports.case_charts import case_charts
    from tests.report_text import build_case

    with app.app_context():
        case = build_case(db, counsellor, reference="M-0002", sessions=3, csi4={"Alex": [10]})
        db.commit()
        alex, sam = case.partners
        for n in range(4):
            token, _ = operations.issue_link(case, alex.id, counsellor)
            operations.submit_checkin(token, _answers(csi4=[1, 1, 1, 2] if n == 3 else None))
        db.commit()
        progress = case_progress(case)
        # Alex's consent to this audience: the check-in's 5 is drawn, in its own column.
        shared = case_charts(progress, csi4_shown={alex.id})
        assert "(check-in)" in shared.csi4
        # Without it: neither the total nor the check-in's column.
        private = case_charts(progress, csi4_shown={sam.id})
        assert "(check-in)" not in private.csi4 and "No data yet" in private.csi4
