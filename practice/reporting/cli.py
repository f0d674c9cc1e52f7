"""``flask practice report``, ``reports`` and ``worker``: progress reports from the command line."""

from __future__ import annotations

import click

from practice.core.database import db

# --- Progress reports ------------------------------------------------------------------------
# Imports stay local so that other commands do not load WeasyPrint; the batch's worker
# functions live here, at module level, because a spawned worker process imports them by name.

_AUDIENCE_CHOICE = click.Choice(["clinical", "client", "referrer"])
_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.command("report")
@click.argument("case_ref")
@click.option("--from", "start", type=_DAY, help="First day (YYYY-MM-DD) [default: case opened].")
@click.option("--to", "end", type=_DAY, help="Last day (YYYY-MM-DD) [default: today].")
@click.option("--audience", type=_AUDIENCE_CHOICE, default="clinical", show_default=True)
@click.option("--narrative", default="", help="The counsellor's narrative (plain text).")
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="Where to write the PDF.",
)
def report_command(case_ref, start, end, audience, narrative, out_file) -> None:
    """Generate a case's progress report as its counsellor (stored, recorded, audited)."""
    from datetime import date
    from pathlib import Path

    from sqlalchemy import select

    from practice.cases.models import Case
    from practice.reporting import operations as reports

    case = db.scalar(select(Case).where(Case.reference == case_ref.strip()))
    if case is None:
        raise click.ClickException(f"No case with reference {case_ref}.")
    default_start, default_end = reports.default_period(case, date.today())
    start = start.date() if start else default_start
    end = end.date() if end else default_end
    storage_path = None
    try:
        counsellor = case.counsellor
        rendered = reports.render_report(case, start, end, audience, narrative, counsellor)
        db.rollback()  # end the reading transaction before writing (see the batch)
        report = reports.record_report(rendered, counsellor)
        storage_path = report.storage_path
        Path(out_file).write_bytes(rendered.data)
    except (reports.ReportError, OSError) as error:
        if storage_path:
            reports.discard_file(storage_path)
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Wrote {out_file}: {case_ref.strip()}, {audience}, {start.isoformat()} to "
        f"{end.isoformat()}, {report.page_count} pages, SHA-256 {report.sha256}."
    )


@click.command("reports")
@click.option("--counsellor", "counsellor_email", help="Only this counsellor's cases (email).")
@click.option(
    "--status", type=click.Choice(["active", "paused", "closed"]), help="Only cases in this status."
)
@click.option(
    "--out-dir", required=True, type=click.Path(file_okay=False), help="Folder for the PDFs."
)
@click.option("--audience", type=_AUDIENCE_CHOICE, default="clinical", show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes [default: the number of CPUs].",
)
def reports_command(counsellor_email, status, out_dir, audience, workers) -> None:
    """Generate the reports of many cases in parallel processes; exits 1 if any failed.

    Each report covers its case from opening to today, is generated as the case's counsellor,
    and is stored and recorded as from the web, with a copy written to --out-dir.
    """
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor
    from datetime import date
    from pathlib import Path

    from flask import current_app

    from practice.reporting import operations as reports

    try:
        cases = reports.batch_cases(counsellor_email, status)
    except reports.ReportError as error:
        raise click.ClickException(str(error)) from error
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    jobs = reports.batch_jobs(cases, audience, folder, date.today())
    if not jobs:
        click.echo("No cases match; nothing generated.")
        return
    settings = _report_worker_settings(current_app)
    # The workers write while this process waits: end its reading transaction first.
    db.close()
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    # "spawn": each worker starts clean and builds its own app, rather than inheriting this
    # process's database connections and app context through fork().
    with (
        ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_report_worker,
            initargs=(settings,),
        ) as pool,
        click.progressbar(length=len(jobs), label=f"Reports ({workers} processes)") as bar,
    ):
        outcomes = reports.run_batch(
            jobs, _render_batch_job, pool, on_outcome=lambda _outcome: bar.update(1)
        )
    failed = [outcome for outcome in outcomes if not outcome.ok]
    for outcome in failed:
        click.echo(f"Failed: {outcome.job.reference}: {outcome.detail}", err=True)
    click.echo(f"{len(outcomes) - len(failed)} generated, {len(failed)} failed.")
    if failed:
        raise click.exceptions.Exit(1)


