"""The API's one error shape, ``{"error": {"code", "message", "fields"}}``, and the handlers that
answer every failure of its routes with it: HTTP errors, the operations' refusals (404 or 409)
and server errors.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from practice.core.errors import Conflict, NotFound, PracticeError
from practice.core.unit_of_work import rollback_request
from practice.web.access import ReadOnlyTokenRefused
from practice.web.error_pages import audit_refusal

# The catch-all route of URLs no route answers: refused, but not an access decision.
UNMATCHED_ENDPOINT = "practice.api.unmatched"

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
}
MESSAGES = {
    401: "Send a valid API token as 'Authorization: Bearer <token>'.",
    403: "You may not do this.",
    404: "There is nothing here, or it is not yours to see.",
    405: "This URL does not accept that method.",
    500: "Something went wrong. The error has been logged and nothing was saved.",
}


class ApiError(HTTPException):
    """An error answered in the API's shape; ``extra`` goes next to ``error`` in the body."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(description=message)
        self.code = status
        self.error_code = error_code
        self.fields = fields or {}
        self.extra = extra


def refused(message: str, fields: dict[str, list[str]] | None = None, **extra: Any) -> ApiError:
    """A well-formed request that a rule of the practice refuses (409)."""
    return ApiError(409, "refused", message, fields, **extra)


def error_response(
    status: int, code: str, message: str, fields: dict | None = None, **extra: Any
) -> Response:
    error = {"code": code, "message": message, "fields": fields or {}}
    response = jsonify({"error": error, **extra})
    response.status_code = status
    return response


def _handle_http(error: HTTPException) -> Response:
    # Refused access is audited (rolling back what the request did first); an ApiError a view
    # raised on purpose keeps what the view recorded (a wrong password when signing, say).
    status = error.code or 500
    if _is_access_decision(error):
        audit_refusal(status)
    if isinstance(error, ApiError):
        response = error_response(
            status, error.error_code, error.description or "", error.fields, **error.extra
        )
    else:
        # Werkzeug's own descriptions (e.g. of a 400 from the CSRF gate) are ours or generic.
        message = MESSAGES.get(status) or error.description or error.name
        if isinstance(error, ReadOnlyTokenRefused):
            message = error.description
        response = error_response(status, CODES.get(status, "error"), message)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="practice"'
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _is_access_decision(error: HTTPException) -> bool:
    """Whether ``error`` refuses access as such, rather than answering a URL no route has (the
    catch-all: unaudited, like unrouted pages) or a refusal its view audited itself (an
    ``ApiError`` with a code of its own, such as a wrong password when signing)."""
    if request.endpoint == UNMATCHED_ENDPOINT:
        return False
    return not isinstance(error, ApiError) or error.error_code == CODES.get(error.code or 500)


def _handle_server_error(_error: Exception) -> Response:
    rollback_request()
    return error_response(500, "server_error", MESSAGES[500])


def _handle_refusal(error: PracticeError) -> Response:
    """An operation refused: nothing of the request is kept; 404, or 409 with the inputs at
    fault where known (and the version to send again after a conflict)."""
    rollback_request()
    if isinstance(error, NotFound):
        audit_refusal(404)
        return error_response(404, "not_found", MESSAGES[404])
    fields = {name: [message] for name, message in error.fields.items()}
    if getattr(error, "status", None) == 429:  # a limit of the practice (report jobs)
        return error_response(429, "too_many_requests", str(error), fields)
    if isinstance(error, Conflict):
        return error_response(
            409, "version_conflict", str(error), fields, current_version=error.current_version
        )
    return error_response(409, "refused", str(error), fields)


def register(bp: Blueprint) -> None:
    """Answer every error of the API's routes in the API's shape (never the host's pages)."""
    # Code-specific handlers come first in Flask's lookup, on every blueprint; these, registered
    # on the API's blueprint, win over the page handlers of the tracker's for its routes only.
    for code in CODES:
        if code != 500:
            bp.register_error_handler(code, _handle_http)
    bp.register_error_handler(HTTPException, _handle_http)
    bp.register_error_handler(500, _handle_server_error)
    bp.register_error_handler(PracticeError, _handle_refusal)
