"""The JSON API under ``/api/v1``: its blueprint, its one error shape, and what its views share.

The blueprint is a child of the tracker's, so it mounts with it and every request passes the
same policy check, CSRF gate (requests with a bearer token are exempt) and audit as the pages.
Views load objects through ``practice.services.scoping`` (out of scope is 404) and change them
through the services, which hold every rule; a refusal by a rule is a 409, a request that does
not match the published schema a 422, unreadable JSON a 400. Errors always read
``{"error": {"code", "message", "fields"}}``.

Each view declares its OpenAPI operation with ``@operation``, below its policy: the same
marshmallow schemas validate the request and describe it in ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from marshmallow import Schema, ValidationError
from sqlalchemy import Select, func, select
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import PathConverter

from practice import audit
from practice.cases.operations import CaseError, VersionConflict
from practice.core.database import MAX_ID, db
from practice.measures.operations import MeasureError
from practice.moments.operations import MomentError
from practice.moments.vocabulary import VocabularyError
from practice.reporting.operations import ReportError
from practice.scripts.operations import ScriptError
from practice.sessions.operations import SessionError
from practice.web import access
from practice.web.error_pages import audit_refusal

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Path converter for record ids. Its range is checked after the policy (``ids_in_range``): a
# converter that refused a number would make werkzeug give up on the URL rather than fall back
# to the catch-all route, and the host would answer.
ID = "int"
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# What the catch-all route answers (with 404 or 405): every method a client may send.
_ANY_METHOD = [*_METHODS, "HEAD", "OPTIONS", "TRACE", "QUERY", "CONNECT"]

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    415: "unsupported_media_type",
    422: "invalid",
    500: "server_error",
}
_MESSAGES = {
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
    # A refused or failed request changes nothing; the sign view commits its audit row first.
    db.rollback()
    status = error.code or 500
    if _is_access_decision(error):
        audit_refusal(status)
    if isinstance(error, ApiError):
        response = error_response(
            status, error.error_code, error.description or "", error.fields, **error.extra
        )
    else:
        # Werkzeug's own descriptions (e.g. of a 400 from the CSRF gate) are ours or generic.
        message = _MESSAGES.get(status) or error.description or error.name
        response = error_response(status, _CODES.get(status, "error"), message)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="practice"'
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _is_access_decision(error: HTTPException) -> bool:
    """Whether ``error`` refuses access as such, rather than answering a URL no route has (the
    catch-all: unaudited, like unrouted pages) or a refusal its view audited itself (an
    ``ApiError`` with a code of its own, such as a wrong password when signing)."""
    if current_app.view_functions.get(request.endpoint) is unmatched:
        return False
    return not isinstance(error, ApiError) or error.error_code == _CODES.get(error.code or 500)


def _handle_server_error(_error: Exception) -> Response:
    db.rollback()
    return error_response(500, "server_error", _MESSAGES[500])


def _handle_refusal(error: ValueError) -> Response:
    """A service refused the change: roll back, 409, with the inputs at fault where known."""
    db.rollback()
    fields = {name: [message] for name, message in getattr(error, "fields", {}).items()}
    if isinstance(error, VersionConflict):
        return error_response(
            409, "version_conflict", str(error), fields, current_version=error.version
        )
    return error_response(409, "refused", str(error), fields)


# Code-specific handlers come first in Flask's lookup, on every blueprint; these, registered on
# the API's blueprint, win over the page handlers of the tracker's for the API's routes only.
for _code in _CODES:
    if _code != 500:
        bp.register_error_handler(_code, _handle_http)
bp.register_error_handler(HTTPException, _handle_http)
bp.register_error_handler(500, _handle_server_error)
for _refusal in (
    CaseError,
    SessionError,
    MomentError,
    VocabularyError,
    ScriptError,
    MeasureError,
    ReportError,
):
    bp.register_error_handler(_refusal, _handle_refusal)


@bp.record_once
def _unauthenticated_is_401(state) -> None:
    """Flask-Login answers an anonymous API request with 401, not a redirect to the login page."""
    name = f"{state.name_prefix}.{state.name}".lstrip(".")
    state.app.login_manager.blueprint_login_views[name] = None


# --- Declaring operations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says about one view (see ``practice.openapi``)."""

    summary: str
    tag: str
    description: str = ""
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    status: int = 200
    returns: type[Schema] | None = None
    media_type: str = "application/json"
    errors: tuple[int, ...] = field(default_factory=tuple)


def operation(
    summary: str,
    *,
    tag: str,
    description: str = "",
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    status: int = 200,
    returns: type[Schema] | None = None,
    media_type: str = "application/json",
    errors: Sequence[int] = (),
) -> Callable:
    """Document a view and validate its query: the loaded arguments are passed to the view as
    ``args``. The view reads its body with ``body()`` once it has loaded and authorised what it
    changes, so that a read-only user gets 403 whatever they send. Place it below the policy
    decorator."""
    spec = Operation(
        summary, tag, description, body, query, status, returns, media_type, tuple(errors)
    )

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(**kwargs: Any):
            if query is not None:
                kwargs["args"] = _load(query, request.args.to_dict())
            return view(**kwargs)

        wrapper.api_operation = spec
        return wrapper

    return decorator


