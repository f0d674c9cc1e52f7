"""``flask practice report``, ``reports`` and ``worker``: progress reports from the command line.

Each command runs in the unit of work ``practice.commands`` gives it; reports are made by
``operations.generate_report``, as from the web.
"""

from __future__ import annotations

import click

# Imports stay local so that other commands do not load WeasyPrint or the queue.

_AUDIENCE_CHOICE = click.Choice(["clinical", "client", "referrer"])
_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.command("report")
@click.argument("case_ref")
@click.option("--from", "start", type=_DAY, help="First day (YYYY-MM-DD) [default: case opened].")
@click.option("--to", "end", type=_DAY, help="Last day (YYYY-MM-DD) [default: today].")
@click.option("--audience", type=_AUDIENCE_CHOICE, default="clinical", show_default=True)
@click.option("--narrative", default="", help="The counsellor's narrative (plain text).")
@click.option(
    "--recommendations", default="", help="Recommendations (referrer and clinical reports)."
)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="Where to write the PDF.",
)
def report_command(case_ref, start, end, audience, narrative, recommendations, out_file) -> None:
    """Generate a case's progress report as its counsellor (stored, recorded, audited)."""
    from datetime import date
    from pathlib import Path

    from sqlalchemy import select

    from practice.cases.models import Case
    from practice.core.database import db
    from practice.reporting import operations

    case = db.scalar(select(Case).where(Case.reference == case_ref.strip()))
    if case is None:
        raise click.ClickException(f"No case with reference {case_ref}.")
    default_start, default_end = operations.default_period(case, date.today())
    start = start.date() if start else default_start
    end = end.date() if end else default_end
    try:
        report = operations.generate_report(
            case,
            start,
            end,
            audience,
            narrative,
            case.counsellor,
            copy_to=Path(out_file),
            recommendations=recommendations,
        )
    except (operations.ReportError, OSError) as error:
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
    import os
    from datetime import date
    from pathlib import Path

    from practice.reporting import batch_processes, batches
    from practice.reporting.operations import ReportError

    try:
        cases = batches.batch_cases(counsellor_email, status)
    except ReportError as error:
        raise click.ClickException(str(error)) from error
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    batch = batches.batch_jobs(cases, audience, folder, date.today())
    if not batch:
        click.echo("No cases match; nothing generated.")
        return
    workers = min(workers or os.cpu_count() or 1, len(batch))
    try:
        pool = batch_processes.process_pool(workers)
    except batch_processes.InMemoryDatabase as error:
        raise click.ClickException(str(error)) from error
    with (
        pool,
        click.progressbar(length=len(batch), label=f"Reports ({workers} processes)") as bar,
    ):
        outcomes = batches.run_batch(
            batch, batch_processes.generate_copy, pool, on_outcome=lambda _outcome: bar.update(1)
        )
    failed = [outcome for outcome in outcomes if not outcome.ok]
    for outcome in failed:
        click.echo(f"Failed: {outcome.job.reference}: {outcome.detail}", err=True)
    click.echo(f"{len(outcomes) - len(failed)} generated, {len(failed)} failed.")
    if failed:
        raise click.exceptions.Exit(1)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then quit.")
def worker_command(burst: bool) -> None:
    """Run the report jobs of the report queue (Redis with REDIS_URL, else the instance
    folder's SQLite file); run one or more, restarted when they stop.

    On start it hands back to the queue the jobs whose worker stopped, and the unfinished jobs
    the queue lost; each job resumes after the last report it committed.
    """
    from practice.reporting import queue

    try:
        queue.run_worker(burst=burst, echo=click.echo)
    except queue.QueueUnavailable as error:
        raise click.ClickException(str(error)) from error
