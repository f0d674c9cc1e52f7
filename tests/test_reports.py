"""Progress reports: content per audience, stored history, the web flow, access and the CLI.

A PDF render takes about a second, so the PDF-level tests render on SQLite only where the
database adds nothing to what they check (the report's text and pages); storage, recording,
auditing and every route run on both databases.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from practice.core.integrity import load_key
from practice.core.unit_of_work import atomic, on_rollback, unit_of_work
from practice.models import (
    Account,
    Addendum,
    AuditEvent,
    Case,
    MeasureResponse,
    Moment,
    MomentType,
    Partner,
    Report,
    Role,
    Script,
    ScriptAssignment,
    ScriptObservation,
    StaffMember,
    TherapySession,
)
from practice.moments import balance
from practice.progress.case_progress import case_progress
from practice.reporting import batches
from practice.reporting import operations as reports
from practice.reports.progress_report import (
    CLIENT_FORBIDDEN_TERMS,
    build_report_html,
    report_context,
)
from practice.sessions.signed_notes import seal
from tests.conftest import make_test_app

START = date(2026, 1, 5)
END = date(2026, 3, 31)
# (escalating intensity, de-escalating intensity) per session: the share climbs to 80 %.
LOADS = [
    (5, 1),
    (4, 1),
    (5, 2),
    (4, 2),
    (3, 2),
    (4, 3),
    (3, 3),
    (2, 3),
    (2, 4),
    (2, 5),
    (1, 4),
    (1, 4),
]
# Adoption levels per session for each partner's script: Sam's is adopted at the 7th session
# (17 Feb: levels 2 then 3), Alex's never (no two sessions in a row at 2 or more).
SAM_LEVELS = [0, 1, 1, 1, 2, 1, 2, 3, 3, 2, 3, 3]
ALEX_LEVELS = [0, 0, 1, 0, 1, 1, 1, 2, 1, 1, 1, 1]
SAM_SCRIPT = "I need time to process this, but I'm open to talk soon"
ALEX_SCRIPT = "When would be a good time for us to sit with this together?"


def note_marker(i: int) -> str:
    return f"NOTEMARK{i:02d}"


def build_couple(
    db, counsellor: StaffMember, reference: str = "C-0900", *, seal_key: bytes, **texts
) -> Case:
    """Twelve weekly sessions with moments, two scripts, CSI-4 twice, notes and an addendum.

    ``texts`` may override ``partners``, ``goals``, ``concerns`` and ``note`` (a format string
    with ``{marker}``), so the security tests can plant hostile text in every field.
    """
    partners = texts.get("partners", ("Alex", "Sam"))
    note = texts.get("note", "{marker} data: they argued about the move; pursuer protest.")
    case = Case(
        reference=reference,
        counsellor=counsellor,
        opened_on=START,
        goals=texts.get("goals", "Talk about the move without a shutdown."),
        presenting_concerns=texts.get("concerns", "Recurring arguments about moving abroad."),
        eft_stage=2,
    )
    for position, (name, role) in enumerate(zip(partners, ("pursuer", "withdrawer"), strict=True)):
        case.partners.append(Partner(display_name=name, cycle_role=role, position=position))
    db.add(case)
    db.flush()
    alex, sam = case.partners
    types = {t.key: t for t in db.scalars(select(MomentType))}
    sessions = []
    for i, (esc, de) in enumerate(LOADS):
        session = TherapySession(
            case=case,
            starts_at=datetime(2026, 1, 6, 15, tzinfo=UTC) + timedelta(weeks=i),
            created_by_id=counsellor.id,
            attendees=[alex, sam] if i != 3 else [sam],
            eft_stage=1 if i < 6 else 2,
            note_data=note.format(marker=note_marker(i)),
            note_assessment=f"Assessment {note_marker(i)}: escalation eased.",
            note_plan="Practise the time-out script.",
        )
        if i < 10:
            session.status = "signed"
            session.signed_by_id = counsellor.id
            session.signed_at = session.starts_at + timedelta(hours=2)
        db.add(session)
        sessions.append(session)
        db.flush()
        if session.signed_at is not None:  # signed as the app signs: with the note's hash
            seal(session, seal_key)
        for key, intensity, partner in (("pursue", esc, alex), ("softening", de, sam)):
            db.add(
                Moment(
                    therapy_session=session,
                    moment_type=types[key],
                    partner=partner,
                    minute=10,
                    intensity=intensity,
                    created_by_id=counsellor.id,
                )
            )
    db.add(
        Addendum(therapy_session=sessions[2], author_id=counsellor.id, text="Corrected the date.")
    )
    scripts = {s.text: s for s in db.scalars(select(Script))}
    for partner, text, levels in ((sam, SAM_SCRIPT, SAM_LEVELS), (alex, ALEX_SCRIPT, ALEX_LEVELS)):
        script = scripts.get(text) or Script(text=text, category="test")
        assignment = ScriptAssignment(
            case_id=case.id, partner=partner, script=script, assigned_session=sessions[0]
        )
        db.add(assignment)
        for session, level in zip(sessions, levels, strict=True):
            db.add(ScriptObservation(assignment=assignment, therapy_session=session, level=level))
    for session, totals in ((sessions[0], (9, 11)), (sessions[-1], (15, 12))):
        for partner, total in zip((alex, sam), totals, strict=True):
            items = [min(total, 6), min(max(total - 6, 0), 5), 0, 0]
            items[2] = min(max(total - sum(items), 0), 5)
            items[3] = total - sum(items)
            db.add(
                MeasureResponse(
                    session_id=session.id,
                    partner_id=partner.id,
                    items=items,
                    total=total,
                    recorded_by_id=counsellor.id,
                )
            )
    db.commit()
    return case


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text in drawing order (pdftotext -raw), whitespace runs folded to one space."""
    path = tmp_path / f"{hashlib.sha256(data).hexdigest()[:12]}.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())


