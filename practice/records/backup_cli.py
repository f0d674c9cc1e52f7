"""Backup and restore: flask practice backup FILE / restore FILE."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from practice.audit import anchor as audit_anchor
from practice.core.database import db

_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command("backup")
@with_appcontext
@click.argument("file", type=_FILE)
def backup_command(file: Path) -> None:
    """Back up the database to FILE while the app keeps running (readable by you only).

    SQLite: the online backup API, a consistent copy. PostgreSQL: pg_dump --format=custom.
    """
    from practice.records import backup

    try:
        result = backup.create_backup(file)
    except backup.BackupError as error:
        db.rollback()
        raise click.ClickException(str(error)) from error
    db.commit()
    upto = f"audit events up to #{result.last_event_id}" if result.last_event_id else "no events"
    click.echo(
        f"Backed up the {result.backend} database to {file} ({result.size:,} bytes, {upto})."
    )


@click.command("restore")
@with_appcontext
@click.argument("file", type=_FILE)
@click.option("--force", is_flag=True, help="Replace the content of a database that holds data.")
def restore_command(file: Path, force: bool) -> None:
    """Restore the backup FILE into the configured database, then verify the audit chain.

    Refuses a database that already holds data unless --force; stop the app first. Exits 1
    if the restored audit chain does not verify.
    """
    from practice.records import backup

    try:
        result = backup.restore_backup(file, force=force)
    except backup.BackupError as error:
        db.rollback()
        raise click.ClickException(str(error)) from error
    db.commit()
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
