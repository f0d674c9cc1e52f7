"""The practice's vocabulary of cycle moments and the moments observed in sessions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.core.database import Base, UTCDateTime, check_in, utcnow

# The valences are defined once, with the rules that weigh them; imported here for the column's
# CHECK constraint (and still importable from the models, as the dashboard does).
from practice.moments.balance import Valence
from practice.moments.interaction import Outcome

if TYPE_CHECKING:
    from practice.accounts.models import StaffMember
    from practice.cases.models import Partner
    from practice.sessions.models import TherapySession


class MomentType(Base):
    """A kind of cycle moment. Types in use are retired (``active = False``), never deleted.

    ``valence`` holds a ``Valence`` value (``practice.moments.balance``).
    """

    __tablename__ = "practice_moment_type"
    __table_args__ = (
        sa.CheckConstraint(check_in("valence", Valence), name="valence"),
        sa.CheckConstraint("colour LIKE '#%'", name="colour"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    label: Mapped[str] = mapped_column(sa.String(60))
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    valence: Mapped[str] = mapped_column(sa.String(14))
    colour: Mapped[str] = mapped_column(sa.String(7), default="#555555")
    shortcut: Mapped[str | None] = mapped_column(sa.String(1))
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0)

    def __repr__(self) -> str:
        return f"<MomentType {self.key}>"


class Moment(Base):
    """A moment observed in a session; ``partner_id`` is empty when both partners were in it."""

    __tablename__ = "practice_moment"
    __table_args__ = (
        sa.CheckConstraint("intensity BETWEEN 1 AND 5", name="intensity"),
        sa.CheckConstraint("minute >= 0", name="minute"),
        sa.CheckConstraint(check_in("outcome", Outcome), name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_session.id"), index=True)
    moment_type_id: Mapped[int] = mapped_column(
        sa.ForeignKey("practice_moment_type.id"), index=True
    )
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_partner.id"))
    minute: Mapped[int] = mapped_column(sa.SmallInteger)
    intensity: Mapped[int] = mapped_column(sa.SmallInteger, default=3)
    context: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(sa.String(200))
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    # Directed moments (``practice.moments.interaction``): whom it is aimed at, the earlier moment
    # of the same session it answers, and how it was met (an ``Outcome`` value).
    target_partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_partner.id"))
    answers_moment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("practice_moment.id"), index=True
    )
    outcome: Mapped[str | None] = mapped_column(sa.String(10))

    therapy_session: Mapped[TherapySession] = relationship(back_populates="moments")
    moment_type: Mapped[MomentType] = relationship()
    partner: Mapped[Partner | None] = relationship(foreign_keys=[partner_id])
    target_partner: Mapped[Partner | None] = relationship(foreign_keys=[target_partner_id])
    answers: Mapped[Moment | None] = relationship(remote_side=[id])
    voided_by: Mapped[StaffMember | None] = relationship(foreign_keys=[voided_by_id])
