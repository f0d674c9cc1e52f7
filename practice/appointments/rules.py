"""The rules of appointments, as pure functions: when a cancellation is late, which outcomes an
appointment may take, and what a calendar entry may say. No Flask, no database."""

from __future__ import annotations

from datetime import datetime, timedelta

from practice.appointments.models import AppointmentStatus, CancelledBy
from practice.core.i18n import _l

# A cancellation is late when the notice reaches the practice less than this many hours before
# the start (or after it): the usual 24-hour notice of a practice's cancellation policy.
DEFAULT_LATE_HOURS = 24.0

# Words shown on pages, translated when shown (lazy: str() them where a plain string is needed).
STATUS_LABELS: dict[str, str] = {
    AppointmentStatus.PLANNED: _l("Planned"),
    AppointmentStatus.ATTENDED: _l("Attended"),
    AppointmentStatus.CANCELLED: _l("Cancelled"),
    AppointmentStatus.NO_SHOW: _l("No-show"),
}
CANCELLED_BY_LABELS: dict[str, str] = {
    CancelledBy.PARTNER_A: _l("Partner A"),
    CancelledBy.PARTNER_B: _l("Partner B"),
    CancelledBy.BOTH: _l("Both partners"),
    CancelledBy.COUNSELLOR: _l("Counsellor"),
}
MODE_LABELS: dict[str, str] = {
    "in_person": _l("In person"),
    "video": _l("Video"),
    "phone": _l("Phone"),
}
# Outcomes that mean the couple was not seen: neither is a session ("no recent session" does
# not count them as one).
MISSED = frozenset({AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW})


def is_late_cancellation(starts_at: datetime, notice_at: datetime, late_hours: float) -> bool:
    """Whether a cancellation whose notice came at ``notice_at`` is late: less than
    ``late_hours`` before ``starts_at`` (exactly ``late_hours`` before is in time).
    Both must be timezone-aware; raises ValueError for a negative period."""
    if late_hours < 0:
        raise ValueError("The notice period cannot be negative.")
    return starts_at - notice_at < timedelta(hours=late_hours)


def outcome_problem(status: str, starts_at: datetime, now: datetime) -> str | None:
    """Why an appointment cannot be given outcome ``status`` now, or None if it can.

    A no-show and an attended session can only be recorded once the appointment has begun;
    a cancellation at any time."""
    if status not in {AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW}:
        return str(
            _l("Choose cancelled or no-show (an attended appointment becomes a session record).")
        )
    if status == AppointmentStatus.NO_SHOW and starts_at > now:
        return str(_l("A no-show can only be recorded once the appointment has begun."))
    return None


def cancelled_by_choices(partner_count: int) -> list[str]:
    """Who may have cancelled, for a case of ``partner_count`` partners: "partner B" and "both"
    only where there is a second partner."""
    if partner_count >= 2:
        return [c.value for c in CancelledBy]
    return [CancelledBy.PARTNER_A.value, CancelledBy.COUNSELLOR.value]


def calendar_summary(reference: str) -> str:
    """What a calendar entry says: the case's reference only, never a name or note text
    (a phone's lock screen and a shared calendar show it)."""
    return f"Session {reference}"
