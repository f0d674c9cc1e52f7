"""The tracker's blueprint: one child blueprint per area, mounted together under one prefix."""

from flask import Blueprint

from practice import access, session_limits
from practice.csrf import protect_unsafe_methods
from practice.resources import package_dir
from practice.views import (
    accounts,
    admin,
    api,
    api_tokens,
    audit_log,
    case_export,
    case_page,
    cases,
    errors,
    health,
    jobs,
    live,
    measures,
    moments,
    reports,
    review,
    scripts,
    security,
    sessions,
    supervision,
    vocabulary,
)

blueprint = Blueprint(
    "practice",
    __name__,
    template_folder=str(package_dir("templates")),
    static_folder="../static",
    static_url_path="/static",
)
blueprint.before_request(session_limits.enforce_session_limits)
blueprint.before_request(access.enforce_policy)
blueprint.before_request(protect_unsafe_methods)
blueprint.after_request(errors.security_headers)
errors.register(blueprint)
blueprint.context_processor(errors.template_globals)

for area in (
    accounts,
    security,
    cases,
    case_page,
    case_export,
    sessions,
    moments,
    live,
    scripts,
    measures,
    reports,
    jobs,
    supervision,
    review,
    vocabulary,
    admin,
    audit_log,
    health,
    api,
    api_tokens,
):
    blueprint.register_blueprint(area.bp)
