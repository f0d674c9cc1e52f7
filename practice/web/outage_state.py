"""Whether this request already found the database unreachable, so that the pages and
templates rendered for it ask the database nothing more."""

from __future__ import annotations

from flask import current_app, g

# Set on ``g`` once the database failed this request: templates then ask it nothing more.
DATABASE_DOWN = "practice_database_down"


def database_down() -> bool:
    """Whether this request already found the database unreachable."""
    return bool(g.get(DATABASE_DOWN))


def mark_database_down() -> None:
    """Ask the database nothing more in this request, nor let Flask-Login ask it for the
    signed-in user again (its template context would, on the error page)."""
    g.setdefault(DATABASE_DOWN, True)
    login_manager = getattr(current_app, "login_manager", None)
    if login_manager is not None and g.get("_login_user") is None:
        # Flask-Login keeps the request's user here; an anonymous one needs no query.
        g._login_user = login_manager.anonymous_user()
