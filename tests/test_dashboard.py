"""The caseload dashboard: rows and flags through the test client, sorting and filtering, who
sees what on every supervision route, a fixed number of SQL statements, and fresh figures."""

import dataclasses
import re
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from practice.demo.seed import DEMO_NOW, seed_demo
from practice.models import (
    AuditEvent,
    Case,
    CaseStatus,
    MeasureResponse,
    Moment,
    MomentType,
    NoteStatus,
    Role,
    Script,
    ScriptAssignment,
    ScriptObservation,
    StaffMember,
)
from practice.moments import balance
from practice.supervision import dashboard_figures, dashboard_queries
from practice.supervision.dashboard import caseload_dashboard
from practice.supervision.flags import Thresholds, case_flags
from tests.conftest import PASSWORD, Auth
from tests.test_api_support import ApiClient, issue_token

NOW = datetime.now(UTC).replace(microsecond=0)
ROUTES = ["/supervision", "/supervision/export.csv", "/supervision/summary.pdf"]


@pytest.fixture
def types(db):
    return {t.key: t for t in db.scalars(sa.select(MomentType))}


@pytest.fixture
def scripts(db):
    return list(db.scalars(sa.select(Script).order_by(Script.id)))


def tag(db, session, moment_type, intensity=3):
    db.add(
        Moment(
            therapy_session=session,
            moment_type=moment_type,
            minute=5,
            intensity=intensity,
            created_by_id=session.created_by_id,
        )
    )


def weeks_ago(n: float) -> datetime:
    return NOW - timedelta(weeks=n)


@pytest.fixture
def build_case(db, make_case, make_session, types, scripts):
    """A case with ``len(loads)`` weekly sessions ending ``last_days_ago`` days ago.

    ``loads`` are (escalating, de-escalating[, neutral]) intensities per session (0 = no such
    moment); sessions are signed unless ``drafts`` says how many of the latest stay drafts.
    ``levels`` gives one script assignment's levels, ``csi4`` the first partner's totals per
    session.
    """

    def factory(
        counsellor,
        loads=((3, 2),) * 3,
        last_days_ago=3,
        drafts=0,
        levels=(),
        csi4=(),
        **case_fields,
    ):
        case = make_case(counsellor, opened_on=date(2025, 1, 6), **case_fields)
        last = NOW - timedelta(days=last_days_ago)
        sessions = []
        for i, (escalating, deescalating, *neutral) in enumerate(loads):
            draft = i >= len(loads) - drafts
            session = make_session(
                case,
                starts_at=last - timedelta(weeks=len(loads) - 1 - i),
                status=NoteStatus.DRAFT if draft else NoteStatus.SIGNED,
                eft_stage=2,
            )
            # Loads above 5 (the highest intensity) take several moments.
            for key, load in (
                ("pursue", escalating),
                ("softening", deescalating),
                ("trigger_identified", sum(neutral)),
            ):
                while load > 0:
                    tag(db, session, types[key], min(load, 5))
                    load -= 5
            sessions.append(session)
        if levels:
            assignment = ScriptAssignment(
                case_id=case.id,
                partner=case.partners[1],
                script=scripts[1],
                assigned_session=sessions[0],
            )
            db.add(assignment)
            for session, level in zip(sessions, levels, strict=False):
                db.add(
                    ScriptObservation(assignment=assignment, therapy_session=session, level=level)
                )
        for session, total in zip(sessions, csi4, strict=False):
            items = [min(total, 6), 0, 0, 0]
            rest = total - items[0]
            for k in (1, 2, 3):
                items[k] = min(rest, 5)
                rest -= items[k]
            db.add(
                MeasureResponse(
                    session_id=session.id,
                    partner_id=case.partners[0].id,
                    items=items,
                    total=total,
                    recorded_by_id=counsellor.id,
                )
            )
        case.eft_stage = 2
        db.commit()
        return case

    return factory


def rows(page: str) -> list[str]:
    """The case references of the dashboard's table, in order."""
    return re.findall(r'<th scope="row"[^>]*><a href="/cases/\d+">([^<]+)</a></th>', page)


