"""Safety screens before joint work, the rescreens that fall due, and the joint notes signed
without a current screen (each flagged to the supervisor).

Screens are the most sensitive rows of a case: only its counsellor and their supervisor read
them (``practice.safety.access``), and no report audience ever shows them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.core.database import Base, UTCDateTime, check_in, utcnow
from practice.safety.screening import RescreenReason, ScreenDecision

if TYPE_CHECKING:
    from practice.accounts.models import StaffMember
    from practice.cases.models import Partner

_ITEM = "BETWEEN 1 AND 5"


class SafetyScreen(Base):
    """One partner's safety screen, taken alone: HITS (four items 1–5), the fear question and
    the counsellor's decision. Never changed; a new screen is a new row."""

    __tablename__ = "practice_safety_screen"
    __table_args__ = (
        sa.CheckConstraint(f"hurt {_ITEM}", name="hurt"),
        sa.CheckConstraint(f"insult {_ITEM}", name="insult"),
        sa.CheckConstraint(f"threaten {_ITEM}", name="threaten"),
        sa.CheckConstraint(f"scream {_ITEM}", name="scream"),
        sa.CheckConstraint(check_in("decision", ScreenDecision), name="decision"),
        sa.Index("ix_practice_safety_screen_partner_day", "partner_id", "screened_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_partner.id"))
    # The day the partner was screened (their calendar).
    screened_on: Mapped[date] = mapped_column(sa.Date)
    hurt: Mapped[int] = mapped_column(sa.SmallInteger)
    insult: Mapped[int] = mapped_column(sa.SmallInteger)
    threaten: Mapped[int] = mapped_column(sa.SmallInteger)
    scream: Mapped[int] = mapped_column(sa.SmallInteger)
    afraid: Mapped[bool] = mapped_column(sa.Boolean)
    decision: Mapped[str] = mapped_column(sa.String(20))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partner: Mapped[Partner] = relationship()
    recorded_by: Mapped[StaffMember] = relationship()

    @property
    def items(self) -> list[int]:
        return [self.hurt, self.insult, self.threaten, self.scream]

    @property
    def total(self) -> int:
        return sum(self.items)

    def __repr__(self) -> str:
        return f"<SafetyScreen {self.id} of partner {self.partner_id}>"


class RescreenDue(Base):
    """A rescreen that fell due for a partner (``reason``: a ``RescreenReason`` code, never
    clinical text), open until a screen dated on or after its day closes it."""

    __tablename__ = "practice_rescreen_due"
    __table_args__ = (
        sa.CheckConstraint(check_in("reason", RescreenReason), name="reason"),
        sa.Index("ix_practice_rescreen_due_partner_open", "partner_id", "closed_by_screen_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_partner.id"))
    reason: Mapped[str] = mapped_column(sa.String(20))
    # When what made it due happened (a check-in's answer, a session's moment), UTC.
    due_since: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_screen_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("practice_safety_screen.id")
    )

    partner: Mapped[Partner] = relationship()

    @property
    def is_open(self) -> bool:
        return self.closed_by_screen_id is None

    def __repr__(self) -> str:
        return f"<RescreenDue {self.id} of partner {self.partner_id} ({self.reason})>"


class ScreenOverride(Base):
    """A joint note signed without a current screen for both partners, with the counsellor's
    reason: flagged to their supervisor until they co-sign the note."""

    __tablename__ = "practice_screen_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_session.id"), unique=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    signed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ScreenOverride of session {self.session_id}>"
