"""Report jobs: batches of progress reports on the report queue (Huey), embedded and on Redis.

Most tests run the queue in immediate mode (the suite's default: a job runs as the request
that records it ends) or on a SQLite queue file that the test drains itself, deterministically.
The live tests run real consumers on real databases: the web process's thread, and
``flask practice worker`` processes on the SQLite queue file and on the machine's Redis.

The Redis tests use database 13 of redis://127.0.0.1:6379 (``TEST_REDIS_URL``), each under a
queue name of its own whose keys it removes afterwards, so that suites running side by side
never share a queue; they skip when Redis is unreachable, and fail instead under ``CI=true``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from huey.exceptions import RetryTask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from practice.accounts.passwords import hash_password
from practice.core import migrate
from practice.core.database import utcnow
from practice.models import (
    Account,
    AuditEvent,
    Case,
    CaseStatus,
    CycleRole,
    JobStatus,
    Partner,
    Report,
    ReportJob,
    Role,
    StaffMember,
)
from practice.reporting import batches, job_limits, jobs, operations, queue
from tests.conftest import BACKENDS, PASSWORD, make_test_app
from tests.databases import fresh_database, on_ci

REPO = Path(__file__).resolve().parent.parent
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
# Enough cases (about half a second each) that the worker is still busy when killed.
CASES_FOR_KILL = 8
HANDED_BACK = "The worker stopped; the batch was handed back to the queue."
GAVE_UP = "The worker stopped; the queue gave up on it; start a new batch for the rest."


def _reports_of(db, case) -> int:
    return db.scalar(select(func.count(Report.id)).where(Report.case_id == case.id))


def _latest_job(db) -> ReportJob:
    db.expire_all()
    return db.scalars(select(ReportJob).order_by(ReportJob.id.desc())).first()


@contextmanager
def _queue_config(app, monkeypatch, **config) -> Iterator[None]:
    """The app's report queue rebuilt with ``config`` for the block, and after it."""
    for key, value in config.items():
        monkeypatch.setitem(app.config, key, value)
    app.extensions.pop(queue._EXTENSION_KEY, None)
    try:
        yield
    finally:
        app.extensions.pop(queue._EXTENSION_KEY, None)


class Drained:
    """A real queue on a SQLite file that nothing consumes until the test says so."""

    def __init__(self, app) -> None:
        self.app = app

    def huey(self):
        with self.app.app_context():
            return queue.report_queue().huey

    def run(self) -> list[str]:
        """Run the worker once, as ``flask practice worker --burst`` does; returns its output."""
        said: list[str] = []
        with self.app.app_context():
            queue.run_worker(burst=True, echo=said.append)
        return said

    def held(self) -> set[str]:
        huey = self.huey()
        return {task.id for task in [*huey.pending(), *huey.scheduled()]}


@pytest.fixture
def queued(app, tmp_path, monkeypatch) -> Iterator[Drained]:
    config = {
        "PRACTICE_REPORT_QUEUE_IMMEDIATE": False,
        "PRACTICE_REPORT_QUEUE_FILE": str(tmp_path / "queue.db"),
        "PRACTICE_REPORT_WORKER_THREAD": False,
        "PRACTICE_REDIS_URL": None,
    }
    with _queue_config(app, monkeypatch, **config):
        yield Drained(app)


def _as_if_stopped(db, job: ReportJob, ago: timedelta = timedelta(minutes=3)) -> None:
    """As if the job's runner had stopped ``ago``: running, heartbeat that old, ticket gone."""
    job.status = JobStatus.RUNNING
    job.heartbeat_at = utcnow() - ago
    job.queue_job_id = "a-task-of-a-worker-that-died"
    job.finished_at = None
    db.commit()


# --- Batches, run as the request that records them ends (immediate mode) ---------------------


