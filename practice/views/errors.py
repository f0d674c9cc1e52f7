"""Error pages that leak nothing, response headers, and what every template may use."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException

from practice.access import load_current_staff
from practice.views import review

_MESSAGES = {
    400: ("Request not accepted", "Something in the request was not right."),
    401: ("Not signed in", "This request needs a valid API token."),
    403: ("Not allowed", "You do not have access to this page."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    405: ("Not allowed", "This page does not accept that kind of request."),
    500: ("Something went wrong", "The error has been logged. Nothing you typed was saved."),
}


def render_error(code: int, description: str | None = None) -> tuple[str, int]:
    """The error page for ``code``; ``description`` only for messages written by us."""
    title, message = _MESSAGES.get(code, ("Error", "The request could not be completed."))
    # Also rendered by the standalone host for unrouted URLs, outside our blueprint's
    # context processor, hence the explicit globals.
    return render_template(
        "practice/error.html",
        code=code,
        title=title,
        message=description or message,
        **template_globals(),
    ), code


def _handle_http(error: HTTPException):
    # Our own aborts carry a deliberate description for 400; others use the fixed text.
    description = error.description if error.code == 400 else None
    return render_error(error.code or 500, description)


def _handle_server_error(_error: Exception):
    return render_error(500)


def register(blueprint: Blueprint) -> None:
    """Error handlers for the tracker's own routes only, never the host's."""
    for code in (400, 401, 403, 404, 405):
        blueprint.register_error_handler(code, _handle_http)
    blueprint.register_error_handler(500, _handle_server_error)


def security_headers(response: Response) -> Response:
    """Headers on every response of the tracker; clinical pages must not be cached."""
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "practice.static":
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def template_globals() -> dict:
    config = current_app.config
    return {
        "practice_name": config["PRACTICE_NAME"],
        "practice_base_template": config["PRACTICE_BASE_TEMPLATE"],
        "current_staff": load_current_staff(),
        "csrf_token": generate_csrf,
        "endpoint_exists": _endpoint_exists,
        "unread_comments": review.unread_comments(),
        "review_panel": review.review_panel,
        "case_comments": review.case_comments,
    }


def _endpoint_exists(endpoint: str) -> bool:
    """Whether a route is registered, so shared navigation shows only areas that exist."""
    return endpoint in current_app.view_functions
