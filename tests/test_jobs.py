"""Report jobs: batches of progress reports, in-process and on the machine's real Redis (RQ).

The Redis tests use database 15 of redis://127.0.0.1:6379 (flushed before and after, and
nothing else); they skip when Redis is unreachable, and fail instead under ``CI=true``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from practice.accounts.passwords import hash_password
from practice.core import migrate
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
from practice.reporting import jobs
from tests.conftest import BACKENDS, PASSWORD, make_test_app
from tests.databases import fresh_database, on_ci

REPO = Path(__file__).resolve().parent.parent
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Enough cases (about half a second each) that the worker is still busy when killed.
CASES_FOR_KILL = 8


@pytest.fixture
def inline(app, monkeypatch):
    """Jobs run in the request, after its commit, on the test's rolled-back connection."""
    monkeypatch.setitem(app.config, "PRACTICE_JOBS_INLINE", True)
    monkeypatch.setitem(app.config, "PRACTICE_REDIS_URL", None)


def _reports_of(db, case) -> int:
    return db.scalar(select(func.count(Report.id)).where(Report.case_id == case.id))


def _latest_job(db) -> ReportJob:
    db.expire_all()
    return db.scalars(select(ReportJob).order_by(ReportJob.id.desc())).first()


# --- In-process ------------------------------------------------------------------------------


