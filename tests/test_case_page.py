"""The case page: scoped access, the timeline, and charts drawn from the case's data."""

import html
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from practice.cases import chart_cache
from practice.models import (
    AuditEvent,
    MeasureResponse,
    Moment,
    MomentType,
    Role,
    Script,
    ScriptAssignment,
    ScriptObservation,
)
from practice.progress.case_progress import case_progress
from practice.reports.case_charts import case_charts


@pytest.fixture
def types(db):
    return {t.key: t for t in db.scalars(select(MomentType))}


def tag(db, session, moment_type, intensity, partner=None, minute=5):
    db.add(
        Moment(
            therapy_session=session,
            moment_type=moment_type,
            partner=partner,
            minute=minute,
            intensity=intensity,
            created_by_id=session.created_by_id,
        )
    )


@pytest.fixture
def couple(db, make_staff, make_case, make_session, types):
    """Four sessions whose de-escalation share rises 0.25, 0.5, 0.75, 1.0, a script, CSI-4s."""
    supervisor = make_staff(Role.SUPERVISOR)
    counsellor = make_staff(Role.COUNSELLOR, supervisor=supervisor)
    case = make_case(counsellor, reference="C-0500")
    sessions = [make_session(case) for _ in range(4)]
    for session, (esc, de) in zip(sessions, [(3, 1), (2, 2), (1, 3), (0, 4)], strict=True):
        if esc:
            tag(db, session, types["pursue"], esc, partner=case.partners[0])
        tag(db, session, types["softening"], de, partner=case.partners[1])
        tag(db, session, types["trigger_identified"], 5)  # neutral: counts in neither load
    script = db.scalar(select(Script).where(Script.text.startswith("I need time")))
    assignment = ScriptAssignment(
        case_id=case.id, partner=case.partners[1], script=script, assigned_session=sessions[0]
    )
    db.add(assignment)
    for session, level in zip(sessions, [1, 2, 1, 2], strict=True):
        db.add(ScriptObservation(assignment=assignment, therapy_session=session, level=level))
    for session, total in ((sessions[0], 9), (sessions[3], 15)):
        db.add(
            MeasureResponse(
                session_id=session.id,
                partner_id=case.partners[0].id,
                items=[3, 2, 2, 2] if total == 9 else [5, 4, 3, 3],
                total=total,
                recorded_by_id=counsellor.id,
            )
        )
    db.commit()
    return case, sessions, counsellor, supervisor


def test_progress_figures_are_computed_from_the_data(app, app_context, couple):
    case, sessions, *_ = couple
    progress = case_progress(case)
    assert [p.deescalation_share for p in progress.sessions] == [0.25, 0.5, 0.75, 1.0]
    assert [p.moment_count for p in progress.sessions] == [3, 3, 3, 2]
    assert progress.trend.label == "improving"
    assert progress.trend.slope == pytest.approx(0.25)
    (line,) = progress.adoption
    assert line.levels == {s.id: lvl for s, lvl in zip(sessions, [1, 2, 1, 2], strict=True)}
    assert line.adopted_session_id is None  # 2 then 1: never two consecutive sessions at >= 2
    (csi,) = progress.csi4
    assert csi.totals == {sessions[0].id: 9, sessions[3].id: 15}


def test_progress_over_a_period(app, app_context, couple):
    case, sessions, *_ = couple
    progress = case_progress(
        case, start=sessions[1].starts_at.date(), end=sessions[2].starts_at.date()
    )
    assert [p.session_id for p in progress.sessions] == [sessions[1].id, sessions[2].id]


def test_progress_over_a_period_takes_whole_utc_days(app, app_context, couple):
    case, sessions, *_ = couple
    day = sessions[1].starts_at.date()
    assert [p.session_id for p in case_progress(case, start=day, end=day).sessions] == [
        sessions[1].id
    ]


def chart_urls(page: str) -> list[str]:
    """The URLs of the page's charts, which it loads as sized images."""
    return [html.unescape(url) for url in re.findall(r'<img src="(/cases/[^"]+\.svg[^"]*)"', page)]


def chart_svgs(client, page: str) -> list[str]:
    """The SVG documents of the page's charts, fetched as the browser would."""
    svgs = []
    for url in chart_urls(page):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        svgs.append(response.get_data(as_text=True))
    return svgs