def row_of(page: str, reference: str) -> str:
    """The HTML of the table row of ``reference``."""
    for chunk in page.split("<tr")[1:]:
        if f">{reference}</a>" in chunk:
            return chunk.split("</tr>")[0]
    raise AssertionError(f"no row for {reference}")


@pytest.fixture
def practice(make_staff, build_case, supervisor, counsellor):
    """A supervisor with a supervisee, another supervisor's team, and an admin."""
    other_supervisor = make_staff(Role.SUPERVISOR, display_name="Other Supervisor")
    other_counsellor = make_staff(
        Role.COUNSELLOR, supervisor=other_supervisor, display_name="Other Counsellor"
    )
    mine = build_case(counsellor, reference="C-0100")
    theirs = build_case(other_counsellor, reference="C-0200")
    return {
        "supervisor": supervisor,
        "counsellor": counsellor,
        "other_supervisor": other_supervisor,
        "other_counsellor": other_counsellor,
        "admin": make_staff(Role.ADMIN),
        "mine": mine,
        "theirs": theirs,
    }


# --- Rows and flags ----------------------------------------------------------------------


def test_a_supervisor_sees_the_figures_and_flags_of_a_supervisees_case(
    client, auth, supervisor, counsellor, build_case
):
    # Six sessions without a de-escalating moment, the latest a draft since 5 days, a script
    # observed seven times without adoption.
    case = build_case(
        counsellor,
        reference="C-0042",
        loads=((2, 3),) + ((4, 0),) * 6,
        last_days_ago=5,
        drafts=1,
        levels=(1, 1, 1, 1, 1, 1, 1),
    )
    auth.login(supervisor)
    page = client.get("/supervision").get_data(as_text=True)
    row = row_of(page, "C-0042")
    assert f'href="/cases/{case.id}"' in row
    assert counsellor.display_name in row
    assert 'data-label="Sessions">7</td>' in row  # sessions
    assert (NOW - timedelta(days=5)).strftime("%d %b %Y") in row  # last session
    assert "Steady" in row
    assert "0 of 1 adopted" in row
    # The run without de-escalation began at the second session, five weeks before the last.
    run_start = (NOW - timedelta(days=5) - timedelta(weeks=5)).strftime("%d %b %Y")
    assert (
        "no de-escalating moment in the last 6 sessions with moments tagged "
        f'<span class="flag-since">(since {run_start})</span>'
    ) in row
    assert "script “Soft bid” not adopted after 7 observed sessions" in row
    assert "is unsigned more than 72 hours later" in row
    assert "No recent session" not in row
    # Severity and kind in words, not colour alone.
    assert "⚑" in row and "<strong>No de-escalation</strong>" in row
    assert '<span class="severity severity-attention">Attention</span>' in row
    assert '<span class="severity severity-info">Info</span>' in row
    assert "Alex" not in page and "Sam" not in page  # partners never named in the list


def test_csi4_latest_change_and_a_reliable_deterioration_from_the_baseline(
    client, auth, supervisor, counsellor, build_case
):
    # 17 at baseline, 10 now: -7, beyond the index of 5 (the last two readings fell by 6).
    build_case(counsellor, reference="C-0043", loads=((2, 3),) * 3, csi4=(17, 16, 10))
    # 12, 14, 11: -1 from the baseline, unchanged.
    build_case(counsellor, reference="C-0044", loads=((2, 3),) * 3, csi4=(12, 14, 11))
    auth.login(supervisor)
    page = client.get("/supervision").get_data(as_text=True)
    row = row_of(page, "C-0043")
    assert "Partner 1: 10" in row and "(below)" in row
    assert "Reliably deteriorated (17 to 10)" in row
    assert "<strong>CSI-4 deterioration</strong>: Partner 1&#39;s CSI-4 is 10, 7 points" in row
    assert '<span class="severity severity-urgent">Urgent</span>' in row
    latest = (NOW - timedelta(days=3)).strftime("%d %b %Y")
    assert f"(since {latest})" in row
    quiet = row_of(page, "C-0044")
    assert "No reliable change (12 to 11)" in quiet and "no-flag" in quiet


