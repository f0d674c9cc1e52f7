"""Private check-ins between sessions: the links a counsellor hands to each partner, and what a
partner sends through one.

A link's token is never stored, only its SHA-256; a check-in is append-only (never changed,
never deleted but with its case by ``purge-expired``) and belongs to the partner who sent it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.core.database import Base, UTCDateTime, check_in, utcnow

if TYPE_CHECKING:
    from practice.accounts.models import StaffMember
    from practice.cases.models import Partner


class BreakCaller(StrEnum):
    """Who called a break, in the words of the partner telling it."""

    ME = "me"
    PARTNER = "partner"


class BreakReturn(StrEnum):
    """Whether the couple came back to the conversation after a break, and after how long, as a
    partner tells it (the bands of the break rules: under 20 minutes, up to a day, later)."""

    EARLY = "early"  # came back to it within 20 minutes
    WITHIN_DAY = "within_day"  # after 20 minutes, within a day
    LATER = "later"  # came back to it, but after more than a day
    NOT_YET = "not_yet"  # not come back to it yet


class BreakOutcome(StrEnum):
    """How the conversation went when they came back to it."""

    CALMER = "calmer"
    HARDER = "harder"


class CheckinLink(Base):
    """A one-use link for one partner of a case: valid until ``expires_at``, good for one
    check-in (``used_at``), revocable (``revoked_at``)."""

    __tablename__ = "practice_checkin_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_partner.id"), index=True)
    # SHA-256 (hex) of the token: a copy of the database opens no link.
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Partner] = relationship()
    issued_by: Mapped[StaffMember] = relationship(foreign_keys=[issued_by_id])

    def state(self, now: datetime) -> str:
        """ "used", "revoked", "expired" or "open" at ``now``."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "open"

    def __repr__(self) -> str:
        return f"<CheckinLink {self.id} of partner {self.partner_id}>"


class Checkin(Base):
    """What one partner sent through one link. Never changed once stored."""

    __tablename__ = "practice_checkin"
    __table_args__ = (
        sa.CheckConstraint("hardest_moment BETWEEN 0 AND 10", name="hardest_moment"),
        sa.CheckConstraint("pattern_count BETWEEN 0 AND 99", name="pattern_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_partner.id"), index=True)
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_checkin_link.id"), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The partner's how-manieth check-in (1, 2, …): every fourth asks the CSI-4.
    number: Mapped[int] = mapped_column(sa.SmallInteger)
    pattern_count: Mapped[int] = mapped_column(sa.SmallInteger)
    hardest_moment: Mapped[int] = mapped_column(sa.SmallInteger)
    # "Since we last met, have you felt afraid of your partner?" Never in a client or referrer
    # report, never shown to the other partner.
    felt_afraid: Mapped[bool] = mapped_column()
    csi4_response_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("practice_measure_response.id")
    )

    partner: Mapped[Partner] = relationship()
    breaks: Mapped[list[CheckinBreak]] = relationship(
        order_by="CheckinBreak.position", back_populates="checkin"
    )
    script_answers: Mapped[list[CheckinScriptAnswer]] = relationship(
        order_by="CheckinScriptAnswer.id", back_populates="checkin"
    )


class CheckinBreak(Base):
    """One break a partner tells of in a check-in: who called it, whether with the script,
    and whether they came back to talk."""

    __tablename__ = "practice_checkin_break"
    __table_args__ = (
        sa.CheckConstraint(check_in("called_by", BreakCaller), name="called_by"),
        sa.CheckConstraint(check_in("returned", BreakReturn), name="returned"),
        sa.CheckConstraint("days_ago BETWEEN 0 AND 6", name="days_ago"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_checkin.id"), index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    # How many days before the check-in it was called (0: the same day).
    days_ago: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    called_by: Mapped[str] = mapped_column(sa.String(8))
    with_script: Mapped[bool | None] = mapped_column()
    returned: Mapped[str] = mapped_column(sa.String(12))
    # Who reached out to talk again ("me" / "partner"), with the words they practise or not,
    # and how it went ("calmer" / "harder"); none while they have not come back to it.
    resumed_by: Mapped[str | None] = mapped_column(sa.String(8))
    with_invitation: Mapped[bool | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(sa.String(8))

    checkin: Mapped[Checkin] = relationship(back_populates="breaks")


class CheckinScriptAnswer(Base):
    """For one script assigned in the case: did the partner writing use it, and did the other.

    When the writer is not the partner the script is assigned to, ``used_by_partner`` is the
    other's word that its owner used it at home: home corroboration of adoption
    (``practice.checkins.rules.corroborates``).
    """

    __tablename__ = "practice_checkin_script_answer"
    __table_args__ = (sa.UniqueConstraint("checkin_id", "assignment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_checkin.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("practice_script_assignment.id"), index=True
    )
    used_by_me: Mapped[bool | None] = mapped_column()
    used_by_partner: Mapped[bool | None] = mapped_column()

    checkin: Mapped[Checkin] = relationship(back_populates="script_answers")