def test_a_batch_of_two_cases_completes_in_process(
    client, auth, db, counsellor, make_case, make_staff, inline
):
    first, second = make_case(counsellor), make_case(counsellor)
    make_case(counsellor, status=CaseStatus.PAUSED)
    other = make_case(make_staff(Role.COUNSELLOR))
    auth.login(counsellor)
    response = auth.post("/jobs", {"audience": "referrer"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/jobs")
    job = _latest_job(db)
    assert (job.status, job.total, job.done, job.failed) == (JobStatus.FINISHED, 2, 2, 0)
    assert job.finished_at is not None and job.error is None
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


def _dead_pid() -> int:
    """The pid of a process that has just ended."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_batch_whose_web_process_died_is_taken_over_when_the_page_opens(
    client, auth, db, counsellor, make_case, inline
):
    first, second = make_case(counsellor), make_case(counsellor)
    auth.login(counsellor)
    auth.post("/jobs", {"audience": "client"})
    job = _latest_job(db)
    assert job.queue_job_id == jobs._process_tag()
    assert job.queue_job_id.startswith(f"thread:{socket.gethostname()}:{os.getpid()}:")
    # As if the process running it had stopped after the first report.
    job.status, job.done = JobStatus.RUNNING, 1
    job.queue_job_id = f"thread:{socket.gethostname()}:{_dead_pid()}:12345"
    db.delete(db.scalars(select(Report).where(Report.case_id == second.id)).one())
    db.commit()

    page = client.get("/jobs").get_data(as_text=True)

    job = _latest_job(db)
    assert (job.status, job.done, job.failed) == (JobStatus.FINISHED, 2, 0)
    assert job.error == "The server process running it stopped; another one took it over."
    assert (_reports_of(db, first), _reports_of(db, second)) == (1, 1)  # none made twice
    assert "another one took it over" in page and "2 of 2 generated" in page


def test_a_batch_of_a_living_process_or_another_host_is_left_alone(
    client, auth, db, counsellor, inline
):
    tags = [jobs._process_tag(), "thread:elsewhere.example:1:99"]
    rows = [
        ReportJob(
            created_by_id=counsellor.id,
            status=JobStatus.RUNNING,
            total=1,
            parameters={"audience": "client", "case_ids": [], "references": []},
            queue_job_id=tag,
        )
        for tag in tags
    ]
    db.add_all(rows)
    db.commit()
    auth.login(counsellor)
    client.get("/jobs")
    db.expire_all()
    assert [db.get(ReportJob, row.id).status for row in rows] == [JobStatus.RUNNING] * 2
    assert [db.get(ReportJob, row.id).queue_job_id for row in rows] == tags


def test_a_reused_pid_does_not_hide_a_dead_process():
    """A restarted container reuses pids: the start time in the tag tells them apart."""
    pid = os.getpid()
    assert not jobs._in_process_runner_gone(jobs._process_tag())
    assert jobs._in_process_runner_gone(f"thread:{socket.gethostname()}:{pid}:1")
    assert not jobs._in_process_runner_gone(f"thread:{socket.gethostname()}:{pid}:0")
    assert jobs._in_process_runner_gone(f"thread:{socket.gethostname()}:{_dead_pid()}:0")


def test_the_json_shows_progress_of_a_running_job(client, auth, db, counsellor):
    job = ReportJob(
        created_by_id=counsellor.id, status=JobStatus.RUNNING, total=4, done=1, failed=1,
        error="T-0001: The case no longer exists.",
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
    client, auth, db, counsellor, make_case, inline
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


def test_a_job_whose_every_report_fails_is_failed(client, auth, db, counsellor, make_case, inline):
    make_case(counsellor, opened_on=date(2026, 6, 1))
    auth.login(counsellor)
    auth.post("/jobs", {"audience": "clinical", "period_end": "2026-03-31"})
    job = _latest_job(db)
    assert (job.status, job.done, job.failed) == (JobStatus.FAILED, 0, 1)
    assert "✗ Failed" in client.get("/jobs").get_data(as_text=True)


def test_an_unexpected_error_is_counted_without_its_message(
    client, auth, db, counsellor, case, monkeypatch, inline
):
    def boom(*args, **kwargs):
        raise RuntimeError("Partner said something private")

    monkeypatch.setattr(jobs.reports, "render_report", boom)
    auth.login(counsellor)
    auth.post("/jobs", {"audience": "clinical"})
    job = _latest_job(db)
    assert job.failed == 1
    assert job.error == f"{case.reference}: unexpected error (RuntimeError); see the worker's log."


def test_a_supervisor_batch_covers_their_supervisees_cases(
    client, auth, db, supervisor, counsellor, make_case, make_staff, inline
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


def test_an_admin_batch_covers_every_active_case(
    client, auth, db, counsellor, make_case, make_staff, inline
):
    cases = [make_case(counsellor), make_case(make_staff(Role.COUNSELLOR))]
    make_case(counsellor, status=CaseStatus.CLOSED, closed_on=date(2026, 3, 1))
    admin = make_staff(Role.ADMIN)
    auth.login(admin)
    auth.post("/jobs", {"audience": "client"})
    job = _latest_job(db)
    assert sorted(job.parameters["case_ids"]) == sorted(c.id for c in cases)


def test_resuming_skips_the_cases_already_counted(app_context, db, counsellor, make_case):
    first, second = make_case(counsellor), make_case(counsellor)
    job = ReportJob(
        created_by_id=counsellor.id, status=JobStatus.RUNNING, total=2, done=1, failed=0,
        parameters={"audience": "client", "from": None, "to": None,
                    "case_ids": [first.id, second.id], "references": ["A", "B"]},
    )  # fmt: skip
    db.add(job)
    db.commit()
    jobs.run_report_job(job.id)
    assert (_reports_of(db, first), _reports_of(db, second)) == (0, 1)
    assert (job.done, job.status) == (2, JobStatus.FINISHED)


def test_a_case_counted_by_another_runner_is_not_counted_twice(app_context, db, counsellor):
    job = ReportJob(created_by_id=counsellor.id, total=2, done=1, parameters={"case_ids": []})
    db.add(job)
    db.commit()
    assert jobs._advance(job.id, position=0, done=1) is False  # someone already moved on
    assert jobs._advance(job.id, position=1, done=1) is True
    db.commit()
    db.refresh(job)
    assert job.done == 2


# --- Refusals and access ---------------------------------------------------------------------


def test_no_active_cases_is_refused_with_a_message(client, auth, db, counsellor, inline):
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
def test_bad_input_is_refused_and_kept(client, auth, db, counsellor, case, inline, data, message):
    auth.login(counsellor)
    response = auth.post("/jobs", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert db.scalar(select(func.count(ReportJob.id))) == 0
    if "period_start" in data:
        assert f'value="{data["period_start"]}"' in page


def test_a_post_without_csrf_token_is_refused(client, auth, db, counsellor, case, inline):
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


def test_only_the_starter_and_admins_see_a_job(client, auth, db, counsellor, make_staff):
    job = ReportJob(created_by_id=counsellor.id, total=1, parameters={"audience": "client"})
    db.add(job)
    db.commit()
    others = [make_staff(Role.COUNSELLOR), counsellor.supervisor]
    for member in others:
        auth.login(member)
        assert client.get(f"/jobs/{job.id}.json").status_code == 404
        assert f"#{job.id}<" not in client.get("/jobs").get_data(as_text=True)
        auth.logout()
    auth.login(make_staff(Role.ADMIN))
    assert client.get(f"/jobs/{job.id}.json").status_code == 200
    page = client.get("/jobs").get_data(as_text=True)
    assert f"#{job.id}<" in page and counsellor.display_name in page
    assert client.get("/jobs/999999.json").status_code == 404


def test_the_page_loads_its_script_and_has_no_inline_script(client, auth, counsellor, case):
    auth.login(counsellor)
    page = client.get("/jobs").get_data(as_text=True)
    assert '<script src="/static/js/jobs.js" defer></script>' in page
    assert "<script>" not in page and "onclick" not in page and 'style="' not in page
    assert '<label for="period_start">From (optional)</label>' in page


def test_the_worker_command_needs_redis(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_REDIS_URL", None)
    result = runner.invoke(args=["practice", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


def test_an_unreachable_queue_refuses_the_batch(client, auth, db, counsellor, case, monkeypatch):
    monkeypatch.setitem(app_config(client), "PRACTICE_REDIS_URL", "redis://127.0.0.1:1/0")
    auth.login(counsellor)
    response = auth.post("/jobs", {"audience": "clinical"})
    assert "The report queue is not reachable right now" in response.get_data(as_text=True)
    assert db.scalar(select(func.count(ReportJob.id))) == 0


def app_config(client) -> dict:
    return client.application.config


def test_a_job_the_queue_does_not_take_is_failed_with_its_reason(
    client, auth, db, counsellor, case, monkeypatch
):
    def refuse(job):
        raise ConnectionError("Redis went away")

    monkeypatch.setitem(app_config(client), "PRACTICE_REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setattr(jobs, "_check_queue_reachable", lambda: None)
    monkeypatch.setattr(jobs, "_enqueue", refuse)
    auth.login(counsellor)
    assert auth.post("/jobs", {"audience": "clinical"}).status_code == 302
    job = _latest_job(db)
    assert job.status == JobStatus.FAILED and job.done == 0
    assert job.error.startswith("The report queue did not take this job")


def _queue_without_redis(app, monkeypatch, enqueued: list) -> None:
    """A configured queue whose enqueue only remembers the job (no Redis needed)."""
    monkeypatch.setitem(app.config, "PRACTICE_REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setattr(jobs, "_check_queue_reachable", lambda: None)

    def remember(job):
        enqueued.append(job.id)
        job.queue_job_id = f"rq-{job.id}"

    monkeypatch.setattr(jobs, "_enqueue", remember)


def test_with_a_queue_the_reports_page_queues_the_report_instead_of_rendering(
    app, client, auth, db, counsellor, case, monkeypatch
):
    enqueued: list[int] = []
    _queue_without_redis(app, monkeypatch, enqueued)
    monkeypatch.setattr(jobs.reports, "render_report", _must_not_render)
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
    assert enqueued == [job.id] and job.total == 1 and job.status == JobStatus.QUEUED
    assert job.parameters["case_ids"] == [case.id]
    assert job.parameters["author_id"] == counsellor.id
    page = client.get(f"/cases/{case.id}/reports").get_data(as_text=True)
    assert "Reports in preparation" in page and "being generated" in page
    assert "js/report_jobs.js" in page
    assert _reports_of(db, case) == 0


def _must_not_render(*args, **kwargs):
    raise AssertionError("a queued report must not be rendered in the request")


def test_a_refused_report_request_is_answered_on_the_form_not_queued(
    app, client, auth, db, counsellor, case, monkeypatch
):
    enqueued: list[int] = []
    _queue_without_redis(app, monkeypatch, enqueued)
    auth.login(counsellor)
    response = auth.post(
        f"/cases/{case.id}/reports",
        {"period_start": "2026-05-01", "period_end": "2026-04-01", "audience": "clinical"},
    )
    assert response.status_code == 200
    assert "must end on or after" in response.get_data(as_text=True)
    assert enqueued == [] and _latest_job(db) is None


def test_a_queued_single_report_runs_with_its_narrative_which_is_then_cleared(
    app_context, db, counsellor, case
):
    job = jobs.start_single_report(
        counsellor, case, case.opened_on, date.today(), "clinical", "Narrative for the worker"
    )
    db.commit()
    jobs.run_report_job(job.id)
    db.expire_all()
    job = db.get(ReportJob, job.id)
    assert (job.status, job.done, job.failed) == (JobStatus.FINISHED, 1, 0)
    assert job.parameters["narrative"] is None
    report = db.scalars(select(Report).where(Report.case_id == case.id)).one()
    assert report.generated_by_id == counsellor.id


def test_a_failed_single_report_shows_its_reason_on_the_reports_page(
    app, client, auth, db, counsellor, case, monkeypatch
):
    _queue_without_redis(app, monkeypatch, [])
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
    page = client.get(f"/cases/{case.id}/reports").get_data(as_text=True)
    assert "C-test: the worker gave up" in page and "Failed" in page


def test_only_the_case_counsellor_may_queue_its_report(app_context, db, case, supervisor):
    with pytest.raises(jobs.reports.ReportError):
        jobs.start_single_report(supervisor, case, case.opened_on, date.today(), "clinical", "")


class _FakeWorker:
    def __init__(self, hostname: str, pid: int | None) -> None:
        self.hostname, self.pid = hostname, pid


def test_a_worker_counts_as_dead_only_when_its_process_is_gone():
    import socket

    here = socket.gethostname()
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert jobs._process_alive(_FakeWorker(here, os.getppid())) is True
    assert jobs._process_alive(_FakeWorker(here, gone.pid)) is False
    assert jobs._process_alive(_FakeWorker(here, os.getpid())) is False  # a reused pid
    assert jobs._process_alive(_FakeWorker("another-host", gone.pid)) is True


# --- Live databases: a thread in-process, and RQ on the real Redis ---------------------------


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
    """A migrated database that other processes can see, with a counsellor and ``cases``."""

    def __init__(self, url: str, instance: Path, **config) -> None:
        self.url = url
        self.instance = instance
        self.app = make_test_app(url, instance, **config)
        with self.app.app_context():
            migrate.upgrade()

    def seed(self, cases: int, opened_late: int = 0) -> int:
        with self.app.app_context():
            session = self.app.extensions["sqlalchemy"].session
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
        client.csrf = token
        return client

    def start_batch(self, **data) -> int:
        client = self.client()
        response = client.post("/jobs", data={"csrf_token": client.csrf, **data})
        assert response.status_code == 302, response.get_data(as_text=True)
        return self.job().id

    def job(self) -> ReportJob:
        with self.app.app_context():
            session = self.app.extensions["sqlalchemy"].session
            job = session.scalars(select(ReportJob).order_by(ReportJob.id.desc())).first()
            session.expunge_all()
            session.rollback()
            return job

    def report_count(self) -> int:
        with self.app.app_context():
            session = self.app.extensions["sqlalchemy"].session
            count = session.scalar(select(func.count(Report.id)))
            session.rollback()
            return count

    def wait_for(self, condition, timeout: float, what: str) -> ReportJob:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job()
            if condition(job):
                return job
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}: {self.job().__dict__}")

    def close(self) -> None:
        with self.app.app_context():
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


def test_in_process_jobs_run_in_a_thread_by_default(live):
    practice = live(PRACTICE_REDIS_URL=None)
    practice.seed(cases=2)
    practice.start_batch(audience="client")
    job = practice.wait_for(lambda j: j.status == JobStatus.FINISHED, 60, "the thread")
    assert (job.done, job.failed, practice.report_count()) == (2, 0, 2)


def require_redis() -> str:
    """The test Redis URL; skip (fail under CI) when Redis is not reachable."""
    if not on_ci():  # rq and redis install with the package; a hand-made venv may lack them
        pytest.importorskip("rq")
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
def redis_url() -> Iterator[str]:
    url = require_redis()
    from redis import Redis

    connection = Redis.from_url(url)
    connection.flushdb()  # database 15 only: the tests' own
    yield url
    connection.flushdb()


def _worker(practice: Live, redis_url: str, burst: bool = True) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": practice.url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key",
        "PRACTICE_INSTANCE_PATH": str(practice.instance),
    }
    env.pop("PRACTICE_ENV", None)
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


def _horses_after_first_report(practice: Live, worker: subprocess.Popen) -> list[int]:
    """The pids of ``worker``'s work horses, once the batch has committed its first report."""
    practice.wait_for(lambda j: j.done >= 1, 60, "the first report")
    horses = _children(worker.pid)
    assert horses, "the worker should be running the job in a work horse"
    return horses


def _queue_status(job, redis_url: str) -> str:
    """What RQ says of the job's queue entry ("finished", "failed" …)."""
    from redis import Redis
    from rq.job import Job

    return Job.fetch(job.queue_job_id, connection=Redis.from_url(redis_url)).get_status().value


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


def test_a_batch_on_redis_is_done_by_a_worker(live, redis_url):
    practice = live(PRACTICE_REDIS_URL=redis_url)
    practice.seed(cases=2)
    practice.start_batch(audience="referrer")
    job = practice.job()
    assert job.status == JobStatus.QUEUED and job.queue_job_id
    assert practice.report_count() == 0  # nothing ran in the request
    output = _finish(_worker(practice, redis_url))
    job = practice.job()
    assert (job.status, job.done, job.failed) == (JobStatus.FINISHED, 2, 0), output
    assert job.error is None, output
    assert _queue_status(job, redis_url) == "finished"  # not failed and retried afterwards
    assert practice.report_count() == 2
    status = practice.client().get(f"/jobs/{job.id}.json").get_json()
    assert (status["status"], status["percent"]) == ("finished", 100)


def test_a_failing_report_on_redis_shows_its_reason(live, redis_url):
    practice = live(PRACTICE_REDIS_URL=redis_url)
    practice.seed(cases=2, opened_late=1)
    practice.start_batch(audience="clinical", period_end="2026-03-31")
    _finish(_worker(practice, redis_url))
    job = practice.job()
    assert (job.status, job.done, job.failed) == (JobStatus.FINISHED, 1, 1)
    assert job.error.startswith("L-0001: The period ends on 31 Mar 2026, before it starts")
    page = practice.client().get("/jobs").get_data(as_text=True)
    assert "L-0001: The period ends on 31 Mar 2026" in page


def test_a_job_whose_worker_is_killed_is_requeued_and_completes(live, redis_url):
    practice = live(PRACTICE_REDIS_URL=redis_url)
    practice.seed(cases=CASES_FOR_KILL)
    practice.start_batch(audience="clinical")
    first = _worker(practice, redis_url, burst=False)
    with _reaped(first):
        horses = _horses_after_first_report(practice, first)
        for pid in [*horses, first.pid]:  # the whole worker dies, as on a crash
            os.kill(pid, signal.SIGKILL)
        first.communicate(timeout=10)
    interrupted = practice.job()
    assert interrupted.status == JobStatus.RUNNING and interrupted.done < CASES_FOR_KILL
    output = _finish(_worker(practice, redis_url))
    assert "Requeued 1 abandoned" in output
    job = practice.job()
    assert job.error == "The worker stopped; the batch was handed back to the queue.", output
    assert (job.status, job.done, job.failed) == (JobStatus.FINISHED, CASES_FOR_KILL, 0), output
    assert _queue_status(job, redis_url) == "finished"
    assert practice.report_count() == CASES_FOR_KILL  # no case generated twice


def test_a_work_horse_killed_under_a_living_worker_is_noted_and_resumed(live, redis_url):
    """Only the work horse dies (out of memory, say): RQ retries without its failure callback;
    the row still says so, and the batch completes."""
    practice = live(PRACTICE_REDIS_URL=redis_url)
    practice.seed(cases=CASES_FOR_KILL)
    practice.start_batch(audience="clinical")
    worker = _worker(practice, redis_url, burst=True)
    with _reaped(worker):
        for pid in _horses_after_first_report(practice, worker):
            os.kill(pid, signal.SIGKILL)
        output = _finish(worker)
    job = practice.job()
    assert job.error == "The worker stopped; the batch was handed back to the queue.", output
    assert (job.status, job.done, job.failed) == (JobStatus.FINISHED, CASES_FOR_KILL, 0), output
    assert practice.report_count() == CASES_FOR_KILL


def test_a_job_the_queue_ended_behind_the_rows_back_is_failed_with_its_reason(live, redis_url):
    """A row left "running" while RQ failed its job (retries spent) is not left so for ever."""
    from redis import Redis
    from rq.job import Job
    from rq.job import JobStatus as QueueStatus

    practice = live(PRACTICE_REDIS_URL=redis_url)
    practice.seed(cases=2)
    practice.start_batch(audience="clinical")
    job = practice.job()
    connection = Redis.from_url(redis_url)
    Job.fetch(job.queue_job_id, connection=connection).set_status(QueueStatus.FAILED)
    with practice.app.app_context():
        session = practice.app.extensions["sqlalchemy"].session
        row = session.get(ReportJob, job.id)
        row.status = JobStatus.RUNNING
        session.commit()
        assert jobs.requeue_lost(connection, older_than=timedelta(0)) == []
    job = practice.job()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert job.error == f"The worker stopped; {jobs.GAVE_UP}"


def test_a_single_report_on_redis_is_rendered_by_the_worker(live, redis_url):
    practice = live(PRACTICE_REDIS_URL=redis_url)
    practice.seed(cases=1)
    client = practice.client()
    with practice.app.app_context():
        session = practice.app.extensions["sqlalchemy"].session
        case_id = session.scalar(select(Case.id))
        session.rollback()
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
    _finish(_worker(practice, redis_url))
    job = practice.job()
    assert (job.status, job.done, job.parameters["narrative"]) == (JobStatus.FINISHED, 1, None)
    assert job.error is None and _queue_status(job, redis_url) == "finished"
    assert practice.report_count() == 1
    page = client.get(f"/cases/{case_id}/reports").get_data(as_text=True)
    assert "Reports in preparation" not in page and "Client" in page


def test_failure_reasons_stay_within_the_limit_and_end_with_the_newest():
    error = None
    for n in range(200):
        error = jobs._with_reason(error, f"C-{n:04d}: The period ends before it starts.")
    error = jobs._with_reason(error, f"The worker stopped; {jobs.GAVE_UP}")
    lines = error.split("\n")
    assert len(error) <= jobs.MAX_ERROR_LENGTH
    assert lines.count(jobs.MORE_NOT_SHOWN) == 1 and lines[-2] == jobs.MORE_NOT_SHOWN
    assert lines[0].startswith("C-0000") and lines[-1] == f"The worker stopped; {jobs.GAVE_UP}"


def test_a_redis_password_is_never_shown():
    assert jobs.url_without_password("redis://:s3cret@cache:6380/2") == "redis://:***@cache:6380/2"
    assert jobs.url_without_password("redis://app:s3cret@cache/0") == "redis://app:***@cache/0"
    assert jobs.url_without_password("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