def test_a_batch_of_two_cases_completes(client, auth, db, counsellor, make_case, make_staff):
    first, second = make_case(counsellor), make_case(counsellor)
    make_case(counsellor, status=CaseStatus.PAUSED)
    other = make_case(make_staff(Role.COUNSELLOR))
    auth.login(counsellor)
    response = auth.post("/jobs", {"audience": "referrer"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/jobs")
    job = _latest_job(db)
    assert (job.status, job.total, job.done, job.failed) == (JobStatus.FINISHED, 2, 2, 0)
    assert job.finished_at is not None and job.error is None and job.attempts == 1
    assert job.parameters["case_ids"] == [first.id, second.id]
    assert (_reports_of(db, first), _reports_of(db, second), _reports_of(db, other)) == (1, 1, 0)
    report = db.scalars(select(Report).where(Report.case_id == first.id)).one()
    assert (report.audience, report.generated_by_id) == ("referrer", counsellor.id)

    page = client.get("/jobs").get_data(as_text=True)
    assert f"#{job.id}" in page
    assert "2 of 2 generated" in page and "✓ Finished" in page
    assert 'value="2"' in page and "Referrer, whole case" in page
    status = client.get(f"/jobs/{job.id}.json").get_json()
    assert status["status"] == "finished" and status["active"] is False
    assert (status["done"], status["total"], status["failed"], status["percent"]) == (2, 2, 0, 100)


def test_a_batch_whose_worker_stopped_is_handed_back_when_the_page_opens(
    client, auth, db, counsellor, make_case
):
    first, second = make_case(counsellor), make_case(counsellor)
    auth.login(counsellor)
    auth.post("/jobs", {"audience": "client"})
    job = _latest_job(db)
    # As if the worker had stopped after the first report, three minutes ago.
    job.done = 1
    db.delete(db.scalars(select(Report).where(Report.case_id == second.id)).one())
    _as_if_stopped(db, job)

    page = client.get("/jobs").get_data(as_text=True)
    assert HANDED_BACK in page  # handed over in the request; run once it has committed

    job = _latest_job(db)
    assert (job.status, job.done, job.failed, job.attempts) == (JobStatus.FINISHED, 2, 0, 2)
    assert job.error == HANDED_BACK
    assert job.queue_job_id != "a-task-of-a-worker-that-died"
    assert (_reports_of(db, first), _reports_of(db, second)) == (1, 1)  # none made twice
    assert "2 of 2 generated" in client.get("/jobs").get_data(as_text=True)


def test_a_running_batch_with_a_recent_heartbeat_is_left_alone(client, auth, db, counsellor):
    job = ReportJob(
        created_by_id=counsellor.id, status=JobStatus.RUNNING, total=1, attempts=1,
        parameters={"audience": "client", "case_ids": [], "references": []},
        queue_job_id="a-living-worker", heartbeat_at=utcnow() - timedelta(seconds=30),
    )  # fmt: skip
    db.add(job)
    db.commit()
    auth.login(counsellor)
    client.get("/jobs")
    db.expire_all()
    job = db.get(ReportJob, job.id)
    assert (job.status, job.queue_job_id, job.error) == (JobStatus.RUNNING, "a-living-worker", None)


def test_stale_means_silent_for_two_minutes_running_or_one_minute_queued(
    app_context, db, counsellor
):
    now = utcnow()

    def job(status, silent_for):
        row = ReportJob(
            created_by_id=counsellor.id, status=status, total=1, parameters={},
            heartbeat_at=now - silent_for,
        )  # fmt: skip
        db.add(row)
        return row

    stale = [
        job(JobStatus.RUNNING, timedelta(minutes=2, seconds=5)),
        job(JobStatus.QUEUED, timedelta(seconds=65)),
    ]
    job(JobStatus.RUNNING, timedelta(seconds=90))
    job(JobStatus.QUEUED, timedelta(seconds=30))
    job(JobStatus.FINISHED, timedelta(days=1))
    job(JobStatus.FAILED, timedelta(days=1))
    db.commit()
    assert [row.id for row in jobs.stale_jobs(now)] == [row.id for row in stale]


def test_the_json_shows_progress_of_a_running_job(client, auth, db, counsellor):
    job = ReportJob(
        created_by_id=counsellor.id, status=JobStatus.RUNNING, total=4, done=1, failed=1,
        error="T-0001: The case no longer exists.", heartbeat_at=utcnow(),
        parameters={"audience": "client", "from": "2026-02-01", "to": None, "case_ids": []},
    )  # fmt: skip
    db.add(job)
    db.commit()
    auth.login(counsellor)
    status = client.get(f"/jobs/{job.id}.json").get_json()
    assert status["active"] is True and status["status_label"] == "▶ Running"
    assert (status["handled"], status["percent"]) == (2, 50)
    assert status["failures"] == ["T-0001: The case no longer exists."]
    page = client.get("/jobs").get_data(as_text=True)
    assert 'data-active="true"' in page and "1 of 4 generated" in page and "1 failed" in page
    assert "Client, 01 Feb 2026 to today" in page
    assert "T-0001: The case no longer exists." in page


def test_a_failing_report_shows_its_reason_and_the_others_go_on(
    client, auth, db, counsellor, make_case
):
    early = make_case(counsellor, opened_on=date(2026, 1, 5))
    late = make_case(counsellor, opened_on=date(2026, 6, 1))
    auth.login(counsellor)
    auth.post("/jobs", {"audience": "clinical", "period_end": "2026-03-31"})
    job = _latest_job(db)
    assert (job.status, job.done, job.failed) == (JobStatus.FINISHED, 1, 1)
    assert (_reports_of(db, early), _reports_of(db, late)) == (1, 0)
    reason = f"{late.reference}: The period ends on 31 Mar 2026, before it starts (01 Jun 2026"
    assert job.error.startswith(reason)
    page = client.get("/jobs").get_data(as_text=True)
    assert "✓ Finished, with failures" in page and reason in page
    assert client.get(f"/jobs/{job.id}.json").get_json()["failures"][0].startswith(reason)


def test_a_job_whose_every_report_fails_is_failed(client, auth, db, counsellor, make_case):
    make_case(counsellor, opened_on=date(2026, 6, 1))
    auth.login(counsellor)
    auth.post("/jobs", {"audience": "clinical", "period_end": "2026-03-31"})
    job = _latest_job(db)
    assert (job.status, job.done, job.failed) == (JobStatus.FAILED, 0, 1)
    assert "✗ Failed" in client.get("/jobs").get_data(as_text=True)


def test_an_unexpected_error_is_counted_without_its_message(
    client, auth, db, counsellor, case, monkeypatch
):
    def boom(*args, **kwargs):
        raise RuntimeError("Partner said something private")

    monkeypatch.setattr(operations, "render_report", boom)
    auth.login(counsellor)
    auth.post("/jobs", {"audience": "clinical"})
    job = _latest_job(db)
    assert job.failed == 1
    assert job.error == f"{case.reference}: unexpected error (RuntimeError); see the worker's log."


def test_a_supervisor_batch_covers_their_supervisees_cases(
    client, auth, db, supervisor, counsellor, make_case, make_staff
):
    theirs = make_case(counsellor)
    make_case(make_staff(Role.COUNSELLOR))
    auth.login(supervisor)
    assert "<strong>1 case</strong>" in client.get("/jobs").get_data(as_text=True)
    auth.post("/jobs", {"audience": "clinical"})
    job = _latest_job(db)
    assert job.parameters["case_ids"] == [theirs.id] and job.done == 1
    # Generated as the case's counsellor, as the CLI batch does; the starter is audited.
    report = db.scalars(select(Report).where(Report.case_id == theirs.id)).one()
    assert report.generated_by_id == counsellor.id
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "report_job_started")).one()
    assert event.actor_id == supervisor.id
    assert event.detail == {
        "job_id": job.id, "cases": 1, "audience": "clinical", "from": None, "to": None
    }  # fmt: skip


