"""What every template of the tracker may use. Values only: nothing here queries the database
but the signed-in staff member, which every page needs."""

from __future__ import annotations

from flask import current_app
from flask_wtf.csrf import generate_csrf

from practice.reports.charts.looks import partner_colour
from practice.web.access import load_current_staff


def template_globals() -> dict:
    """The practice's name and layout, the signed-in member, CSRF, and which routes exist."""
    config = current_app.config
    return {
        "practice_name": config["PRACTICE_NAME"],
        "practice_base_template": config["PRACTICE_BASE_TEMPLATE"],
        "current_staff": load_current_staff(),
        "csrf_token": generate_csrf,
        "endpoint_exists": _endpoint_exists,
        "partner_colour": _partner_colour,
    }


def _partner_colour(position: int | None) -> str:
    """The colour of the partner at ``position`` (``Partner.position``), as the charts draw
    them (``looks.partner_colour``)."""
    return partner_colour(position or 0)


def _endpoint_exists(endpoint: str) -> bool:
    """Whether a route is registered, so shared navigation shows only areas that exist."""
    return endpoint in current_app.view_functions
