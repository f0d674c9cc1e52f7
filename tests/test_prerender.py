"""The default report, prepared before it is asked for, and never a blank wait for it.

Signing a note (or adding an addendum) records a job on the report queue (immediate in the
tests: it runs as the request ends) that renders the case's default report, stored with the
digest of its inputs. Asking for it serves the stored bytes while the digest still matches,
without rendering; when it does not, the API answers 202 with a place to poll and the Reports
tab shows it being prepared.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from practice.cases import operations as case_operations
from practice.core.signals import case_record_changed
from practice.models import MomentType, Report
from practice.reporting import job_limits, job_progress, jobs, operations, prerender, queue
from practice.reporting.models import JobStatus, ReportJob
from tests.conftest import PASSWORD
from tests.test_api_support import audit_actions

pytest_plugins = ["tests.test_api_support"]


@pytest.fixture
def prerendering(app, tmp_path, monkeypatch):
    """Default reports prepared on signing, into a report store of the test's own."""
    monkeypatch.setitem(app.config, "PRACTICE_PRERENDER_REPORTS", True)
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(tmp_path / "store"))


@pytest.fixture
def renders(monkeypatch) -> list[int]:
    """Counts the PDFs drawn (each call of the renderer appends its HTML's length)."""
    calls: list[int] = []
    real = operations.render_pdf

    def counting(html: str):
        calls.append(len(html))
        return real(html)

    monkeypatch.setattr(operations, "render_pdf", counting)
    return calls


def _sign(api, session_id: int) -> None:
    response = api.post(f"/sessions/{session_id}/sign", json={"password": PASSWORD})
    assert response.status_code == 200, response.get_json()


def _default(api, case_id: int):
    return api.get(f"/cases/{case_id}/reports/default")


def _default_reports(db, case_id: int) -> list[Report]:
    query = select(Report).where(Report.case_id == case_id, Report.inputs_digest.is_not(None))
    return list(db.scalars(query.order_by(Report.id)))


def test_signing_prepares_the_report_and_asking_serves_the_stored_bytes(
    db, practice, api_as, prerendering, renders
):
    api = api_as(practice.counsellor)
    _sign(api, practice.session.id)
    # The job ran as the signing request ended: one render, stored with its digest.
    assert len(renders) == 1
    (stored,) = _default_reports(db, practice.case.id)
    assert stored.audience == "clinical" and stored.generated_by_id == practice.counsellor.id
    assert (stored.period_start, stored.narrative) == (practice.case.opened_on, "")
    job = db.scalar(select(ReportJob).order_by(ReportJob.id.desc()))
    assert job_limits.is_default_job(job) and job.status == JobStatus.FINISHED

    for _ in range(2):
        response = _default(api, practice.case.id)
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert hashlib.sha256(response.data).hexdigest() == stored.sha256
        assert response.headers["Content-Location"].endswith(f"/reports/{stored.id}")
    assert len(renders) == 1  # served, never rendered again
    actions = audit_actions(db, case_id=practice.case.id)
    assert {"report_job_started", "report_generated"} <= set(actions)
    assert actions.count("report_downloaded") == 2


def test_unchanged_inputs_are_never_rendered_twice(
    app, db, practice, api_as, prerendering, renders
):
    api = api_as(practice.counsellor)
    _sign(api, practice.session.id)
    assert len(renders) == 1
    # Another preparation of the same inputs (a second signal, a page asking) renders nothing.
    with app.test_request_context():
        job, new = jobs.start_default_report(practice.case, practice.counsellor)
        assert new
        job_id = job.id
        db.commit()
        queue.enqueue(job_id)
    assert len(renders) == 1
    assert db.get(ReportJob, job_id, populate_existing=True).done == 1
    assert len(_default_reports(db, practice.case.id)) == 1
    assert _default(api, practice.case.id).status_code == 200
    assert len(renders) == 1


