"""Standardised measures taken at sessions (the CSI-4 first)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from practice.core.database import Base, UTCDateTime, utcnow
from practice.measures.csi4 import CSI4_MEASURE


class MeasureResponse(Base):
    """One partner's answers to one measure at one session, with the computed total."""

    __tablename__ = "practice_measure_response"
    __table_args__ = (sa.UniqueConstraint("session_id", "partner_id", "measure"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_session.id"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_partner.id"), index=True)
    measure: Mapped[str] = mapped_column(sa.String(16), default=CSI4_MEASURE)
    items: Mapped[list[int]] = mapped_column(sa.JSON)
    total: Mapped[int] = mapped_column(sa.SmallInteger)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
