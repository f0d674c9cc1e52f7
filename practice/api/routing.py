"""The JSON API under ``/api/v1``: its blueprint and what its route modules share.

The blueprint is a child of the tracker's, so it mounts with it and every request passes the
same policy check, CSRF gate (requests with a bearer token are exempt) and audit as the pages.
Views load objects through each area's scoping queries (out of scope is 404) and change them
through the areas' operations, which hold every rule; a refusal by a rule is a 409, a request
that does not match the published schema a 422, unreadable JSON a 400. Errors always read
``{"error": {"code", "message", "fields"}}`` (``practice.api.errors``).

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
from sqlalchemy import Select
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import PathConverter

from practice import audit
from practice.api import errors
from practice.api.errors import MESSAGES, ApiError
from practice.core import pagination
from practice.web import access

bp = Blueprint("api", __name__, url_prefix="/api/v1")
errors.register(bp)

# Path converter for record ids. Its range is checked after the policy, for pages and API alike
# (``practice.web.access.ids_in_range``): a converter that refused a number would make werkzeug
# give up on the URL rather than fall back to the catch-all route, and the host would answer.
ID = "int"
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# What the catch-all route answers (with 404 or 405): every method a client may send.
_ANY_METHOD = [*_METHODS, "HEAD", "OPTIONS", "TRACE", "QUERY", "CONNECT"]


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
    # A 202 answer with this body and a ``Location`` to poll: the result is not ready yet.
    accepted: type[Schema] | None = None


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
    accepted: type[Schema] | None = None,
) -> Callable:
    """Document a view and validate its query: the loaded arguments are passed to the view as
    ``args``. The view reads its body with ``body()`` once it has loaded and authorised what it
    changes, so that a read-only user gets 403 whatever they send. Place it below the policy
    decorator."""
    spec = Operation(
        summary, tag, description, body, query, status, returns, media_type, tuple(errors), accepted
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
    """Answer a read of clinical data, audited (ids only); the request commits the record."""
    audit.record(action, **audit_args)
    return jsonify(payload)


def saved(payload: Any, status: int = 200, location: str | None = None) -> Response:
    """Answer with the result of the change the operations made (they audited it; the request
    commits it); ``None`` answers 204 with no body."""
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
    page = pagination.paginate(query, args["page"], args["per_page"], clamp=False)
    return list(page.items), page.total


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
def answer_options() -> Response | None:
    """OPTIONS lists the methods of the URL itself (Flask's default would add the catch-all's)."""
    if request.method != "OPTIONS":
        return None
    allowed = allowed_methods()
    if not allowed:
        raise ApiError(404, "not_found", MESSAGES[404])
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
        raise ApiError(404, "not_found", MESSAGES[404])
    raise MethodNotAllowed(valid_methods=allowed)