def test_an_addendum_makes_the_stored_copy_stale(
    app, db, client, auth, practice, api_as, prerendering, renders, monkeypatch
):
    api = api_as(practice.counsellor)
    _sign(api, practice.session.id)
    (first,) = _default_reports(db, practice.case.id)

    # An addendum made while nothing prepares the report: the stored copy is stale.
    monkeypatch.setitem(app.config, "PRACTICE_PRERENDER_REPORTS", False)
    auth.login(practice.counsellor)
    added = auth.post(f"/sessions/{practice.session.id}/addenda", {"text": "Called after."})
    assert added.status_code == 302
    assert len(renders) == 1
    pending = _default(api, practice.case.id)
    assert pending.status_code == 202
    assert pending.headers["Location"].endswith(f"/cases/{practice.case.id}/reports/default")
    assert int(pending.headers["Retry-After"]) > 0
    assert pending.get_json()["status"] == "preparing"
    assert "api_default_report_pending" in audit_actions(db, case_id=practice.case.id)
    # The job ran once the 202 was answered; asking again serves the new copy.
    assert len(renders) == 2
    ready = _default(api, practice.case.id)
    assert ready.status_code == 200
    assert hashlib.sha256(ready.data).hexdigest() != first.sha256

    # With preparing on, an addendum renders on the queue and asking renders nothing.
    monkeypatch.setitem(app.config, "PRACTICE_PRERENDER_REPORTS", True)
    auth.post(f"/sessions/{practice.session.id}/addenda", {"text": "A second thought."})
    assert len(renders) == 3
    latest = _default_reports(db, practice.case.id)[-1]
    served = _default(api, practice.case.id)
    assert hashlib.sha256(served.data).hexdigest() == latest.sha256
    assert len(renders) == 3


def test_only_those_who_see_the_case_get_its_default_report(
    db, client, practice, api_as, prerendering, renders
):
    _sign(api_as(practice.counsellor), practice.session.id)
    assert _default(api_as(practice.other), practice.case.id).status_code == 404
    assert client.get(f"/api/v1/cases/{practice.case.id}/reports/default").status_code == 401
    assert _default(api_as(practice.supervisor), practice.case.id).status_code == 200
    assert len(renders) == 1
    # The other counsellor's attempt started nothing.
    assert db.scalar(select(func.count(ReportJob.id))) == 1


def test_a_draft_moment_or_a_disabled_setting_prepares_nothing(db, practice, api_as, renders):
    # PRACTICE_PRERENDER_REPORTS is off in the tests unless a test turns it on.
    _sign(api_as(practice.counsellor), practice.session.id)
    assert renders == []
    assert db.scalar(select(func.count(ReportJob.id))) == 0


def test_the_reports_tab_shows_the_report_being_prepared_then_ready(
    app, db, client, auth, practice, api_as, prerendering, renders, monkeypatch
):
    # The queue does not run the job yet: the report is waiting to be prepared.
    enqueue_after_request = queue.enqueue_after_request
    monkeypatch.setattr(prerender.queue, "enqueue_after_request", lambda *_args: None)
    _sign(api_as(practice.counsellor), practice.session.id)
    job = db.scalar(select(ReportJob))
    assert job.status == JobStatus.QUEUED

    auth.login(practice.counsellor)
    page = client.get(f"/cases/{practice.case.id}/reports").get_data(as_text=True)
    assert "Being prepared…" in page
    assert f'data-status-url="/jobs/{job.id}.json"' in page
    assert "js/report_jobs.js" in page
    # Asking for it does not wait: back to the tab, which polls the job's progress.
    asked = client.get(f"/cases/{practice.case.id}/reports/latest")
    assert asked.status_code == 302 and asked.headers["Location"].endswith("/reports")
    assert client.get(f"/jobs/{job.id}.json").get_json()["active"] is True
    # Whoever sees the case follows the job; the other counsellor does not.
    with app.test_request_context():
        assert job_progress.job_for_viewer(practice.supervisor, job.id) is not None
        assert job_progress.job_for_viewer(practice.other, job.id) is None
    assert renders == []
    # Still one job: asking again reuses the one waiting.
    assert db.scalar(select(func.count(ReportJob.id))) == 1

    monkeypatch.setattr(prerender.queue, "enqueue_after_request", enqueue_after_request)
    with app.test_request_context():
        queue.enqueue(job.id)
    assert len(renders) == 1
    page = client.get(f"/cases/{practice.case.id}/reports").get_data(as_text=True)
    assert "Download the latest clinical report" in page and "Being prepared" not in page
    download = client.get(f"/cases/{practice.case.id}/reports/latest")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert len(renders) == 1


def test_prepared_reports_do_not_count_against_the_members_limit(
    app, practice, api_as, prerendering, renders, monkeypatch
):
    api = api_as(practice.counsellor)
    _sign(api, practice.session.id)
    assert len(renders) == 1
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_JOBS_PER_USER", 1)
    # A report of a period of its own still renders in the request, as before.
    made = api.post(f"/cases/{practice.case.id}/reports", json={"audience": "client"})
    assert made.status_code == 201
    assert len(renders) == 2


def _tag(db, api, session_id: int, minute: int):
    type_id = db.scalar(select(MomentType.id).where(MomentType.key == "withdraw"))
    body = {"moment_type_id": type_id, "minute": minute, "intensity": 2}
    response = api.post(f"/sessions/{session_id}/moments", json=body)
    assert response.status_code == 201, response.get_json()


