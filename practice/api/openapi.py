"""The OpenAPI 3.1 document of the JSON API, generated with apispec from the routes themselves.

Every route registered on the API's blueprint with an ``@operation`` (``practice.views.api``)
becomes an operation: its path and parameters come from the URL rule, its body, query and
responses from the marshmallow schemas the view validates with, so the document describes what
the code does rather than what someone remembered to write down.
"""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, request

from practice.api.routing import Operation
from practice.api.schemas import ErrorSchema
from practice.core.database import MAX_ID

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
SECURITY_SCHEME = "bearerAuth"
_CONVERTER = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
# The operations that create the record each path parameter names: their answers link to every
# operation taking that parameter, so a client (or a test tool) can follow one to the next.
ID_SOURCES = {
    "case_id": "case_create",
    "session_id": "session_create",
    "moment_id": "moment_create",
    "type_id": "moment_type_create",
    "script_id": "script_create",
    "assignment_id": "assignment_create",
    "report_id": "report_create",
}

# Status -> (name in components.responses, description).
ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The body is not valid JSON (or a browser request lacks its CSRF token)."),
    401: (
        "Unauthorized",
        "No valid API token (missing, unknown, revoked or expired): send "
        "'Authorization: Bearer <token>'.",
    ),
    403: ("Forbidden", "Not allowed: read-only access, the wrong role, or a wrong password."),
    404: ("NotFound", "No such record, or not yours to see."),
    409: (
        "Conflict",
        "Refused by a rule of the practice (a signed note, a partner of another case, a date "
        "before the case opened…), or a stale `version`: then `current_version` says which "
        "version to send.",
    ),
    415: ("UnsupportedMediaType", "The body is not sent as application/json."),
    422: ("UnprocessableEntity", "The request does not match this document; `fields` say where."),
    429: (
        "TooManyRequests",
        "A limit of the practice: too many reports waiting, running or made in the last minute.",
    ),
}
TAGS = {
    "Cases": "Cases and the people in them.",
    "Sessions": "Sessions, their DAP notes and signing.",
    "Appointments": "Sessions planned ahead, what became of each, and turning one into its "
    "session record.",
    "Moments": "Cycle moments observed in sessions.",
    "Moment types": "The practice's vocabulary of cycle moments.",
    "Scripts": "The script library, assignments and adoption levels.",
    "Measures": (
        "CSI-4 answers per partner per session, each case's change from baseline, and each "
        "partner's consent to share their scores."
    ),
    "Breaks": (
        "Breaks a partner called and whether the couple came back to talk, with each "
        "partner's account and the counsellor's own."
    ),
    "Cycle map": (
        "A couple's cycle map, one revision per session (read-only once its note is signed), "
        "the differences between revisions and the milestones."
    ),
    "Change events": (
        "EFT change events (cycle de-escalated, withdrawer re-engaged, blamer softened, "
        "attachment injury resolved, new cycle consolidated), the tracker's proposals and the "
        "stage gates they open."
    ),
    "Reports": "Progress reports as PDF.",
    "Caseload": "The supervisor's view of the caseloads in scope.",
    "Supervision": "Co-signature, a session's comments, and handing a case over.",
}
DESCRIPTION = """\
The couples-cycle case tracker's API. Authenticate with a personal API token (create one on the
"API tokens" page or with `flask practice token create EMAIL`) sent as
`Authorization: Bearer <token>`. A token expires (90 days unless chosen otherwise, at most a year;
an expired token answers 401) and may be read-only: such a token is refused every method but GET,
HEAD and OPTIONS with 403. You see and change exactly what you could on the pages: your own
cases as a counsellor (only a case's counsellor changes it), your supervisees' too, read-only, as a
supervisor. Records out of your scope answer 404. Every read of clinical data and every change is
recorded in the audit log.

Lists are paginated with `?page=1&per_page=50` (at most 200) and answer
`{"items", "page", "per_page", "total"}`. Dates and times are ISO 8601 with an offset. Errors answer
`{"error": {"code", "message", "fields"}}`: 422 when the request breaks this document (unknown
body fields included; unknown query arguments are ignored), 409 when a rule of the practice
refuses it or a `version` is stale, 400 for unreadable JSON, 415 for a body that is not JSON.
Signing a note needs the signer's password; wrong guesses count towards the account's lock-out.
"""


