"""Error pages that leak nothing, and the audit of refused access.

The tracker's blueprint answers its own errors (never the host's): HTTP errors, refusals of the
``practice.core.errors`` family that no view expected, and server errors, which keep nothing of
the failed request.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from practice import audit
from practice.accounts import tokens
from practice.core.errors import PracticeError
from practice.core.unit_of_work import rollback_request
from practice.web import outage
from practice.web.access import bearer_token, host_user_id, load_current_staff, policy_of
from practice.web.error_rendering import render_error
from practice.web.refusals import status_of

# Answers to an access decision: no valid token, a role that may not, an object out of scope.
_REFUSALS = frozenset({401, 403, 404})


def audit_refusal(status: int) -> None:
    """Record a refusal (401, 403 or 404) of a signed-in or token-bearing request as an
    ``access_denied`` event (the request's commit keeps it). Never raises: the refusal is
    answered regardless.

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
        rollback_request()
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
    except Exception as error:  # whatever failed, the refusal must not become a 500
        rollback_request()
        # The type only: a database error's message may repeat the row it refused.
        current_app.logger.error("could not record a refused access: %s", type(error).__name__)


def _handle_http(error: HTTPException):
    status = error.code or 500
    audit_refusal(status)
    # Our own aborts carry a deliberate description for 400; others use the fixed text.
    description = error.description if status == 400 else None
    return render_error(status, description)


def refusal_page(error: PracticeError):
    """A refusal no view caught: its message on an error page; not found is a refused access.

    Public for a blueprint that answers some routes in JSON: it hands its pages' refusals here.
    """
    status = status_of(error)
    if status == 404:
        audit_refusal(404)
        return render_error(404)
    return render_error(status, str(error))


def _handle_server_error(_error: Exception):
    rollback_request()
    return render_error(500)


def register(blueprint: Blueprint) -> None:
    """Error handlers for the tracker's own routes only, never the host's."""
    for code in (400, 401, 403, 404, 405):
        blueprint.register_error_handler(code, _handle_http)
    blueprint.register_error_handler(PracticeError, refusal_page)
    blueprint.register_error_handler(500, _handle_server_error)
    # Also for the API's routes (JSON there): its blueprint handles none of these itself.
    for error_class in outage.OUTAGE_ERRORS:
        blueprint.register_error_handler(error_class, outage.outage_response)