def pdf_objects(data: bytes) -> bytes:
    """The PDF's bytes followed by every Flate stream inflated, so that dictionaries kept in
    compressed object streams (the catalog, attachments…) can be searched as well."""
    inflated = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            inflated.append(zlib.decompressobj().decompress(data[match.end() :]))
        except zlib.error:
            continue
    return b"\n".join(inflated)


needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")


@pytest.fixture
def sqlite_only(backend):
    # PDF text and layout do not depend on the database; rendering twice would only cost time.
    if backend != "sqlite":
        pytest.skip("PDF rendering is checked on SQLite; storage and routes run on both")


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    """A report store of the test's own."""
    folder = tmp_path / "store"
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(folder))
    return folder


@pytest.fixture
def people(make_staff):
    supervisor = make_staff(Role.SUPERVISOR)
    counsellor = make_staff(Role.COUNSELLOR, supervisor=supervisor)
    return {
        "counsellor": counsellor,
        "supervisor": supervisor,
        "other": make_staff(Role.COUNSELLOR),
        "admin": make_staff(Role.ADMIN),
    }


@pytest.fixture
def couple(app, db, people) -> Case:
    return build_couple(db, people["counsellor"], seal_key=load_key(app))


@pytest.fixture
def stored_report(app, db, couple, people, store) -> Report:
    """A recorded report whose stored file holds known bytes (no render needed)."""
    data = b"%PDF-1.7\n% a stand-in for a rendered report\n%%EOF\n"
    with app.app_context():
        folder = reports.report_dir()
    (folder / "1-test.pdf").write_bytes(data)
    report = Report(
        case_id=couple.id,
        audience="referrer",
        period_start=START,
        period_end=END,
        generated_by_id=people["counsellor"].id,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        page_count=1,
        storage_path="1-test.pdf",
    )
    db.add(report)
    db.commit()
    return report


def context_for(case: Case, audience: str, narrative: str = "Steady work.") -> dict:
    return report_context(case, START, END, audience, narrative, case.counsellor)


# --- Context and HTML (no PDF) ---------------------------------------------------------------


