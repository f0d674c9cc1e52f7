"""Backups of the tracker's database, and restoring one.

SQLite is copied with its online backup API (a consistent snapshot, safe while the app runs:
in WAL mode a reader does not stop writers); PostgreSQL with ``pg_dump --format=custom`` and
``pg_restore``. The server password reaches those programs through ``PGPASSWORD`` in their
environment, never on a command line. A backup file holds every note in clear text: it is
created readable by its owner only.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from practice import audit
from practice.audit.models import AuditEvent
from practice.core import migrate
from practice.core.database import Base, db, engine

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
_AUDIT_TABLE = AuditEvent.__table__.name
# pg_dump of a large practice takes a while; a hung connection should not wait forever.
_PG_TIMEOUT_SECONDS = 3600


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and changes nothing."""


@dataclass(frozen=True)
class BackupResult:
    """A backup written: which database, how big, and the last audit event it holds."""

    backend: str
    size: int
    last_event_id: int | None
    last_row_hash: str | None


@dataclass(frozen=True)
class RestoreResult:
    """A restore done: the audit chain's state afterwards and whether the schema is current."""

    backend: str
    events: int
    broken: list[int]
    at_head: bool


def backend_name() -> str:
    """``sqlite`` or ``postgresql``: the configured database's dialect."""
    return engine().dialect.name


