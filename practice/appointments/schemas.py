"""The JSON API's schemas of appointments: requests it accepts and answers it gives."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import (
    Choice,
    In,
    Out,
    Timestamp,
    WholeNumber,
    nullable,
    version_field,
)
from practice.appointments.models import AppointmentStatus, CancelledBy
from practice.appointments.operations import MAX_DURATION, MIN_DURATION
from practice.sessions.models import Modality


class AppointmentSchema(Out):
    id = fields.Integer()
    case_id = fields.Integer()
    starts_at = Timestamp()
    duration_minutes = fields.Integer()
    mode = Choice(Modality)
    status = Choice(AppointmentStatus)
    cancelled_by = nullable(
        Choice,
        CancelledBy,
        metadata={"description": "Partner A and B are the case's first and second partner."},
    )
    notice_at = nullable(Timestamp)
    late = nullable(
        fields.Boolean,
        metadata={
            "description": "A cancellation whose notice came less than "
            "PRACTICE_LATE_CANCELLATION_HOURS (by default 24) before the start."
        },
    )
    session_id = nullable(fields.Integer)
    outcome_at = nullable(Timestamp)
    version = fields.Integer()


def _duration(**kw) -> WholeNumber:
    return WholeNumber(MIN_DURATION, MAX_DURATION, **kw)


class AppointmentCreateSchema(In):
    starts_at = Timestamp(required=True)
    duration_minutes = _duration(load_default=50)
    mode = Choice(Modality, load_default=Modality.IN_PERSON.value)


class AppointmentUpdateSchema(In):
    """A planned appointment's date, time, length or mode; fields left out keep their values."""

    version = version_field(required=True)
    starts_at = Timestamp()
    duration_minutes = _duration()
    mode = Choice(Modality)


class OutcomeSchema(In):
    status = Choice(
        [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW],
        required=True,
        metadata={"description": "An attended appointment becomes a session: POST …/session."},
    )
    cancelled_by = Choice(CancelledBy, metadata={"description": "Required for a cancellation."})
    notice_at = Timestamp(
        metadata={"description": "When the cancellation reached the practice; now if left out."}
    )
    version = version_field()


class ConvertSchema(In):
    version = version_field()
