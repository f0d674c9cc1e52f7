"""The standalone app: the tracker mounted in a tiny host with its own login accounts."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler

from practice.accounts.models import Account
from practice.core import private_files
from practice.core.database import Base
from practice.extension import Practice
from practice.web.request_log import init_logging
from practice.web.urls import relative_location, trusted_hosts

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
practice = Practice()


def create_app(config: Any = None, **overrides: Any) -> Flask:
    """Build the standalone app from a config object (or mapping) plus overrides."""
    app = Flask(
        "practice_standalone",
        instance_path=overrides.pop("instance_path", None) or _default_instance_path(),
        static_folder=None,
    )
    if config is not None:
        if isinstance(config, dict):
            app.config.update(config)
        else:
            app.config.from_object(config)
    app.config.update(overrides)
    configure_defaults(app)
    db.init_app(app)
    register_login(app)
    practice.init_app(
        app, url_prefix=app.config.get("PRACTICE_URL_PREFIX", ""), manages_accounts=True
    )
    register_error_pages(app)
    quiet_development_server()
    app.after_request(relative_location)
    init_logging(app)
    return app


def _default_instance_path() -> str:
    return os.environ.get("PRACTICE_INSTANCE_PATH") or str(Path.cwd() / "instance")


def configure_defaults(app: Flask) -> None:
    """SQLite in the instance folder and a secret key kept there, unless configured."""
    private_files.ensure_dir(Path(app.instance_path))
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI", f"sqlite:///{Path(app.instance_path) / 'practice.db'}"
    )
    if not app.config.get("SECRET_KEY"):
        if app.config.get("PRACTICE_REQUIRE_SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY is not set. Production needs a persistent key in the environment "
                "so sessions and CSRF tokens survive restarts and are shared by workers."
            )
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    # Requests naming another host are refused (400) before routing; unset, any host is served.
    hosts = trusted_hosts(app.config.get("PRACTICE_TRUSTED_HOSTS"))
    if hosts is not None:
        app.config["TRUSTED_HOSTS"] = hosts
    # Flask's own defaults already hold these keys (SameSite as None), so setdefault would
    # not reach them: a session cookie out of scripts' reach, not sent on cross-site POSTs.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Served over HTTPS, the session cookie must never travel over plain HTTP.
    if app.config.get("PREFERRED_URL_SCHEME") == "https":
        app.config["SESSION_COOKIE_SECURE"] = True
    # No remember-me: login_user is never asked for one, and should it be, the cookie would
    # expire at once. Sessions end with the browser, idle timeout or absolute lifetime.
    app.config["REMEMBER_COOKIE_DURATION"] = 0
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = app.config.get("SESSION_COOKIE_SECURE", False)


def _instance_secret(path: Path) -> str:
    """A random key generated once and kept in the instance folder (never in the repo)."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    private_files.create_exclusive(path, key.encode())
    return key


def register_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "practice.accounts.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"


@login_manager.user_loader
def load_account(session_id: str) -> Account | None:
    """The account behind a session id ``"<account id>:<session version>"``, if still valid."""
    account_id, _, version = session_id.partition(":")
    if not account_id.isdigit() or not version.isdigit():
        return None
    account = db.session.scalar(select(Account).where(Account.id == int(account_id)))
    if account is None or not account.active or account.session_version != int(version):
        return None
    return account


SERVER_NAME_ANNOUNCED = "practice"


def _unversioned(_handler: WSGIRequestHandler) -> str:
    return SERVER_NAME_ANNOUNCED


def quiet_development_server() -> None:
    """The development server (``flask run``) names no versions in its ``Server`` header.

    Werkzeug's handler would send ``Werkzeug/3.x Python/3.y``: a map for whoever looks for a
    known flaw. The standalone app owns its process, so the handler class may be told; under
    gunicorn (``Server: gunicorn``, no version) this changes nothing.
    """
    WSGIRequestHandler.version_string = _unversioned  # type: ignore[method-assign]


def register_error_pages(app: Flask) -> None:
    """Requests that match no route are the host's to answer; ours uses the tracker's pages."""
    from practice.web.error_pages import render_error
    from practice.web.headers import security_headers

    app.register_error_handler(404, lambda _e: render_error(404))
    app.register_error_handler(405, lambda _e: render_error(405))
    app.register_error_handler(500, lambda _e: render_error(500))
    # Those answers come from no blueprint of ours, so they get the tracker's headers here.
    app.after_request(security_headers)