def test_figures_are_the_computed_metrics(app_context, couple):
    progress = case_progress(couple, START, END)
    figures = context_for(couple, "clinical")["figures"]
    assert figures["sessions"] == len(progress.sessions) == 12
    assert figures["latest_share"] == progress.latest_share == pytest.approx(0.8)
    assert figures["trend"] == progress.trend.label
    assert figures["trend_threshold"] == balance.TREND_THRESHOLD
    assert (figures["scripts_adopted"], figures["scripts_total"]) == (1, 2)
    html = build_report_html(context_for(couple, "clinical"))
    assert '<dd class="figure">12</dd>' in html
    assert '<dd class="figure">80 %</dd>' in html
    assert '<dd class="figure">1 of 2</dd>' in html


def test_adoption_dates_and_csi4_against_the_cutoff(app_context, couple):
    context = context_for(couple, "clinical")
    adopted = {row["script"]: row["adopted_on"] for row in context["adoption"]}
    assert adopted == {SAM_SCRIPT: date(2026, 2, 17), ALEX_SCRIPT: None}
    csi = {row["partner"]: row for row in context["csi4"]}
    assert (csi["Alex"]["first"], csi["Alex"]["latest"], csi["Alex"]["change"]) == (9, 15, 6)
    assert csi["Alex"]["below_cutoff"] is False and csi["Sam"]["below_cutoff"] is True
    html = build_report_html(context)
    assert "at the session of 17 Feb 2026" in html
    assert "Against the cut-off of 13.5" in html


def test_period_limits_the_sessions(app_context, couple):
    context = report_context(
        couple, date(2026, 2, 1), date(2026, 2, 28), "clinical", "", couple.counsellor
    )
    assert [row["date"] for row in context["sessions"]] == [
        date(2026, 2, d) for d in (3, 10, 17, 24)
    ]


def test_clinical_html_holds_notes_roles_stage_and_addenda(app_context, couple):
    html = build_report_html(context_for(couple, "clinical"))
    for i in range(12):
        assert note_marker(i) in html
    assert "Pursuer" in html and "Withdrawer" in html
    assert "2: Restructuring the bond" in html
    assert "1 addendum)" in html and "Corrected the date." in html
    assert "<script" not in html.lower()


@pytest.mark.parametrize("audience", ["client", "referrer"])
def test_client_and_referrer_html_hold_no_note_text(app_context, couple, audience):
    html = build_report_html(context_for(couple, audience))
    assert "NOTEMARK" not in html
    assert "Assessment" not in html
    assert "Corrected the date" not in html


def test_client_html_is_plain_and_even(app_context, couple):
    html = build_report_html(context_for(couple, "client"))
    text = " ".join(re.sub(r"<[^>]+>", " ", html.split("<body", 1)[1]).split())
    for term in CLIENT_FORBIDDEN_TERMS:
        assert not re.search(rf"\b{term}\b", text, re.IGNORECASE), term
    assert "Neither of you is the problem: the pattern is." in text
    assert "one of you reaches out" in text and "the other steps back" in text
    assert "For Alex and Sam" in text
    # Both partners get a script block and a CSI-4 row, in the same layout.
    assert html.count('<div class="partner-scripts">') == 2
    # Neither consented to share their CSI-4 scores with the other: both kept private alike.
    assert "Alex’s answers stay private unless Alex chooses to share them." in text
    assert "Sam’s answers stay private unless Sam chooses to share them." in text
    assert "Both of you" in html


def test_unknown_audience_and_reversed_period_are_refused():
    with pytest.raises(reports.ReportError, match="audience"):
        reports.check_request(START, END, "insurer", "")
    with pytest.raises(reports.ReportError, match="end on or after"):
        reports.check_request(END, START, "clinical", "")
    with pytest.raises(reports.ReportError, match="10,000"):
        reports.check_request(START, END, "clinical", "x" * 10_001)


def test_only_the_cases_counsellor_generates(app_context, couple, people):
    with pytest.raises(reports.ReportError, match="counsellor"):
        reports.generate_report(couple, START, END, "clinical", "", people["supervisor"])


