"""Appointments: sessions planned ahead, what became of each, and each counsellor's private
calendar feed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.core.database import Base, UTCDateTime, check_in, utcnow
from practice.sessions.models import Modality

if TYPE_CHECKING:
    from practice.cases.models import Case
    from practice.sessions.models import TherapySession


class AppointmentStatus(StrEnum):
    PLANNED = "planned"
    ATTENDED = "attended"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class CancelledBy(StrEnum):
    """Who called the appointment off: partner A or B (the case's first or second partner by
    position), both, or the counsellor."""

    PARTNER_A = "partner_a"
    PARTNER_B = "partner_b"
    BOTH = "both"
    COUNSELLOR = "counsellor"


class Appointment(Base):
    """A session planned with a case: when, how long, how (in person, video, phone), and what
    became of it. Attended appointments link the session record made from them."""

    __tablename__ = "practice_appointment"
    __table_args__ = (
        sa.CheckConstraint(check_in("mode", Modality), name="mode"),
        sa.CheckConstraint(check_in("status", AppointmentStatus), name="status"),
        sa.CheckConstraint(
            f"cancelled_by IS NULL OR {check_in('cancelled_by', CancelledBy)}",
            name="cancelled_by",
        ),
        sa.CheckConstraint("duration_minutes BETWEEN 1 AND 600", name="duration"),
        # A cancellation says who and whether late; nothing else does.
        sa.CheckConstraint(
            "(status = 'cancelled' AND cancelled_by IS NOT NULL AND late IS NOT NULL "
            "AND notice_at IS NOT NULL) OR (status <> 'cancelled' AND cancelled_by IS NULL "
            "AND late IS NULL AND notice_at IS NULL)",
            name="cancellation",
        ),
        sa.Index("ix_practice_appointment_case_starts", "case_id", "starts_at"),
        sa.Index("ix_practice_appointment_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(sa.SmallInteger, default=50)
    mode: Mapped[str] = mapped_column(sa.String(10), default=Modality.IN_PERSON)
    status: Mapped[str] = mapped_column(sa.String(10), default=AppointmentStatus.PLANNED)
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(10))
    # When the cancellation reached the practice, and whether that was late (within the
    # practice's notice period before the start: ``rules.is_late_cancellation``).
    notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool | None] = mapped_column(sa.Boolean)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("practice_session.id"), unique=True
    )
    outcome_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship()
    therapy_session: Mapped[TherapySession | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_planned(self) -> bool:
        return self.status == AppointmentStatus.PLANNED

    def __repr__(self) -> str:
        return f"<Appointment {self.id} of case {self.case_id}>"


class CalendarFeed(Base):
    """A counsellor's private calendar feed: only the SHA-256 of its secret is kept, so the
    database cannot give the URL away; renewing replaces the hash and the old URL stops."""

    __tablename__ = "practice_calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"), unique=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