def test_counsellor_sees_timeline_and_charts_with_the_data(client, auth, couple, db):
    case, _sessions, counsellor, _ = couple
    auth.login(counsellor)
    response = client.get(f"/cases/{case.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "C-0500" in page
    svgs = chart_svgs(client, page)
    assert len(svgs) == 4
    assert all(svg.startswith("<svg") for svg in svgs)
    for label in ("06 Jan", "13 Jan", "20 Jan", "27 Jan"):
        assert all(label in svg for svg in svgs)
    assert "100 %" in page and "25 %" in page  # de-escalation shares in the timeline
    assert "Improving" in page
    assert "<strong>Not yet adopted</strong>" in page
    assert db.scalar(
        select(AuditEvent).where(AuditEvent.action == "case_viewed", AuditEvent.case_id == case.id)
    )


def test_charts_change_when_a_moment_is_added(client, auth, couple, db, types):
    case, sessions, counsellor, _ = couple
    auth.login(counsellor)
    before = chart_svgs(client, client.get(f"/cases/{case.id}").get_data(as_text=True))
    tag(db, sessions[3], types["criticism"], 4)
    db.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    after = chart_svgs(client, page)
    assert before[0] != after[0] and before[1] != after[1]  # balance and share charts
    assert before[2:] == after[2:]  # adoption and CSI-4 unchanged
    assert "50 %" in page  # last session now 4 / (4 + 4)


def test_supervisor_of_the_counsellor_reads_the_case(client, auth, couple):
    case, _, _, supervisor = couple
    auth.login(supervisor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "C-0500" in page
    assert "Record a session" not in page


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.SUPERVISOR])
def test_others_get_not_found(client, auth, couple, make_staff, role):
    case, *_ = couple
    auth.login(make_staff(role))
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_admin_reads_no_case_without_break_glass(client, auth, couple, make_staff):
    case, *_ = couple
    auth.login(make_staff(Role.ADMIN))
    assert client.get(f"/cases/{case.id}").status_code == 404


def test_empty_case_page(client, auth, make_staff, make_case):
    counsellor = make_staff()
    case = make_case(counsellor)
    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "No sessions recorded yet." in page
    assert all("No data yet" in svg for svg in chart_svgs(client, page))


def test_anonymous_is_redirected(client, couple):
    case, *_ = couple
    assert client.get(f"/cases/{case.id}").status_code == 302


def test_timestamps_are_utc(couple):
    _, sessions, *_ = couple
    assert sessions[0].starts_at == datetime(2026, 1, 6, 15, 0, tzinfo=UTC)


def count_statements(app, client, path: str) -> int:
    """The SQL statements of one request to ``path`` (after a warming one)."""
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    client.get(path)
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_the_page_issues_the_same_number_of_statements_whatever_the_history(
    app, client, auth, db, couple, make_session, types
):
    case, _sessions, counsellor, _ = couple
    auth.login(counsellor)
    path = f"/cases/{case.id}"
    before = count_statements(app, client, path)
    assignment = db.scalar(select(ScriptAssignment).where(ScriptAssignment.case_id == case.id))
    for _ in range(5):
        later = make_session(case)
        tag(db, later, types["pursue"], 2, partner=case.partners[0])
        tag(db, later, types["softening"], 3, partner=case.partners[1])
        db.add(ScriptObservation(assignment=assignment, therapy_session=later, level=2))
        db.add(
            MeasureResponse(
                session_id=later.id,
                partner_id=case.partners[1].id,
                items=[4, 4, 3, 3],
                total=14,
                recorded_by_id=counsellor.id,
            )
        )
    db.commit()
    assert count_statements(app, client, path) == before
    chart = chart_urls(client.get(path).get_data(as_text=True))[0]
    chart_before = count_statements(app, client, chart)
    for _ in range(3):
        make_session(case)
    db.commit()
    chart = chart_urls(client.get(path).get_data(as_text=True))[0]
    assert count_statements(app, client, path) == before
    assert count_statements(app, client, chart) == chart_before


# --- Charts: loaded by their own URL, scoped, audited, drawn once per state -------------------


def test_the_page_holds_sized_placeholders_not_drawn_charts(client, auth, couple):
    case, _sessions, counsellor, _ = couple
    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "data:image/svg" not in page
    images = re.findall(r'<img src="/cases/[^"]+"[^>]*>', page)
    assert len(images) == 4
    for image in images:
        assert re.search(r'width="\d+" height="\d+"', image) and 'loading="lazy"' in image