def test_severe_distress_is_flagged_from_a_single_reading(
    client, auth, supervisor, counsellor, build_case
):
    build_case(counsellor, reference="C-0045", loads=((2, 3),), csi4=(6,))
    build_case(counsellor, reference="C-0046", loads=((2, 3),), csi4=(7,))
    auth.login(supervisor)
    page = client.get("/supervision").get_data(as_text=True)
    row = row_of(page, "C-0045")
    assert "<strong>Severe distress</strong>: Partner 1&#39;s latest CSI-4 is 6 of 21" in row
    assert "Baseline only (6)" in row
    assert "Severe distress" not in row_of(page, "C-0046")


def test_only_active_cases_are_listed_and_own_cases_count(
    client, auth, supervisor, counsellor, build_case
):
    build_case(counsellor, reference="C-0001")
    build_case(counsellor, reference="C-0002", status=CaseStatus.PAUSED)
    build_case(counsellor, reference="C-0003", status=CaseStatus.CLOSED)
    build_case(supervisor, reference="C-0004")  # the supervisor's own caseload
    auth.login(supervisor)
    page = client.get("/supervision").get_data(as_text=True)
    assert sorted(rows(page)) == ["C-0001", "C-0004"]


def test_summary_row_per_counsellor(client, auth, supervisor, counsellor, make_staff, build_case):
    idle = make_staff(Role.COUNSELLOR, supervisor=supervisor, display_name="Idle Counsellor")
    build_case(counsellor, reference="C-0001", drafts=2, last_days_ago=10)
    build_case(counsellor, reference="C-0002")
    auth.login(supervisor)
    page = client.get("/supervision").get_data(as_text=True)
    summary = page.split('class="data counsellor-summary"')[1].split("</table>")[0]
    line = summary.split(counsellor.display_name)[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">(?:<span[^>]*>⚑</span> )?(\d+)</td>', line) == [
        "2",
        "2",
        "1",
    ]
    assert idle.display_name in summary  # a supervisee without active cases still has a line


def test_the_view_is_audited_without_clinical_text(app, client, auth, practice, db):
    auth.login(practice["supervisor"])
    client.get("/supervision?flag=any")
    event = db.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "caseload_viewed")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.actor_id == practice["supervisor"].id
    assert event.detail == {"cases": 1, "shown": 0, "flag": "any"}


# --- Sorting and filtering ---------------------------------------------------------------


@pytest.fixture
def caseload(make_staff, build_case, supervisor, counsellor):
    second = make_staff(Role.COUNSELLOR, supervisor=supervisor, display_name="Zoe Second")
    build_case(counsellor, reference="C-0001", loads=((3, 2),) * 2)
    improving = ((8, 2), (6, 4), (4, 6), (2, 8))
    build_case(counsellor, reference="C-0002", loads=improving)
    worsening = ((2, 8), (4, 6), (6, 4), (8, 2), (9, 1))
    build_case(second, reference="C-0003", loads=worsening, last_days_ago=40)
    return counsellor, second


def test_default_order_is_most_severe_first_then_counsellor_and_reference(
    client, auth, supervisor, caseload
):
    auth.login(supervisor)
    # C-0003 is flagged; the others follow by counsellor then reference.
    assert rows(client.get("/supervision").get_data(as_text=True)) == [
        "C-0003",
        "C-0001",
        "C-0002",
    ]
    assert rows(client.get("/supervision?sort=counsellor").get_data(as_text=True)) == [
        "C-0001",
        "C-0002",
        "C-0003",
    ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-sessions", ["C-0003", "C-0002", "C-0001"]),
        ("sessions", ["C-0001", "C-0002", "C-0003"]),
        ("-reference", ["C-0003", "C-0002", "C-0001"]),
        ("trend", ["C-0003", "C-0002", "C-0001"]),  # worsening, improving, too few sessions
        ("-flags", ["C-0003", "C-0001", "C-0002"]),
        ("last", ["C-0003", "C-0001", "C-0002"]),
    ],
)
def test_sorting_by_column(client, auth, supervisor, caseload, sort, expected):
    auth.login(supervisor)
    page = client.get(f"/supervision?sort={sort}").get_data(as_text=True)
    assert rows(page) == expected
    assert 'aria-sort="' in page