def test_letter_page_size_is_configurable(app, couple, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_PAGE_SIZE", "Letter")
    with app.app_context():
        html = build_report_html(context_for(couple, "clinical"))
    assert "practice-asset:///page-letter.css" in html
    monkeypatch.setitem(app.config, "PRACTICE_PAGE_SIZE", "A5")
    with app.app_context(), pytest.raises(ValueError, match="A4 or Letter"):
        context_for(couple, "clinical")


# --- Generated PDFs (SQLite only: see the module docstring) ----------------------------------


@needs_pdftotext
def test_clinical_pdf_text_holds_reference_period_scripts_figures_and_pages(
    app, sqlite_only, couple, store, tmp_path
):
    with app.app_context():
        rendered = reports.render_report(
            couple, START, END, "clinical", "Narrative for the record.", couple.counsellor
        )
        progress = case_progress(couple, START, END)
    text = pdf_text(rendered.data, tmp_path)
    assert rendered.page_count >= 2
    assert "C-0900" in text
    assert "05 Jan 2026 to 31 Mar 2026" in text
    assert SAM_SCRIPT in text and ALEX_SCRIPT in text
    assert f"Page 1 of {rendered.page_count}" in text
    assert f"Page {rendered.page_count} of {rendered.page_count}" in text
    assert f"Sessions in this period {len(progress.sessions)}" in text
    assert f"Latest de-escalation share {round(progress.latest_share * 100)} %" in text
    assert f"Trend {progress.trend.label.capitalize()}" in text
    assert "Scripts adopted 1 of 2" in text
    assert note_marker(0) in text and note_marker(11) in text
    assert "Narrative for the record." in text
    assert "Confidential clinical record" in text


@needs_pdftotext
def test_client_pdf_has_no_notes_and_no_clinical_labels(app, sqlite_only, couple, tmp_path):
    with app.app_context():
        rendered = reports.render_report(couple, START, END, "client", "", couple.counsellor)
    text = pdf_text(rendered.data, tmp_path)
    assert "C-0900" in text and SAM_SCRIPT in text
    assert "NOTEMARK" not in text
    for term in CLIENT_FORBIDDEN_TERMS:
        assert not re.search(rf"\b{term}\b", text, re.IGNORECASE), term
    assert f"Page 1 of {rendered.page_count}" in text


@needs_pdftotext
def test_referrer_pdf_has_no_note_text(app, sqlite_only, couple, tmp_path):
    with app.app_context():
        rendered = reports.render_report(couple, START, END, "referrer", "", couple.counsellor)
    text = pdf_text(rendered.data, tmp_path)
    assert "NOTEMARK" not in text
    assert "Restructuring the bond" in text and "Talk about the move" in text


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="needs pdfinfo")
def test_pdf_is_tagged_with_title_language_and_author(app, sqlite_only, couple, tmp_path):
    with app.app_context():
        author = couple.counsellor.display_name
        rendered = reports.render_report(couple, START, END, "referrer", "", couple.counsellor)
    path = tmp_path / "r.pdf"
    path.write_bytes(rendered.data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE)
    assert re.search(r"^Title:\s+Progress report C-0900 \(referrer\)", info, re.MULTILINE)
    assert re.search(rf"^Author:\s+{author}$", info, re.MULTILINE)
    assert re.search(r"^PDF version:\s+1.7$", info, re.MULTILINE)
    objects = pdf_objects(rendered.data)
    assert b"/Lang (en)" in objects
    assert b"/StructTreeRoot" in objects
    assert b'pdfuaid:part="1"' in objects  # the XMP packet declares PDF/UA-1


# --- Stored history through the web (both databases) -----------------------------------------


def test_counsellor_generates_and_downloads_byte_for_byte(client, auth, db, couple, people, store):
    auth.login(people["counsellor"])
    sent = []

    def receiver(sender, **kwargs):
        sent.append((sender.id, kwargs["member"].id))

    with reports.report_generated.connected_to(receiver):
        response = auth.post(
            f"/cases/{couple.id}/reports",
            {
                "period_start": "2026-01-05",
                "period_end": "2026-03-31",
                "audience": "clinical",
                "narrative": "First report.",
            },
        )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{couple.id}/reports")
    report = db.scalar(select(Report).where(Report.case_id == couple.id))
    assert (report.audience, report.period_start, report.period_end) == ("clinical", START, END)
    assert report.generated_by_id == people["counsellor"].id
    assert sent == [(report.id, people["counsellor"].id)]
    assert report.page_count >= 2
    assert re.fullmatch(r"\d+-[0-9a-f]{24}\.pdf", report.storage_path)
    stored = (store / report.storage_path).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == report.sha256
    assert len(stored) == report.size_bytes
    generated = db.scalar(select(AuditEvent).where(AuditEvent.action == "report_generated"))
    assert generated.case_id == couple.id and "First report" not in str(generated.detail)

    listing = client.get(f"/cases/{couple.id}/reports").get_data(as_text=True)
    assert report.sha256[:12] in listing and "Clinical" in listing

    download = client.get(f"/reports/{report.id}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.get_data() == stored
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="C-0900-clinical-2026-03-31.pdf"'
    )
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "report_downloaded"))


