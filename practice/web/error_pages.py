"""Error pages that leak nothing, response headers, and what every template may use."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException

from practice import audit
from practice.accounts import tokens
from practice.core.database import db
from practice.supervision import review_views as review
from practice.web.access import bearer_token, host_user_id, load_current_staff, policy_of

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


# Answers to an access decision: no valid token, a role that may not, an object out of scope.
_REFUSALS = frozenset({401, 403, 404})


def audit_refusal(status: int) -> None:
    """Record a refusal (401, 403 or 404) of a signed-in or token-bearing request as an
    ``access_denied`` event, and commit it. Never raises: the refusal is answered regardless.

    Each error handler of the tracker's blueprints calls this once; anonymous requests, URLs
    no route answers and public endpoints (static files, health checks) are left out.
    """
    if status not in _REFUSALS or g.get("practice_refusal_audited"):
        return
    policy = policy_of(request.endpoint)
    if policy is None or policy.public:
        return
    token_bearing = bearer_token() is not None
    if not token_bearing and not current_user.is_authenticated:
        return
    g.practice_refusal_audited = True
    try:
        # The request may have failed halfway (a transaction in error, a view's unflushed
        # changes): none of it is kept, only the event.
        db.rollback()
        member = load_current_staff()
        label = None
        if member is None and token_bearing:
            # Only a token this tracker issued (revoked, or its member deactivated): anyone can
            # make up a header, and each made-up one must not cost an audit row.
            token_id = tokens.known_token_id(bearer_token() or "")
            if token_id is None:
                return
            label = f"api-token:{token_id}"
        elif member is None:
            label = f"user:{host_user_id()}"
        audit.record_denied(
            request.endpoint,
            request.method,
            status,
            dict(request.view_args or {}),
            actor=member,
            actor_label=label,
        )
        db.commit()
    except Exception as error:  # whatever failed, the refusal must not become a 500
        db.rollback()
        # The type only: a database error's message may repeat the row it refused.
        current_app.logger.error("could not record a refused access: %s", type(error).__name__)


def _handle_http(error: HTTPException):
    status = error.code or 500
    audit_refusal(status)
    # Our own aborts carry a deliberate description for 400; others use the fixed text.
    description = error.description if status == 400 else None
    return render_error(status, description)


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