def test_an_admin_starts_no_batch(client, auth, db, counsellor, make_case, make_staff):
    """Least privilege: administrators read no clinical record, so they make no reports."""
    make_case(counsellor)
    admin = make_staff(Role.ADMIN)
    auth.login(admin)
    response = auth.post("/jobs", {"audience": "client"})
    assert "Administrators do not generate clinical reports." in response.get_data(as_text=True)
    assert _latest_job(db) is None


# --- Running, counting, taking over ------------------------------------------------------------


def _job_of(db, counsellor, cases, **fields) -> ReportJob:
    job = ReportJob(
        created_by_id=counsellor.id,
        total=len(cases),
        parameters={"audience": "client", "from": None, "to": None,
                    "case_ids": [c.id for c in cases], "references": [c.reference for c in cases]},
        **{"status": JobStatus.QUEUED, "queue_job_id": "ticket-1", "heartbeat_at": utcnow(),
           **fields},
    )  # fmt: skip
    db.add(job)
    db.commit()
    return job


def test_resuming_skips_the_cases_already_counted(app_context, db, counsellor, make_case):
    first, second = make_case(counsellor), make_case(counsellor)
    job = _job_of(db, counsellor, [first, second], status=JobStatus.RUNNING, done=1, attempts=1)
    batches.run_report_job(job.id, "ticket-1")
    db.expire_all()
    job = db.get(ReportJob, job.id)
    assert (_reports_of(db, first), _reports_of(db, second)) == (0, 1)
    assert (job.done, job.status, job.attempts) == (2, JobStatus.FINISHED, 2)


def test_a_task_whose_ticket_is_not_the_jobs_leaves_it_alone(app_context, db, counsellor, case):
    job = _job_of(db, counsellor, [case])
    assert batches.run_report_job(job.id, "a-duplicate-task") is None
    db.expire_all()
    job = db.get(ReportJob, job.id)
    assert (job.status, job.done, job.attempts, _reports_of(db, case)) == (
        JobStatus.QUEUED,
        0,
        0,
        0,
    )


def test_a_case_counted_by_another_runner_is_not_counted_twice(app_context, db, counsellor):
    job = ReportJob(
        created_by_id=counsellor.id, total=2, done=1, parameters={"case_ids": []},
        queue_job_id="mine",
    )  # fmt: skip
    db.add(job)
    db.commit()
    assert jobs.count_case(job.id, "mine", position=0, done=1) is False  # already moved on
    assert jobs.count_case(job.id, "not-mine", position=1, done=1) is False  # not its job
    assert jobs.count_case(job.id, "mine", position=1, done=1) is True
    db.commit()
    db.refresh(job)
    assert job.done == 2


def test_a_runner_that_lost_its_job_keeps_no_report_nor_file(app, db, counsellor, case, store_dir):
    case_id = case.id
    with app.app_context():
        job = _job_of(db, counsellor, [case])
        assert jobs.claim(job.id, "slow-runner") is None  # not its ticket
        assert jobs.claim(job.id, "ticket-1") is not None
        db.commit()
        # Handed over while the first runner was only slow.
        assert jobs.hand_over(db.get(ReportJob, job.id), "ticket-2") is True
        db.commit()
        with pytest.raises(batches._CountedElsewhere):
            batches._generate_one(job.id, "ticket-1", dict(job.parameters), 0, case_id)
    count = db.scalar(select(func.count(Report.id)).where(Report.case_id == case_id))
    assert count == 0 and list(store_dir.glob("*.pdf")) == []
    assert _latest_job(db).done == 0


@pytest.fixture
def store_dir(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "store"
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(folder))
    return folder


def test_a_job_that_had_its_runs_is_failed_with_its_reason_never_left_running(
    client, auth, db, counsellor, case
):
    job = _job_of(db, counsellor, [case], attempts=jobs.MAX_ATTEMPTS)
    _as_if_stopped(db, job)
    auth.login(counsellor)
    page = client.get("/jobs").get_data(as_text=True)
    job = _latest_job(db)
    assert (job.status, job.done, job.error) == (JobStatus.FAILED, 0, GAVE_UP)
    assert job.finished_at is not None and GAVE_UP in page