def _report_worker_settings(app) -> dict:
    """What a worker process needs to build the same app: database, instance, PRACTICE_* keys.

    Raises ClickException for an in-memory SQLite database, which other processes cannot see.
    """
    import pickle

    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise click.ClickException("A batch needs a database file or server, not in-memory.")
    config = {}
    for key, value in app.config.items():
        if key.startswith("PRACTICE_") or key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY"):
            try:
                pickle.dumps(value)
            except Exception:  # a host's callable or object: workers do without it
                continue
            config[key] = value
    return {"config": config, "instance_path": app.instance_path}


_worker_app = None


def _start_report_worker(settings: dict) -> None:
    """Worker process initializer: build the app once per process."""
    global _worker_app
    from practice.standalone import create_app

    _worker_app = create_app(dict(settings["config"]), instance_path=settings["instance_path"])


def _render_batch_job(job) -> str:
    """Generate, record and copy out one case's report in a worker; raises ReportError."""
    from datetime import date
    from pathlib import Path

    from practice.cases.models import Case
    from practice.reporting import operations as reports

    with _worker_app.app_context():
        storage_path = None
        try:
            case = db.get(Case, job.case_id)
            if case is None:
                raise reports.ReportError("The case no longer exists.")
            start, end = reports.default_period(case, date.today())
            counsellor = case.counsellor
            rendered = reports.render_report(case, start, end, job.audience, "", counsellor)
            # End the reading transaction before writing: on SQLite a read that turns into a
            # write fails outright if another worker committed in between.
            report = reports.record_report(rendered, counsellor)
            storage_path = report.storage_path
            Path(job.out_file).write_bytes(rendered.data)
            db.commit()
        except Exception as error:
            db.rollback()
            if storage_path:
                reports.discard_file(storage_path)
            # Re-raised as a plain ReportError: it crosses the process boundary by pickling.
            reason = str(error) if isinstance(error, reports.ReportError) else None
            raise reports.ReportError(reason or f"{type(error).__name__}: {error}") from None
    return f"{job.out_file} ({rendered.page_count} pages)"


# --- Report jobs -----------------------------------------------------------------------------


@click.command("worker")
@click.option("--burst", is_flag=True, help="Quit once the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run a worker for the report jobs queued on Redis (REDIS_URL).

    On start it hands back to the queue the batches of workers that died mid-job, and the
    unfinished batches the queue lost; each job resumes after the last report it committed.
    """
    from flask import current_app
    from redis.exceptions import RedisError
    from rq import Worker

    from practice.core.database import engine
    from practice.reporting import jobs

    url = current_app.config.get("PRACTICE_REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: without it report jobs run in-process.")
    connection = jobs.redis_connection(url, socket_timeout=None)
    try:
        connection.ping()
    except RedisError as error:
        shown = jobs.url_without_password(url)
        raise click.ClickException(f"Redis at {shown} is not reachable: {error}") from error
    jobs.set_worker_app(current_app._get_current_object())
    abandoned = jobs.requeue_abandoned(connection)
    lost = jobs.requeue_lost(connection)
    if abandoned or lost:
        click.echo(f"Requeued {len(abandoned)} abandoned and {len(lost)} lost report job(s).")
    # Work horses are forked from this process: leave them no open database connection.
    db.remove()
    engine().dispose()
    worker = Worker(
        [jobs.report_queue(connection)],
        connection=connection,
        work_horse_killed_handler=jobs.on_work_horse_killed,
    )
    worker.work(burst=burst, logging_level="INFO")
