"""Retention: purge cases whose retention period has ended."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from practice.cases.operations import today
from practice.core.database import db
from practice.records import retention


@click.command("purge-expired")
@with_appcontext
@click.option(
    "--years",
    type=click.IntRange(min=1),
    help="Retention period in years [default: PRACTICE_RETENTION_YEARS, 7].",
)
@click.option("--dry-run", is_flag=True, help="Only list the cases that would be purged.")
@click.option("--yes", is_flag=True, help="Purge without asking for confirmation.")
def purge_expired(years: int | None, dry_run: bool, yes: bool) -> None:
    """Delete closed cases (and their reports' files) closed longer ago than the retention
    period, and stored report files no report refers to (left by a process stopped
    mid-report). Audit events stay; each purge is audited as "case_purged"."""
    years = years or retention.retention_years()
    ids = retention.expired_case_ids(today(), years)
    orphans = retention.orphaned_report_files()
    click.echo(
        f"{len(ids)} closed case(s) past the {years}-year retention period"
        + (f": ids {', '.join(map(str, ids))}." if ids else ".")
    )
    if orphans:
        click.echo(
            f"{len(orphans)} stored report file(s) that no report refers to (a process stopped "
            "while recording it)."
        )
    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return
    if not ids and not orphans:
        return
    if not yes:
        click.confirm("Purge them and their stored reports for good?", abort=True)
    removed = 0
    for case_id in ids:
        purged = retention.purge_case(case_id, years)
        # One commit per case, files removed only once it holds: a failure later on leaves
        # the cases already purged purged, and never a row whose PDF is gone.
        db.commit()
        removed += retention.remove_report_files(purged.report_files)
    if ids:
        click.echo(f"Purged {len(ids)} case(s); removed {removed} stored report file(s).")
    if orphans:
        swept = retention.remove_orphaned_files(orphans)
        db.commit()
        click.echo(f"Removed {swept} stored report file(s) that no report referred to.")