def test_report_list_and_link_from_the_case_page(client, auth, couple, people, stored_report):
    auth.login(people["counsellor"])
    page = client.get(f"/cases/{couple.id}").get_data(as_text=True)
    assert f'href="/cases/{couple.id}/reports"' in page
    listing = client.get(f"/cases/{couple.id}/reports").get_data(as_text=True)
    assert stored_report.sha256[:12] in listing
    assert f"/reports/{stored_report.id}/download" in listing
    assert 'value="2026-01-05"' in listing  # the period defaults to the case's opening
    assert 'name="narrative"' in listing


def test_preview_is_the_report_html_under_the_csp(client, auth, db, couple, people):
    auth.login(people["counsellor"])
    response = auth.post(
        f"/cases/{couple.id}/reports/preview",
        {
            "period_start": "2026-01-05",
            "period_end": "2026-03-31",
            "audience": "client",
            "narrative": "Preview <em>me</em>",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script" not in html.lower()
    assert "C-0900" in html and "Preview &lt;em&gt;me&lt;/em&gt;" in html
    assert '<link rel="stylesheet" href="/reports/assets/report.css">' in html
    assert client.get("/reports/assets/report.css").mimetype == "text/css"
    assert db.scalar(select(func.count(Report.id))) == 0
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "report_previewed"))


@pytest.mark.parametrize("name", ["../pdf.py", "pdf.py", "templates/progress_report.html", "x.css"])
def test_asset_route_serves_only_packaged_assets(client, auth, people, name):
    auth.login(people["counsellor"])
    assert client.get(f"/reports/assets/{name}").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"period_start": "2026-03-31", "period_end": "2026-01-05"}, "end on or after"),
        ({"period_start": "not a date"}, "Not a valid date value"),
        ({"audience": "insurer"}, "Not a valid choice"),
        ({"narrative": "x" * 10_001}, "the limit is 10,000"),
    ],
)
@pytest.mark.parametrize("action", ["", "/preview"])
def test_bad_input_is_refused_with_the_form_refilled(
    client, auth, db, couple, people, data, message, action
):
    auth.login(people["counsellor"])
    form = {
        "period_start": "2026-01-05",
        "period_end": "2026-03-31",
        "audience": "client",
        "narrative": "Kept narrative text",
        **data,
    }
    response = auth.post(f"/cases/{couple.id}/reports{action}", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    if "narrative" not in data:
        assert "Kept narrative text" in page
    assert db.scalar(select(func.count(Report.id))) == 0


def test_tampered_or_missing_file_is_not_served(client, auth, db, people, stored_report, store):
    auth.login(people["counsellor"])
    (store / stored_report.storage_path).write_bytes(b"%PDF- changed")
    response = client.get(f"/reports/{stored_report.id}/download", follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "no longer matches its recorded SHA-256" in response.get_data(as_text=True)
    (store / stored_report.storage_path).unlink()
    response = client.get(f"/reports/{stored_report.id}/download", follow_redirects=True)
    assert "missing" in response.get_data(as_text=True)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "report_downloaded")) is None


def test_a_storage_path_outside_the_store_is_refused(app, db, stored_report, people):
    stored_report.storage_path = "../escape.pdf"
    db.commit()
    with app.app_context(), pytest.raises(reports.ReportError, match="not in the report store"):
        reports.read_report(stored_report, people["counsellor"])