def test_a_burst_of_draft_changes_shares_one_later_job_and_signing_does_not_wait(
    app, db, practice, api_as, prerendering, renders, monkeypatch
):
    api = api_as(practice.counsellor)
    # The queue holds a later job as scheduled (the tests' immediate queue never runs it).
    monkeypatch.setattr(prerender.queue, "is_immediate", lambda: False)
    # Tagging live at a draft: one job for the burst, held by the queue to run later.
    for minute in (5, 6, 7):
        _tag(db, api, practice.session.id, minute)
    (delayed,) = db.scalars(select(ReportJob)).all()
    assert delayed.parameters["delayed"] is True and delayed.status == JobStatus.QUEUED
    assert renders == []
    # Signing prepares it at once, in a job of its own.
    _sign(api, practice.session.id)
    assert len(renders) == 1
    assert _default(api, practice.case.id).status_code == 200
    # The delayed job, when it runs, finds the inputs unchanged and renders nothing.
    with app.test_request_context():
        queue.enqueue(delayed.id)
    assert db.get(ReportJob, delayed.id, populate_existing=True).status == JobStatus.FINISHED
    assert len(renders) == 1


def test_with_an_immediate_queue_a_draft_change_prepares_nothing(
    db, practice, api_as, prerendering, renders
):
    _tag(db, api_as(practice.counsellor), practice.session.id, 5)
    assert renders == []
    assert db.scalar(select(func.count(ReportJob.id))) == 0


def test_the_day_after_the_stored_copy_is_not_served_and_a_fresh_one_is(
    db, practice, api_as, prerendering, renders, monkeypatch
):
    api = api_as(practice.counsellor)
    _sign(api, practice.session.id)
    (yesterdays,) = _default_reports(db, practice.case.id)
    today = operations.report_today()
    assert yesterdays.period_end == today
    assert _default(api, practice.case.id).status_code == 200

    # Past midnight the default period ends a day later: the stored copy no longer matches.
    monkeypatch.setattr(operations, "report_today", lambda: today + timedelta(days=1))
    pending = _default(api, practice.case.id)
    assert pending.status_code == 202
    # The job ran once the 202 was answered; asking again serves the new day's copy.
    assert len(renders) == 2
    fresh = _default_reports(db, practice.case.id)[-1]
    assert fresh.period_end == today + timedelta(days=1)
    served = _default(api, practice.case.id)
    assert served.status_code == 200
    assert hashlib.sha256(served.data).hexdigest() == fresh.sha256 != yesterdays.sha256
    assert len(renders) == 2


def _edit_form(case, **overrides) -> dict:
    data = {
        "presenting_concerns": case.presenting_concerns,
        "goals": case.goals,
        "eft_stage": "" if case.eft_stage is None else str(case.eft_stage),
        "version": str(case.version),
    }
    for i, partner in enumerate(case.partners):
        data[f"partners-{i}-partner_id"] = str(partner.id)
        data[f"partners-{i}-display_name"] = partner.display_name
        data[f"partners-{i}-pronouns"] = partner.pronouns or ""
        data[f"partners-{i}-cycle_role"] = partner.cycle_role
    data.update(overrides)
    return data


def test_an_edit_of_the_case_prepares_the_report_again(
    db, auth, practice, api_as, prerendering, renders
):
    api = api_as(practice.counsellor)
    _sign(api, practice.session.id)
    (before,) = _default_reports(db, practice.case.id)

    auth.login(practice.counsellor)
    # Saving the form unchanged changes nothing, and prepares nothing.
    assert auth.post(f"/cases/{practice.case.id}/edit", _edit_form(practice.case)).status_code
    assert len(renders) == 1
    db.expire_all()
    edited = auth.post(
        f"/cases/{practice.case.id}/edit",
        _edit_form(practice.case, goals="Soften the start-up on Sundays"),
    )
    assert edited.status_code == 302
    # The goals show in the report: the job ran as the edit's request ended.
    assert len(renders) == 2
    after = _default_reports(db, practice.case.id)[-1]
    assert after.inputs_digest != before.inputs_digest
    served = _default(api, practice.case.id)
    assert hashlib.sha256(served.data).hexdigest() == after.sha256
    assert len(renders) == 2


def test_case_record_operations_send_the_signal(app, db, practice):
    sent: list[str] = []

    def receiver(case, what=None, **_extra):
        sent.append(what)

    with case_record_changed.connected_to(receiver), app.test_request_context():
        case = practice.case
        values = case_operations.editable_values(case)
        case_operations.update_case(case, values, case.version)  # nothing changed: no signal
        changed = replace(values, goals="New goals")
        case_operations.update_case(case, changed, case.version)
        case_operations.change_status(case, "pause", "Travelling")
    assert sent == ["case", "status"]