def test_filters(client, auth, supervisor, caseload):
    counsellor, second = caseload
    auth.login(supervisor)

    def shown(query):
        return rows(client.get(f"/supervision?{query}").get_data(as_text=True))

    assert shown(f"counsellor={second.id}") == ["C-0003"]
    assert shown("trend=worsening") == ["C-0003"]
    assert shown("trend=improving") == ["C-0002"]
    assert shown("flag=no_recent_session") == ["C-0003"]
    assert shown("flag=deescalation_worsening") == ["C-0003"]
    assert shown("flag=none") == ["C-0001", "C-0002"]
    assert shown("flag=any") == ["C-0003"]
    assert shown(f"counsellor={counsellor.id}&sort=-reference") == ["C-0002", "C-0001"]


@pytest.fixture
def ranked(build_case, counsellor):
    """Cases with flags of each severity, in several numbers, and one without a flag."""
    build_case(counsellor, reference="C-0015", drafts=1, last_days_ago=5)  # attention
    build_case(counsellor, reference="C-0014")  # no flag
    build_case(counsellor, reference="C-0013", loads=((3, 2),) * 6, levels=(1,) * 6)  # info
    build_case(counsellor, reference="C-0012", drafts=1, last_days_ago=5)  # attention
    build_case(counsellor, reference="C-0011", drafts=1, last_days_ago=30)  # attention x2
    build_case(counsellor, reference="C-0010", csi4=(5,))  # urgent: severe distress
    # Urgent x2: 12 then 5 is severe distress and 7 below the baseline.
    build_case(counsellor, reference="C-0016", loads=((3, 2),) * 2, csi4=(12, 5))


# Most severe first; within a severity the most flags; then the reference; no flag last.
RANKED = ["C-0016", "C-0010", "C-0011", "C-0012", "C-0015", "C-0013", "C-0014"]


def test_the_dashboard_sorts_by_severity_then_how_many_then_reference(
    client, auth, supervisor, ranked
):
    auth.login(supervisor)
    page = client.get("/supervision").get_data(as_text=True)
    assert rows(page) == RANKED
    assert re.search(r'aria-sort="ascending">\s*<a href="/supervision\?sort=-flags">Flags', page)
    # The other way round: least severe first; unflagged cases still last.
    flagged = RANKED[:-1]
    reverse = client.get("/supervision?sort=-flags").get_data(as_text=True)
    assert rows(reverse) == [*flagged[::-1], "C-0014"]
    assert [row_of(page, r).count('class="severity ') for r in RANKED] == [2, 1, 2, 1, 1, 1, 0]


def test_the_caseload_api_is_in_the_dashboards_order_with_severity_and_since(
    app, client, db, supervisor, ranked
):
    api = ApiClient(client, issue_token(app, db, supervisor))
    body = api.get("/caseload").get_json()
    assert [line["reference"] for line in body["items"]] == RANKED
    first = body["items"][0]
    assert first["severity"] == "urgent"
    assert [(f["kind"], f["severity"]) for f in first["flags"]] == [
        ("severe_distress", "urgent"),
        ("csi4_deterioration", "urgent"),
    ]
    assert all(f["since"] == (NOW - timedelta(days=3)).date().isoformat() for f in first["flags"])
    assert first["csi4"] == [
        {
            "partner_number": 1,
            "total": 5,
            "baseline": 12,
            "best": 12,
            "change": -7,
            "category": "deteriorated",
            "category_label": "Reliably deteriorated",
            "slide": True,
            "readings": 2,
        }
    ]
    assert body["items"][-1]["severity"] is None and body["items"][-1]["flags"] == []
    unsigned = body["items"][3]["flags"][0]
    assert (unsigned["kind"], unsigned["severity_label"]) == ("unsigned_note", "Attention")


