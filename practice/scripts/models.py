"""The script library, scripts assigned to partners, and observed adoption."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.core.database import Base, UTCDateTime, check_in, utcnow
from practice.scripts.adoption import MAX_LEVEL, MIN_LEVEL, OBSERVATION_STATUSES, OBSERVED

if TYPE_CHECKING:
    from practice.cases.models import Partner
    from practice.sessions.models import TherapySession


class ScriptRole(StrEnum):
    """Whom a script is written for."""

    PURSUER = "pursuer"
    WITHDRAWER = "withdrawer"
    EITHER = "either"


class AssignmentStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class Script(Base):
    """A phrase partners practise, e.g. "I need time to process this, but I'm open to talk soon"."""

    __tablename__ = "practice_script"
    __table_args__ = (sa.CheckConstraint(check_in("intended_role", ScriptRole), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(sa.String(300))
    intended_role: Mapped[str] = mapped_column(sa.String(12), default=ScriptRole.EITHER)
    category: Mapped[str] = mapped_column(sa.String(40))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)

    def __repr__(self) -> str:
        return f"<Script {self.id}>"


class ScriptAssignment(Base):
    """A script given to one partner of a case from a session on."""

    __tablename__ = "practice_script_assignment"
    __table_args__ = (sa.CheckConstraint(check_in("status", AssignmentStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_partner.id"), index=True)
    script_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_script.id"))
    assigned_session_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_session.id"))
    status: Mapped[str] = mapped_column(sa.String(8), default=AssignmentStatus.ACTIVE)
    retired_session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_session.id"))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    script: Mapped[Script] = relationship()
    partner: Mapped[Partner] = relationship()
    assigned_session: Mapped[TherapySession] = relationship(foreign_keys=[assigned_session_id])
    observations: Mapped[list[ScriptObservation]] = relationship(back_populates="assignment")


# SQL for the CHECKs of an observation: a known status, and a level exactly when observed
# (a partner who was absent, or had no opportunity, has no level, never a 0).
OBSERVATION_STATUS_CHECK = "status IN ({})".format(
    ", ".join(f"'{status}'" for status in OBSERVATION_STATUSES)
)
OBSERVATION_LEVEL_CHECK = (
    f"(status = '{OBSERVED}' AND level IS NOT NULL) OR (status <> '{OBSERVED}' AND level IS NULL)"
)


class ScriptObservation(Base):
    """How far an assigned script was used at one session (``practice.scripts.adoption``).

    ``status`` says whether the session counts: ``observed`` (with a level), ``no_opportunity``
    or ``absent`` (set from the session's attendance); only observed ones have a level.
    """

    __tablename__ = "practice_script_observation"
    __table_args__ = (
        sa.UniqueConstraint("assignment_id", "session_id"),
        sa.CheckConstraint(f"level BETWEEN {MIN_LEVEL} AND {MAX_LEVEL}", name="level"),
        sa.CheckConstraint(OBSERVATION_STATUS_CHECK, name="status"),
        sa.CheckConstraint(OBSERVATION_LEVEL_CHECK, name="level_when_observed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_script_assignment.id"))
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_session.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(14), default=OBSERVED)
    level: Mapped[int | None] = mapped_column(sa.SmallInteger)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment: Mapped[ScriptAssignment] = relationship(back_populates="observations")
    therapy_session: Mapped[TherapySession] = relationship()
