"""Caseload exports: the CSV (same rows as the dashboard, no clinical free text) and the summary
PDF rendered through the progress reports' machinery."""

import csv
import io
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from practice.models import (
    Addendum,
    AuditEvent,
    MeasureResponse,
    Moment,
    MomentType,
    NoteStatus,
    Role,
    Script,
    ScriptAssignment,
    ScriptObservation,
    SupervisionComment,
)
from practice.reports.pdf import AssetFetcher, render_pdf
from practice.supervision import exports
from practice.supervision.dashboard import caseload_dashboard
from tests.conftest import PASSWORD

NOW = datetime.now(UTC).replace(microsecond=0)
# Distinctive phrases planted in every kind of clinical free text; none may leave in an export.
SECRETS = {
    "note": "Zanzibar lighthouse argument",
    "assessment": "quokka assessment phrase",
    "plan": "plan mentions the harpsichord",
    "concerns": "Marmalade ferry concerns",
    "goals": "goal of the velvet abacus",
    "partner": "Xylophonia",
    "context": "quoted the tangerine oath",
    "observation": "observed near the pelican",
    "addendum": "addendum about the gazebo",
    "comment": "comment on the walrus",
    "reason": "paused for the porcupine",
}


@pytest.fixture
def planted(db, supervisor, counsellor, make_case, make_session):
    """A supervisee's active case whose free text holds the phrases of ``SECRETS``."""
    case = make_case(
        counsellor,
        reference="C-0777",
        partners=(SECRETS["partner"], "Sam"),
        presenting_concerns=SECRETS["concerns"],
        goals=SECRETS["goals"],
        eft_stage=2,
    )
    sessions = []
    for weeks in (3, 2, 1):
        sessions.append(
            make_session(
                case,
                starts_at=NOW - timedelta(weeks=weeks),
                status=NoteStatus.SIGNED,
                note_data=SECRETS["note"],
                note_assessment=SECRETS["assessment"],
                note_plan=SECRETS["plan"],
            )
        )
    draft = make_session(case, starts_at=NOW - timedelta(days=5), note_data=SECRETS["note"])
    pursue = db.scalar(sa.select(MomentType).where(MomentType.key == "pursue"))
    for session in sessions:
        db.add(
            Moment(
                therapy_session=session,
                moment_type=pursue,
                minute=3,
                intensity=4,
                context=SECRETS["context"],
                created_by_id=counsellor.id,
            )
        )
    script = db.scalar(sa.select(Script).order_by(Script.id))
    assignment = ScriptAssignment(
        case_id=case.id, partner=case.partners[0], script=script, assigned_session=sessions[0]
    )
    db.add(assignment)
    db.add(
        ScriptObservation(
            assignment=assignment, therapy_session=sessions[1], level=1, note=SECRETS["observation"]
        )
    )
    db.add(Addendum(therapy_session=sessions[0], author_id=counsellor.id, text=SECRETS["addendum"]))
    db.add(SupervisionComment(case_id=case.id, author_id=supervisor.id, body=SECRETS["comment"]))
    make_case(counsellor, reference="C-0778", status="paused", status_reason=SECRETS["reason"])
    db.commit()
    return case, draft


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def assert_no_free_text(text: str) -> None:
    for kind, phrase in SECRETS.items():
        assert phrase not in text, kind


# --- CSV -------------------------------------------------------------------------------------


def test_csv_holds_the_dashboard_rows_and_no_clinical_free_text(
    client, auth, supervisor, counsellor, planted
):
    auth.login(supervisor)
    response = auth.post("/supervision/export.csv", {"password": PASSWORD})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="caseload-{NOW:%Y-%m-%d}.csv"'
    text = response.get_data(as_text=True)
    assert_no_free_text(text)
    table = list(csv.reader(io.StringIO(text)))
    assert tuple(table[0]) == exports.CSV_HEADER
    assert len(table) == 2  # the paused case is not on the dashboard
    row = dict(zip(table[0], table[1], strict=True))
    assert row["Counsellor"] == counsellor.display_name
    assert row["Case reference"] == "C-0777"
    assert row["Sessions"] == "4"
    assert row["Last session"] == (NOW - timedelta(days=5)).date().isoformat()
    assert row["EFT stage"] == "2"
    assert row["De-escalation trend"] == "not enough sessions"
    assert row["Scripts adopted"] == "0" and row["Scripts assigned"] == "1"
    assert row["Latest CSI-4"] == "" and row["CSI-4 change"] == ""
    assert row["Unsigned notes"] == "1"
    assert row["Severity"] == "attention"
    assert row["Flags"] == "unsigned_note"
    overdue = (NOW - timedelta(days=5) + timedelta(minutes=50, hours=72)).date()
    assert row["Flag reasons"] == (
        f"Unsigned note (attention, since {overdue:%d %b %Y}): the note of the session of "
        f"{NOW - timedelta(days=5):%d %b %Y} is unsigned more than 72 hours later"
    )


def add_csi4(db, case, sessions, totals):
    """CSI-4 totals of the case's first partner at ``sessions``."""
    for session, total in zip(sessions, totals, strict=True):
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
                recorded_by_id=case.counsellor_id,
            )
        )
    db.commit()


