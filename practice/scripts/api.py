"""API: the script library, scripts assigned to partners, and adoption levels per session."""

from __future__ import annotations

from flask import abort

from practice.accounts.models import Role
from practice.api.errors import refused
from practice.api.routing import (
    ID,
    body,
    bp,
    created,
    operation,
    page_body,
    paginate,
    paginate_list,
    read,
    saved,
)
from practice.api.schemas import PageArgsSchema, page_of
from practice.cases.models import Case
from practice.cases.scoping import (
    case_for_editor,
    case_for_viewer,
    session_for_editor,
    session_for_viewer,
)
from practice.core.database import db
from practice.scripts import operations, queries
from practice.scripts.adoption import AdoptionCourse, adoption_course, adoption_scale
from practice.scripts.models import Script, ScriptAssignment
from practice.scripts.schemas import (
    AssignmentCreateSchema,
    AssignmentSchema,
    ObservationListSchema,
    ObservationSchema,
    ObservationsPutSchema,
    RetireSchema,
    ScriptCreateSchema,
    ScriptSchema,
)
from practice.sessions.models import TherapySession
from practice.web import access

ScriptPageSchema = page_of(ScriptSchema, "Script")
AssignmentPageSchema = page_of(AssignmentSchema, "Assignment")
ObservationPageSchema = page_of(ObservationSchema, "Observation")


# --- The library -------------------------------------------------------------------------------


@bp.route("/scripts")
@access.staff
@operation(
    "List the script library",
    tag="Scripts",
    description="Active and retired scripts, by category.",
    query=PageArgsSchema,
    returns=ScriptPageSchema,
)
def scripts_list(args: dict):
    rows, total = paginate(queries.library_query(), args)
    return saved(page_body(ScriptSchema(many=True).dump(rows), total, args))


@bp.route(f"/scripts/<{ID}:script_id>")
@access.staff
@operation("Read a script of the library", tag="Scripts", returns=ScriptSchema)
def script_read(script_id: int):
    script = db.get(Script, script_id) or abort(404)
    return saved(ScriptSchema().dump(script))


@bp.route("/scripts", methods=["POST"])
@access.roles(Role.ADMIN)
@operation(
    "Add a script to the library",
    tag="Scripts",
    description="Administrators only; the same words may not be in the library twice.",
    body=ScriptCreateSchema,
    status=201,
    returns=ScriptSchema,
    errors=(409,),
)
def script_create():
    data = body()
    script = operations.create_script(data["text"], data["intended_role"], data["category"])
    return created(ScriptSchema().dump(script), ".script_read", script_id=script.id)


# --- Assignments -------------------------------------------------------------------------------


def _assignment_bodies(case: Case) -> list[dict]:
    """The case's assignments, active first, each with where its adoption stands."""
    return [_assignment_body(row.assignment, row.course) for row in queries.assignment_rows(case)]


def _assignment_body(
    assignment: ScriptAssignment, course: AdoptionCourse[queries.ObservationPoint]
) -> dict:
    names = (
        "id",
        "case_id",
        "partner_id",
        "script_id",
        "status",
        "assigned_session_id",
        "retired_session_id",
        "retired_at",
        "created_at",
    )
    values = {name: getattr(assignment, name) for name in names}
    adopted = course.adopted_at
    values.update(
        script_text=assignment.script.text,
        adopted_session_id=adopted.session_id if adopted else None,
        adopted_on=adopted.starts_at.date() if adopted else None,
        adoption_state=course.state,
        adoption_state_label=course.label,
        observed_sessions=course.observed,
    )
    return AssignmentSchema().dump(values)


def _assignment_of(case: Case, assignment_id: int) -> dict:
    return next(item for item in _assignment_bodies(case) if item["id"] == assignment_id)