@pytest.mark.parametrize(
    "query",
    [
        "sort=password",
        "sort=-",
        "sort=--sessions",
        "counsellor=abc",
        "counsellor=-1",
        "counsellor=99999999999999999999",
        "flag=%27%3Bdrop",
        "trend=sideways",
        "counsellor=&flag=&trend=&sort=",
    ],
)
def test_bad_query_values_fall_back_to_defaults(client, auth, supervisor, caseload, query):
    auth.login(supervisor)
    response = client.get(f"/supervision?{query}")
    assert response.status_code == 200
    assert rows(response.get_data(as_text=True)) == ["C-0003", "C-0001", "C-0002"]


def test_a_counsellor_outside_the_scope_is_not_a_filter(client, auth, practice):
    auth.login(practice["supervisor"])
    page = client.get(f"/supervision?counsellor={practice['other_counsellor'].id}")
    text = page.get_data(as_text=True)
    assert rows(text) == ["C-0100"]
    assert "Other Counsellor" not in text


# --- Access: every route, every role -----------------------------------------------------


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def body(response) -> str:
    if response.mimetype == "application/pdf":
        return pdf_text(response.data)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_is_sent_to_login(client, route):
    response = client.get(route)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("who", ["counsellor", "admin"])
def test_counsellors_and_administrators_are_refused(client, auth, practice, route, who):
    """Administrators read no clinical record: the caseload review is not theirs."""
    auth.login(practice[who])
    assert client.get(route).status_code == 403


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("who", "sees", "does_not_see"),
    [
        ("supervisor", ["C-0100"], ["C-0200"]),
        ("other_supervisor", ["C-0200"], ["C-0100"]),
    ],
)
def test_who_sees_which_cases(client, auth, practice, route, who, sees, does_not_see):
    auth.login(practice[who])
    # The exports ask for the password again before downloading.
    exported = route != "/supervision"
    response = auth.post(route, {"password": PASSWORD}) if exported else client.get(route)
    assert response.status_code == 200
    text = body(response)
    for reference in sees:
        assert reference in text
    for reference in does_not_see:
        assert reference not in text


# --- Scale: a fixed number of statements -------------------------------------------------


def count_statements(app, client, path="/supervision") -> int:
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    client.get(path)  # warm: the first request after login may differ
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(statements)


def test_the_dashboard_issues_the_same_number_of_statements_whatever_the_caseload(
    app, make_staff, build_case
):
    small = make_staff(Role.SUPERVISOR)
    build_case(make_staff(Role.COUNSELLOR, supervisor=small), loads=((3, 1),) * 3)
    build_case(small.supervisees[0], loads=((3, 1),) * 3)

    large = make_staff(Role.SUPERVISOR)
    for c in range(3):
        counsellor = make_staff(Role.COUNSELLOR, supervisor=large)
        for k in range(4):
            build_case(
                counsellor,
                loads=((3, 1), (2, 2), (0, 0), (4, 0), (1, 3), (2, 1)),
                drafts=k % 2,
                levels=(1, 2, 2, 3, 1, 0),
                csi4=(15, 14, 12, 9, 8, 12),
                last_days_ago=3 + 10 * c + k,
            )

    counts = {}
    for name, member in (("small", small), ("large", large)):
        client = app.test_client()
        Auth(client).login(member)
        counts[name] = count_statements(app, client)
        shown = rows(client.get("/supervision").get_data(as_text=True))
        assert len(shown) == (2 if name == "small" else 12)
    assert counts["small"] == counts["large"]
    assert counts["small"] <= 24  # appointments, breaks and safety screens add theirs


# --- The cycle balance in SQL agrees with the rule -----------------------------------------------


