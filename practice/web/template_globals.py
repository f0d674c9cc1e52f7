"""What every template of the tracker may use. Values only: nothing here queries the database
but the signed-in staff member, which every page needs, and not even that on an error page of a
failed database (the page then shows no member)."""

from __future__ import annotations

from flask import current_app
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError

from practice.accounts.models import StaffMember
from practice.core.unit_of_work import rollback_request
from practice.reports.charts.looks import partner_colour
from practice.web import outage_state
from practice.web.access import load_current_staff


def template_globals() -> dict:
    """The practice's name and layout, the signed-in member, CSRF, and which routes exist."""
    config = current_app.config
    return {
        "practice_name": config["PRACTICE_NAME"],
        # Pages extend the frame, which extends the configured layout (practice/_frame.html).
        "practice_base_template": "practice/_frame.html",
        "practice_layout_template": config["PRACTICE_BASE_TEMPLATE"],
        "current_staff": _current_staff_if_reachable(),
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


def _current_staff_if_reachable() -> StaffMember | None:
    """The signed-in member, or None when the database failed this request or fails now."""
    if outage_state.database_down():
        return None
    try:
        return load_current_staff()
    except SQLAlchemyError as error:
        outage_state.mark_database_down()
        rollback_request()
        current_app.logger.warning("no staff member for the page: %s", type(error).__name__)
        return None
