"""Break episodes: a partner calls a break in a conflict, and the couple comes back to talk, or not.

The protocol is the pair of assigned scripts: one partner says "I need time to process this, but
I'm open to talk soon" (the break), the other later asks "When would be a good time for us to sit
with this together?" (the invitation), and the promise to return is kept. An episode is one break
of a case; what happened is told in one or more **accounts** (each partner's, from their
check-in or in session, and the counsellor's own record), kept side by side: a break told by
both partners is one episode whose two accounts may differ. Which account the episode is judged
by is the rule of ``practice.breaks.rules.episode_view``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.core.database import Base, UTCDateTime, check_in, utcnow
from practice.core.i18n import _l

if TYPE_CHECKING:
    from practice.accounts.models import StaffMember
    from practice.cases.models import Partner


class BreakOutcome(StrEnum):
    """How the conversation went after the break."""

    RESUMED_CALMER = "calmer"
    RESUMED_ESCALATED = "escalated"
    NOT_RESUMED = "not_resumed"


class AccountSource(StrEnum):
    """Where an account of a break was recorded."""

    SESSION = "session"  # by the counsellor during a session (the session's form)
    LIVE = "live"  # by the counsellor in live mode
    CHECKIN = "checkin"  # a partner's private check-in between sessions
    COUNSELLOR = "counsellor"  # by the counsellor afterwards, from the case page


OUTCOME_LABELS: dict[str, object] = {
    BreakOutcome.RESUMED_CALMER: _l("Resumed calmer"),
    BreakOutcome.RESUMED_ESCALATED: _l("Resumed escalated"),
    BreakOutcome.NOT_RESUMED: _l("Not resumed"),
}
SOURCE_LABELS: dict[str, object] = {
    AccountSource.SESSION: _l("In session"),
    AccountSource.LIVE: _l("Live mode"),
    AccountSource.CHECKIN: _l("Partner's check-in"),
    AccountSource.COUNSELLOR: _l("Counsellor, afterwards"),
}

MIN_HEART_RATE, MAX_HEART_RATE = 30, 250


class BreakEpisode(Base):
    """One break of a case: who called it and when (as first recorded). What happened after is
    in its accounts."""

    __tablename__ = "practice_break_episode"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    called_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_partner.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    called_by: Mapped[Partner] = relationship()
    accounts: Mapped[list[BreakAccount]] = relationship(
        back_populates="episode", order_by="BreakAccount.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<BreakEpisode {self.id} of case {self.case_id}>"


class BreakAccount(Base):
    """One telling of a break: by a partner (``told_by_id``) or the counsellor's own record
    (``told_by_id`` empty), with where it was recorded. A partner has at most one account of an
    episode; a later telling edits it."""

    __tablename__ = "practice_break_account"
    __table_args__ = (
        sa.CheckConstraint(check_in("source", AccountSource), name="source"),
        sa.CheckConstraint(
            f"outcome IS NULL OR {check_in('outcome', BreakOutcome)}", name="outcome"
        ),
        sa.CheckConstraint("resumed_at IS NULL OR resumed_at >= called_at", name="resumed_after"),
        sa.CheckConstraint(
            f"heart_rate IS NULL OR heart_rate BETWEEN {MIN_HEART_RATE} AND {MAX_HEART_RATE}",
            name="heart_rate",
        ),
        sa.UniqueConstraint("episode_id", "told_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_break_episode.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    # Whose account: a partner, or empty for the counsellor's own record.
    told_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_partner.id"))
    source: Mapped[str] = mapped_column(sa.String(12))
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_session.id"), index=True)
    # The partner's check-in this account came from (the check-ins area's id).
    checkin_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    called_by_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_partner.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime)
    with_script: Mapped[bool] = mapped_column(default=False)
    flooding: Mapped[bool] = mapped_column(default=False)
    heart_rate: Mapped[int | None] = mapped_column(sa.SmallInteger)
    promised_return_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resumed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_partner.id"))
    with_invitation: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str | None] = mapped_column(sa.String(12))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    episode: Mapped[BreakEpisode] = relationship(back_populates="accounts")
    told_by: Mapped[Partner | None] = relationship(foreign_keys=[told_by_id])
    called_by: Mapped[Partner] = relationship(foreign_keys=[called_by_id])
    resumed_by: Mapped[Partner | None] = relationship(foreign_keys=[resumed_by_id])
    recorded_by: Mapped[StaffMember | None] = relationship()

    def __repr__(self) -> str:
        return f"<BreakAccount {self.id} of episode {self.episode_id}>"