def test_the_sql_cycle_balance_agrees_with_the_rule_for_every_demo_case(app_context, db):
    seed_demo(scale=0.5)
    cases = dict(db.execute(sa.select(Case.id, Case.reference)).all())
    by_sql, counts = dashboard_figures.session_loads(list(cases), DEMO_NOW, latest=None)
    by_rule = dashboard_figures.session_loads_by_rule(list(cases), DEMO_NOW)
    assert sum(len(loads) for loads in by_rule.values()) >= 200
    for case_id, reference in cases.items():
        assert by_sql.get(case_id, []) == by_rule.get(case_id, []), reference
        assert counts.get(case_id, 0) == len(by_rule.get(case_id, [])), reference

    # The dashboard sums only each case's latest sessions; its trend is still the rule's over
    # the whole history, and so are the flags that read the loads.
    # Administrators see no case: every active case once, as its own counsellor's dashboard
    # holds it (a supervisor's holds their supervisees' cases too: kept to their own here).
    carriers = db.scalars(sa.select(StaffMember).where(StaffMember.role != Role.ADMIN)).all()
    owner = dict(db.execute(sa.select(Case.id, Case.counsellor_id)).all())
    lines = [
        line
        for member in carriers
        for line in caseload_dashboard(member, now=DEMO_NOW).lines
        if owner[line.case_id] == member.id
    ]
    assert len(lines) == db.scalar(
        sa.select(sa.func.count(Case.id)).where(Case.status == CaseStatus.ACTIVE)
    )
    for line in lines:
        loads = by_rule.get(line.case_id, [])
        shares = [balance.deescalation_share(s.escalating, s.deescalating) for s in loads]
        assert line.trend == balance.deescalation_trend(shares), line.reference
    assert {line.trend.label for line in lines} - {balance.NOT_ENOUGH_SESSIONS}
    # The flags and their since dates too, though most cases' earliest sessions are not loaded.
    thresholds = Thresholds()
    for member in carriers:
        for case in dashboard_queries.active_cases(member, thresholds, DEMO_NOW):
            if owner[case.case_id] != member.id:
                continue
            whole = dataclasses.replace(case.summary, sessions=tuple(by_rule.get(case.case_id, [])))
            assert case_flags(case.summary, DEMO_NOW, thresholds) == case_flags(
                whole, DEMO_NOW, thresholds
            ), case.reference


# --- Figures stay correct ----------------------------------------------------------------


def test_a_new_moment_or_session_changes_the_dashboard_at_once(
    client, auth, db, supervisor, counsellor, build_case, make_session, types
):
    case = build_case(counsellor, reference="C-0009", loads=((4, 0),) * 6, last_days_ago=30)
    auth.login(supervisor)
    row = row_of(client.get("/supervision").get_data(as_text=True), "C-0009")
    assert "No de-escalation" in row and "No recent session" in row
    assert 'data-label="Sessions">6</td>' in row

    case = db.get(Case, case.id)  # requests end the session the test arranged data in
    latest = max(case.sessions, key=lambda s: s.starts_at)
    tag(db, latest, types["repair_attempt"], 2)
    db.commit()
    row = row_of(client.get("/supervision").get_data(as_text=True), "C-0009")
    assert "No de-escalation" not in row

    session = make_session(db.get(Case, case.id), starts_at=NOW - timedelta(days=1), eft_stage=2)
    tag(db, session, types["pursue"], 3)
    db.commit()
    row = row_of(client.get("/supervision").get_data(as_text=True), "C-0009")
    assert 'data-label="Sessions">7</td>' in row
    assert (NOW - timedelta(days=1)).strftime("%d %b %Y") in row
    assert "No recent session" not in row

    repair = db.scalars(
        sa.select(Moment).where(Moment.session_id == latest.id).order_by(Moment.id.desc())
    ).first()
    repair.voided_at = NOW
    db.commit()
    row = row_of(client.get("/supervision").get_data(as_text=True), "C-0009")
    assert "No de-escalation" in row  # a voided moment no longer counts


def test_future_and_voided_sessions_are_left_out(
    client, auth, db, supervisor, counsellor, build_case, make_session
):
    case = build_case(counsellor, reference="C-0010", loads=((3, 2),) * 2)
    make_session(case, starts_at=NOW + timedelta(days=7))
    voided = make_session(case, starts_at=NOW - timedelta(hours=1))
    voided.voided_at = NOW
    db.commit()
    auth.login(supervisor)
    row = row_of(client.get("/supervision").get_data(as_text=True), "C-0010")
    assert 'data-label="Sessions">2</td>' in row
    assert (NOW - timedelta(days=3)).strftime("%d %b %Y") in row


