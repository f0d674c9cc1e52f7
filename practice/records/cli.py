"""``flask practice upgrade-db``, ``make-migration``, ``backup``, ``restore`` and
``purge-expired``: keeping the database: its schema, its backups and how long its records are
kept.

Each command runs in one unit of work (``practice.commands``); ``purge-expired`` commits each
purged case on its own as well, so that a failure part-way keeps the purges already done.
"""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command

from practice.audit import anchor as audit_anchor
from practice.cases.operations import today
from practice.core import migrate
from practice.core.unit_of_work import unit_of_work
from practice.records import backup, retention


@click.command("upgrade-db")
@click.option("--revision", default="head", show_default=True)
def upgrade_db(revision: str) -> None:
    """Bring the database schema up to date (creates it when empty)."""
    migrate.upgrade(revision)
    click.echo(f"Database at {', '.join(migrate.current_revisions())}.")


@click.command("make-migration")
@click.argument("message")
def make_migration(message: str) -> None:
    """Autogenerate a new migration from the models (for developers)."""
    command.revision(migrate.alembic_config(), message=message, autogenerate=True)


_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command("backup")
@click.argument("file", type=_FILE)
def backup_command(file: Path) -> None:
    """Back up the database to FILE while the app keeps running (readable by you only).

    SQLite: the online backup API, a consistent copy. PostgreSQL: pg_dump --format=custom.
    """
    try:
        result = backup.create_backup(file)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    upto = f"audit events up to #{result.last_event_id}" if result.last_event_id else "no events"
    click.echo(
        f"Backed up the {result.backend} database to {file} ({result.size:,} bytes, {upto})."
    )


@click.command("restore")
@click.argument("file", type=_FILE)
@click.option("--force", is_flag=True, help="Replace the content of a database that holds data.")
def restore_command(file: Path, force: bool) -> None:
    """Restore the backup FILE into the configured database, then verify the audit chain.

    Refuses a database that already holds data unless --force; stop the app first. Exits 1
    if the restored audit chain does not verify (the restore and its audit event are kept).
    """
    try:
        result = backup.restore_backup(file, force=force)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {file} into the {result.backend} database.")
    if not result.at_head:
        click.echo("Its schema is older than this version: run `practice upgrade-db` next.")
    if result.broken:
        raise click.ClickException(
            f"Audit chain broken at {len(result.broken)} event(s), first at id {result.broken[0]}."
        )
    click.echo(f"Audit chain intact ({result.events:,} events).")
    # The restored chain is the record now: `audit verify` checks it from its newest event on.
    path = audit_anchor.default_path()
    head = audit_anchor.remember_head(path)
    if head is not None:
        click.echo(f"Its newest event, #{head.id}, is remembered in {path}.")


@click.command("purge-expired")
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
    case_ids = retention.expired_case_ids(today(), years)
    orphaned_files = retention.orphaned_report_files()
    click.echo(
        f"{len(case_ids)} closed case(s) past the {years}-year retention period"
        + (f": ids {', '.join(map(str, case_ids))}." if case_ids else ".")
    )
    if orphaned_files:
        click.echo(
            f"{len(orphaned_files)} stored report file(s) that no report refers to (a process "
            "stopped while recording it)."
        )
    if dry_run:
        click.echo("Dry run: nothing was changed.")
        return
    if not case_ids and not orphaned_files:
        return
    if not yes:
        click.confirm("Purge them and their stored reports for good?", abort=True)
    files_removed = 0
    for case_id in case_ids:
        # A unit of work per case, files removed only once it holds: a failure later on
        # leaves the cases already purged purged, and never a row whose PDF is gone.
        with unit_of_work():
            purged = retention.purge_case(case_id, years)
        files_removed += retention.remove_report_files(purged.report_files)
    if case_ids:
        click.echo(
            f"Purged {len(case_ids)} case(s); removed {files_removed} stored report file(s)."
        )
    if orphaned_files:
        with unit_of_work():
            swept = retention.remove_orphaned_files(orphaned_files)
        click.echo(f"Removed {swept} stored report file(s) that no report referred to.")
