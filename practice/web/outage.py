"""Answering softly while the database is unreachable: 503 with a retry hint, never a 500.

A database that refuses connections, drops them or keeps the pool waiting raises one of
``OUTAGE_ERRORS``. The tracker's routes answer it with 503 and ``Retry-After``: JSON for the
API and scripts, else an error page that is rendered without the database.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, current_app, jsonify, request
from werkzeug.wrappers import Response as BaseResponse

from practice.core.unit_of_work import commit_request, rollback_request
from practice.web.error_rendering import render_error
from practice.web.outage_state import mark_database_down

# Errors of the connection, not of the statement: worth trying again in a moment.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,  # the pool had no connection to give in time
)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = (
    "The server is unavailable for a moment; nothing was saved. Try again shortly."
)
READINESS_ENDPOINT = "practice.health.ready"


def wants_json() -> bool:
    """Whether the request is a script's (the API, autosave, live tagging), not a page's."""
    if request.is_json or (request.blueprint or "").endswith(".api"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def outage_response(error: Exception | None = None) -> BaseResponse:
    """The 503 for a request that found the database unreachable (blueprint error handler)."""
    from practice.web.headers import security_headers

    mark_database_down()
    rollback_request()
    # The type only: a database error's message may repeat the row it refused.
    name = type(error).__name__ if error is not None else "unknown"
    current_app.logger.warning("database unavailable: %s", name)
    if request.endpoint == READINESS_ENDPOINT:
        # The probe's own answer, also when a hook failed before the probe ran.
        response = jsonify(status="not ready", reason="database unavailable")
        response.status_code = 503
    elif wants_json():
        response = jsonify(
            {"error": {"code": "unavailable", "message": UNAVAILABLE_MESSAGE, "fields": {}}}
        )
        response.status_code = 503
    else:
        body, status = render_error(503)
        response = current_app.make_response((body, status))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return security_headers(response)


def commit_or_unavailable(response: Response) -> BaseResponse:
    """Blueprint ``after_request``: commit the request (``commit_request``); if the database
    went away meanwhile, answer 503 instead of the page that was not kept."""
    try:
        return commit_request(response)
    except OUTAGE_ERRORS as error:
        return outage_response(error)
