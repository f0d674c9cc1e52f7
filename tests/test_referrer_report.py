"""The referrer report: a letter of one or two pages to the case's referrer, answering their
question with attendance, the measures in plain numbers and the counsellor's recommendations.

Where its parts come from: the referrer's name, organisation and question are the case's (edited
on the case's edit form and through the API); the recommendations are entered with the report's
request and kept on the report's record.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from sqlalchemy import select

from practice.cases import operations as cases
from practice.core.integrity import load_key
from practice.models import Case, Report, ReportJob
from practice.reporting import operations as reports
from practice.reports.progress_report import build_report_html, report_context
from tests.report_text import build_case, report_words
from tests.test_cases import edit_form
from tests.test_reports import build_couple, pdf_text

pytest_plugins = ["tests.test_api_support"]

START, END = date(2026, 1, 5), date(2026, 3, 31)
REFERRAL = {
    "referrer_name": "Dr Jane Okafor",
    "referrer_organisation": "Riverside Medical Practice",
    "referral_question": "Is couples work suitable for Alex and Sam, and what else would help?",
}


@pytest.fixture
def referred(app, db, counsellor):
    """The couple of ``test_reports`` (12 sessions; Alex missed the 4th), referred."""
    case = build_couple(db, counsellor, reference="F-0001", seal_key=load_key(app))
    for name, value in REFERRAL.items():
        setattr(case, name, value)
    db.commit()
    return case


# --- Where the parts come from ---------------------------------------------------------------


def test_the_case_edit_form_records_the_referral(client, auth, db, make_case, counsellor):
    case = make_case(counsellor)
    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    assert 'name="referrer_name"' in page and 'name="referral_question"' in page
    response = auth.post(f"/cases/{case.id}/edit", edit_form(case, **REFERRAL))
    assert response.status_code == 302
    db.expire_all()
    stored = db.get(Case, case.id)
    assert {name: getattr(stored, name) for name in REFERRAL} == REFERRAL
    shown = client.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    assert 'value="Dr Jane Okafor"' in shown
    assert "Referred by Dr Jane Okafor, Riverside Medical Practice." in client.get(
        f"/cases/{case.id}"
    ).get_data(as_text=True)


def test_an_over_long_referrer_name_is_refused_with_the_form_kept(
    client, auth, db, make_case, counsellor
):
    case = make_case(counsellor)
    auth.login(counsellor)
    form = edit_form(case, referrer_name="x" * 121, referral_question="Kept as typed")
    response = auth.post(f"/cases/{case.id}/edit", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Keep this to 120 characters." in page and "Kept as typed" in page
    db.expire_all()
    assert db.get(Case, case.id).referrer_name == ""


def test_a_conflicting_edit_lists_the_referral_fields(app_context, db, make_case, counsellor):
    case = make_case(counsellor)
    saved = cases.editable_values(case)
    mine = cases.CaseEdit(**{**vars(saved), "referrer_name": "Dr Okafor"})
    assert cases.differences(saved, mine) == [("Referred by", "", "Dr Okafor")]


def test_the_api_reads_and_edits_the_referral(db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/cases/{practice.case.id}"
    version = api.get(path).get_json()["version"]
    response = api.patch(path, json={"version": version, **REFERRAL})
    assert response.status_code == 200
    body = response.get_json()
    assert {name: body[name] for name in REFERRAL} == REFERRAL
    # Fields left out keep their values.
    version = body["version"]
    body = api.patch(path, json={"version": version, "goals": "Repair."}).get_json()
    assert body["referrer_name"] == "Dr Jane Okafor"
    refused = api.patch(path, json={"version": body["version"], "referrer_name": "x" * 121})
    assert refused.status_code == 422


def test_recommendations_are_entered_with_the_request_and_kept_on_the_report(
    client, auth, db, referred, counsellor, tmp_path, monkeypatch, app
):
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(tmp_path / "store"))
    auth.login(counsellor)
    form = client.get(f"/cases/{referred.id}/reports").get_data(as_text=True)
    assert 'name="recommendations"' in form
    for audience in ("referrer", "client"):
        response = auth.post(
            f"/cases/{referred.id}/reports",
            {
                "period_start": "2026-01-05",
                "period_end": "2026-03-31",
                "audience": audience,
                "narrative": "",
                "recommendations": "Continue fortnightly; review in June.",
            },
        )
        assert response.status_code == 302
    kept = dict(db.execute(select(Report.audience, Report.recommendations)).all())
    # Written for the referrer: the clients' report neither prints nor keeps them.
    assert kept == {"referrer": "Continue fortnightly; review in June.", "client": ""}
    # The job that carried them keeps no second copy once its report is made.
    db.expire_all()
    jobs = list(db.scalars(select(ReportJob)))
    assert len(jobs) == 2 and not any(job.parameters.get("recommendations") for job in jobs)


def test_the_api_takes_the_recommendations_with_the_request(
    db, practice, api_as, app, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(tmp_path / "store"))
    api = api_as(practice.counsellor)
    response = api.post(
        f"/cases/{practice.case.id}/reports",
        json={"audience": "referrer", "recommendations": "Refer on for sleep support."},
    )
    assert response.status_code == 201
    report = db.get(Report, response.get_json()["id"])
    assert report.recommendations == "Refer on for sleep support."
    too_long = api.post(
        f"/cases/{practice.case.id}/reports",
        json={"audience": "referrer", "recommendations": "x" * 10_001},
    )
    assert too_long.status_code == 422


# --- What the letter says --------------------------------------------------------------------


def test_the_letter_is_addressed_and_answers_the_question_with_attendance(app, referred):
    with app.app_context():
        context = report_context(
            referred,
            START,
            END,
            "referrer",
            "",
            referred.counsellor,
            recommendations="Continue for three months.",
        )
        text = report_words(build_report_html(context))
    # 12 sessions; the 4th (27 Jan) without Alex: 11 with both, Alex 11, Sam 12.
    assert context["attendance"]["sessions"] == 12
    assert context["attendance"]["everyone"] == 11
    assert [(p["name"], p["attended"]) for p in context["attendance"]["by_person"]] == [
        ("Alex", 11),
        ("Sam", 12),
    ]
    assert "To Dr Jane Okafor Riverside Medical Practice" in text
    assert REFERRAL["referral_question"] in text
    assert "12 sessions between 06 Jan 2026 and 24 Mar 2026, 11 with everyone present." in text
    assert "Alex attended 11; Sam attended 12." in text
    assert "Recommendations Continue for three months." in text
    # No consent to a referrer: no score of either partner (Alex 9 → 15, Sam 11 → 12).
    assert "Kept private: Alex has not consented" in text
    assert "Kept private: Sam has not consented" in text
    assert context["charts"] == [] and "NOTEMARK" not in text


def test_a_referral_without_a_recorded_referrer_says_so(app, db, counsellor):
    case = build_case(db, counsellor, reference="F-0002")
    with app.app_context():
        text = report_words(
            build_report_html(report_context(case, START, END, "referrer", "", counsellor))
        )
    assert "The referrer (not recorded on the case)" in text
    assert "No referral question is recorded on the case." in text
    assert "No recommendations at this stage." in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")
def test_the_letter_fits_two_pages_for_a_long_history(app, db, counsellor, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("PDF layout is checked on SQLite")
    # Eighty weekly sessions, CSI-4 every fourth, long referral fields and texts.
    totals = [8 + (i // 4) % 10 if i % 4 == 0 else None for i in range(80)]
    case = build_case(
        db,
        counsellor,
        reference="F-0003",
        sessions=80,
        csi4={"Alex": totals, "Sam": list(reversed(totals))},
    )
    case.referrer_name = "Dr " + "Okafor-" * 16
    case.referrer_organisation = "Riverside " * 15
    case.referral_question = "Please advise on the couple's arguments and sleep. " * 12
    case.goals = "Repair after arguments without a shutdown. " * 8
    db.commit()
    with app.app_context():
        for partner in case.partners:
            from practice.measures import operations as measures

            measures.give_score_consent(case, partner.id, "referrer", START, counsellor)
        db.commit()
        rendered = reports.render_report(
            case,
            START,
            date(2027, 12, 31),
            "referrer",
            "They have worked steadily on the pattern. " * 15,
            counsellor,
            recommendations="Continue fortnightly; review with the couple in three months. " * 6,
        )
    # WeasyPrint's own count of the document's pages.
    assert 1 <= rendered.page_count <= 2
    text = pdf_text(rendered.data, tmp_path)
    assert f"Page {rendered.page_count} of {rendered.page_count}" in text
    assert "80 sessions between" in text
