"""The tracker's blueprint: every area's pages and the JSON API, mounted under one prefix.

The top of the package: it imports each area's views and API routes, and nothing imports it but
the extension.
"""

from flask import Blueprint

from practice.accounts import security_views, staff_views, token_views
from practice.accounts import views as account_views
from practice.api import docs as api_docs
from practice.api import routing as api
from practice.appointments import api as appointment_api
from practice.appointments import operations as appointment_operations
from practice.appointments import views as appointment_views
from practice.audit import views as audit_views
from practice.breaks import api as break_api
from practice.breaks import views as break_views
from practice.cases import api as case_api
from practice.cases import break_glass_views, handover_views
from practice.cases import export_views as case_export_views
from practice.cases import page_views as case_page_views
from practice.cases import views as case_views
from practice.checkins import api as checkin_api
from practice.checkins import public_views as checkin_public_views
from practice.checkins import views as checkin_views
from practice.core.resources import package_dir
from practice.eft import api as eft_api
from practice.eft import views as eft_views
from practice.formulation import api as cycle_map_api
from practice.formulation import views as cycle_map_views
from practice.goals import api as goal_api
from practice.goals import views as goal_views
from practice.measures import api as measure_api
from practice.measures import registry_api as measure_registry_api
from practice.measures import registry_views as measure_registry_views
from practice.measures import views as measure_views
from practice.moments import api as moment_api
from practice.moments import live_views, vocabulary_views
from practice.moments import views as moment_views
from practice.reporting import api as report_api
from practice.reporting import job_views, prerender, queue
from practice.reporting import views as report_views
from practice.safety import api as safety_api
from practice.safety import operations as safety_operations
from practice.safety import views as safety_views
from practice.scripts import api as script_api
from practice.scripts import views as script_views
from practice.sessions import api as session_api
from practice.sessions import views as session_views
from practice.supervision import api as caseload_api
from practice.supervision import panels as supervision_panels
from practice.supervision import review_api, review_views
from practice.supervision import views as supervision_views
from practice.web import access, error_pages, health, localisation, outage, session_limits
from practice.web.csrf import protect_unsafe_methods
from practice.web.headers import security_headers
from practice.web.template_globals import template_globals

blueprint = Blueprint(
    "practice",
    __name__,
    template_folder=str(package_dir("templates")),
    static_folder="../static",
    static_url_path="/static",
)
blueprint.before_request(session_limits.enforce_session_limits)
blueprint.before_request(access.enforce_policy)
blueprint.before_request(access.ids_in_range)
blueprint.before_request(protect_unsafe_methods)
# The request owns its transaction: committed once the view (or an error handler) has answered.
blueprint.after_request(outage.commit_or_unavailable)
blueprint.after_request(security_headers)
# Report jobs a request recorded (a default report to prepare after a note is signed) are put
# on the report queue once the request has committed them.
blueprint.teardown_request(queue.enqueue_requested)
prerender.connect_signals()
# A threat or contempt moment at the top intensity makes a rescreen due.
safety_operations.connect_signals()
# Closing a case cancels its appointments still ahead.
appointment_operations.connect_signals()
error_pages.register(blueprint)
blueprint.context_processor(template_globals)
blueprint.context_processor(supervision_panels.comment_badge)
blueprint.context_processor(localisation.zone_globals)
for name, template_filter in localisation.FILTERS.items():
    blueprint.add_app_template_filter(template_filter, name)
blueprint.add_app_template_global(localisation.local_zone, "local_zone")

# The API's route modules attach their views to the API's blueprint when imported (above).
API_ROUTES = (
    api_docs,
    case_api,
    session_api,
    appointment_api,
    moment_api,
    script_api,
    measure_api,
    measure_registry_api,
    break_api,
    cycle_map_api,
    goal_api,
    eft_api,
    safety_api,
    checkin_api,
    report_api,
    caseload_api,
    review_api,
)

for area in (
    account_views,
    security_views,
    case_views,
    case_page_views,
    case_export_views,
    break_views,
    cycle_map_views,
    goal_views,
    eft_views,
    session_views,
    appointment_views,
    moment_views,
    live_views,
    script_views,
    measure_views,
    measure_registry_views,
    checkin_views,
    checkin_public_views,
    safety_views,
    report_views,
    job_views,
    supervision_views,
    review_views,
    vocabulary_views,
    staff_views,
    handover_views,
    break_glass_views,
    audit_views,
    health,
    api,
    token_views,
):
    blueprint.register_blueprint(area.bp)