def test_a_file_written_in_a_released_savepoint_is_removed_when_the_transaction_rolls_back(app):
    """SQLAlchemy reports a released savepoint as a commit; its files still follow the
    transaction around it."""
    removed = []

    @atomic
    def record() -> None:
        on_rollback(lambda: removed.append("file"))

    with app.app_context():
        with pytest.raises(RuntimeError), unit_of_work():
            record()
            raise RuntimeError("the unit of work fails after the savepoint was released")
        assert removed == ["file"]
        with unit_of_work():
            record()
        assert removed == ["file"]  # committed: kept


def test_a_report_rolled_back_with_its_unit_of_work_leaves_no_file(app, db, couple, store):
    """The report is recorded in a savepoint that is released; if the unit of work around it
    then rolls back, the stored file goes with the row."""
    case_id = couple.id
    with app.app_context(), pytest.raises(RuntimeError), unit_of_work():
        report = reports.generate_report(couple, START, END, "client", "", couple.counsellor)
        assert (store / report.storage_path).exists()
        raise RuntimeError("the unit of work fails after the report was recorded")
    assert db.scalar(select(func.count(Report.id)).where(Report.case_id == case_id)) == 0
    assert list(store.glob("*.pdf")) == []


def test_a_copy_that_cannot_be_written_records_nothing(app, db, couple, store, tmp_path):
    case_id = couple.id
    with app.app_context(), pytest.raises(IsADirectoryError):
        reports.generate_report(
            couple, START, END, "client", "", couple.counsellor, copy_to=tmp_path
        )
    assert db.scalar(select(func.count(Report.id)).where(Report.case_id == case_id)) == 0
    assert list(store.glob("*.pdf")) == []


# --- Access (both databases) -----------------------------------------------------------------

# (method, path template, expected status for: owner, supervisor, admin, other counsellor);
# administrators read no clinical record (without a break-glass opening): nothing is there.
ROUTES = [
    ("get", "/cases/{case}/reports", (200, 200, 404, 404)),
    ("get", "/reports/{report}/download", (200, 200, 404, 404)),
    ("post", "/cases/{case}/reports/preview", (200, 403, 404, 404)),
    ("post", "/cases/{case}/reports", (200, 403, 404, 404)),
]
ROLES = ["counsellor", "supervisor", "admin", "other"]


