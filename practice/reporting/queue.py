"""The report queue: Huey, on Redis when one is configured, else on a SQLite file.

One code path serves a laptop and a cluster. The queue carries job ids only (clinical text stays
in the database) under each job's ticket (``ReportJob.queue_job_id``); the rules of the row are
``practice.reporting.jobs`` and the running of a job ``practice.reporting.batches``.

- Storage: ``RedisHuey`` on ``PRACTICE_REDIS_URL`` (``REDIS_URL`` in the standalone app), with
  short timeouts so that a hung or refused Redis costs a click a few seconds and a clear
  message; otherwise ``SqliteHuey`` on ``PRACTICE_REPORT_QUEUE_FILE`` (by default
  ``<instance>/report-queue.db``), which every process of one machine shares.
- Consumers: ``flask practice worker`` (``run_worker``) runs one for either storage. A web
  process runs one in a background thread when ``PRACTICE_REPORT_WORKER_THREAD`` says so (by
  default when no Redis is configured, so that ``make run`` needs no second process).
- ``PRACTICE_REPORT_QUEUE_IMMEDIATE`` runs each job where and when it is enqueued (Huey's
  immediate mode): for tests, and for a practice that wants no background work at all.
- Tasks: ``report_job`` runs a job; ``sweep_report_jobs``, every minute in each consumer (and
  when a worker starts or the jobs page opens), hands the jobs whose runner stopped, or that
  the queue lost, to new tasks (``jobs.hand_over``).

Views record a job, then ``enqueue_after_request(job)``: it is put on the queue once the request
has committed it (the blueprints of this area call ``enqueue_requested`` as they tear down).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, g
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer
from huey.exceptions import RetryTask
from redis import ConnectionPool, Redis

from practice.core import private_files
from practice.core.unit_of_work import unit_of_work
from practice.reporting import batches, jobs
from practice.reporting.job_limits import JobError
from practice.reporting.models import JobStatus

log = logging.getLogger(__name__)

QUEUE_FILE = "report-queue.db"
# The queue's connections: a refused or silent Redis fails a connection within a second; a
# reply may take longer (a worker's blocking read waits for jobs).
REDIS_CONNECT_TIMEOUT = 1
REDIS_SOCKET_TIMEOUT = 3
# Before a job is started, Redis must answer a PING within this long (connect and reply each):
# a hung Redis costs the click about a second and a clear message.
REDIS_PROBE_TIMEOUT = 1
# A run that failed beyond one case (the database gone) is tried again after this pause.
RETRY_DELAY = 30
_EXTENSION_KEY = "practice_report_queue"
_REQUESTED = "practice_report_jobs_requested"
_building = threading.Lock()


class QueueUnavailable(Exception):
    """The report queue cannot be used as asked; the message says why."""


@dataclass
class ReportQueue:
    """The app's queue in this process: Huey, its tasks, and the web process's consumer."""

    huey: Huey
    report_job: TaskWrapper
    redis_url: str | None
    worker_thread: bool
    pid: int = field(default_factory=os.getpid)
    consumer: Consumer | None = None
    _starting: threading.Lock = field(default_factory=threading.Lock)

    def ensure_worker_thread(self) -> None:
        """Start this web process's consumer thread if it should have one and has not yet."""
        if not self.worker_thread or self.huey.immediate or self.consumer is not None:
            return
        with self._starting:
            if self.consumer is None:
                consumer = _ThreadConsumer(self.huey, workers=1, periodic=True)
                consumer.start()
                self.consumer = consumer

    def stop_worker_thread(self, timeout: float = 30) -> None:
        """Stop the consumer thread, letting a running task finish its current case first."""
        consumer, self.consumer = self.consumer, None
        if consumer is not None:
            consumer.shutdown_timeout = timeout
            consumer.stop(graceful=True)


class _ThreadConsumer(Consumer):
    """A consumer inside a web process: daemon threads and no signal handlers (those belong to
    the server that runs the app)."""

    def _set_signal_handlers(self) -> None:
        pass


def report_queue(app: Flask | None = None) -> ReportQueue:
    """The report queue of ``app`` (default: the current app), built once per process."""
    app = app or current_app._get_current_object()
    with _building:
        queue = app.extensions.get(_EXTENSION_KEY)
        # A process forked from the one that built it (gunicorn's workers) builds its own:
        # neither storage connections nor consumer threads survive a fork.
        if queue is None or queue.pid != os.getpid():
            queue = _build(app)
            app.extensions[_EXTENSION_KEY] = queue
    return queue


def redis_url(app: Flask | None = None) -> str | None:
    """The Redis the queue runs on, or None for the SQLite file."""
    return (app or current_app).config.get("PRACTICE_REDIS_URL") or None


