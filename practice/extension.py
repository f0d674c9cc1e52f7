"""The Flask extension that mounts the tracker into a host application."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

DEFAULTS: dict[str, Any] = {
    "PRACTICE_NAME": "Couples Cycle Practice",
    "PRACTICE_BASE_TEMPLATE": "practice/base.html",
    "PRACTICE_USER_ID_ATTRIBUTE": "id",
    "PRACTICE_PAGE_SIZE": "A4",
    "PRACTICE_REPORT_DIR": None,  # default: <instance>/reports
    "PRACTICE_MAX_NOTE_LENGTH": 20_000,
    "PRACTICE_LOGIN_MAX_FAILURES": 5,
    "PRACTICE_LOGIN_LOCK_SECONDS": 15 * 60,
    "PRACTICE_IDLE_TIMEOUT": timedelta(minutes=30),
    "PRACTICE_SESSION_LIFETIME": timedelta(hours=12),
    # Per remote address: this many failed passwords or codes within the window refuse
    # further sign-ins from it for the block time (never for good).
    "PRACTICE_LOGIN_ADDRESS_MAX_FAILURES": 20,
    "PRACTICE_LOGIN_ADDRESS_WINDOW_SECONDS": 15 * 60,
    "PRACTICE_LOGIN_ADDRESS_BLOCK_SECONDS": 15 * 60,
    # How long the password step waits for its two-factor code.
    "PRACTICE_LOGIN_PENDING_SECONDS": 5 * 60,
    # Every standalone account must enrol in two-factor sign-in before using the tracker.
    "PRACTICE_TOTP_REQUIRED": False,
    "PRACTICE_SQLITE_BUSY_TIMEOUT_MS": 5000,
    # Closed cases are purged this many years after closing (flask practice purge-expired).
    "PRACTICE_RETENTION_YEARS": 7,
    # Where `practice audit verify` remembers the newest verified audit event (a path; None:
    # the instance folder). Best kept where the database's users cannot write.
    "PRACTICE_AUDIT_ANCHOR": None,
    # Supervisor flags (practice.services.flags).
    "PRACTICE_FLAG_UNSIGNED_HOURS": 72,
    "PRACTICE_FLAG_NO_SESSION_DAYS": 21,
    "PRACTICE_FLAG_NO_DEESCALATION_SESSIONS": 6,
    "PRACTICE_FLAG_SCRIPT_NOT_ADOPTED_SESSIONS": 6,
    # practice.metrics.CSI4_RELIABLE_CHANGE (tests/test_flags.py keeps the two equal).
    "PRACTICE_FLAG_CSI4_RELIABLE_FALL": 5,
}


class HostSetupError(RuntimeError):
    """The host application lacks something the tracker needs."""


@dataclass
class PracticeState:
    """What the tracker keeps per application, in ``app.extensions["practice"]``."""

    url_prefix: str
    # True when the tracker manages its own login accounts (the standalone app).
    manages_accounts: bool
    # In a host app: ``reauthenticate(user, password) -> bool`` checks the host user's
    # password before signing, co-signing and exports.
    reauthenticate: Callable[[Any, str], bool] | None = None


class Practice:
    """The tracker as a Flask extension.

    ``Practice(app)`` or ``practice.init_app(app, url_prefix="/practice")``. The host must
    have initialised Flask-SQLAlchemy and Flask-Login first; the tracker uses both.
    """

    def __init__(self, app: Flask | None = None, **options: Any) -> None:
        if app is not None:
            self.init_app(app, **options)

    def init_app(
        self,
        app: Flask,
        url_prefix: str = "/practice",
        manages_accounts: bool = False,
        reauthenticate: Callable[[Any, str], bool] | None = None,
    ) -> None:
        """Register the tracker's blueprint, CLI and database settings on ``app``.

        Raises HostSetupError when the host has no Flask-SQLAlchemy or Flask-Login.
        """
        _check_host(app)
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        url_prefix = url_prefix.rstrip("/")
        app.extensions["practice"] = PracticeState(url_prefix, manages_accounts, reauthenticate)

        from practice.cli import practice_cli
        from practice.views import blueprint

        app.register_blueprint(blueprint, url_prefix=url_prefix or None)
        app.cli.add_command(practice_cli)
        _configure_sqlite(app)


def _check_host(app: Flask) -> None:
    if "sqlalchemy" not in app.extensions:
        raise HostSetupError(
            "The practice tracker needs Flask-SQLAlchemy: call db.init_app(app) before "
            "practice.init_app(app)."
        )
    if getattr(app, "login_manager", None) is None:
        raise HostSetupError(
            "The practice tracker needs Flask-LoginManager: call login_manager.init_app(app) "
            "before practice.init_app(app)."
        )
    if not app.config.get("SECRET_KEY"):
        raise HostSetupError("The practice tracker needs app.config['SECRET_KEY'] for CSRF.")


def _configure_sqlite(app: Flask) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection of the host's engines."""
    busy_ms = int(app.config["PRACTICE_SQLITE_BUSY_TIMEOUT_MS"])

    def on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so that
        # SAVEPOINTs and BEGIN IMMEDIATE behave (SQLAlchemy's documented pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    def on_begin(connection) -> None:
        # Nearly every request writes (an audit row for each read of clinical data). A
        # deferred transaction that reads and then writes fails at once with "database is
        # locked" if another writer committed meanwhile; IMMEDIATE takes the write lock up
        # front, so a concurrent request waits out the busy timeout instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    with app.app_context():
        engines = app.extensions["sqlalchemy"].engines
        for engine in engines.values():
            if engine.dialect.name == "sqlite":
                sa.event.listen(engine, "connect", on_connect)
                sa.event.listen(engine, "begin", on_begin)


def state(app: Flask) -> PracticeState:
    """The tracker's per-app state."""
    return app.extensions["practice"]
