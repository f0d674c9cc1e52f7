"""API: cycle moments of sessions, and the practice's vocabulary of moment types.

Routes load through the member's scope, call ``operations`` (or ``vocabulary``) and answer;
refusals propagate to ``practice.api.errors``, and the request commits.
"""

from __future__ import annotations

from flask import abort

from practice.accounts.models import Role, StaffMember
from practice.api.routing import (
    ID,
    body,
    bp,
    created,
    operation,
    page_body,
    paginate,
    read,
    saved,
)
from practice.api.schemas import PageArgsSchema, page_of
from practice.cases.scoping import session_for_editor, session_for_viewer
from practice.core.database import db
from practice.moments import interaction_reads, operations, vocabulary
from practice.moments.interaction import InteractionMetrics
from practice.moments.models import Moment, MomentType
from practice.moments.operations import MomentData
from practice.moments.schemas import (
    InteractionSchema,
    MomentCreateSchema,
    MomentSchema,
    MomentTypeCreateSchema,
    MomentTypeSchema,
    MomentTypeUpdateSchema,
    MomentUpdateSchema,
)
from practice.moments.vocabulary import MomentTypeData
from practice.sessions.models import TherapySession
from practice.web import access

MomentPageSchema = page_of(MomentSchema, "Moment")
MomentTypePageSchema = page_of(MomentTypeSchema, "MomentType")


def _moment(member: StaffMember, moment_id: int, *, edit: bool) -> tuple[Moment, TherapySession]:
    """A standing moment of a session ``member`` may see (or edit); 404 if removed or out of
    scope, 403 if read-only."""
    moment = db.get(Moment, moment_id)
    if moment is None or moment.voided_at is not None:
        abort(404)
    load = session_for_editor if edit else session_for_viewer
    return moment, load(member, moment.session_id)


@bp.route(f"/sessions/<{ID}:session_id>/moments")
@access.staff
@operation(
    "List a session's moments",
    tag="Moments",
    description="In minute order; removed moments are left out.",
    query=PageArgsSchema,
    returns=MomentPageSchema,
)
def moments_list(session_id: int, args: dict):
    therapy_session = session_for_viewer(access.current_staff(), session_id)
    rows, total = paginate(operations.standing_moments(therapy_session), args)
    page = page_body(MomentSchema(many=True).dump(rows), total, args)
    return read(page, "api_moments_read", obj=therapy_session, detail={"count": len(rows)})


@bp.route(f"/sessions/<{ID}:session_id>/interaction")
@access.staff
@operation(
    "Read a session's interaction metrics",
    tag="Moments",
    description=(
        "Coupling index, repair success and antidote ratio of the session's standing moments, "
        "with the counts behind each."
    ),
    returns=InteractionSchema,
)
def session_interaction(session_id: int):
    therapy_session = session_for_viewer(access.current_staff(), session_id)
    metrics = interaction_reads.session_interaction(therapy_session)
    payload = InteractionSchema().dump({"session_id": therapy_session.id, **_figures(metrics)})
    return read(payload, "api_interaction_read", obj=therapy_session)


def _figures(metrics: InteractionMetrics) -> dict:
    """The metrics' counts and fractions, by the names of ``InteractionSchema``."""
    names = set(InteractionSchema().fields) - {"session_id"}
    return {name: getattr(metrics, name) for name in names}


@bp.route(f"/sessions/<{ID}:session_id>/moments", methods=["POST"])
@access.staff
@operation(
    "Tag a moment in a draft session",
    tag="Moments",
    description=(
        "Only the case's counsellor, while the note is a draft. The type must be active, the "
        "partner of this case (null: both), the minute within the session."
    ),
    body=MomentCreateSchema,
    status=201,
    returns=MomentSchema,
    errors=(409,),
)
def moment_create(session_id: int):
    member = access.current_staff()
    therapy_session = session_for_editor(member, session_id)
    moment = operations.add_moment(therapy_session, member, MomentData(**body()), source="api")
    return created(MomentSchema().dump(moment), ".moment_read", moment_id=moment.id)