def queue_file(app: Flask) -> Path:
    """The SQLite file of the queue when no Redis is configured."""
    configured = app.config.get("PRACTICE_REPORT_QUEUE_FILE")
    return Path(configured) if configured else Path(app.instance_path) / QUEUE_FILE


def _build(app: Flask) -> ReportQueue:
    url = redis_url(app)
    options = {"name": app.config["PRACTICE_REPORT_QUEUE_NAME"], "results": False, "utc": True}
    options["immediate"] = bool(app.config.get("PRACTICE_REPORT_QUEUE_IMMEDIATE"))
    huey: Huey
    if url:
        pool = ConnectionPool.from_url(
            url,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            socket_timeout=REDIS_SOCKET_TIMEOUT,
        )
        huey = RedisHuey(connection_pool=pool, **options)
    else:
        path = queue_file(app)
        if not options["immediate"]:
            # It names the cases whose reports are queued: private, as the database is.
            private_files.prepare_sqlite(path)
        huey = SqliteHuey(filename=str(path), **options)
    thread = app.config.get("PRACTICE_REPORT_WORKER_THREAD")
    if options["immediate"]:
        # Jobs run where they are enqueued: a consumer thread would only sweep, concurrently.
        thread = False
    report_job = _register_tasks(huey, app)
    return ReportQueue(huey, report_job, url, worker_thread=not url if thread is None else thread)


def _register_tasks(huey: Huey, app: Flask) -> TaskWrapper:
    """The queue's tasks, bound to ``app``: each runs in an app context of its own."""

    @huey.task(context=True, name="report_job")
    def report_job(job_id: int, task=None) -> None:
        with app.app_context():
            _run(job_id, task.id)

    @huey.periodic_task(crontab(minute="*"), name="sweep_report_jobs")
    def sweep_report_jobs() -> None:
        with app.app_context():
            try:
                sweep()
            except Exception:  # the next minute's sweep tries again
                log.exception("could not sweep the report jobs")

    return report_job


def _run(job_id: int, ticket: str) -> None:
    """Run the job; a failure beyond one case is noted on it and tried again later, while the
    job has runs left. Nothing is raised to Huey, whose log would repeat the message (a
    database error's message may hold clinical text)."""
    try:
        batches.run_report_job(job_id, ticket)
    except Exception as error:
        log.exception("report job %s stopped", job_id)
        what = f"The batch stopped ({type(error).__name__})"
        try:
            with unit_of_work():
                retry = jobs.attempts_left(job_id) > 0
                tail = jobs.HANDED_BACK if retry else jobs.GAVE_UP
                jobs.note_job_error(job_id, f"{what}; {tail}", give_up=not retry)
        except Exception:  # the database itself is gone: try again later
            log.exception("report job %s: could not note why it stopped", job_id)
            retry = True
        if retry:
            raise RetryTask(delay=RETRY_DELAY) from None


# --- Enqueueing --------------------------------------------------------------------------------


def check_reachable() -> None:
    """Refuse a new job (JobError) while the queue cannot take it: a Redis that refuses, or does
    not answer within a few seconds, or a queue file that cannot be opened."""
    queue = report_queue()
    if queue.huey.immediate:
        return
    try:
        if queue.redis_url:
            _ping_redis(queue.redis_url)
        else:
            queue.huey.pending_count()
    except Exception as error:
        log.warning("report queue unreachable: %s", type(error).__name__)
        raise JobError(
            "The report queue is not reachable right now; nothing was started. Try again later."
        ) from error


