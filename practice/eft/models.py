"""EFT change events of a case, their evidence moments, and stage overrides.

An event is the counsellor's decision on a shift in the couple's work (``practice.eft.kinds``):
confirmed (an event of the case's record) or dismissed (a proposal of the tracker turned down,
kept so that it is not proposed again). Either is tied to one of the case's sessions and dated;
a confirmed event names the moments that evidence it. Nothing is deleted: a confirmed event
taken back is voided with a reason.

A stage override is a stage set without the events its gate names, with the counsellor's
reason: it stays flagged to the supervisor until the events are confirmed or the supervisor
acknowledges it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.cases import eft
from practice.core.database import Base, UTCDateTime, check_in, utcnow
from practice.core.voiding import MAX_VOID_REASON
from practice.eft.kinds import LABELS, EventKind, missing_words

if TYPE_CHECKING:
    from practice.accounts.models import StaffMember

MAX_NOTE = 500


class Decision(StrEnum):
    """What the counsellor decided."""

    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


event_evidence = sa.Table(
    "practice_eft_event_moment",
    Base.metadata,
    sa.Column("event_id", sa.ForeignKey("practice_eft_event.id"), primary_key=True),
    sa.Column("moment_id", sa.ForeignKey("practice_moment.id"), primary_key=True),
)


class ChangeEvent(Base):
    """One change event of a case (confirmed) or a dismissed proposal of one."""

    __tablename__ = "practice_eft_event"
    __table_args__ = (
        sa.CheckConstraint(check_in("kind", EventKind), name="kind"),
        sa.CheckConstraint(check_in("decision", Decision), name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_session.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    decision: Mapped[str] = mapped_column(sa.String(10), default=Decision.CONFIRMED)
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    # Whether the tracker proposed it (else the counsellor recorded it unprompted).
    proposed: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.String(MAX_NOTE), default="")
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    void_reason: Mapped[str | None] = mapped_column(sa.String(MAX_VOID_REASON))

    decided_by: Mapped[StaffMember] = relationship(foreign_keys=[decided_by_id])
    voided_by: Mapped[StaffMember | None] = relationship(foreign_keys=[voided_by_id])
    evidence: Mapped[list[Moment]] = relationship(  # noqa: F821
        "Moment", secondary=event_evidence, order_by="Moment.minute"
    )

    @property
    def label(self) -> str:
        """The event's name in words (``Cycle de-escalated``)."""
        return LABELS.get(self.kind, self.kind)

    @property
    def standing(self) -> bool:
        return self.decision == Decision.CONFIRMED and self.voided_at is None

    def __repr__(self) -> str:
        return f"<ChangeEvent {self.id} {self.kind} of case {self.case_id}>"


class StageOverride(Base):
    """A stage set without its gate's events, with the reason; flagged until resolved."""

    __tablename__ = "practice_eft_stage_override"
    __table_args__ = (
        sa.CheckConstraint(eft.SQL_CHECK.replace("eft_stage", "stage"), name="stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_session.id"))
    stage: Mapped[int] = mapped_column(sa.SmallInteger)
    # The kinds of event missing when it was set, comma-separated.
    missing: Mapped[str] = mapped_column(sa.String(80))
    reason: Mapped[str] = mapped_column(sa.String(MAX_VOID_REASON))
    set_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    set_by: Mapped[StaffMember] = relationship(foreign_keys=[set_by_id])
    acknowledged_by: Mapped[StaffMember | None] = relationship(foreign_keys=[acknowledged_by_id])

    @property
    def missing_kinds(self) -> list[str]:
        return [kind for kind in self.missing.split(",") if kind]

    @property
    def missing_words(self) -> str:
        """The events missing when it was set, in words (``Blamer softened``)."""
        return missing_words(self.missing_kinds)

    def __repr__(self) -> str:
        return f"<StageOverride {self.id} stage {self.stage} of case {self.case_id}>"
