"""Structured treatment goals of a case, and each partner's 0-10 rating of them.

A goal is the couple's (shared) or one partner's; it is opened on a day and is active until it
is achieved or dropped (on a day). Goals are never deleted: a goal no longer worked on is
retired with its status, and keeps its ratings. The case's free-text ``goals`` stays beside
them ("goals in the couple's words").

A rating is one partner's 0-10 (0 = not at all there, 10 = fully there) for one goal, given at a
session (recorded by the counsellor; editable until the session's note is signed) or in the
partner's own check-in (append-only, like the check-in). Each partner's ratings are their own:
shown to the other partner or a referrer only under that partner's score-sharing consent
(``practice.measures.sharing``).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.core.database import Base, UTCDateTime, check_in, utcnow
from practice.core.i18n import _l

if TYPE_CHECKING:
    from practice.cases.models import Partner

MIN_RATING, MAX_RATING = 0, 10
MAX_TITLE = 120
MAX_DESCRIPTION = 2000


class GoalStatus(StrEnum):
    """Where a goal stands; achieved and dropped goals are retired (kept, no longer rated)."""

    ACTIVE = "active"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class RatingSource(StrEnum):
    """Where a rating was given."""

    SESSION = "session"  # in session, recorded by the counsellor
    CHECKIN = "checkin"  # by the partner, in their own check-in


STATUS_LABELS: dict[str, object] = {
    GoalStatus.ACTIVE: _l("Active"),
    GoalStatus.ACHIEVED: _l("Achieved"),
    GoalStatus.DROPPED: _l("Dropped"),
}


class TreatmentGoal(Base):
    """One goal of a case: its title, whose it is (``owner_id`` empty: shared) and status."""

    __tablename__ = "practice_treatment_goal"
    __table_args__ = (
        sa.CheckConstraint(check_in("status", GoalStatus), name="status"),
        sa.CheckConstraint(
            "(status = 'active') = (status_on IS NULL)", name="status_on_when_retired"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(MAX_TITLE))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Whose goal: one partner's, or empty for the couple's shared goal.
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_partner.id"))
    opened_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(10), default=GoalStatus.ACTIVE)
    # The day it was achieved or dropped; empty while active.
    status_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    owner: Mapped[Partner | None] = relationship()

    @property
    def active(self) -> bool:
        return self.status == GoalStatus.ACTIVE

    def __repr__(self) -> str:
        return f"<TreatmentGoal {self.id} of case {self.case_id}>"


class GoalRating(Base):
    """One partner's 0-10 rating of one goal, at a session or in a check-in (one of each per
    partner and goal at most)."""

    __tablename__ = "practice_goal_rating"
    __table_args__ = (
        sa.CheckConstraint(f"rating BETWEEN {MIN_RATING} AND {MAX_RATING}", name="rating"),
        sa.CheckConstraint(check_in("source", RatingSource), name="source"),
        sa.CheckConstraint(
            "(session_id IS NULL) <> (checkin_id IS NULL)", name="session_or_checkin"
        ),
        # Session first, so that the two constraints' conventional names differ.
        sa.UniqueConstraint("session_id", "goal_id", "partner_id"),
        sa.UniqueConstraint("checkin_id", "goal_id", "partner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_treatment_goal.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_partner.id"))
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    source: Mapped[str] = mapped_column(sa.String(8))
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_session.id"), index=True)
    # The partner's check-in it came from (the check-ins area's id).
    checkin_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    # When it was given: the session's start, or the check-in's submission.
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<GoalRating {self.id} of goal {self.goal_id}>"