def _ping_redis(url: str) -> None:
    """PING Redis on a connection of its own with short timeouts (raises if it fails)."""
    client = Redis.from_url(
        url, socket_connect_timeout=REDIS_PROBE_TIMEOUT, socket_timeout=REDIS_PROBE_TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()


def enqueue_after_request(job_id: int, delay: float | None = None) -> None:
    """Enqueue the job once the current request has committed it (``enqueue_requested``); with
    ``delay``, to run that many seconds later (the queue holds it as scheduled meanwhile)."""
    g.setdefault(_REQUESTED, []).append((job_id, delay))


def enqueue_requested(_error: BaseException | None = None) -> None:
    """Blueprint ``teardown_request``: enqueue the jobs the request recorded, now committed,
    and start this web process's consumer thread if it runs one.

    Whatever goes wrong here must not turn an answered request into an error: a job that is
    not enqueued stays recorded, and the sweep hands it to the queue later.
    """
    requested = g.pop(_REQUESTED, [])
    for job_id, delay in requested:
        try:
            enqueue(job_id, delay)
        except Exception:
            log.exception("report job %s could not be enqueued", job_id)
    if requested:
        ensure_worker_thread()


def enqueue(job_id: int, delay: float | None = None) -> None:
    """Put a committed job on the queue under its ticket (``delay`` seconds from now, if given);
    a job rolled back or ended is skipped.

    If the queue does not take it, the job is failed with the reason (``jobs.NOT_TAKEN``).
    """
    queue = report_queue()
    with unit_of_work():
        ticket = jobs.ticket_to_enqueue(job_id)
    if ticket is None:
        return
    try:
        queue.huey.enqueue(queue.report_job.s(job_id, id=ticket, delay=delay or None))
    except Exception:
        log.exception("report job %s: the queue did not take it", job_id)
        with unit_of_work():
            jobs.note_job_error(job_id, jobs.NOT_TAKEN, give_up=True)


def ensure_worker_thread() -> None:
    """Start this web process's consumer thread, if it runs one (see the module docstring).

    Called by this area's pages (never at import or in the app factory: gunicorn forks its
    workers after building the app, and a thread does not survive a fork)."""
    try:
        report_queue().ensure_worker_thread()
    except Exception:  # the page still shows; jobs wait until a consumer runs
        log.exception("could not start the report queue's consumer thread")


def is_immediate() -> bool:
    """Whether jobs run where they are enqueued (``PRACTICE_REPORT_QUEUE_IMMEDIATE``)."""
    return bool(report_queue().huey.immediate)


def runs_in_background_here() -> bool:
    """Whether this web process runs queued jobs itself (immediately or in its thread)."""
    queue = report_queue()
    return queue.huey.immediate or queue.worker_thread


# --- Taking over -------------------------------------------------------------------------------


def _hand_over_stale() -> tuple[list[int], list[int]]:
    """Hand the stale jobs the queue does not hold to new tickets, in the current transaction;
    returns the ids of (running jobs handed back, queued jobs the queue had lost)."""
    candidates = jobs.stale_jobs()
    if not candidates:
        return [], []
    huey = report_queue().huey
    held = {task.id for task in [*huey.pending(), *huey.scheduled()]}
    abandoned, lost = [], []
    for job in candidates:
        if job.queue_job_id in held:
            continue  # waiting behind other jobs, or for its retry
        was_running = job.status == JobStatus.RUNNING
        if jobs.hand_over(job, jobs.new_ticket()):
            (abandoned if was_running else lost).append(job.id)
    return abandoned, lost


def sweep() -> tuple[int, int]:
    """Hand over and enqueue the jobs whose runner stopped and those the queue lost, each in a
    unit of work of its own; returns how many of each."""
    with unit_of_work():
        abandoned, lost = _hand_over_stale()
    for job_id in [*abandoned, *lost]:
        enqueue(job_id)
    return len(abandoned), len(lost)


def take_over_after_request() -> None:
    """Within a request (the jobs page): hand over the stale jobs, enqueued once committed.

    A queue that does not answer is logged; the page still shows the jobs as they are.
    """
    try:
        abandoned, lost = _hand_over_stale()
    except Exception:
        log.exception("could not take over stale report jobs")
        return
    for job_id in [*abandoned, *lost]:
        enqueue_after_request(job_id)


# --- The worker ----------------------------------------------------------------------------------


def run_worker(burst: bool = False, echo: Callable[[str], None] = print) -> None:
    """Consume the report queue in this process (``flask practice worker``), until stopped or,
    with ``burst``, until no job waits. First hands over the jobs of workers that stopped and
    the jobs the queue lost. Raises QueueUnavailable when there is no queue to consume.
    """
    queue = report_queue()
    if queue.huey.immediate:
        raise QueueUnavailable(
            "PRACTICE_REPORT_QUEUE_IMMEDIATE is set: report jobs run where they are asked for, "
            "so there is nothing for a worker to do."
        )
    try:
        queue.huey.pending_count()
    except Exception as error:
        where = url_without_password(queue.redis_url) if queue.redis_url else "the queue file"
        raise QueueUnavailable(f"The report queue at {where} is not reachable: {error}") from error
    _log_to_stderr()
    abandoned, lost = sweep()
    if abandoned or lost:
        echo(f"Requeued {abandoned} abandoned and {lost} lost report job(s).")
    if burst:
        _drain(queue.huey)
        return
    queue.huey.create_consumer(workers=1, periodic=True).run()


def _log_to_stderr() -> None:
    """The consumer's own lines (started, each task run and how long it took) as plain text;
    they name tasks and job ids, never clinical text."""
    logger = logging.getLogger("huey")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _drain(huey: Huey) -> None:
    """Run the tasks waiting now (and those due from the schedule), then return."""
    while True:
        for task in huey.read_schedule():
            huey.enqueue(task)
        task = huey.dequeue()
        if task is None:
            return
        huey.execute(task)


def url_without_password(url: str) -> str:
    """``url`` fit for a message or a log: its password, if any, replaced by ***."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    user = f"{parts.username}:***" if parts.username else ":***"
    host = parts.hostname or ""
    netloc = f"{user}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
