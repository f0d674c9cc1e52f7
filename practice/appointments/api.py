"""API: a case's appointments, planning and changing one, its outcome, and one call to turn it
into its session record. Scoped and audited as the pages are; a rule's refusal is a 409."""

from __future__ import annotations

from datetime import UTC

from flask import abort
from sqlalchemy import select

from practice.api.routing import ID, body, bp, created, operation, page_body, paginate, read, saved
from practice.api.schemas import PageArgsSchema, page_of
from practice.appointments import operations, queries
from practice.appointments.models import Appointment
from practice.appointments.operations import AppointmentDetails
from practice.appointments.schemas import (
    AppointmentCreateSchema,
    AppointmentSchema,
    AppointmentUpdateSchema,
    ConvertSchema,
    OutcomeSchema,
)
from practice.cases.scoping import can_edit, case_for_editor, case_for_viewer
from practice.sessions.schemas import SessionSchema
from practice.web import access

AppointmentPageSchema = page_of(AppointmentSchema, "Appointment")


def _editable(appointment_id: int) -> Appointment:
    """The appointment, if the member is its case's counsellor (404 out of scope, else 403)."""
    member = access.current_staff()
    appointment = queries.appointment_for_viewer(member, appointment_id)
    if not can_edit(member, appointment.case):
        abort(403)
    return appointment


@bp.route(f"/cases/<{ID}:case_id>/appointments")
@access.staff
@operation(
    "List the appointments of a case",
    tag="Appointments",
    description="In order of their start, planned, attended, cancelled and missed alike.",
    query=PageArgsSchema,
    returns=AppointmentPageSchema,
)
def appointments_list(case_id: int, args: dict):
    case = case_for_viewer(access.current_staff(), case_id)
    query = select(Appointment).where(Appointment.case_id == case.id)
    rows, total = paginate(query.order_by(Appointment.starts_at, Appointment.id), args)
    page = page_body(AppointmentSchema(many=True).dump(rows), total, args)
    return read(page, "api_appointments_listed", obj=case, detail={"count": len(rows)})


@bp.route(f"/cases/<{ID}:case_id>/appointments", methods=["POST"])
@access.staff
@operation(
    "Plan a session of a case",
    tag="Appointments",
    description="Only the case's counsellor; the appointment starts as planned.",
    body=AppointmentCreateSchema,
    status=201,
    returns=AppointmentSchema,
    errors=(409,),
)
def appointment_create(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    data = body()
    appointment = operations.plan_appointment(case, member, _details(data))
    return created(
        AppointmentSchema().dump(appointment), ".appointment_read", appointment_id=appointment.id
    )


def _details(values: dict) -> AppointmentDetails:
    return AppointmentDetails(
        starts_at=values["starts_at"].astimezone(UTC),
        duration_minutes=values["duration_minutes"],
        mode=values["mode"],
    )


@bp.route(f"/appointments/<{ID}:appointment_id>")
@access.staff
@operation("Read an appointment", tag="Appointments", returns=AppointmentSchema)
def appointment_read(appointment_id: int):
    appointment = queries.appointment_for_viewer(access.current_staff(), appointment_id)
    return read(AppointmentSchema().dump(appointment), "api_appointment_read", obj=appointment)


@bp.route(f"/appointments/<{ID}:appointment_id>", methods=["PATCH"])
@access.staff
@operation(
    "Move or change a planned appointment",
    tag="Appointments",
    description="Only the case's counsellor, while the appointment is planned. Send the "
    "`version` you read; a stale one is refused with 409.",
    body=AppointmentUpdateSchema,
    returns=AppointmentSchema,
    errors=(409,),
)
def appointment_update(appointment_id: int):
    appointment = _editable(appointment_id)
    data = body()
    stored = {
        "starts_at": appointment.starts_at,
        "duration_minutes": appointment.duration_minutes,
        "mode": appointment.mode,
    }
    operations.update_appointment(
        appointment, access.current_staff(), _details({**stored, **data}), data["version"]
    )
    return saved(AppointmentSchema().dump(appointment))


@bp.route(f"/appointments/<{ID}:appointment_id>/outcome", methods=["POST"])
@access.staff
@operation(
    "Record that a planned appointment was cancelled or missed",
    tag="Appointments",
    description="A cancellation says who cancelled and, optionally, when the notice came; "
    "whether it was late follows from the practice's notice period. A no-show only once the "
    "appointment has begun.",
    body=OutcomeSchema,
    returns=AppointmentSchema,
    errors=(409,),
)
def appointment_outcome(appointment_id: int):
    appointment = _editable(appointment_id)
    data = body()
    notice_at = data.get("notice_at")
    operations.record_outcome(
        appointment,
        access.current_staff(),
        data["status"],
        cancelled_by=data.get("cancelled_by"),
        notice_at=notice_at.astimezone(UTC) if notice_at else None,
        version=data.get("version"),
    )
    return saved(AppointmentSchema().dump(appointment))


@bp.route(f"/appointments/<{ID}:appointment_id>/session", methods=["POST"])
@access.staff
@operation(
    "Make the session record of a planned appointment",
    tag="Appointments",
    description="A draft session at the appointment's date, time, length and mode with every "
    "partner attending; the appointment becomes attended and links it. At most a day ahead.",
    body=ConvertSchema,
    status=201,
    returns=SessionSchema,
    errors=(409,),
)
def appointment_convert(appointment_id: int):
    appointment = _editable(appointment_id)
    data = body()
    therapy_session = operations.convert_to_session(
        appointment, access.current_staff(), data.get("version")
    )
    return created(
        SessionSchema().dump(therapy_session), ".session_read", session_id=therapy_session.id
    )