@pytest.mark.parametrize(("method", "path", "expected"), ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_access_by_role(client, auth, couple, people, stored_report, method, path, expected, role):
    url = path.format(case=couple.id, report=stored_report.id)
    auth.login(people[role])
    if method == "get":
        response = client.get(url)
    else:
        # An invalid period keeps the owner's request cheap (no render) while passing access.
        response = auth.post(url, {"period_start": "2026-03-31", "period_end": "2026-01-05"})
    assert response.status_code == expected[ROLES.index(role)]


@pytest.mark.parametrize(("method", "path", "_expected"), ROUTES)
def test_anonymous_is_sent_to_login(client, auth, couple, stored_report, method, path, _expected):
    url = path.format(case=couple.id, report=stored_report.id)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": auth.csrf_token("/login")})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_supervisor_sees_no_form(client, auth, couple, people):
    auth.login(people["supervisor"])
    page = client.get(f"/cases/{couple.id}/reports").get_data(as_text=True)
    assert "Generate PDF" not in page


# --- CLI -------------------------------------------------------------------------------------


@needs_pdftotext
def test_cli_report_writes_records_and_audits(
    app, sqlite_only, runner, db, couple, store, tmp_path
):
    out = tmp_path / "r.pdf"
    # The command ends its reading transaction, which expires the test's objects: keep the ids.
    case_id, counsellor_id = couple.id, couple.counsellor_id
    result = runner.invoke(
        args=["practice", "report", "C-0900", "--from", "2026-01-05", "--to", "2026-03-31",
              "--audience", "client", "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = db.scalar(select(Report).where(Report.case_id == case_id))
    assert report.audience == "client"
    assert report.generated_by_id == counsellor_id
    assert hashlib.sha256(out.read_bytes()).hexdigest() == report.sha256
    assert (store / report.storage_path).read_bytes() == out.read_bytes()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "report_generated"))
    assert event.actor_id == counsellor_id and event.remote_addr == "cli"
    assert "Page 1 of" in pdf_text(out.read_bytes(), tmp_path)


def test_cli_report_refusals_change_nothing(runner, db, couple, store, tmp_path):
    out = tmp_path / "r.pdf"
    result = runner.invoke(args=["practice", "report", "C-4040", "--out", str(out)])
    assert result.exit_code != 0 and "No case with reference C-4040" in result.output
    result = runner.invoke(
        args=["practice", "report", "C-0900", "--from", "2026-03-31", "--to", "2026-01-05",
              "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code != 0 and "end on or after" in result.output
    assert not out.exists()
    assert db.scalar(select(func.count(Report.id))) == 0


def _job(reference: str) -> batches.BatchJob:
    return batches.BatchJob(0, reference, "clinical", f"/nowhere/{reference}.pdf")


def _render_unless_broken(job: batches.BatchJob) -> str:
    if job.reference == "C-0002":
        raise reports.ReportError("rendering failed")
    return job.out_file


def test_batch_keeps_going_when_one_report_fails():
    jobs = [_job(f"C-000{i}") for i in range(1, 5)]
    seen = []
    with ThreadPoolExecutor(2) as pool:
        outcomes = batches.run_batch(jobs, _render_unless_broken, pool, on_outcome=seen.append)
    assert [o.job.reference for o in outcomes] == ["C-0001", "C-0002", "C-0003", "C-0004"]
    assert [o.ok for o in outcomes] == [True, False, True, True]
    assert outcomes[1].detail == "rendering failed"
    assert len(seen) == 4


def _seed_file_database(app) -> None:
    """Two counsellors' cases in a file database the batch's worker processes can open."""
    from practice.core.database import db

    with app.app_context():
        session = db
        members = []
        for n in (1, 2):
            account = Account(
                email=f"batch{n}@test.example", display_name=f"Batch {n}", password_hash="x"
            )
            session.add(account)
            session.flush()
            members.append(
                StaffMember(
                    user_id=str(account.id),
                    email=account.email,
                    display_name=account.display_name,
                    role=Role.COUNSELLOR,
                )
            )
        session.add_all(members)
        session.flush()
        for reference, member in (("B-0001", members[0]), ("B-0002", members[0])):
            case = Case(reference=reference, counsellor=member, opened_on=START)
            case.partners += [Partner(display_name="Kim", position=0)]
            session.add(case)
            session.flush()
            for i in range(3):
                session.add(
                    TherapySession(
                        case=case,
                        starts_at=datetime(2026, 1, 6, 15, tzinfo=UTC) + timedelta(weeks=i),
                        created_by_id=member.id,
                    )
                )
        session.add(Case(reference="B-0003", counsellor=members[1], opened_on=START))
        session.commit()


@pytest.mark.slow
def test_cli_batch_in_two_processes_reports_a_real_failure(tmp_path):
    from practice.core import migrate

    app = make_test_app(f"sqlite:///{tmp_path / 'batch.db'}", tmp_path / "instance")
    with app.app_context():
        migrate.upgrade()
    _seed_file_database(app)
    out_dir = tmp_path / "out"
    today = date.today().isoformat()
    # An honest failure: the worker cannot write B-0002's PDF where a folder stands in the way.
    (out_dir / f"B-0002-referrer-{today}.pdf").mkdir(parents=True)
    result = app.test_cli_runner().invoke(
        args=["practice", "reports", "--counsellor", "batch1@test.example", "--out-dir",
              str(out_dir), "--audience", "referrer", "--workers", "2"]
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "1 generated, 1 failed." in result.output
    assert re.search(r"Failed: B-0002: IsADirectoryError", result.output)
    assert (out_dir / f"B-0001-referrer-{today}.pdf").read_bytes().startswith(b"%PDF")
    with app.app_context():
        from practice.core.database import db

        rows = db.scalars(select(Report)).all()
        assert [r.case_id for r in rows] == [db.scalar(
            select(Case.id).where(Case.reference == "B-0001"))]  # fmt: skip
        # The failed report's row was rolled back and its stored file removed with it.
        stored = sorted(p.name for p in (tmp_path / "instance" / "reports").glob("*.pdf"))
        assert stored == [rows[0].storage_path]
        assert db.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "report_generated")
        ) == 1  # fmt: skip