def test_a_run_that_fails_beyond_one_case_is_retried_then_given_up(
    app, db, counsellor, case, monkeypatch
):
    def database_gone(job_id, ticket):
        raise OperationalError("SELECT …", {}, Exception("Partner said something private"))

    monkeypatch.setattr(batches, "run_report_job", database_gone)
    job = _job_of(db, counsellor, [case], status=JobStatus.RUNNING, attempts=1)
    with app.app_context(), pytest.raises(RetryTask):
        queue._run(job.id, "ticket-1")
    job = _latest_job(db)
    assert job.status == JobStatus.RUNNING
    assert (
        job.error == "The batch stopped (OperationalError); the batch was handed back to the queue."
    )
    job.attempts = jobs.MAX_ATTEMPTS
    db.commit()
    with app.app_context():
        queue._run(job.id, "ticket-1")  # no retry left: nothing raised to the queue
    job = _latest_job(db)
    assert job.status == JobStatus.FAILED and "private" not in job.error
    assert job.error.endswith(
        "The batch stopped (OperationalError); the queue gave up on it; start a new batch for "
        "the rest."
    )


# --- The queue file, drained by the test ---------------------------------------------------------


def test_a_batch_waits_on_the_queue_until_a_worker_runs_it(
    client, auth, db, counsellor, case, queued
):
    auth.login(counsellor)
    auth.post("/jobs", {"audience": "client"})
    job = _latest_job(db)
    assert job.status == JobStatus.QUEUED and queued.held() == {job.queue_job_id}
    assert _reports_of(db, case) == 0
    page = client.get("/jobs").get_data(as_text=True)
    assert "◷ Waiting" in page and "waits on the report queue for a worker" in page

    # Waiting behind others for minutes is not being lost: the queue still holds it.
    job.heartbeat_at = utcnow() - timedelta(minutes=10)
    db.commit()
    client.get("/jobs")
    assert _latest_job(db).queue_job_id == job.queue_job_id and queued.held() == {job.queue_job_id}

    assert queued.run() == []
    job = _latest_job(db)
    assert (job.status, job.done, job.error) == (JobStatus.FINISHED, 1, None)
    assert _reports_of(db, case) == 1 and queued.held() == set()


def test_a_job_the_queue_lost_is_enqueued_again(auth, db, counsellor, case, queued):
    auth.login(counsellor)
    auth.post("/jobs", {"audience": "client"})
    queued.huey().flush()  # as when Redis restarts without persistence
    job = _latest_job(db)
    job.heartbeat_at = utcnow() - timedelta(minutes=2)
    db.commit()
    assert queued.run() == ["Requeued 0 abandoned and 1 lost report job(s)."]
    job = _latest_job(db)
    assert (job.status, job.done, job.error) == (JobStatus.FINISHED, 1, None)
    assert _reports_of(db, case) == 1


def test_the_worker_hands_back_a_job_whose_worker_stopped(auth, db, counsellor, make_case, queued):
    first, second = make_case(counsellor), make_case(counsellor)
    auth.login(counsellor)
    auth.post("/jobs", {"audience": "client"})
    assert queued.run() == []
    job = _latest_job(db)
    job.done = 1
    db.delete(db.scalars(select(Report).where(Report.case_id == second.id)).one())
    _as_if_stopped(db, job)
    assert queued.run() == ["Requeued 1 abandoned and 0 lost report job(s)."]
    job = _latest_job(db)
    assert (job.status, job.done, job.error) == (JobStatus.FINISHED, 2, HANDED_BACK)
    assert (_reports_of(db, first), _reports_of(db, second)) == (1, 1)


def test_with_the_queue_the_reports_page_queues_the_report_instead_of_rendering(
    client, auth, db, counsellor, case, queued, monkeypatch
):
    render_report = operations.render_report
    monkeypatch.setattr(operations, "render_report", _must_not_render)
    auth.login(counsellor)
    response = auth.post(
        f"/cases/{case.id}/reports",
        {
            "period_start": case.opened_on.isoformat(),
            "period_end": date.today().isoformat(),
            "audience": "clinical",
            "narrative": "Queued narrative",
        },
    )
    assert response.status_code == 302
    job = _latest_job(db)
    assert queued.held() == {job.queue_job_id}
    assert job.total == 1 and job.status == JobStatus.QUEUED
    assert job.parameters["case_ids"] == [case.id]
    assert job.parameters["author_id"] == counsellor.id
    page = client.get(f"/cases/{case.id}/reports").get_data(as_text=True)
    assert "Reports in preparation" in page and "being generated" in page
    assert "js/report_jobs.js" in page
    assert _reports_of(db, case) == 0

    monkeypatch.setattr(operations, "render_report", render_report)
    queued.run()
    job = _latest_job(db)
    assert (job.status, job.done, job.parameters["narrative"]) == (JobStatus.FINISHED, 1, None)
    report = db.scalars(select(Report).where(Report.case_id == case.id)).one()
    assert (report.narrative, report.generated_by_id) == ("Queued narrative", counsellor.id)
    page = client.get(f"/cases/{case.id}/reports").get_data(as_text=True)
    assert "Reports in preparation" not in page and "Clinical" in page


def _must_not_render(*args, **kwargs):
    raise AssertionError("a queued report must not be rendered in the request")


def test_a_refused_report_request_is_answered_on_the_form_not_queued(
    client, auth, db, counsellor, case, queued
):
    auth.login(counsellor)
    response = auth.post(
        f"/cases/{case.id}/reports",
        {"period_start": "2026-05-01", "period_end": "2026-04-01", "audience": "clinical"},
    )
    assert response.status_code == 200
    assert "must end on or after" in response.get_data(as_text=True)
    assert queued.held() == set() and _latest_job(db) is None