def body() -> dict:
    """The request's JSON body loaded with the schema the view's ``@operation`` declares.

    Raises ApiError 415 (not JSON), 400 (unreadable JSON) or 422 (not as the schema says).
    """
    described = current_app.view_functions[request.endpoint].api_operation
    return _load(described.body, _json_body())


def _json_body() -> Any:
    """The request's JSON document; raises ApiError 415 (not JSON) or 400 (unreadable)."""
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."
        )
    try:
        return json.loads(request.get_data(cache=True), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "bad_json", "The body is not valid JSON.") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _load(schema: type[Schema], data: Any) -> dict:
    try:
        return schema().load(data)
    except ValidationError as error:
        raise ApiError(
            422,
            "invalid",
            "The request does not match the API's schema.",
            flatten_messages(error.messages),
        ) from None


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{"partners.0.display_name": ["..."]}``."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            flat.update(flatten_messages(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": list(messages)}
    return {prefix or "_schema": [str(messages)]}


# --- Answers ---------------------------------------------------------------------------------


def read(payload: Any, action: str, **audit_args: Any) -> Response:
    """Answer a read of clinical data: audited (ids only) and committed, then sent."""
    audit.record(action, **audit_args)
    db.commit()
    return jsonify(payload)


def saved(payload: Any, status: int = 200, location: str | None = None) -> Response:
    """Commit the change the services made (they audited it) and answer with the result;
    ``None`` answers 204 with no body."""
    db.commit()
    response = Response(status=204) if payload is None else jsonify(payload)
    if payload is not None:
        response.status_code = status
    if location is not None:
        response.headers["Location"] = location
    return response


def created(payload: Any, endpoint: str, **values: Any) -> Response:
    """201 with the new record and its URL in ``Location``."""
    return saved(payload, 201, url_for(endpoint, **values))


def page_window(args: dict) -> tuple[int, int]:
    """(limit, offset) of the page ``args`` asks for."""
    return args["per_page"], (args["page"] - 1) * args["per_page"]


def page_body(items: list, total: int, args: dict) -> dict:
    """The envelope of every list: ``{"items", "page", "per_page", "total"}``."""
    return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


def paginate(query: Select, args: dict) -> tuple[list, int]:
    """One page of the records ``query`` selects (ordered by the caller) and their total."""
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    limit, offset = page_window(args)
    return list(db.scalars(query.limit(limit).offset(offset))), total or 0


def paginate_list(items: list, args: dict) -> tuple[list, int]:
    """One page of records already in a list, and their total."""
    limit, offset = page_window(args)
    return items[offset : offset + limit], len(items)


# --- URLs and methods no route answers ----------------------------------------------------------


def allowed_methods() -> list[str]:
    """The methods the API's routes answer at the request's URL (empty: no such URL)."""
    adapter = current_app.create_url_adapter(request)
    allowed = []
    for method in _METHODS:
        try:
            rule, _ = adapter.match(method=method, return_rule=True)
        except HTTPException:
            continue
        if current_app.view_functions.get(rule.endpoint) is not unmatched:
            allowed.append(method)
    if "GET" in allowed:
        allowed.append("HEAD")
    return [*allowed, "OPTIONS"] if allowed else []


@bp.before_request
def ids_in_range() -> None:
    """A record id outside 1..2**31-1 names nothing (and is not sent to the database)."""
    for name, value in (request.view_args or {}).items():
        if name.endswith("_id") and isinstance(value, int) and not 1 <= value <= MAX_ID:
            raise ApiError(404, "not_found", _MESSAGES[404])


@bp.before_request
def answer_options() -> Response | None:
    """OPTIONS lists the methods of the URL itself (Flask's default would add the catch-all's)."""
    if request.method != "OPTIONS":
        return None
    allowed = allowed_methods()
    if not allowed:
        raise ApiError(404, "not_found", _MESSAGES[404])
    return Response(status=204, headers={"Allow": ", ".join(allowed)})


class AnyPath(PathConverter):
    """Like ``path``, and across line breaks too (werkzeug's ``path`` stops at one)."""

    regex = "(?s:.+)"
    part_isolating = False  # spans slashes, which werkzeug would guess from "/" in the regex


@bp.record_once
def _register_any_path(state) -> None:
    # Converters are the URL map's; this one has a name of its own, so it shadows nothing.
    state.app.url_map.converters.setdefault("practice_any_path", AnyPath)


@bp.route(
    "/",
    defaults={"path": ""},
    methods=_ANY_METHOD,
    provide_automatic_options=False,
)
@bp.route("/<practice_any_path:path>", methods=_ANY_METHOD, provide_automatic_options=False)
@access.staff
def unmatched(path: str):
    """Any other URL or method under the API: a JSON 404, or 405 with ``Allow``, whatever the
    host's own error pages do."""
    allowed = allowed_methods()
    if not allowed:
        raise ApiError(404, "not_found", _MESSAGES[404])
    raise MethodNotAllowed(valid_methods=allowed)


@bp.route("/openapi.json")
@access.public
def openapi_document():
    """The OpenAPI 3.1 document of this API, generated from its routes and schemas."""
    from practice.api.openapi import api_document

    return jsonify(api_document())