def test_the_exports_give_each_partners_csi4_change_and_each_flags_severity(
    client, auth, db, supervisor, planted
):
    case, _draft = planted
    signed = sorted(case.sessions, key=lambda s: s.starts_at)[:3]
    add_csi4(db, case, [signed[0], signed[2]], [15, 9])  # -6 from the baseline
    auth.login(supervisor)
    text = auth.post("/supervision/export.csv", {"password": PASSWORD}).get_data(as_text=True)
    table = list(csv.reader(io.StringIO(text)))
    row = dict(zip(table[0], table[1], strict=True))
    assert row["Latest CSI-4"] == "Partner 1: 9"
    assert row["CSI-4 change"] == "Partner 1: reliably deteriorated (15 to 9)"
    assert row["Severity"] == "urgent"
    assert row["Flags"] == "csi4_deterioration; unsigned_note"
    reasons = row["Flag reasons"].split(" | ")
    assert reasons[0] == (
        f"CSI-4 deterioration (urgent, since {signed[2].starts_at:%d %b %Y}): "
        "Partner 1's CSI-4 is 9, 6 points below their baseline of 15"
    )

    pdf = pdf_text(auth.post("/supervision/summary.pdf", {"password": PASSWORD}).data)
    flat = " ".join(pdf.split())
    assert "reliably deteriorated" in flat and "(15 to 9)" in flat
    assert "CSI-4 deterioration (urgent)" in flat
    assert "Severe distress (urgent) (0 cases)" in flat
    assert_no_free_text(pdf)


def test_csv_follows_the_dashboards_filters(client, auth, supervisor, planted):
    auth.login(supervisor)
    text = auth.post(
        "/supervision/export.csv?flag=severe_distress", {"password": PASSWORD}
    ).get_data(as_text=True)
    assert list(csv.reader(io.StringIO(text))) == [list(exports.CSV_HEADER)]


def test_csv_cells_cannot_run_as_spreadsheet_formulas(
    client, auth, make_staff, make_case, make_session
):
    supervisor = make_staff(Role.SUPERVISOR)
    sly = make_staff(
        Role.COUNSELLOR, supervisor=supervisor, display_name='=HYPERLINK("http://x","y")'
    )
    make_session(make_case(sly, reference="C-0900"), starts_at=NOW - timedelta(days=1))
    auth.login(supervisor)
    response = auth.post("/supervision/export.csv", {"password": PASSWORD})
    table = list(csv.reader(io.StringIO(response.get_data(True))))
    assert table[1][0] == '\'=HYPERLINK("http://x","y")'


def test_the_csv_export_is_audited(client, auth, db, supervisor, planted):
    auth.login(supervisor)
    auth.post("/supervision/export.csv?trend=steady", {"password": PASSWORD})
    event = db.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "caseload_exported")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.actor_id == supervisor.id
    assert event.detail == {"cases": 1, "shown": 0, "trend": "steady"}


# --- Summary PDF -----------------------------------------------------------------------------


def test_summary_pdf_has_the_references_page_numbers_and_no_free_text(
    client, auth, db, supervisor, counsellor, planted
):
    auth.login(supervisor)
    response = auth.post("/supervision/summary.pdf", {"password": PASSWORD})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="caseload-{NOW:%Y-%m-%d}.pdf"'
    )
    text = pdf_text(response.data)
    assert "Caseload summary" in text
    assert "C-0777" in text and "C-0778" not in text
    assert counsellor.display_name in text
    assert "Page 1 of" in text
    assert "Confidential supervision record" in text
    assert "Unsigned note" in text
    assert_no_free_text(text)
    event = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "caseload_summary_generated")
    ).one()
    assert event.detail["cases"] == 1 and event.detail["pages"] >= 1


def test_summary_pdf_loads_only_packaged_assets(app, supervisor, planted):
    with app.test_request_context():
        board = caseload_dashboard(supervisor)
        html = exports.build_summary_html(exports.summary_context(board, supervisor))
    fetcher = AssetFetcher()
    data = render_pdf(html, fetcher=fetcher)
    assert data.startswith(b"%PDF")
    assert fetcher.requested == [
        "practice-asset:///report.css",
        "practice-asset:///caseload.css",
    ]
    assert fetcher.served == fetcher.requested


def test_summary_html_escapes_what_it_shows(app, make_staff, make_case, make_session):
    supervisor = make_staff(Role.SUPERVISOR, display_name="<script>alert(1)</script>")
    with app.test_request_context():
        board = caseload_dashboard(supervisor)
        html = exports.build_summary_html(exports.summary_context(board, supervisor))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- The password asked again ------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/supervision/export.csv", "/supervision/summary.pdf"])
def test_an_export_first_asks_for_the_password(client, auth, supervisor, planted, route):
    auth.login(supervisor)
    response = client.get(f"{route}?trend=steady")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'type="password"' in page
    assert f'action="{route}?trend=steady"' in page
    assert "C-0777" not in page


@pytest.mark.parametrize("route", ["/supervision/export.csv", "/supervision/summary.pdf"])
def test_a_wrong_password_exports_nothing_and_is_audited(
    client, auth, db, supervisor, planted, route
):
    auth.login(supervisor)
    response = auth.post(route, {"password": "not-my-password"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "That password is not right. Nothing was exported." in response.get_data(True)
    actions = db.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.actor_id == supervisor.id)
    ).all()
    assert "caseload_export_failed" in actions
    assert "caseload_exported" not in actions and "caseload_summary_generated" not in actions
    denied = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "caseload_export_failed")
    ).one()
    assert denied.outcome == "denied"


def test_an_export_without_a_csrf_token_is_refused(client, auth, supervisor, planted):
    auth.login(supervisor)
    response = client.post("/supervision/export.csv", data={"password": PASSWORD})
    assert response.status_code == 400
