"""Backups: ``practice backup`` and ``practice restore`` on real databases of both kinds.

A small demo practice is backed up through the CLI and restored into a new database; every
table must hold as many rows as the original did, and the audit chain must verify and end on
the original's last hash.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from practice import audit
from practice.core import migrate
from practice.core.database import db
from practice.demo import seed as demo
from practice.models import AuditEvent, Role, StaffMember
from practice.records.backup import table_counts
from tests.conftest import make_test_app
from tests.databases import fresh_database

pytestmark = pytest.mark.slow

AUDIT = AuditEvent.__table__.name
# The integrity key goes with the backups: a restore verifies the chain under the same key.
KEY = "backup-test-integrity-key-0123456789"


@dataclass
class Original:
    """The seeded practice as it was backed up: row counts and last audit event."""

    app: Flask
    counts: dict[str, int]
    last_id: int
    last_hash: str


def _dispose(app: Flask) -> None:
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def _last_event(app: Flask) -> AuditEvent:
    with app.app_context():
        event = db.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        db.expunge(event)
        return event


def _cli(app: Flask, *args: str):
    result = app.test_cli_runner().invoke(args=["practice", *args])
    _dispose(app)  # no connection left open to block a restore or a DROP DATABASE
    return result


@pytest.fixture(scope="module")
def seeded(backend, tmp_path_factory) -> Iterator[Flask]:
    """An app on a migrated database of ``backend`` holding a small demo practice."""
    tmp = tmp_path_factory.mktemp(f"backup-{backend}")
    with fresh_database(backend, tmp) as url:
        app = make_test_app(url, tmp / "instance", PRACTICE_INTEGRITY_KEY=KEY)
        with app.app_context():
            migrate.upgrade()
            demo.seed_demo(scale=0.1, sessions_per_case=4)
            db.commit()
        _dispose(app)
        yield app
        _dispose(app)


@pytest.fixture
def new_app(backend, tmp_path) -> Iterator[Flask]:
    """An app on a new, empty database of ``backend`` (not even migrated)."""
    with fresh_database(backend, tmp_path) as url:
        app = make_test_app(url, tmp_path / "instance", PRACTICE_INTEGRITY_KEY=KEY)
        yield app
        _dispose(app)


def _backup(app: Flask, tmp_path: Path) -> tuple[Original, Path]:
    """Back up through the CLI; the practice as it was backed up, and the file."""
    with app.app_context():
        counts = table_counts()
        last = db.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        original = Original(app, counts, last.id, last.row_hash)
    file = tmp_path / "practice.backup"
    result = _cli(app, "backup", str(file))
    assert result.exit_code == 0, result.output
    assert "Backed up the" in result.output
    return original, file


def test_backup_restores_into_a_new_database_with_every_row_and_the_audit_chain(
    seeded, new_app, tmp_path
):
    original, file = _backup(seeded, tmp_path)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600  # it holds every note in clear text
    created = _last_event(original.app)
    assert (created.action, created.actor_label, created.remote_addr) == (
        "backup_created",
        "cli",
        "cli",
    )
    assert created.detail["last_event_id"] == original.last_id

    result = _cli(new_app, "restore", str(file))
    assert result.exit_code == 0, result.output
    assert "Audit chain intact" in result.output

    with new_app.app_context():
        restored = table_counts()
        assert set(restored) == set(original.counts)
        # Every table as backed up; the audit log has one event more: this restore.
        assert {**restored, AUDIT: restored[AUDIT] - 1} == original.counts
        assert all(original.counts[name] for name in ("practice_session", "practice_moment"))
        assert list(audit.broken_links()) == []
        same = db.get(AuditEvent, original.last_id)
        assert same.row_hash == original.last_hash
        events = db.scalars(
            select(AuditEvent).where(AuditEvent.id > original.last_id).order_by(AuditEvent.id)
        ).all()
        assert [(e.action, e.actor_label, e.prev_hash) for e in events] == [
            ("backup_restored", "cli", original.last_hash)
        ]
        assert migrate.is_at_head()
        # The demo's accounts came across: the restored practice is usable as it was.
        assert db.scalar(
            select(StaffMember).where(StaffMember.email == demo.demo_email(Role.COUNSELLOR, 1))
        )


def test_backup_while_the_practice_keeps_writing_is_consistent(seeded, new_app, tmp_path):
    stop = threading.Event()
    written = []

    def keep_writing() -> None:
        with seeded.app_context():
            while not stop.is_set():
                event = audit.record("session_viewed", object_type="Practice", actor_label="t")
                db.commit()
                written.append(event.id)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 5:
            time.sleep(0.01)
        _original, file = _backup(seeded, tmp_path)
        after_backup = len(written)
        deadline = time.monotonic() + 30  # a loaded machine may pause the writer a while
        while len(written) < after_backup + 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join(timeout=30)
    _dispose(seeded)
    created = next(
        event for event in _events_since(seeded, written[0]) if event.action == "backup_created"
    )
    assert written[-1] > created.detail["last_event_id"]  # writes went on during the backup

    result = _cli(new_app, "restore", str(file))
    assert result.exit_code == 0, result.output
    assert "Audit chain intact" in result.output
    with new_app.app_context():
        ids = db.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
        # Exactly the events committed when the backup began, then this restore's.
        assert ids[-2] == created.detail["last_event_id"]


def _events_since(app: Flask, first_id: int) -> list[AuditEvent]:
    with app.app_context():
        events = db.scalars(
            select(AuditEvent).where(AuditEvent.id >= first_id).order_by(AuditEvent.id)
        ).all()
        db.expunge_all()
        return list(events)


def test_restore_refuses_a_database_with_data_unless_forced(seeded, new_app, tmp_path):
    original, file = _backup(seeded, tmp_path)
    assert _cli(new_app, "restore", str(file)).exit_code == 0
    with new_app.app_context():
        audit.record("note_saved_elsewhere", object_type="Practice", actor_label="test")
        db.commit()
        before = table_counts()
    _dispose(new_app)

    refused = _cli(new_app, "restore", str(file))
    assert refused.exit_code == 1
    assert "already holds data" in refused.output and "--force" in refused.output
    with new_app.app_context():
        assert table_counts() == before

    forced = _cli(new_app, "restore", "--force", str(file))
    assert forced.exit_code == 0, forced.output
    assert "Audit chain intact" in forced.output
    with new_app.app_context():
        actions = db.scalars(
            select(AuditEvent.action).where(AuditEvent.id > original.last_id)
        ).all()
        # The event recorded after the first restore is gone with it: replaced, not merged.
        assert actions == ["backup_restored"]
        assert table_counts()[AUDIT] == original.counts[AUDIT] + 1


def test_restore_reports_a_broken_audit_chain(seeded, new_app, tmp_path):
    _original, file = _backup(seeded, tmp_path)
    assert _cli(new_app, "restore", str(file)).exit_code == 0
    with new_app.app_context():
        edited = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id).limit(1))
        db.execute(update(AuditEvent).where(AuditEvent.id == edited).values(action="login"))
        db.commit()
    tampered = tmp_path / "tampered.backup"
    assert _cli(new_app, "backup", str(tampered)).exit_code == 0

    result = _cli(new_app, "restore", "--force", str(tampered))
    assert result.exit_code == 1
    assert f"Audit chain broken at 1 event(s), first at id {edited}." in result.output
    restored = _last_event(new_app)
    assert (restored.action, restored.outcome) == ("backup_restored", "broken")


def test_restore_of_a_missing_damaged_or_foreign_file_changes_nothing(new_app, tmp_path, backend):
    with new_app.app_context():
        migrate.upgrade()
    _dispose(new_app)
    header = b"SQLite format 3\x00" if backend == "sqlite" else b"PGDMP"
    other = b"PGDMP" if backend == "sqlite" else b"SQLite format 3\x00"
    files = {
        "missing": (tmp_path / "nowhere.backup", "No backup file at"),
        "garbage": (tmp_path / "garbage.backup", "is not a backup of this tracker"),
        "damaged": (tmp_path / "damaged.backup", "is not a readable"),
        "foreign": (tmp_path / "foreign.backup", "backup; the configured database is"),
    }
    if backend == "sqlite":  # a sound SQLite file, but someone else's
        files["alien"] = (tmp_path / "alien.backup", "not a backup of this tracker")
        with closing(sqlite3.connect(files["alien"][0])) as alien:
            alien.execute("CREATE TABLE contacts (name TEXT)")
    files["garbage"][0].write_bytes(os.urandom(4096))
    files["damaged"][0].write_bytes(header + os.urandom(8192))
    files["foreign"][0].write_bytes(other + os.urandom(100))
    for name, (path, message) in files.items():
        result = _cli(new_app, "restore", "--force", str(path))
        assert result.exit_code == 1, name
        assert message in result.output, (name, result.output)
        assert "Traceback" not in result.output
    with new_app.app_context():
        assert migrate.is_at_head()
        assert table_counts()[AUDIT] == 0


def test_backup_refuses_a_folder_that_does_not_exist(seeded, tmp_path):
    result = _cli(seeded, "backup", str(tmp_path / "no" / "such" / "practice.backup"))
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_the_postgresql_password_stays_off_the_command_line(tmp_path, monkeypatch):
    import sqlalchemy as sa

    from practice.records import backup

    calls = []
    real_run = backup.subprocess.run

    def spy(argv, **kwargs):
        calls.append((argv, kwargs["env"]))
        return real_run(argv, **kwargs)

    monkeypatch.setattr(backup.subprocess, "run", spy)
    with fresh_database("postgresql", tmp_path) as url:
        # The local test server trusts loopback connections, so any password is accepted.
        with_password = sa.make_url(url).set(password="Not-On-The-Command-Line")
        app = make_test_app(with_password.render_as_string(hide_password=False), tmp_path / "i")
        with app.app_context():
            migrate.upgrade()
        result = _cli(app, "backup", str(tmp_path / "practice.backup"))
        assert result.exit_code == 0, result.output
        assert _cli(app, "restore", "--force", str(tmp_path / "practice.backup")).exit_code == 0
    assert {Path(argv[0]).name for argv, _env in calls} == {"pg_dump", "pg_restore"}
    for argv, env in calls:
        assert not any("Not-On-The-Command-Line" in part for part in argv)
        if "--list" not in argv:
            assert env["PGPASSWORD"] == "Not-On-The-Command-Line"
