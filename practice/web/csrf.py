"""CSRF protection for every state-changing request to the tracker, whatever the host does."""

from __future__ import annotations

from flask import abort, request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from practice.web.access import authenticated_by_token

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def protect_unsafe_methods() -> None:
    """Blueprint ``before_request`` hook: refuse a state change without a valid CSRF token.

    The token comes from the form field or, for scripts on our pages, the X-CSRFToken header.
    """
    if request.method not in UNSAFE_METHODS or authenticated_by_token():
        return
    token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
    try:
        validate_csrf(token)
    except ValidationError:
        abort(
            400,
            description="This form has expired or did not come from this site. "
            "Go back, reload the page and try again.",
        )
