"""Cases (the unit of care) and the partners in them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.cases import eft
from practice.core.database import Base, UTCDateTime, check_in, utcnow

if TYPE_CHECKING:
    from practice.accounts.models import StaffMember


class CaseKind(StrEnum):
    COUPLE = "couple"
    INDIVIDUAL = "individual"
    FAMILY = "family"


class CaseStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class CycleRole(StrEnum):
    PURSUER = "pursuer"
    WITHDRAWER = "withdrawer"
    MIXED = "mixed"
    UNCLEAR = "unclear"


class Case(Base):
    """A couple (or an individual or family) in the care of one counsellor."""

    __tablename__ = "practice_case"
    __table_args__ = (
        sa.CheckConstraint(check_in("kind", CaseKind), name="kind"),
        sa.CheckConstraint(check_in("status", CaseStatus), name="status"),
        sa.CheckConstraint(eft.SQL_CHECK, name="eft_stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12), default=CaseKind.COUPLE)
    counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=CaseStatus.ACTIVE, index=True)
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    opened_on: Mapped[date] = mapped_column(sa.Date)
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    presenting_concerns: Mapped[str] = mapped_column(sa.Text, default="")
    goals: Mapped[str] = mapped_column(sa.Text, default="")
    # Who referred the case and what they asked: the addressee and question of the referrer
    # report. Empty when the clients came on their own.
    referrer_name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    referrer_organisation: Mapped[str] = mapped_column(
        sa.String(160), default="", server_default=""
    )
    referral_question: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    eft_stage: Mapped[int | None] = mapped_column(sa.SmallInteger)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    counsellor: Mapped[StaffMember] = relationship()
    partners: Mapped[list[Partner]] = relationship(
        back_populates="case", order_by="Partner.position"
    )
    # Named, not imported: sessions sit above cases, and SQLAlchemy finds the class by name.
    sessions: Mapped[list[TherapySession]] = relationship(  # noqa: F821
        back_populates="case", order_by="TherapySession.starts_at"
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Case {self.reference}>"


class Partner(Base):
    """A person in a case, named only by first name or initials."""

    __tablename__ = "practice_partner"
    __table_args__ = (sa.CheckConstraint(check_in("cycle_role", CycleRole), name="cycle_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(60))
    pronouns: Mapped[str | None] = mapped_column(sa.String(30))
    cycle_role: Mapped[str] = mapped_column(sa.String(12), default=CycleRole.UNCLEAR)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)

    case: Mapped[Case] = relationship(back_populates="partners")

    def __repr__(self) -> str:
        return f"<Partner {self.id} of case {self.case_id}>"


class CaseAssignment(Base):
    """A case handed from one counsellor to another: who, when, by whom and why.

    Rows are never changed or deleted; the case's history lists them beside its sessions.
    """

    __tablename__ = "practice_case_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    from_counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    to_counsellor_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    assigned_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    from_counsellor: Mapped[StaffMember] = relationship(foreign_keys=[from_counsellor_id])
    to_counsellor: Mapped[StaffMember] = relationship(foreign_keys=[to_counsellor_id])
    assigned_by: Mapped[StaffMember] = relationship(foreign_keys=[assigned_by_id])


class BreakGlass(Base):
    """An administrator's time-limited read of one case's clinical record, with its reason.

    While ``expires_at`` lies ahead, the case is in the administrator's scope (read only);
    the case's counsellor sees the opening until they acknowledge it.
    """

    __tablename__ = "practice_break_glass"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    admin_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))

    case: Mapped[Case] = relationship()
    admin: Mapped[StaffMember] = relationship(foreign_keys=[admin_id])
