"""The cycle map of a case: one revision per session, each partner's side of the loop in it.

A revision belongs to one session of the case and is read-only once that session's note is
signed (``operations`` asks ``require_draft``). Each side holds one partner's surface (trigger,
action, reactive emotion, how they see themselves and the other) and what lies underneath
(primary emotion, attachment fear, longing or need); ``action_triggers_other`` draws the arrow
from this partner's action to the other's trigger. Evidence rows name the tagged moments the
counsellor chose to back a partner's primary emotion and need.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.core.database import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from practice.sessions.models import TherapySession

# Each text of a side: a short phrase, not a note.
MAX_TEXT = 300


class CycleMapRevision(Base):
    """The cycle map as it stood at one session of the case."""

    __tablename__ = "practice_cycle_map_revision"
    __table_args__ = (sa.UniqueConstraint("session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_session.id"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    therapy_session: Mapped[TherapySession] = relationship()
    sides: Mapped[list[CycleMapSide]] = relationship(
        back_populates="revision", order_by="CycleMapSide.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<CycleMapRevision {self.id} of case {self.case_id}>"


class CycleMapSide(Base):
    """One partner's side of the loop in one revision."""

    __tablename__ = "practice_cycle_map_side"
    __table_args__ = (sa.UniqueConstraint("revision_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("practice_cycle_map_revision.id"), index=True
    )
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_partner.id"))
    trigger: Mapped[str] = mapped_column(sa.String(MAX_TEXT), default="")
    action: Mapped[str] = mapped_column(sa.String(MAX_TEXT), default="")
    self_view: Mapped[str] = mapped_column(sa.String(MAX_TEXT), default="")
    other_view: Mapped[str] = mapped_column(sa.String(MAX_TEXT), default="")
    reactive_emotion: Mapped[str] = mapped_column(sa.String(MAX_TEXT), default="")
    primary_emotion: Mapped[str] = mapped_column(sa.String(MAX_TEXT), default="")
    attachment_fear: Mapped[str] = mapped_column(sa.String(MAX_TEXT), default="")
    need: Mapped[str] = mapped_column(sa.String(MAX_TEXT), default="")
    # This partner's action sets off the other's trigger: one half of the loop.
    action_triggers_other: Mapped[bool] = mapped_column(default=True)

    revision: Mapped[CycleMapRevision] = relationship(back_populates="sides")
    evidence: Mapped[list[CycleMapEvidence]] = relationship(
        back_populates="side", order_by="CycleMapEvidence.id", cascade="all, delete-orphan"
    )


class CycleMapEvidence(Base):
    """A tagged moment of the partner's that backs their primary emotion and need."""

    __tablename__ = "practice_cycle_map_evidence"
    __table_args__ = (sa.UniqueConstraint("side_id", "moment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    side_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_cycle_map_side.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    moment_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_moment.id"))

    side: Mapped[CycleMapSide] = relationship(back_populates="evidence")
