"""The error page itself, rendered without the database for server errors (the failure may
be the database's), for the blueprint's handlers, the outage answer and the standalone host."""

from __future__ import annotations

from flask import render_template

from practice.web.outage_state import mark_database_down
from practice.web.template_globals import template_globals

_MESSAGES = {
    400: ("Request not accepted", "Something in the request was not right."),
    401: ("Not signed in", "This request needs a valid API token."),
    403: ("Not allowed", "You do not have access to this page."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    405: ("Not allowed", "This page does not accept that kind of request."),
    409: ("Not possible", "That change cannot be made as it stands."),
    500: ("Something went wrong", "The error has been logged. Nothing you typed was saved."),
    503: (
        "Unavailable for a moment",
        "The server cannot reach its database right now. Nothing was saved; try again shortly.",
    ),
}


def render_error(code: int, description: str | None = None) -> tuple[str, int]:
    """The error page for ``code``; ``description`` only for messages written by us."""
    title, message = _MESSAGES.get(code, ("Error", "The request could not be completed."))
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