def test_a_chart_is_read_under_the_pages_scope_and_audited(client, auth, couple, db, make_staff):
    case, _sessions, counsellor, supervisor = couple
    auth.login(counsellor)
    urls = chart_urls(client.get(f"/cases/{case.id}").get_data(as_text=True))
    auth.logout()
    for role in (Role.COUNSELLOR, Role.SUPERVISOR):
        auth.login(make_staff(role))
        assert all(client.get(url).status_code == 404 for url in urls)
        auth.logout()
    assert client.get(urls[0]).status_code == 302  # anonymous: to the sign-in page
    assert not db.scalar(select(AuditEvent).where(AuditEvent.action == "case_chart_viewed"))
    denied = db.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert sum(e.detail["endpoint"] == "practice.case_page.chart" for e in denied) == 2 * 4

    auth.login(supervisor)
    response = client.get(urls[1])
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "case_chart_viewed"))
    assert event.case_id == case.id and event.actor_id == supervisor.id
    assert event.detail == {"chart": "deescalation_share"}
    assert client.get(f"/cases/{case.id}/charts/nonesuch.svg").status_code == 404


def test_a_chart_is_drawn_once_per_state_of_the_case(
    client, auth, couple, db, types, make_session, monkeypatch
):
    case, sessions, counsellor, _ = couple
    drawn = []

    def counting(progress):
        drawn.append(progress.case.id)
        return case_charts(progress)

    chart_cache.clear()
    monkeypatch.setattr(chart_cache, "case_charts", counting)
    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    first = chart_svgs(client, page)
    assert chart_svgs(client, client.get(f"/cases/{case.id}").get_data(as_text=True)) == first
    assert drawn == [case.id]  # four charts, twice each: drawn once

    tag(db, sessions[3], types["criticism"], 4)  # a new moment
    db.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    second = chart_svgs(client, page)
    assert second[0] != first[0] and len(drawn) == 2

    make_session(case)  # a new session: a new point on every timeline
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    third = chart_svgs(client, page)
    assert third[0] != second[0] and len(drawn) == 3


def test_each_state_has_its_own_chart_urls(client, auth, couple, make_session):
    case, _sessions, counsellor, _ = couple
    auth.login(counsellor)
    before = chart_urls(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert before == chart_urls(client.get(f"/cases/{case.id}").get_data(as_text=True))
    make_session(case)
    after = chart_urls(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert all(b != a for b, a in zip(before, after, strict=True))


def test_charts_asked_for_together_are_drawn_once(monkeypatch):
    """The page's four images arrive at once: one request draws, the others wait for it."""
    drawn = []

    def slow(progress):
        drawn.append(progress.case.id)
        time.sleep(0.05)
        return chart_cache.CaseCharts("a", "b", "c", "d")

    chart_cache.clear()
    monkeypatch.setattr(chart_cache, "case_charts", slow)
    progress = SimpleNamespace(case=SimpleNamespace(id=987654))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: chart_cache.charts_for(progress, "d1"), range(4)))
    assert drawn == [987654] and len(set(results)) == 1
    assert chart_cache.chart_sizes(987654, "d1")["csi4"] == (720, 360)  # no viewBox: the frame
    chart_cache.charts_for(progress, "d2")
    assert drawn == [987654, 987654]


def test_placeholders_take_the_size_of_the_charts_drawn(
    client, auth, db, make_staff, make_case, make_session
):
    counsellor = make_staff()
    case = make_case(counsellor)
    case_id = case.id
    auth.login(counsellor)
    chart_cache.clear()

    def heights() -> list[str]:
        page = client.get(f"/cases/{case_id}").get_data(as_text=True)
        return re.findall(r'<img src="/cases/[^"]+"[^>]* height="(\d+)"', page)

    assert heights() == ["360"] * 4  # nothing drawn yet: the usual frame
    chart_svgs(client, client.get(f"/cases/{case_id}").get_data(as_text=True))
    assert heights() == ["110"] * 4  # "No data yet": the short frame
    make_session(db.get(type(case), case_id))  # a new state, not drawn: the latest drawn sizes
    assert heights() == ["110"] * 4


def test_a_phone_gets_the_charts_drawn_narrower(client, auth, couple):
    """Below 40rem the page's <picture> asks for each chart drawn 400 units wide: its labels keep
    their size, so on a phone they read at about twice the size of the usual chart's."""
    case, _sessions, counsellor, _ = couple
    chart_cache.clear()
    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    sources = re.findall(r'<source media="\(max-width: 40rem\)" srcset="([^"]+)"', page)
    assert len(sources) == 4 and all("size=narrow" in url for url in sources)
    narrow = client.get(html.unescape(sources[0])).get_data(as_text=True)
    usual = client.get(chart_urls(page)[0]).get_data(as_text=True)
    assert re.search(r'viewBox="0 0 400 ', narrow) and re.search(r'viewBox="0 0 720 ', usual)
    again = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert re.search(r'size=narrow" width="400" height="\d+">', again)
