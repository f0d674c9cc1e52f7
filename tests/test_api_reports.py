"""API: progress reports (generate → JSON record, download → the stored PDF) and the caseload."""

import hashlib

from sqlalchemy import select

from practice.models import Report
from tests.test_api_support import audit_actions

pytest_plugins = ["tests.test_api_support"]


def test_a_report_is_generated_listed_read_and_downloaded(db, practice, api_as):
    api = api_as(practice.counsellor)
    response = api.post(
        f"/cases/{practice.case.id}/reports",
        json={
            "audience": "client",
            "period_start": "2026-01-05",
            "period_end": "2026-03-01",
            "narrative": "Good progress.",
        },
    )
    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    assert (record["audience"], record["period_start"]) == ("client", "2026-01-05")
    assert record["page_count"] >= 1 and len(record["sha256"]) == 64
    assert response.headers["Location"] == f"/api/v1/reports/{record['id']}"

    listed = api_as(practice.supervisor).get(f"/cases/{practice.case.id}/reports").get_json()
    assert [r["id"] for r in listed["items"]] == [record["id"]]
    assert api_as(practice.supervisor).get(f"/reports/{record['id']}").get_json() == record

    download = api_as(practice.supervisor).get(f"/reports/{record['id']}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF")
    assert hashlib.sha256(download.data).hexdigest() == record["sha256"]
    assert "attachment" in download.headers["Content-Disposition"]
    actions = audit_actions(db, case_id=practice.case.id)
    assert {"report_generated", "api_reports_listed", "report_downloaded"} <= set(actions)


def test_report_requests_refused(db, practice, api_as):
    api = api_as(practice.counsellor)
    path = f"/cases/{practice.case.id}/reports"
    backwards = api.post(
        path,
        json={"audience": "clinical", "period_start": "2026-03-01", "period_end": "2026-01-01"},
    )
    assert backwards.status_code == 409
    assert api.post(path, json={"audience": "everyone"}).status_code == 422
    assert api_as(practice.supervisor).post(path, json={"audience": "clinical"}).status_code == 403
    assert api_as(practice.other).post(path, json={"audience": "clinical"}).status_code == 404
    assert db.scalar(select(Report.id)) is None


def test_reports_of_another_counsellor_are_not_found(practice, api_as):
    api = api_as(practice.other)
    assert api.get(f"/cases/{practice.case.id}/reports").status_code == 404
    assert api.get("/reports/1").status_code == 404
    assert api.get("/reports/1/download").status_code == 404


def test_the_supervisor_reads_the_caseload_with_its_flags(db, practice, api_as):
    response = api_as(practice.supervisor).get("/caseload")
    assert response.status_code == 200
    body = response.get_json()
    assert [line["reference"] for line in body["items"]] == [practice.case.reference]
    line = body["items"][0]
    assert line["counsellor_id"] == practice.counsellor.id
    assert line["session_count"] == 2
    assert line["unsigned"] == 2
    assert line["trend"]["label"] == "not enough sessions"
    assert line["csi4"] == [
        {
            "partner_number": 1,
            "total": 12,
            "baseline": 12,
            "best": 12,
            "change": 0,
            "category": "baseline_only",
            "category_label": "Baseline only",
            "slide": False,
            "readings": 1,
        }
    ]
    kinds = {flag["kind"] for flag in line["flags"]}
    assert "unsigned_note" in kinds
    assert line["severity"] == "attention"
    for flag in line["flags"]:
        assert flag["reason"] and flag["label"] and flag["severity"] in ("attention", "info")
        assert flag["since"] >= practice.case.opened_on.isoformat()
    assert "api_caseload_read" in audit_actions(db, actor_id=practice.supervisor.id)


def test_the_caseload_filters_and_pages(db, practice, api_as):
    # The supervisor of both counsellors; an administrator reads no caseload (least privilege).
    practice.other.supervisor_id = practice.supervisor.id
    db.commit()
    assert api_as(practice.admin).get("/caseload").status_code == 403
    api = api_as(practice.supervisor)
    everyone = api.get("/caseload").get_json()
    assert everyone["total"] == 2
    assert api.get("/caseload?per_page=1&page=2").get_json()["items"][0]["case_id"] in (
        practice.case.id,
        practice.other_case.id,
    )
    only = api.get(f"/caseload?counsellor={practice.other.id}").get_json()
    assert [line["case_id"] for line in only["items"]] == [practice.other_case.id]
    assert api.get("/caseload?flag=nonsense").status_code == 422


def test_counsellors_have_no_caseload_view(practice, api_as):
    response = api_as(practice.counsellor).get("/caseload")
    assert response.status_code == 403


def test_reports_made_in_the_request_are_limited_per_member_with_429(app, db, practice, api_as):
    app.config["PRACTICE_REPORT_JOBS_PER_USER"] = 2
    api = api_as(practice.counsellor)
    path = f"/cases/{practice.case.id}/reports"
    request = {"audience": "clinical", "period_start": "2026-01-05", "period_end": "2026-03-01"}
    assert [api.post(path, json=request).status_code for _ in range(2)] == [201, 201]
    refused = api.post(path, json=request)
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "too_many_requests" and "in the last minute" in error["message"]
    assert len(db.scalars(select(Report.id)).all()) == 2
    # The limit is the member's, not the token's: a new token is held back too.
    assert api_as(practice.counsellor).post(path, json=request).status_code == 429
