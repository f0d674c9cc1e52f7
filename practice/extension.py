"""The Flask extension that mounts the tracker into a host application."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from practice.core import integrity, private_files
from practice.core.settings import DEFAULTS, HostSetupError, PracticeState

logger = logging.getLogger("practice.files")


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
        _check_clinical_settings(app)
        _check_local_settings(app)
        url_prefix = url_prefix.rstrip("/")
        app.extensions["practice"] = PracticeState(url_prefix, manages_accounts, reauthenticate)

        from practice.commands import practice_cli
        from practice.web.blueprint import blueprint
        from practice.web.localisation import init_babel

        app.register_blueprint(blueprint, url_prefix=url_prefix or None)
        init_babel(app)
        app.cli.add_command(practice_cli)
        if _wants_sqlite_tuning(app, manages_accounts):
            _configure_sqlite(app)
        if not manages_accounts:
            _be_a_guest(app)
        _exempt_api_from_host_csrf(app)
        # Also when the host sets up CSRFProtect after the tracker: this runs before its check.
        app.before_request(lambda: _exempt_api_from_host_csrf(app))
        warn_about_loose_modes(app)


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


def _check_clinical_settings(app: Flask) -> None:
    """Refuse to start on a bad clinical threshold, rather than fail on the first dashboard."""
    from practice.breaks.rules import BreakThresholds
    from practice.eft.proposals import EventThresholds
    from practice.goals.rules import GoalThresholds
    from practice.measures.configured import check_settings as check_measures
    from practice.safety.screening import screen_days
    from practice.supervision.flags import Thresholds

    try:
        Thresholds.from_config(app.config)
        BreakThresholds.from_config(app.config)
        GoalThresholds.from_config(app.config)
        EventThresholds.from_config(app.config)
        screen_days(app.config)
        check_measures(app.config)
    except (TypeError, ValueError) as error:
        raise HostSetupError(f"The practice tracker's settings: {error}") from None


def _check_local_settings(app: Flask) -> None:
    """Settle the practice's time zone and locale (``practice.core.local_time``), refusing to
    start on an unknown one rather than show every page in the wrong time."""
    from practice.core import local_time

    try:
        local_time.check_settings(app.config)
    except ValueError as error:
        raise HostSetupError(f"The practice tracker's settings: {error}") from None


def _exempt_api_from_host_csrf(app: Flask) -> None:
    """Exempt the token API from a host's global ``CSRFProtect``.

    Scripts send a bearer token and no CSRF token, so the host's check would refuse every
    API write. The tracker's own gate (``practice.web.csrf``) still guards each of its
    routes, the API included: a browser session's request needs its CSRF token there.
    """
    csrf = app.extensions.get("csrf")
    if csrf is None or not hasattr(csrf, "exempt"):
        return
    from practice.api.routing import bp as api_blueprint

    if api_blueprint not in getattr(csrf, "_exempt_blueprints", ()):
        csrf.exempt(api_blueprint)


def _be_a_guest(app: Flask) -> None:
    """In a host app the host owns the sign-in: its requests count as activity for the
    tracker's idle clock, and a fresh sign-in to the host (or a sign-out) restarts the clock."""
    from flask_login import user_logged_in, user_logged_out

    from practice.web import session_limits

    app.before_request(session_limits.note_host_activity)
    user_logged_in.connect(session_limits.forget_clock, app)
    user_logged_out.connect(session_limits.forget_clock, app)


def _wants_sqlite_tuning(app: Flask, manages_accounts: bool) -> bool:
    """The standalone app tunes its own SQLite engine; a host's only when it opts in
    (``PRACTICE_SQLITE_PRAGMAS = True``), since the engine and its behaviour are the host's."""
    setting = app.config.get("PRACTICE_SQLITE_PRAGMAS")
    return manages_accounts if setting is None else bool(setting)


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
                database = private_files.sqlite_path(engine.url)
                if database is not None:
                    private_files.prepare_sqlite(database)


def private_paths(app: Flask) -> list[Path]:
    """What only the tracker's user may read: the instance folder (its keys, anchor, queue),
    the SQLite database and its -wal/-shm, the report store and the audit anchor."""
    paths = [Path(app.instance_path), integrity.key_path(app)]
    with app.app_context():
        for engine in app.extensions["sqlalchemy"].engines.values():
            database = private_files.sqlite_path(engine.url)
            if database is not None:
                paths += private_files.sqlite_files(database)
    for setting in ("PRACTICE_REPORT_DIR", "PRACTICE_AUDIT_ANCHOR"):
        if app.config.get(setting):
            paths.append(Path(app.config[setting]))
    paths.append(Path(app.instance_path) / "reports")
    return paths


def warn_about_loose_modes(app: Flask) -> list[Path]:
    """Log a warning for each private file or folder that others may read, write or enter
    (created before modes were enforced, or by hand); returns them. Never raises."""
    try:
        loose = private_files.loose_modes(private_paths(app))
    except OSError as error:
        logger.warning("Could not check the modes of the private files: %s", error)
        return []
    for path, mode in loose:
        wanted = private_files.DIR_MODE if stat.S_ISDIR(path.stat().st_mode) else 0o600
        logger.warning(
            "%s has mode %s: others may read it. It holds clinical data or its keys: chmod %s it.",
            path,
            oct(mode),
            oct(wanted)[2:],
        )
    return [path for path, _mode in loose]