def test_a_queued_single_report_runs_with_its_narrative_which_is_then_cleared(
    app_context, db, counsellor, case
):
    job = jobs.start_single_report(
        counsellor, case, case.opened_on, date.today(), "clinical", "Narrative for the worker"
    )
    db.commit()
    batches.run_report_job(job.id, job.queue_job_id)
    db.expire_all()
    job = db.get(ReportJob, job.id)
    assert (job.status, job.done, job.failed) == (JobStatus.FINISHED, 1, 0)
    assert job.parameters["narrative"] is None
    report = db.scalars(select(Report).where(Report.case_id == case.id)).one()
    assert report.generated_by_id == counsellor.id


def test_a_single_report_is_ready_when_the_request_ends_in_immediate_mode(
    client, auth, db, counsellor, case
):
    auth.login(counsellor)
    response = auth.post(
        f"/cases/{case.id}/reports",
        {"period_start": case.opened_on.isoformat(), "period_end": date.today().isoformat(),
         "audience": "client"},
    )  # fmt: skip
    assert response.status_code == 302
    job = _latest_job(db)
    assert (job.status, job.total, job.done) == (JobStatus.FINISHED, 1, 1)
    page = client.get(f"/cases/{case.id}/reports").get_data(as_text=True)
    assert "Reports in preparation" not in page and _reports_of(db, case) == 1


def test_a_failed_single_report_shows_its_reason_on_the_reports_page(
    app, client, auth, db, counsellor, case, queued
):
    auth.login(counsellor)
    auth.post(
        f"/cases/{case.id}/reports",
        {
            "period_start": case.opened_on.isoformat(),
            "period_end": date.today().isoformat(),
            "audience": "clinical",
        },
    )
    job = _latest_job(db)
    with app.app_context():
        jobs.note_job_error(job.id, "C-test: the worker gave up", give_up=True)
        db.commit()
    page = client.get(f"/cases/{case.id}/reports").get_data(as_text=True)
    assert "C-test: the worker gave up" in page and "Failed" in page


def test_only_the_case_counsellor_may_queue_its_report(app_context, db, case, supervisor):
    with pytest.raises(operations.ReportError):
        jobs.start_single_report(supervisor, case, case.opened_on, date.today(), "clinical", "")
    assert db.scalar(select(func.count(ReportJob.id))) == 0


# --- Refusals and access ---------------------------------------------------------------------


