"""Therapy sessions, their structured (DAP) notes and addenda."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.cases import eft
from practice.core.database import Base, UTCDateTime, check_in, utcnow

if TYPE_CHECKING:
    from practice.accounts.models import StaffMember
    from practice.cases.models import Case, Partner

session_attendance = sa.Table(
    "practice_session_attendance",
    Base.metadata,
    sa.Column("session_id", sa.ForeignKey("practice_session.id"), primary_key=True),
    sa.Column("partner_id", sa.ForeignKey("practice_partner.id"), primary_key=True),
)


class Modality(StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"
    PHONE = "phone"


class NoteStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


class ReviewStatus(StrEnum):
    """Where a signed note stands in its supervisor's co-signature queue."""

    NOT_REQUIRED = "not_required"
    PENDING = "pending"
    COSIGNED = "cosigned"
    RETURNED = "returned"


class TherapySession(Base):
    """One meeting of a case, with its note. Signed notes never change; addenda follow."""

    __tablename__ = "practice_session"
    __table_args__ = (
        sa.CheckConstraint(check_in("modality", Modality), name="modality"),
        sa.CheckConstraint(check_in("status", NoteStatus), name="status"),
        sa.CheckConstraint(check_in("review_status", ReviewStatus), name="review_status"),
        sa.CheckConstraint("duration_minutes BETWEEN 1 AND 600", name="duration"),
        sa.CheckConstraint(eft.SQL_CHECK, name="eft_stage"),
        sa.Index("ix_practice_session_case_starts", "case_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(sa.SmallInteger, default=50)
    modality: Mapped[str] = mapped_column(sa.String(10), default=Modality.IN_PERSON)
    eft_stage: Mapped[int | None] = mapped_column(sa.SmallInteger)
    note_data: Mapped[str] = mapped_column(sa.Text, default="")
    note_assessment: Mapped[str] = mapped_column(sa.Text, default="")
    note_plan: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(8), default=NoteStatus.DRAFT, index=True)
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The seal over the canonical form of the signed note, checked whenever it is shown:
    # HMAC-SHA256 under the integrity key (seal version 2), or an unkeyed SHA-256 made before
    # keyed seals (version 1, never shown as intact; ``practice integrity reseal``).
    note_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    note_seal_version: Mapped[int | None] = mapped_column(sa.SmallInteger)
    review_status: Mapped[str] = mapped_column(
        sa.String(14), default=ReviewStatus.NOT_REQUIRED, index=True
    )
    cosigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    cosigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(sa.String(500))
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship(back_populates="sessions")
    attendees: Mapped[list[Partner]] = relationship(secondary=session_attendance)
    # Named, not imported: moments sit above sessions, and SQLAlchemy finds the class by name.
    moments: Mapped[list[Moment]] = relationship(  # noqa: F821
        back_populates="therapy_session", order_by="Moment.minute"
    )
    addenda: Mapped[list[Addendum]] = relationship(
        back_populates="therapy_session", order_by="Addendum.created_at"
    )
    signed_by: Mapped[StaffMember | None] = relationship(foreign_keys=[signed_by_id])
    cosigned_by: Mapped[StaffMember | None] = relationship(foreign_keys=[cosigned_by_id])
    voided_by: Mapped[StaffMember | None] = relationship(foreign_keys=[voided_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED

    def __repr__(self) -> str:
        return f"<TherapySession {self.id} of case {self.case_id}>"


class Addendum(Base):
    """A correction or addition to a signed note."""

    __tablename__ = "practice_addendum"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_session.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(sa.Text)

    therapy_session: Mapped[TherapySession] = relationship(back_populates="addenda")
    author: Mapped[StaffMember] = relationship()