def test_the_trend_reaches_past_recent_sessions_without_moments(
    client, auth, supervisor, counsellor, build_case
):
    # Four sessions with a falling share, then eleven without any moment: the trend still
    # looks at the last four sessions that have a share, however far back, and dates the
    # worsening from the fourth. The eleven are no evidence of "no de-escalation".
    worsening = ((2, 8), (4, 6), (6, 4), (8, 2))
    build_case(counsellor, reference="C-0011", loads=worsening + ((0, 0),) * 11)
    auth.login(supervisor)
    row = row_of(client.get("/supervision").get_data(as_text=True), "C-0011")
    assert "Worsening" in row
    fourth = (NOW - timedelta(days=3) - timedelta(weeks=11)).strftime("%d %b %Y")
    assert (
        "de-escalation share worsening over the last 4 sessions that have one "
        f'(-20.0 points per session) <span class="flag-since">(since {fourth})</span>'
    ) in row
    assert "No de-escalation" not in row
    assert 'data-label="Sessions">15</td>' in row


def test_a_run_without_deescalation_reaches_past_the_sessions_first_loaded(
    client, auth, supervisor, counsellor, build_case
):
    # A de-escalating session, then twelve tagged sessions without one (two with neutral
    # moments only) and two without moments: the run is twelve sessions long, dated from its
    # first, further back than the dashboard's first statement loads.
    loads = ((2, 3),) + ((4, 0),) * 5 + ((0, 0, 3),) * 2 + ((4, 0),) * 5 + ((0, 0),) * 2
    build_case(counsellor, reference="C-0012", loads=loads, last_days_ago=2)
    auth.login(supervisor)
    row = row_of(client.get("/supervision").get_data(as_text=True), "C-0012")
    first = (NOW - timedelta(days=2) - timedelta(weeks=13)).strftime("%d %b %Y")
    assert (
        "no de-escalating moment in the last 12 sessions with moments tagged "
        "(2 later sessions without any tagged moment left out) "
        f'<span class="flag-since">(since {first})</span>'
    ) in row


def test_every_filter_has_a_label(client, auth, supervisor, caseload):
    auth.login(supervisor)
    page = client.get("/supervision").get_data(as_text=True)
    ids = re.findall(r'<(?:input|select)(?![^>]*type="(?:hidden|submit)")[^>]*id="([^"]+)"', page)
    assert ids == ["counsellor", "flag", "trend"]
    for field_id in ids:
        assert f'<label for="{field_id}">' in page
    assert '<th scope="col"' in page and '<th scope="row"' in page
    assert "style=" not in page and "<script>" not in page


def test_the_legend_states_the_configured_thresholds(
    app, client, auth, supervisor, caseload, monkeypatch
):
    monkeypatch.setitem(app.config, "PRACTICE_FLAG_NO_SESSION_DAYS", 14)
    monkeypatch.setitem(app.config, "PRACTICE_FLAG_SEVERE_DISTRESS", 4)
    monkeypatch.setitem(app.config, "PRACTICE_CSI4_RELIABLE_CHANGE", 3)
    auth.login(supervisor)
    page = client.get("/supervision").get_data(as_text=True)
    legend = page.split('class="flag-legend"')[1].split("</details>")[0]
    assert (
        "No session for 14 days or more (a cancelled or missed appointment is no session), "
        "unless the next planned appointment is at most 14 days away. Since: the last session"
    ) in legend
    assert "A partner&#39;s latest CSI-4 total is 4 or lower" in legend
    assert "3 points or more below their first (baseline) total" in legend
    assert "a change of 3 points or more is reliable" in legend
    # Each severity explained, and each kind shown with its own.
    for label in ("Urgent", "Attention", "Info"):
        assert f'">{label}</span></dt>' in legend
    marker = '<span class="flag-marker" aria-hidden="true">⚑</span>'
    urgent = '<span class="severity severity-urgent">Urgent</span>'
    info = '<span class="severity severity-info">Info</span>'
    assert f"{urgent} {marker} Severe distress</dt>" in legend
    assert f"{info} {marker} Script not adopted</dt>" in legend