def test_no_active_cases_is_refused_with_a_message(client, auth, db, counsellor):
    auth.login(counsellor)
    response = auth.post("/jobs", {"audience": "clinical"})
    assert response.status_code == 200
    assert "There are no active cases to report on." in response.get_data(as_text=True)
    assert db.scalar(select(func.count(ReportJob.id))) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"audience": "clinical", "period_start": "2026-05-01", "period_end": "2026-04-01"},
         "The period must end on or after the day it starts."),
        ({"audience": "everyone"}, "Not a valid choice"),
        ({"audience": "clinical", "period_start": "1 May"}, "Not a valid date value"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_kept(client, auth, db, counsellor, case, data, message):
    auth.login(counsellor)
    response = auth.post("/jobs", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert db.scalar(select(func.count(ReportJob.id))) == 0
    if "period_start" in data:
        assert f'value="{data["period_start"]}"' in page


def test_a_post_without_csrf_token_is_refused(client, auth, db, counsellor, case):
    auth.login(counsellor)
    assert client.post("/jobs", data={"audience": "clinical"}).status_code == 400
    assert db.scalar(select(func.count(ReportJob.id))) == 0


def test_anonymous_visitors_are_sent_to_login(client, db, counsellor):
    job = ReportJob(created_by_id=counsellor.id, total=1, parameters={})
    db.add(job)
    db.commit()
    for path in ("/jobs", f"/jobs/{job.id}.json"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_only_the_starter_sees_a_job(client, auth, db, counsellor, make_staff):
    job = ReportJob(created_by_id=counsellor.id, total=1, parameters={"audience": "client"})
    db.add(job)
    db.commit()
    others = [make_staff(Role.COUNSELLOR), counsellor.supervisor, make_staff(Role.ADMIN)]
    for member in others:
        auth.login(member)
        assert client.get(f"/jobs/{job.id}.json").status_code == 404
        assert f"#{job.id}<" not in client.get("/jobs").get_data(as_text=True)
        auth.logout()
    auth.login(counsellor)
    assert client.get(f"/jobs/{job.id}.json").status_code == 200
    assert client.get("/jobs/999999.json").status_code == 404


def test_the_page_loads_its_script_and_has_no_inline_script(client, auth, counsellor, case):
    auth.login(counsellor)
    page = client.get("/jobs").get_data(as_text=True)
    assert '<script src="/static/js/jobs.js" defer></script>' in page
    assert "<script>" not in page and "onclick" not in page and 'style="' not in page
    assert '<label for="period_start">From (optional)</label>' in page


def test_the_worker_command_has_nothing_to_do_in_immediate_mode(runner):
    result = runner.invoke(args=["practice", "worker", "--burst"])
    assert result.exit_code != 0 and "PRACTICE_REPORT_QUEUE_IMMEDIATE is set" in result.output


def test_the_worker_command_runs_the_waiting_jobs_and_quits(
    app, auth, db, counsellor, case, queued
):
    auth.login(counsellor)
    auth.post("/jobs", {"audience": "referrer"})
    result = app.test_cli_runner().invoke(args=["practice", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert (_latest_job(db).status, _reports_of(db, case)) == (JobStatus.FINISHED, 1)


def test_a_refused_redis_refuses_the_batch_with_a_message(
    app, client, auth, db, counsellor, case, monkeypatch
):
    config = {"PRACTICE_REPORT_QUEUE_IMMEDIATE": False, "PRACTICE_REPORT_WORKER_THREAD": False,
              "PRACTICE_REDIS_URL": "redis://127.0.0.1:1/0"}  # fmt: skip
    with _queue_config(app, monkeypatch, **config):
        auth.login(counsellor)
        response = auth.post("/jobs", {"audience": "clinical"})
    assert "The report queue is not reachable right now" in response.get_data(as_text=True)
    assert db.scalar(select(func.count(ReportJob.id))) == 0


def test_a_hung_redis_costs_a_click_about_a_second_and_a_message(
    app, client, auth, db, counsellor, case, monkeypatch
):
    silent = socket.socket()  # accepts connections (the kernel's backlog) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    config = {"PRACTICE_REPORT_QUEUE_IMMEDIATE": False, "PRACTICE_REPORT_WORKER_THREAD": False,
              "PRACTICE_REDIS_URL": url}  # fmt: skip
    try:
        with _queue_config(app, monkeypatch, **config):
            auth.login(counsellor)
            started = time.monotonic()
            response = auth.post(f"/cases/{case.id}/reports", _single_report(case))
            took = time.monotonic() - started
    finally:
        silent.close()
    assert response.status_code == 200
    assert "The report queue is not reachable right now" in response.get_data(as_text=True)
    assert took < queue.REDIS_PROBE_TIMEOUT * 2 + 1  # a connect and a reply, each short
    assert db.scalar(select(func.count(ReportJob.id))) == 0


def _single_report(case) -> dict:
    return {
        "period_start": case.opened_on.isoformat(),
        "period_end": date.today().isoformat(),
        "audience": "clinical",
    }


def test_a_job_the_queue_does_not_take_is_failed_with_its_reason(
    app, client, auth, db, counsellor, case, queued, monkeypatch
):
    def refuse(task):
        raise ConnectionError("Redis went away")

    monkeypatch.setattr(queued.huey(), "enqueue", refuse)
    auth.login(counsellor)
    assert auth.post("/jobs", {"audience": "clinical"}).status_code == 302
    job = _latest_job(db)
    assert job.status == JobStatus.FAILED and job.done == 0
    assert job.error == jobs.NOT_TAKEN


def test_failure_reasons_stay_within_the_limit_and_end_with_the_newest():
    error = None
    for n in range(200):
        error = jobs._with_reason(error, f"C-{n:04d}: The period ends before it starts.")
    error = jobs._with_reason(error, GAVE_UP)
    lines = error.split("\n")
    assert len(error) <= jobs.MAX_ERROR_LENGTH
    assert lines.count(jobs.MORE_NOT_SHOWN) == 1 and lines[-2] == jobs.MORE_NOT_SHOWN
    assert lines[0].startswith("C-0000") and lines[-1] == GAVE_UP


def test_a_redis_password_is_never_shown():
    assert queue.url_without_password("redis://:s3cret@cache:6380/2") == "redis://:***@cache:6380/2"
    assert queue.url_without_password("redis://app:s3cret@cache/0") == "redis://app:***@cache/0"
    assert queue.url_without_password("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


# --- Live databases: the web process's consumer thread, and worker processes -------------------


def _add_staff(session, role: Role, email: str, supervisor=None) -> StaffMember:
    account = Account(email=email, display_name=email, password_hash=hash_password(PASSWORD))
    session.add(account)
    session.flush()
    member = StaffMember(
        user_id=str(account.id), email=email, display_name=email.split("@")[0], role=role,
        supervisor=supervisor,
    )  # fmt: skip
    session.add(member)
    session.flush()
    return member


def _add_case(session, counsellor, reference: str, opened_on=date(2026, 1, 5)) -> Case:
    case = Case(reference=reference, counsellor=counsellor, opened_on=opened_on)
    case.partners = [
        Partner(display_name="Alex", cycle_role=CycleRole.PURSUER, position=0),
        Partner(display_name="Sam", cycle_role=CycleRole.WITHDRAWER, position=1),
    ]
    session.add(case)
    session.flush()
    return case


class Live:
    """A migrated database that other processes can see, with a counsellor and ``cases``, and
    a real report queue (Redis, or the instance folder's SQLite file)."""

    def __init__(self, url: str, instance: Path, **config) -> None:
        self.url = url
        self.instance = instance
        self.queue_name = f"practice-test-{uuid.uuid4().hex[:12]}"
        config = {
            "PRACTICE_REPORT_QUEUE_IMMEDIATE": False,
            "PRACTICE_REPORT_QUEUE_NAME": self.queue_name,
            **config,
        }
        self.app = make_test_app(url, instance, **config)
        with self.app.app_context():
            migrate.upgrade()

    def session(self):
        return self.app.extensions["sqlalchemy"].session

    def seed(self, cases: int, opened_late: int = 0) -> int:
        with self.app.app_context():
            session = self.session()
            member = _add_staff(session, Role.COUNSELLOR, "live@test.example")
            for n in range(cases):
                late = n >= cases - opened_late
                _add_case(
                    session, member, f"L-{n:04d}", date(2026, 6, 1) if late else date(2026, 1, 5)
                )
            session.commit()
            return member.id

    def client(self):
        client = self.app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        client.post(
            "/login",
            data={"email": "live@test.example", "password": PASSWORD, "csrf_token": token},
        )
        # Signing in renews the CSRF secret: the login page's token is spent.
        page = client.get("/").get_data(as_text=True)
        client.csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
        return client

    def start_batch(self, **data) -> int:
        client = self.client()
        response = client.post("/jobs", data={"csrf_token": client.csrf, **data})
        assert response.status_code == 302, response.get_data(as_text=True)
        return self.job().id

    def job(self) -> ReportJob:
        with self.app.app_context():
            session = self.session()
            job = session.scalars(select(ReportJob).order_by(ReportJob.id.desc())).first()
            session.expunge_all()
            session.rollback()
            return job

    def update_job(self, **values) -> None:
        with self.app.app_context():
            session = self.session()
            job = session.scalars(select(ReportJob).order_by(ReportJob.id.desc())).first()
            for key, value in values.items():
                setattr(job, key, value)
            session.commit()

    def report_count(self) -> int:
        with self.app.app_context():
            count = self.session().scalar(select(func.count(Report.id)))
            self.session().rollback()
            return count

    def wait_for(self, condition, timeout: float, what: str) -> ReportJob:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job()
            if condition(job):
                return job
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}: {self.job().__dict__}")

    def flush_queue(self) -> None:
        """Remove everything the queue holds (on Redis: only this practice's keys)."""
        with self.app.app_context():
            queue.report_queue().huey.flush()

    def close(self) -> None:
        with self.app.app_context():
            queue.report_queue().stop_worker_thread()
            self.flush_queue()
            self.app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture(params=BACKENDS)
def live(request, tmp_path) -> Iterator[callable]:
    """Build a ``Live`` practice on a fresh database of each backend."""
    with fresh_database(request.param, tmp_path) as url:
        built = []

        def build(**config) -> Live:
            built.append(Live(url, tmp_path / "instance", **config))
            return built[-1]

        yield build
        for practice in built:
            practice.close()


def test_the_web_process_runs_jobs_in_its_thread_by_default(live):
    practice = live(PRACTICE_REDIS_URL=None)
    practice.seed(cases=2)
    practice.start_batch(audience="client")
    job = practice.wait_for(lambda j: j.status == JobStatus.FINISHED, 60, "the thread")
    assert (job.done, job.failed, practice.report_count()) == (2, 0, 2)
    assert (practice.instance / queue.QUEUE_FILE).exists()


def test_in_immediate_mode_no_consumer_thread_starts(app):
    # Jobs run where they are enqueued; a consumer thread would only sweep, from another thread,
    # on the database connection the request uses (the test suite's shared one included).
    assert app.config["PRACTICE_REPORT_QUEUE_IMMEDIATE"] is True
    assert queue.report_queue(app).worker_thread is False


def require_redis() -> str:
    """The test Redis URL; skip (fail under CI) when Redis is not reachable."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except RedisError as error:
        message = f"Redis at {REDIS_TEST_URL} is not reachable: {error}"
        if on_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return REDIS_TEST_URL


@pytest.fixture
def redis_url() -> str:
    return require_redis()


@pytest.fixture(params=["sqlite-file", "redis"])
def storage(request) -> Iterator[str | None]:
    """The queue's storage for a worker test: the embedded default, or Redis (its URL)."""
    if request.param == "redis":
        yield request.getfixturevalue("redis_url")
    else:
        yield None


def _worker(practice: Live, redis_url: str | None, burst: bool = True) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": practice.url,
        "SECRET_KEY": "test-secret-key",
        "PRACTICE_INSTANCE_PATH": str(practice.instance),
        "PRACTICE_REPORT_QUEUE_NAME": practice.queue_name,
    }
    env.pop("PRACTICE_ENV", None)
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "practice", "worker"]
    return subprocess.Popen(
        [*command, "--burst"] if burst else command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process: subprocess.Popen, timeout: float = 90) -> str:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"the worker did not finish:\n{output}") from None
    assert process.returncode == 0, output
    return output


@contextmanager
def _reaped(worker: subprocess.Popen) -> Iterator[None]:
    """Whatever the test does with ``worker``, it is not left running."""
    try:
        yield
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()


def _queued_practice(live, storage: str | None) -> Live:
    """A practice whose jobs wait on the queue for a worker process."""
    return live(PRACTICE_REDIS_URL=storage, PRACTICE_REPORT_WORKER_THREAD=False)


def test_a_batch_is_done_by_a_worker(live, storage):
    practice = _queued_practice(live, storage)
    practice.seed(cases=2)
    practice.start_batch(audience="referrer")
    job = practice.job()
    assert job.status == JobStatus.QUEUED and job.queue_job_id
    assert practice.report_count() == 0  # nothing ran in the request
    output = _finish(_worker(practice, storage))
    job = practice.job()
    assert (job.status, job.done, job.failed) == (JobStatus.FINISHED, 2, 0), output
    assert job.error is None and job.attempts == 1, output
    assert practice.report_count() == 2
    status = practice.client().get(f"/jobs/{job.id}.json").get_json()
    assert (status["status"], status["percent"]) == ("finished", 100)


def test_a_failing_report_on_redis_shows_its_reason(live, redis_url):
    practice = _queued_practice(live, redis_url)
    practice.seed(cases=2, opened_late=1)
    practice.start_batch(audience="clinical", period_end="2026-03-31")
    _finish(_worker(practice, redis_url))
    job = practice.job()
    assert (job.status, job.done, job.failed) == (JobStatus.FINISHED, 1, 1)
    assert job.error.startswith("L-0001: The period ends on 31 Mar 2026, before it starts")
    page = practice.client().get("/jobs").get_data(as_text=True)
    assert "L-0001: The period ends on 31 Mar 2026" in page


def test_a_job_whose_worker_is_killed_is_handed_back_and_completes(live, storage):
    practice = _queued_practice(live, storage)
    practice.seed(cases=CASES_FOR_KILL)
    practice.start_batch(audience="clinical")
    first = _worker(practice, storage, burst=False)
    with _reaped(first):
        practice.wait_for(lambda j: j.done >= 1, 60, "the first report")
        os.kill(first.pid, signal.SIGKILL)  # the whole worker dies, as on a crash
        first.communicate(timeout=10)
    interrupted = practice.job()
    assert interrupted.status == JobStatus.RUNNING and interrupted.done < CASES_FOR_KILL
    # As if the two minutes after which a silent runner counts as stopped had passed.
    practice.update_job(heartbeat_at=utcnow() - jobs.STALE_AFTER - timedelta(seconds=5))
    output = _finish(_worker(practice, storage))
    assert "Requeued 1 abandoned and 0 lost report job(s)." in output
    job = practice.job()
    assert job.error == HANDED_BACK, output
    assert (job.status, job.done, job.failed) == (JobStatus.FINISHED, CASES_FOR_KILL, 0), output
    assert practice.report_count() == CASES_FOR_KILL  # no case generated twice


def test_a_job_redis_lost_is_enqueued_again_by_the_next_worker(live, redis_url):
    practice = _queued_practice(live, redis_url)
    practice.seed(cases=1)
    practice.start_batch(audience="client")
    practice.flush_queue()  # as when Redis restarts without persistence
    practice.update_job(heartbeat_at=utcnow() - jobs.LOST_AFTER - timedelta(seconds=5))
    output = _finish(_worker(practice, redis_url))
    assert "Requeued 0 abandoned and 1 lost report job(s)." in output
    job = practice.job()
    assert (job.status, job.done, job.error) == (JobStatus.FINISHED, 1, None), output


def test_a_single_report_on_redis_is_rendered_by_the_worker(live, redis_url):
    practice = _queued_practice(live, redis_url)
    practice.seed(cases=1)
    client = practice.client()
    with practice.app.app_context():
        case_id = practice.session().scalar(select(Case.id))
        practice.session().rollback()
    response = client.post(
        f"/cases/{case_id}/reports",
        data={
            "csrf_token": client.csrf,
            "period_start": "2026-01-05",
            "period_end": date.today().isoformat(),
            "audience": "client",
            "narrative": "Written for the worker",
        },
    )
    assert response.status_code == 302
    assert practice.report_count() == 0  # nothing rendered in the request
    page = client.get(f"/cases/{case_id}/reports").get_data(as_text=True)
    assert "Reports in preparation" in page
    _finish(_worker(practice, redis_url))
    job = practice.job()
    assert (job.status, job.done, job.parameters["narrative"]) == (JobStatus.FINISHED, 1, None)
    assert job.error is None
    assert practice.report_count() == 1
    page = client.get(f"/cases/{case_id}/reports").get_data(as_text=True)
    assert "Reports in preparation" not in page and "Client" in page


# --- Limits: one batch at a time, a cap on waiting jobs per member ----------------------------


def test_a_second_batch_waits_for_the_first_one(client, auth, db, counsellor, case, queued):
    auth.login(counsellor)
    auth.post("/jobs", {"audience": "client"})
    assert db.scalar(select(func.count(ReportJob.id))) == 1
    refused = auth.post("/jobs", {"audience": "clinical"})
    assert refused.status_code == 200
    assert "previous batch of reports is still waiting or running" in refused.get_data(as_text=True)
    assert db.scalar(select(func.count(ReportJob.id))) == 1
    assert queued.run() == []
    assert auth.post("/jobs", {"audience": "clinical"}).status_code == 302
    assert db.scalar(select(func.count(ReportJob.id))) == 2


def test_waiting_jobs_per_member_are_capped(app, app_context, db, counsellor, case, queued):
    app.config["PRACTICE_REPORT_JOBS_PER_USER"] = 3
    start = (case.opened_on, date.today(), "clinical", "")
    for _ in range(3):
        jobs.start_single_report(counsellor, case, *start)
    with pytest.raises(job_limits.TooManyJobs, match="3 reports waiting or running"):
        jobs.start_single_report(counsellor, case, *start)
    with pytest.raises(job_limits.TooManyJobs):
        jobs.start_report_batch(counsellor, jobs.BatchParams("client"))
    assert db.scalar(select(func.count(ReportJob.id))) == 3


def test_a_limit_refusal_answers_429_in_the_api_shape(app):
    from practice.api.errors import _handle_refusal

    with app.test_request_context("/api/v1/cases/1/reports", method="POST"):
        response = _handle_refusal(job_limits.TooManyJobs("Too many."))
    assert response.status_code == 429
    assert response.get_json()["error"] == {
        "code": "too_many_requests",
        "message": "Too many.",
        "fields": {},
    }