@bp.route(f"/cases/<{ID}:case_id>/assignments")
@access.staff
@operation(
    "List the scripts assigned in a case",
    tag="Scripts",
    description="Active first; each with the session it was adopted at, if it was.",
    query=PageArgsSchema,
    returns=AssignmentPageSchema,
)
def assignments_list(case_id: int, args: dict):
    case = case_for_viewer(access.current_staff(), case_id)
    rows, total = paginate_list(_assignment_bodies(case), args)
    return read(page_body(rows, total, args), "api_assignments_read", obj=case)


@bp.route(f"/assignments/<{ID}:assignment_id>")
@access.staff
@operation("Read a script assignment", tag="Scripts", returns=AssignmentSchema)
def assignment_read(assignment_id: int):
    assignment = db.get(ScriptAssignment, assignment_id) or abort(404)
    case = case_for_viewer(access.current_staff(), assignment.case_id)
    return read(_assignment_of(case, assignment.id), "api_assignment_read", obj=assignment)


@bp.route(f"/cases/<{ID}:case_id>/assignments", methods=["POST"])
@access.staff
@operation(
    "Assign a library script to a partner",
    tag="Scripts",
    description="Only the case's counsellor, at a draft session of the case.",
    body=AssignmentCreateSchema,
    status=201,
    returns=AssignmentSchema,
    errors=(409,),
)
def assignment_create(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    data = body()
    therapy_session = session_for_editor(member, data["session_id"])
    if therapy_session.case_id != case.id:
        raise refused(
            "That session is not of this case.", {"session_id": ["Not a session of this case."]}
        )
    assignment = operations.assign_script(therapy_session, data["partner_id"], data["script_id"])
    payload = _assignment_body(assignment, adoption_course([]))
    return created(payload, ".assignment_read", assignment_id=assignment.id)


@bp.route(f"/assignments/<{ID}:assignment_id>/retire", methods=["POST"])
@access.staff
@operation(
    "Retire a script assignment",
    tag="Scripts",
    description="From a draft session of its case on; its adoption history is kept.",
    body=RetireSchema,
    returns=AssignmentSchema,
    errors=(409,),
)
def assignment_retire(assignment_id: int):
    member = access.current_staff()
    assignment = db.get(ScriptAssignment, assignment_id) or abort(404)
    case = case_for_editor(member, assignment.case_id)
    therapy_session = session_for_viewer(member, body()["session_id"])
    operations.retire_assignment(assignment, therapy_session)
    return saved(_assignment_of(case, assignment.id))


# --- Adoption levels at a session --------------------------------------------------------------


def _observations(therapy_session: TherapySession) -> list[dict]:
    return ObservationSchema(many=True).dump(queries.session_levels(therapy_session))


@bp.route(f"/sessions/<{ID}:session_id>/observations")
@access.staff
@operation(
    "List the adoption levels recorded at a session",
    tag="Scripts",
    query=PageArgsSchema,
    returns=ObservationPageSchema,
)
def observations_list(session_id: int, args: dict):
    therapy_session = session_for_viewer(access.current_staff(), session_id)
    rows, total = paginate_list(_observations(therapy_session), args)
    return read(page_body(rows, total, args), "api_observations_read", obj=therapy_session)


@bp.route(f"/sessions/<{ID}:session_id>/observations", methods=["PUT"])
@access.staff
@operation(
    "Record adoption levels at a session",
    tag="Scripts",
    description=(
        "Only the case's counsellor, while the note is a draft. Per active assignment given at "
        f"or before this session: observed with a level ({adoption_scale()}), or no_opportunity "
        "without one; what was recorded before is replaced. The scripts of a partner who did "
        "not attend are recorded as absent (from the attendance), and sending one of them is "
        "refused. All or nothing. Answers with everything recorded at the session."
    ),
    body=ObservationsPutSchema,
    returns=ObservationListSchema,
    errors=(409,),
)
def observations_put(session_id: int):
    therapy_session = session_for_editor(access.current_staff(), session_id)
    entries = {
        entry["assignment_id"]: operations.ObservationInput(
            entry["status"], entry["level"], entry["note"]
        )
        for entry in body()["levels"]
    }
    operations.record_adoption(therapy_session, entries)
    return saved({"items": _observations(therapy_session)})
