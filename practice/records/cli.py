"""``flask practice upgrade-db``, ``make-migration``, ``backup``, ``restore``,
``purge-expired`` and ``integrity reseal``/``rotate-key``: keeping the database: its schema, its
backups, how long its records are kept and the seals that show a change.

Each command runs in one unit of work (``practice.commands``); ``purge-expired`` commits each
purged case on its own as well, so that a failure part-way keeps the purges already done.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from alembic import command

from practice.audit import anchor as audit_anchor
from practice.cases.operations import today
from practice.core import integrity, migrate
from practice.core.unit_of_work import unit_of_work
from practice.records import backup, retention
from practice.records import integrity as integrity_ops


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


@click.group("integrity")
def integrity_group() -> None:
    """Seals under the integrity key: re-seal after the upgrade, rotate the key."""


def _report(result: integrity_ops.ResealResult) -> None:
    click.echo(
        f"Sealed {result.notes:,} signed note(s), re-chained {result.events:,} audit event(s), "
        f"encrypted {result.secrets:,} two-factor secret(s) under key {result.key_id}."
    )
    if result.tampered_notes:
        shown = ", ".join(str(i) for i in result.tampered_notes[:20])
        click.echo(
            f"{len(result.tampered_notes)} signed note(s) did not match their old seal and "
            f"stay marked as tampered: sessions {shown}."
        )


@integrity_group.command("reseal")
def reseal_command() -> None:
    """Seal under the key what was sealed without one before keyed seals (run once after the
    upgrade): signed notes whose old unkeyed seal still matches, the audit chain (checked
    first; a broken one is refused), the anchor, and plaintext two-factor secrets."""
    with unit_of_work():
        try:
            result = integrity_ops.reseal()
        except integrity_ops.IntegrityError as error:
            raise click.ClickException(str(error)) from error
    integrity_ops.reanchor()
    _report(result)


@integrity_group.command("rotate-key")
@click.option(
    "--new-key-env",
    default=None,
    metavar="NAME",
    help="Read the new key from this environment variable (needed when the key is set by "
    "PRACTICE_INTEGRITY_KEY); by default a new key is generated into the key file.",
)
def rotate_key_command(new_key_env: str | None) -> None:
    """Re-seal every signed note, re-chain and re-anchor the audit log and re-encrypt the
    two-factor secrets under a new integrity key, and record the rotation in the audit log.

    Stop the app first. With the key in the instance file, the new key replaces it (the old
    one is kept as integrity.key.previous); with PRACTICE_INTEGRITY_KEY, give the new key in
    another variable and set PRACTICE_INTEGRITY_KEY to it before starting the app again.
    """
    configured = integrity.configured_key() is not None
    if new_key_env:
        new_key = os.environ.get(new_key_env, "")
        if not new_key:
            raise click.ClickException(f"The environment variable {new_key_env} is not set.")
    elif configured:
        raise click.ClickException(
            "The key is set by PRACTICE_INTEGRITY_KEY: give the new key with --new-key-env."
        )
    else:
        new_key = integrity.new_key_text()
    staged = None if configured else integrity_ops.stage_key_file(new_key)
    with unit_of_work():
        try:
            result = integrity_ops.rotate(new_key)
        except (integrity_ops.IntegrityError, integrity.IntegrityKeyError) as error:
            if staged is not None:
                staged.unlink(missing_ok=True)
            integrity.forget_cached_key()
            raise click.ClickException(str(error)) from error
    integrity_ops.reanchor()
    _report(result)
    if staged is not None:
        path = integrity_ops.install_key_file(staged)
        click.echo(f"The new key is in {path}; back it up now (the old one: {path}.previous).")
    else:
        click.echo("Now set PRACTICE_INTEGRITY_KEY to the new key and start the app again.")
