"""Planning appointments, recording what became of them, turning one into its session record
(each counsellor's calendar feed secret is ``calendar_feed``). Closing a case cancels its
appointments still ahead (``connect_signals``), so they leave My week and the calendar feed.

Every function takes loaded objects and validated data, flushes, audits and never commits. A
refused change raises ``AppointmentError`` and, run in its own savepoint (``@atomic``), leaves
nothing behind. Only the case's counsellor plans and changes its appointments, as for sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select

from practice import audit
from practice.accounts.models import StaffMember
from practice.appointments import rules
from practice.appointments.models import Appointment, AppointmentStatus, CancelledBy
from practice.cases.models import Case, CaseStatus
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.core.signals import case_record_changed
from practice.core.unit_of_work import atomic
from practice.sessions import operations as sessions
from practice.sessions.models import Modality, TherapySession

MIN_DURATION, MAX_DURATION = 1, 600
LATE_HOURS_KEY = "PRACTICE_LATE_CANCELLATION_HOURS"
# 32 random bytes: 256 bits, far beyond guessing.


class AppointmentError(Refused):
    """A change to an appointment that is refused; the message says why."""


@dataclass(frozen=True)
class AppointmentDetails:
    """An appointment as entered: start (UTC, aware), length in minutes, mode."""

    starts_at: datetime
    duration_minutes: int
    mode: str


def late_hours() -> float:
    """The practice's notice period for cancellations (``PRACTICE_LATE_CANCELLATION_HOURS``,
    default ``rules.DEFAULT_LATE_HOURS``); raises ValueError for a negative or non-number."""
    raw = current_app.config.get(LATE_HOURS_KEY, rules.DEFAULT_LATE_HOURS)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{LATE_HOURS_KEY} must be a number of hours, got {raw!r}") from None
    if value < 0 or isinstance(raw, bool):
        raise ValueError(f"{LATE_HOURS_KEY} must be a number of hours, got {raw!r}")
    return value


def _require_counsellor(case: Case, member: StaffMember) -> None:
    if case.counsellor_id != member.id:
        raise AppointmentError(
            _("Only the case's counsellor can plan and change its appointments.")
        )


def _check_details(case: Case, data: AppointmentDetails) -> None:
    if case.status == CaseStatus.CLOSED:
        raise AppointmentError(_("This case is closed. Reopen the case to plan a session."))
    if data.starts_at.tzinfo is None:
        raise AppointmentError(_("The start time needs a time zone."))
    if data.starts_at.astimezone(UTC).date() < case.opened_on:
        raise AppointmentError(_("The appointment cannot be before the case was opened."))
    if not MIN_DURATION <= data.duration_minutes <= MAX_DURATION:
        raise AppointmentError(
            _(
                "The length must be between %(low)s and %(high)s minutes.",
                low=MIN_DURATION,
                high=MAX_DURATION,
            )
        )
    if data.mode not in {m.value for m in Modality}:
        raise AppointmentError(_("Choose in person, video or phone."))


def _details(appointment: Appointment) -> dict:
    """Audit detail of an appointment: when, how long, how, status (no clinical text)."""
    return {
        "starts_at": appointment.starts_at.isoformat(),
        "duration_minutes": appointment.duration_minutes,
        "mode": appointment.mode,
        "status": appointment.status,
    }


@atomic
def plan_appointment(case: Case, member: StaffMember, data: AppointmentDetails) -> Appointment:
    """Plan a session of ``case`` by its counsellor; raises AppointmentError."""
    _require_counsellor(case, member)
    _check_details(case, data)
    appointment = Appointment(
        case=case,
        starts_at=data.starts_at,
        duration_minutes=data.duration_minutes,
        mode=data.mode,
        status=AppointmentStatus.PLANNED,
        created_by_id=member.id,
    )
    db.add(appointment)
    db.flush()
    audit.record("appointment_planned", obj=appointment, detail=_details(appointment))
    return appointment


def _require_planned(appointment: Appointment) -> None:
    if not appointment.is_planned:
        label = str(rules.STATUS_LABELS[appointment.status]).lower()
        raise AppointmentError(_("This appointment is already recorded as %(label)s.", label=label))


def _check_version(appointment: Appointment, version: int | None) -> None:
    if version is not None and version != appointment.version:
        raise AppointmentError(
            _("This appointment was changed elsewhere since you opened it. Reload and try again.")
        )


@atomic
def update_appointment(
    appointment: Appointment,
    member: StaffMember,
    data: AppointmentDetails,
    version: int | None = None,
) -> bool:
    """Move or change a planned appointment; returns whether anything changed.

    Raises AppointmentError for an appointment already attended, cancelled or missed."""
    _require_counsellor(appointment.case, member)
    _check_version(appointment, version)
    _require_planned(appointment)
    _check_details(appointment.case, data)
    before = _details(appointment)
    appointment.starts_at = data.starts_at
    appointment.duration_minutes = data.duration_minutes
    appointment.mode = data.mode
    after = _details(appointment)
    if before == after:
        return False
    db.flush()
    changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    audit.record("appointment_changed", obj=appointment, detail={"changed": changed})
    return True


@atomic
def record_outcome(
    appointment: Appointment,
    member: StaffMember,
    status: str,
    cancelled_by: str | None = None,
    notice_at: datetime | None = None,
    version: int | None = None,
) -> Appointment:
    """Record that a planned appointment was cancelled (by whom; late or not, from when the
    notice came, default now) or missed (no-show). Raises AppointmentError."""
    _require_counsellor(appointment.case, member)
    _check_version(appointment, version)
    _require_planned(appointment)
    now = utcnow()
    if problem := rules.outcome_problem(status, appointment.starts_at, now):
        raise AppointmentError(problem)
    if status == AppointmentStatus.CANCELLED:
        choices = rules.cancelled_by_choices(len(appointment.case.partners))
        if cancelled_by not in choices:
            raise AppointmentError(_("Say who cancelled the appointment."))
        notice_at = notice_at or now
        if notice_at.tzinfo is None:
            raise AppointmentError(_("The time of the notice needs a time zone."))
        if notice_at > now:
            raise AppointmentError(_("The notice cannot come from the future."))
        appointment.cancelled_by = cancelled_by
        appointment.notice_at = notice_at
        appointment.late = rules.is_late_cancellation(
            appointment.starts_at, notice_at, late_hours()
        )
    appointment.status = status
    appointment.outcome_by_id = member.id
    appointment.outcome_at = now
    db.flush()
    detail = {"status": status}
    if status == AppointmentStatus.CANCELLED:
        detail |= {"cancelled_by": cancelled_by, "late": appointment.late}
    audit.record("appointment_outcome", obj=appointment, detail=detail)
    return appointment


@atomic
def convert_to_session(
    appointment: Appointment, member: StaffMember, version: int | None = None
) -> TherapySession:
    """Make the session record of a planned appointment: a draft session at its date, time,
    length and mode with every partner attending (changeable on the session), linked to the
    appointment, which is then attended. Raises AppointmentError, or the session's own refusal
    (``SessionError``), e.g. for an appointment more than a day ahead."""
    _require_counsellor(appointment.case, member)
    _check_version(appointment, version)
    _require_planned(appointment)
    therapy_session = sessions.record_session(
        appointment.case,
        member,
        sessions.SessionDetails(
            starts_at=appointment.starts_at,
            duration_minutes=appointment.duration_minutes,
            modality=appointment.mode,
            attendee_ids=[p.id for p in appointment.case.partners],
            eft_stage=appointment.case.eft_stage,
        ),
    )
    appointment.therapy_session = therapy_session
    appointment.status = AppointmentStatus.ATTENDED
    appointment.outcome_by_id = member.id
    appointment.outcome_at = utcnow()
    db.flush()
    audit.record(
        "appointment_outcome",
        obj=appointment,
        detail={"status": AppointmentStatus.ATTENDED, "session_id": therapy_session.id},
    )
    return therapy_session


# --- The calendar feed's secret ---------------------------------------------------------------


def cancel_planned_after_closing(case: Case, now: datetime | None = None) -> int:
    """Cancel ``case``'s appointments still planned from ``now`` on, as the counsellor's
    cancellation; returns how many. Earlier planned ones stay, for the counsellor to record
    what became of them. Audited one by one, like any outcome."""
    now = now or utcnow()
    closing = list(
        db.scalars(
            select(Appointment)
            .where(
                Appointment.case_id == case.id,
                Appointment.status == AppointmentStatus.PLANNED,
                Appointment.starts_at >= now,
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )
    for appointment in closing:
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_by = CancelledBy.COUNSELLOR.value
        appointment.notice_at = now
        appointment.late = rules.is_late_cancellation(appointment.starts_at, now, late_hours())
        appointment.outcome_by_id = case.counsellor_id
        appointment.outcome_at = now
    db.flush()
    for appointment in closing:
        audit.record(
            "appointment_outcome",
            obj=appointment,
            detail={
                "status": AppointmentStatus.CANCELLED.value,
                "cancelled_by": CancelledBy.COUNSELLOR.value,
                "late": appointment.late,
                "because": "case_closed",
            },
        )
    return len(closing)


def _on_case_record_changed(case: Case, what: str = "", **_extra) -> None:
    if what == "status" and case.status == CaseStatus.CLOSED:
        cancel_planned_after_closing(case)


def connect_signals() -> None:
    """Cancel a case's planned appointments when it is closed (idempotent)."""
    case_record_changed.connect(_on_case_record_changed)