@bp.route(f"/moments/<{ID}:moment_id>")
@access.staff
@operation("Read a moment", tag="Moments", returns=MomentSchema)
def moment_read(moment_id: int):
    moment, therapy_session = _moment(access.current_staff(), moment_id, edit=False)
    return read(
        MomentSchema().dump(moment), "api_moment_read", obj=moment, case_id=therapy_session.case_id
    )


@bp.route(f"/moments/<{ID}:moment_id>", methods=["PATCH"])
@access.staff
@operation(
    "Change a moment of a draft session",
    tag="Moments",
    description="Fields left out keep their values.",
    body=MomentUpdateSchema,
    returns=MomentSchema,
    errors=(409,),
)
def moment_update(moment_id: int):
    moment, _therapy_session = _moment(access.current_staff(), moment_id, edit=True)
    stored = {
        "moment_type_id": moment.moment_type_id,
        "partner_id": moment.partner_id,
        "minute": moment.minute,
        "intensity": moment.intensity,
        "context": moment.context,
        "target_partner_id": moment.target_partner_id,
        "answers_moment_id": moment.answers_moment_id,
        "outcome": moment.outcome,
    }
    operations.update_moment(moment, MomentData(**{**stored, **body()}))
    return saved(MomentSchema().dump(moment))


@bp.route(f"/moments/<{ID}:moment_id>", methods=["DELETE"])
@access.staff
@operation(
    "Remove a moment of a draft session",
    tag="Moments",
    description="The moment is voided, not deleted: the record of it stays, out of every list.",
    status=204,
    errors=(409,),
)
def moment_delete(moment_id: int):
    member = access.current_staff()
    moment, _therapy_session = _moment(member, moment_id, edit=True)
    operations.remove_moment(moment, member=member)
    return saved(None)


# --- The vocabulary --------------------------------------------------------------------------


def _moment_type(type_id: int) -> MomentType:
    return db.get(MomentType, type_id) or abort(404)


@bp.route("/moment-types")
@access.staff
@operation(
    "List the moment types",
    tag="Moment types",
    description="Active and retired, in display order.",
    query=PageArgsSchema,
    returns=MomentTypePageSchema,
)
def moment_types_list(args: dict):
    rows, total = paginate(vocabulary.ordered_types(), args)
    return saved(page_body(MomentTypeSchema(many=True).dump(rows), total, args))


@bp.route(f"/moment-types/<{ID}:type_id>")
@access.staff
@operation("Read a moment type", tag="Moment types", returns=MomentTypeSchema)
def moment_type_read(type_id: int):
    return saved(MomentTypeSchema().dump(_moment_type(type_id)))


@bp.route("/moment-types", methods=["POST"])
@access.roles(Role.ADMIN)
@operation(
    "Add a moment type",
    tag="Moment types",
    description="Administrators only. The key is made from the label.",
    body=MomentTypeCreateSchema,
    status=201,
    returns=MomentTypeSchema,
    errors=(409,),
)
def moment_type_create():
    moment_type = vocabulary.create_type(MomentTypeData(**body()))
    payload = MomentTypeSchema().dump(moment_type)
    return created(payload, ".moment_type_read", type_id=moment_type.id)


@bp.route(f"/moment-types/<{ID}:type_id>", methods=["PATCH"])
@access.roles(Role.ADMIN)
@operation(
    "Change, retire or bring back a moment type",
    tag="Moment types",
    description="Administrators only. Fields left out keep their values.",
    body=MomentTypeUpdateSchema,
    returns=MomentTypeSchema,
    errors=(409,),
)
def moment_type_update(type_id: int):
    moment_type = _moment_type(type_id)
    data = body()
    active = data.pop("active", None)
    if data:
        stored = {
            name: getattr(moment_type, name)
            for name in ("label", "description", "valence", "colour", "shortcut")
        }
        vocabulary.update_type(moment_type, MomentTypeData(**{**stored, **data}))
    if active is not None and active != moment_type.active:
        vocabulary.set_active(moment_type, active)
    return saved(MomentTypeSchema().dump(moment_type))
