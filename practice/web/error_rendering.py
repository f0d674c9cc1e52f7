"""The error page itself, rendered without the database for server errors (the failure may
be the database's), for the blueprint's handlers, the outage answer and the standalone host."""

from __future__ import annotations

from flask import render_template

from practice.core.i18n import _l
from practice.web.outage_state import mark_database_down
from practice.web.template_globals import template_globals

_MESSAGES = {
    400: (_l("Request not accepted"), _l("Something in the request was not right.")),
    401: (_l("Not signed in"), _l("This request needs a valid API token.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Not found"), _l("There is nothing here, or it is not yours to see.")),
    405: (_l("Not allowed"), _l("This page does not accept that kind of request.")),
    409: (_l("Not possible"), _l("That change cannot be made as it stands.")),
    500: (
        _l("Something went wrong"),
        _l("The error has been logged. Nothing you typed was saved."),
    ),
    503: (
        _l("Unavailable for a moment"),
        _l("The server cannot reach its database right now. Nothing was saved; try again shortly."),
    ),
}


def render_error(code: int, description: str | None = None) -> tuple[str, int]:
    """The error page for ``code``; ``description`` only for messages written by us."""
    title, message = _MESSAGES.get(code, (_l("Error"), _l("The request could not be completed.")))
    if code >= 500:
        # The failure may be the database's: the page asks it nothing (no signed-in member).
        mark_database_down()
    # Also rendered by the standalone host for unrouted URLs, outside our blueprint's
    # context processor, hence the explicit globals.
    return render_template(
        "practice/error.html",
        code=code,
        title=title,
        message=description or message,
        **template_globals(),
    ), code
