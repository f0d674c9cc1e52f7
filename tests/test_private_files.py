"""Private files: the database, its keys, the anchor, reports and backups are readable by the
tracker's user alone (0600, folders 0700) whatever the umask, and looser modes are warned of."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from practice import audit
from practice.core import integrity, migrate
from practice.core.database import db
from practice.reporting import operations as reports
from tests.conftest import make_test_app

pytestmark = pytest.mark.slow


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def _standalone(instance: Path):
    """A standalone app on its own SQLite file with a key file, as `make run` starts it."""
    app = make_test_app(f"sqlite:///{instance / 'practice.db'}", instance, SECRET_KEY=None)
    return app


def test_files_are_created_private_under_a_umask_of_022(tmp_path):
    instance = tmp_path / "instance"
    with _umask(0o022):
        app = _standalone(instance)
        with app.app_context():
            migrate.upgrade()
            audit.record("case_viewed", object_type="Case", object_id=1)
            db.commit()
            folder = reports.report_dir()
            engine = app.extensions["sqlalchemy"].engine
            with engine.connect() as connection:  # the -wal and -shm exist while it is open
                connection.execute(text("CREATE TABLE probe (id INTEGER)"))
                connection.commit()
                database = instance / "practice.db"
                for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
                    assert path.exists() and _mode(path) == 0o600, path
            engine.dispose()
        backup = tmp_path / "backups" / "practice.backup"
        backup.parent.mkdir()
        result = app.test_cli_runner().invoke(args=["practice", "backup", str(backup)])
        assert result.exit_code == 0, result.output
    assert _mode(instance) == 0o700
    assert _mode(folder) == 0o700
    for name in ("secret_key", integrity.KEY_FILE, "audit-anchor.json"):
        assert _mode(instance / name) == 0o600, name
    assert _mode(backup) == 0o600


def test_a_report_copy_is_private(app, db, tmp_path):
    """The copy `practice report --out` writes holds the whole report: 0600, too."""
    from practice.core import private_files

    target = tmp_path / "copy.pdf"
    with _umask(0o022):
        private_files.write_private(target, b"%PDF")
    assert _mode(target) == 0o600


@pytest.fixture
def files_log(caplog) -> Iterator[pytest.LogCaptureFixture]:
    """The warnings of ``practice.files`` (the app's logging does not pass them to the root)."""
    logger = logging.getLogger("practice.files")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING, logger="practice.files"):
            yield caplog
    finally:
        logger.removeHandler(caplog.handler)


def test_start_up_warns_about_looser_modes(tmp_path, files_log):
    caplog = files_log
    instance = tmp_path / "instance"
    app = _standalone(instance)
    with app.app_context():
        integrity.load_key()
    key = instance / integrity.KEY_FILE
    key.chmod(0o644)
    instance.chmod(0o755)
    _standalone(instance)
    warned = [r.getMessage() for r in caplog.records if r.name == "practice.files"]
    assert any(str(key) in message and "0o644" in message for message in warned), warned
    assert any(f"{instance} has mode 0o755" in message for message in warned), warned
    caplog.clear()
    key.chmod(0o600)
    instance.chmod(0o700)
    _standalone(instance)
    assert not [r for r in caplog.records if r.name == "practice.files"]


def test_a_database_in_a_folder_that_does_not_exist_is_not_started_there(tmp_path):
    from practice.core import private_files

    mistyped = tmp_path / "no-such-folder" / "practice.db"
    private_files.prepare_sqlite(mistyped)
    assert not mistyped.parent.exists()

    private_files.prepare_sqlite(tmp_path / "practice.db")
    assert stat.S_IMODE((tmp_path / "practice.db").stat().st_mode) == 0o600