def table_counts() -> dict[str, int]:
    """Rows in each of the tracker's tables that exist in the database, by table name."""
    present = set(sa.inspect(db.connection()).get_table_names())
    return {
        table.name: db.scalar(sa.select(sa.func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
        if table.name in present
    }


def create_backup(target: Path) -> BackupResult:
    """Write a backup of the configured database to ``target`` and audit it; flushes.

    Raises BackupError for an in-memory database, a target that is the database itself or
    cannot be written, a missing pg_dump or a failed dump.
    """
    target = Path(target)
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    backend = backend_name()
    # Written beside the target and moved into place, so a failed backup never leaves half a
    # file under the name of a good one.
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise BackupError(f"Cannot write in {target.parent}: {error.strerror}.") from error
    try:
        if backend == "sqlite":
            last_event = _sqlite_backup(_sqlite_path(), target, partial)
        elif backend == "postgresql":
            last_event = _pg_dump(partial)
        else:
            raise BackupError(f"Backups of {backend} databases are not supported.")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    result = BackupResult(backend, target.stat().st_size, *last_event)
    audit.record(
        "backup_created",
        object_type="Practice",
        actor_label="cli",
        detail={"backend": backend, "bytes": result.size, "last_event_id": result.last_event_id},
    )
    return result


def restore_backup(source: Path, force: bool = False) -> RestoreResult:
    """Replace the configured database's content with the backup ``source``, then verify the
    audit chain and audit the restore (when the schema is current); flushes.

    Raises BackupError for a missing or unreadable file, a backup of the other kind of database,
    a target that already holds data (unless ``force``) or a failed restore.
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    backend = backend_name()
    kind = _backup_kind(source)
    if kind != backend:
        raise BackupError(
            f"{source} is a {kind} backup; the configured database is {backend}."
            if kind
            else f"{source} is not a backup of this tracker (neither SQLite nor pg_dump)."
        )
    if backend == "sqlite":
        _check_sqlite_backup(source)
    else:
        _check_pg_archive(source)
    if not force:
        filled = {name: rows for name, rows in table_counts().items() if rows}
        if filled:
            raise BackupError(
                f"The database already holds data ({len(filled)} tables with rows, e.g. "
                f"{_example(filled)}). Restore into an empty database, or add --force to "
                "replace its content."
            )
    # Let go of every connection: the restore replaces tables they may hold locks on. The
    # command's unit of work goes on in a new session, which records the restore.
    db.remove()
    engine().dispose()
    if backend == "sqlite":
        _sqlite_restore(source, _sqlite_path())
    else:
        _pg_restore(source)
    broken = list(audit.broken_links())
    events = db.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) or 0
    at_head = migrate.is_at_head()
    if at_head:
        audit.record(
            "backup_restored",
            object_type="Practice",
            actor_label="cli",
            outcome="ok" if not broken else "broken",
            detail={"backend": backend, "events": events, "broken_events": len(broken)},
        )
    return RestoreResult(backend, events, broken, at_head)


def _example(filled: dict[str, int]) -> str:
    """The first table that holds rows, as ``12 rows in practice_case``."""
    name, rows = next(iter(filled.items()))
    return f"{rows} rows in {name}"


def _backup_kind(path: Path) -> str | None:
    """``sqlite`` or ``postgresql`` by the file's first bytes, or None for neither."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from error
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    return None


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_path() -> Path:
    database = engine().url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("Backups need a SQLite database file, not an in-memory database.")
    return Path(database)


def _busy_seconds() -> float:
    return int(current_app.config["PRACTICE_SQLITE_BUSY_TIMEOUT_MS"]) / 1000


def _sqlite_backup(database: Path, target: Path, partial: Path) -> tuple[int | None, str | None]:
    """Copy ``database`` into ``partial``; the last audit event (id, hash) in the copy."""
    if not database.is_file():
        raise BackupError(f"The database file {database} does not exist.")
    if target.resolve() == database.resolve():
        raise BackupError("The backup file cannot be the database file itself.")
    live = sqlite3.connect(database, timeout=_busy_seconds())
    copy = sqlite3.connect(partial)
    try:
        live.backup(copy)  # one step: a single consistent snapshot of the live database
        # One self-contained file (no -wal beside it), which opens read-only when restored.
        copy.execute("PRAGMA journal_mode=DELETE")
        last_event = _last_event(copy)
    except sqlite3.Error as error:
        raise BackupError(f"The SQLite backup failed: {error}") from error
    finally:
        copy.close()
        live.close()
    return last_event


def _last_event(connection: sqlite3.Connection) -> tuple[int | None, str | None]:
    """The newest audit event (id, row hash) in a SQLite database, or (None, None)."""
    try:
        row = connection.execute(
            f"SELECT id, row_hash FROM {_AUDIT_TABLE} ORDER BY id DESC LIMIT 1"
        ).fetchone()
    except sqlite3.OperationalError:  # a database never migrated has no audit table
        return None, None
    return (row[0], row[1]) if row else (None, None)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _check_sqlite_backup(source: Path) -> None:
    """Raise BackupError unless ``source`` is an intact SQLite file holding the tracker."""
    try:
        connection = _read_only(source)
        try:
            status = connection.execute("PRAGMA quick_check").fetchone()[0]
            tables = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise BackupError(f"{source} is not a readable SQLite backup: {error}.") from error
    if status != "ok":
        raise BackupError(f"{source} is damaged (SQLite integrity check: {status}).")
    if migrate.VERSION_TABLE not in tables:
        raise BackupError(f"{source} is a SQLite file, but not a backup of this tracker.")


def _sqlite_restore(source: Path, database: Path) -> None:
    backup = _read_only(source)
    live = sqlite3.connect(database, timeout=_busy_seconds())
    try:
        backup.backup(live)
        live.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as error:
        raise BackupError(f"The SQLite restore failed: {error}") from error
    finally:
        live.close()
        backup.close()


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client programs (Debian: "
            "postgresql-client, the same major version as the server)."
        )
    return found


def _pg_connection() -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and an environment carrying it as PGPASSWORD."""
    url = engine().url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    # Built afresh: ``URL.set(password=None)`` would keep the password.
    bare = sa.engine.URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    uri = bare.render_as_string(hide_password=False)
    return uri, env


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    try:
        completed = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=_PG_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired as error:
        raise BackupError(f"{what} did not finish within {_PG_TIMEOUT_SECONDS} s.") from error
    if completed.returncode != 0:
        lines = [line for line in completed.stderr.strip().splitlines() if line.strip()]
        reason = " ".join(lines[-3:]) or f"exit status {completed.returncode}"
        raise BackupError(f"{what} failed: {reason}")


def _pg_dump(partial: Path) -> tuple[int | None, str | None]:
    """Dump into ``partial``; the last audit event (id, hash) in the dump.

    The dump reads the snapshot this function exports, so the event read here is exactly the
    last one the dump holds.
    """
    program = _pg_program("pg_dump")
    uri, env = _pg_connection()
    connection = engine().connect().execution_options(isolation_level="REPEATABLE READ")
    with connection, connection.begin():
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        last_event = connection.execute(
            sa.select(AuditEvent.id, AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1)
        ).first()
        argv = [
            program,
            "--format=custom",
            f"--snapshot={snapshot}",
            f"--file={partial}",
            f"--dbname={uri}",
        ]
        _run(argv, env, "pg_dump")
    return (last_event[0], last_event[1]) if last_event else (None, None)


def _check_pg_archive(source: Path) -> None:
    """Raise BackupError unless pg_restore can read the archive's table of contents."""
    program = _pg_program("pg_restore")
    try:
        _run([program, "--list", str(source)], dict(os.environ), "Reading the archive")
    except BackupError as error:
        raise BackupError(f"{source} is not a readable pg_dump archive. {error}") from error


def _pg_restore(source: Path) -> None:
    program = _pg_program("pg_restore")
    uri, env = _pg_connection()
    argv = [
        program,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        # All or nothing: a failed restore leaves the database as it was.
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={uri}",
        str(source),
    ]
    _run(argv, env, "pg_restore")
