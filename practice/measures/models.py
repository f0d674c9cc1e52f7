"""Standardised measures taken at sessions (any measure of the registry), and each partner's
consent to share their scores."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.core.database import Base, UTCDateTime, check_in, utcnow
from practice.measures.consent import ShareAudience
from practice.measures.csi4 import CSI4_MEASURE

if TYPE_CHECKING:
    from practice.accounts.models import StaffMember
    from practice.cases.models import Partner


class Score(sa.TypeDecorator):
    """A measure's total: Numeric(7, 2), read as an int when whole (the CSI-4's always are) and
    a float otherwise, alike on SQLite and PostgreSQL."""

    impl = sa.Numeric(7, 2, asdecimal=False)
    cache_ok = True

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        value = round(float(value), 2)
        return int(value) if value.is_integer() else value


class MeasureResponse(Base):
    """One partner's answers to one measure, with the computed total: at a session (``source``
    "session"), or sent by the partner through a check-in link (``source`` "check-in", no
    session; ``practice.checkins``). Figures per session count only the first kind."""

    __tablename__ = "practice_measure_response"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "partner_id", "measure"),
        sa.CheckConstraint(
            "(source = 'session' AND session_id IS NOT NULL) OR "
            "(source = 'check-in' AND session_id IS NULL)",
            name="source",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_session.id"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_partner.id"), index=True)
    measure: Mapped[str] = mapped_column(sa.String(16), default=CSI4_MEASURE)
    source: Mapped[str] = mapped_column(sa.String(10), default="session", server_default="session")
    # Answers in item order; decimals where the measure allows them (the ORS's lines).
    items: Mapped[list[float]] = mapped_column(sa.JSON)
    total: Mapped[float] = mapped_column(Score)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Only one consent per partner and audience can be open (not withdrawn) at a time.
OPEN_CONSENT_INDEX = "uq_practice_score_consent_open"
_OPEN = "withdrawn_on IS NULL"


class ScoreSharingConsent(Base):
    """A partner's consent to share their CSI-4 scores with one audience, from the day it was
    given until the day it was withdrawn, if ever (``practice.measures.consent.in_force``).

    Never deleted, never given back to life: a withdrawal is dated on the row, and a consent
    given again is a new row, so the history stays whole. Who recorded each step and when (UTC)
    is kept beside the dates the partner gave and withdrew it.
    """

    __tablename__ = "practice_score_consent"
    __table_args__ = (
        sa.CheckConstraint(check_in("audience", ShareAudience), name="audience"),
        sa.CheckConstraint(
            "withdrawn_on IS NULL OR withdrawn_on >= given_on", name="withdrawn_after_given"
        ),
        sa.CheckConstraint(
            "(withdrawn_on IS NULL AND withdrawal_by_id IS NULL "
            "AND withdrawal_at IS NULL) OR (withdrawn_on IS NOT NULL "
            "AND withdrawal_by_id IS NOT NULL AND withdrawal_at IS NOT NULL)",
            name="withdrawal_whole",
        ),
        sa.Index(
            OPEN_CONSENT_INDEX,
            "partner_id",
            "audience",
            unique=True,
            sqlite_where=sa.text(_OPEN),
            postgresql_where=sa.text(_OPEN),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_partner.id"), index=True)
    audience: Mapped[str] = mapped_column(sa.String(12))
    # The day the partner gave it (their calendar); who recorded it, and when.
    given_on: Mapped[date] = mapped_column(sa.Date)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The day the partner withdrew it; who recorded the withdrawal, and when.
    withdrawn_on: Mapped[date | None] = mapped_column(sa.Date)
    withdrawal_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    withdrawal_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Partner] = relationship()
    recorded_by: Mapped[StaffMember] = relationship(foreign_keys=[recorded_by_id])
    withdrawal_by: Mapped[StaffMember | None] = relationship(foreign_keys=[withdrawal_by_id])

    def __repr__(self) -> str:
        return f"<ScoreSharingConsent {self.id} of partner {self.partner_id} ({self.audience})>"