def api_document() -> dict:
    """The OpenAPI document of the API routes registered on the current app."""
    blueprint = request.blueprint or ""
    base = _api_base(blueprint)
    spec = APISpec(
        title=f"{current_app.config['PRACTICE_NAME']} API",
        version=API_VERSION,
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
        servers=[{"url": request.script_root + base}],
        security=[{SECURITY_SCHEME: []}],
        tags=[{"name": name, "description": text} for name, text in TAGS.items()],
    )
    spec.components.security_scheme(
        SECURITY_SCHEME,
        {"type": "http", "scheme": "bearer", "description": "A personal API token (cct_…)."},
    )
    spec.components.schema("Error", schema=ErrorSchema)
    for name, description in ERROR_RESPONSES.values():
        spec.components.response(
            name,
            {"description": description, "content": {"application/json": {"schema": "Error"}}},
        )
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith(f"{blueprint}."):
            continue
        described = getattr(current_app.view_functions[rule.endpoint], "api_operation", None)
        if described is None:
            continue
        path, parameters = _path_of(rule.rule[len(base) :])
        for method in sorted(rule.methods - _IGNORED_METHODS):
            operations = paths.setdefault(path, {"parameters": parameters, "operations": {}})
            operations["operations"][method.lower()] = _operation(
                described, rule.endpoint.rsplit(".", 1)[-1], bool(parameters)
            )
    _add_links(paths)
    for path in sorted(paths):
        spec.path(path=path, **paths[path])
    return spec.to_dict()


def _add_links(paths: dict[str, dict]) -> None:
    """Link each creating operation's answer to the operations that take the new record's id."""
    operations = [op for item in paths.values() for op in item["operations"].values()]
    by_id = {op["operationId"]: op for op in operations}
    for item in paths.values():
        for parameter in item["parameters"]:
            source = by_id.get(ID_SOURCES.get(parameter["name"], ""))
            if source is None:
                continue
            status = next(code for code in source["responses"] if code.startswith("2"))
            links = source["responses"][status].setdefault("links", {})
            for target in item["operations"].values():
                links[target["operationId"]] = {
                    "operationId": target["operationId"],
                    "parameters": {parameter["name"]: "$response.body#/id"},
                }


def _api_base(blueprint: str) -> str:
    """The API's URL prefix (the tracker's mount point included), from its document's rule."""
    for rule in current_app.url_map.iter_rules(f"{blueprint}.openapi_document"):
        return rule.rule.removesuffix("/openapi.json")
    raise LookupError("The API's openapi_document route is not registered.")


def _path_of(rule: str) -> tuple[str, list[dict]]:
    """An OpenAPI path (``/cases/{case_id}``) and its path parameters, from a URL rule."""
    parameters = [
        {
            "in": "path",
            "name": match["name"],
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        }
        for match in _CONVERTER.finditer(rule)
    ]
    return _CONVERTER.sub(lambda m: "{" + m["name"] + "}", rule), parameters


def _operation(described: Operation, operation_id: str, has_path_parameters: bool) -> dict:
    operation: dict = {
        "operationId": operation_id,
        "summary": described.summary,
        "tags": [described.tag],
        "responses": {str(described.status): _success(described)},
    }
    if described.accepted is not None:
        operation["responses"]["202"] = {
            "description": "Not ready yet: being prepared. Ask again at `Location` after "
            "`Retry-After` seconds.",
            "headers": {
                "Location": {"description": "Where to ask again.", "schema": {"type": "string"}},
                "Retry-After": {
                    "description": "Seconds to wait before asking again.",
                    "schema": {"type": "integer"},
                },
            },
            "content": {"application/json": {"schema": described.accepted}},
        }
    if described.description:
        operation["description"] = described.description
    if described.query is not None:
        operation["parameters"] = [{"in": "query", "schema": described.query}]
    if described.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": described.body}},
        }
    errors = {401, 403, *described.errors}
    if has_path_parameters:
        errors.add(404)
    if described.query is not None or described.body is not None:
        errors.add(422)
    if described.body is not None:
        errors.update({400, 415})
    for status in sorted(errors):
        operation["responses"][str(status)] = {"$ref": f"#/components/responses/{_name(status)}"}
    return operation


def _name(status: int) -> str:
    return ERROR_RESPONSES[status][0]


def _success(described: Operation) -> dict:
    if described.status == 204:
        return {"description": "Done; no content."}
    if described.returns is not None:
        schema: object = described.returns
    else:
        schema = {"type": "string", "contentMediaType": described.media_type}
    return {"description": "Success.", "content": {described.media_type: {"schema": schema}}}
