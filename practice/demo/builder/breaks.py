"""The breaks the demo couples called at home, and whether they came back to talk.

Drawn from a random generator of their own, seeded by the case's number, so the practice's other
draws stay as they were. The showcase couple (Maya and Tom) has a break most weeks: early on some
came back too soon and two were never picked up again; as they take up the break and invitation
scripts, nearly every break is a protective one. A few other couples have some breaks; the first
active worsening couple does not come back from most of them, and is flagged to the supervisor.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from practice.breaks.models import AccountSource, BreakAccount, BreakEpisode, BreakOutcome
from practice.cases.models import CaseKind, CaseStatus
from practice.demo.builder.plans import CasePlan
from practice.demo.builder.rows import RowBuffer
from practice.demo.story.cast import IMPROVING, WORSENING, Person

# Every this-many-th couple (by case id) has breaks recorded, besides the showcase.
_EVERY = 5


@dataclass(frozen=True)
class _Break:
    called_by: Person
    other: Person
    called_at: datetime
    back_after: timedelta | None
    with_script: bool
    with_invitation: bool
    flooding: bool
    heart_rate: int | None
    escalated: bool


class BreakWriter:
    """Buffers the break episodes and accounts of the demo's couples."""

    def __init__(self, rows: RowBuffer, now: datetime) -> None:
        self.rows = rows
        self.now = now
        self.flagged_planned = False

    def write(
        self,
        case_id: int,
        plan: CasePlan,
        pursuer: Person,
        withdrawer: Person,
        starts: list[datetime],
        first_session_id: int,
        counsellor_id: int,
    ) -> None:
        """The case's breaks, if it is one that has them (a couple: the showcase, the first
        active worsening couple, and every fifth other)."""
        if plan.kind != CaseKind.COUPLE or pursuer.id == withdrawer.id:
            return
        rng = random.Random(f"demo-breaks-{case_id}")
        flagged = (
            not self.flagged_planned
            and plan.trajectory == WORSENING
            and plan.status == CaseStatus.ACTIVE
        )
        if not (plan.showcase or flagged or case_id % _EVERY == 2):
            return
        self.flagged_planned = self.flagged_planned or flagged
        breaks = self._plan(rng, plan, pursuer, withdrawer, starts, flagged)
        for item in breaks:
            following = next((i for i, s in enumerate(starts) if s > item.called_at), None)
            session_id = first_session_id + following if following is not None else None
            told_at = starts[following] if following is not None else self.now - timedelta(hours=2)
            two_accounts = plan.showcase and rng.random() < 0.35
            self._episode(rng, case_id, item, session_id, told_at, counsellor_id, two_accounts)

    def _plan(
        self,
        rng: random.Random,
        plan: CasePlan,
        pursuer: Person,
        withdrawer: Person,
        starts: list[datetime],
        flagged: bool,
    ) -> list[_Break]:
        found: list[_Break] = []
        # After the last session only while the case is active (a closed case's couple no
        # longer tells of their week).
        after_last = (
            self.now - timedelta(days=1) if plan.status == CaseStatus.ACTIVE else starts[-1]
        )
        ends = [*starts[1:], after_last]
        for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
            progress = min(1.0, index / max(1, plan.sessions_to_change))
            chance = 0.8 if plan.showcase else 0.45
            if (flagged and index >= len(starts) - 4) or (plan.showcase and index < 5):
                chance = 1.0
            if rng.random() > chance:
                continue
            days = (end - start).days
            if days < 2:
                continue
            day = start + timedelta(days=rng.randint(1, days - 1))
            called_at = day.replace(hour=rng.choice((19, 20, 21)), minute=rng.choice((0, 15, 40)))
            # Most breaks are called by the partner who steps back; now and then the other.
            called_by, other = (
                (withdrawer, pursuer) if rng.random() < 0.8 else (pursuer, withdrawer)
            )
            kind = self._kind(rng, plan, progress, flagged, index, len(starts))
            if kind == "early":
                back = timedelta(minutes=rng.randint(5, 17))
            elif kind == "protective":
                back = timedelta(minutes=rng.choice((25, 35, 45, 60, 90, 150, 600, 900)))
            else:
                back = None
            if back is not None and called_at + back >= end:
                back = None
            scripted = plan.trajectory == IMPROVING and progress >= 0.3
            found.append(
                _Break(
                    called_by=called_by,
                    other=other,
                    called_at=called_at,
                    back_after=back,
                    with_script=scripted or rng.random() < 0.2,
                    with_invitation=back is not None and (scripted or rng.random() < 0.2),
                    flooding=rng.random() < (0.7 - 0.4 * progress),
                    heart_rate=rng.choice((None, None, 104, 112, 118, 121)),
                    escalated=kind == "early" and rng.random() < 0.6,
                )
            )
        return found

    @staticmethod
    def _kind(
        rng: random.Random, plan: CasePlan, progress: float, flagged: bool, index: int, count: int
    ) -> str:
        if flagged:
            # The last four: one returned to, three not; earlier ones mixed.
            if index >= count - 4:
                return "protective" if index == count - 4 else "unreturned"
            return rng.choice(("protective", "early", "unreturned"))
        if plan.showcase:
            if index in (1, 3):
                return "unreturned"
            if progress < 0.35:
                return rng.choice(("early", "early", "protective"))
            return "protective" if rng.random() < 0.9 else "early"
        if plan.trajectory == IMPROVING:
            return rng.choice(("protective", "protective", "protective", "early"))
        return rng.choice(("protective", "early", "unreturned"))

    def _episode(
        self,
        rng: random.Random,
        case_id: int,
        item: _Break,
        session_id: int | None,
        told_at: datetime,
        counsellor_id: int,
        two_accounts: bool,
    ) -> None:
        episode_id = self.rows.ids.take(BreakEpisode)
        self.rows.add(
            BreakEpisode,
            {
                "id": episode_id,
                "case_id": case_id,
                "called_by_id": item.called_by.id,
                "called_at": item.called_at,
                "created_at": told_at,
            },
        )
        tellers: list[Person | None] = [item.called_by, item.other] if two_accounts else [None]
        for number, teller in enumerate(tellers):
            back = item.back_after
            with_invitation = item.with_invitation
            if number == 1 and back is not None:
                # The other partner remembers the return a little later, or no invitation.
                if rng.random() < 0.5:
                    back = back + timedelta(minutes=rng.choice((20, 40, 60)))
                else:
                    with_invitation = not with_invitation
            resumed_at = item.called_at + back if back is not None else None
            if back is None:
                outcome = BreakOutcome.NOT_RESUMED
            elif item.escalated:
                outcome = BreakOutcome.RESUMED_ESCALATED
            else:
                outcome = BreakOutcome.RESUMED_CALMER
            self.rows.add(
                BreakAccount,
                {
                    "id": self.rows.ids.take(BreakAccount),
                    "episode_id": episode_id,
                    "case_id": case_id,
                    "told_by_id": teller.id if teller is not None else None,
                    "source": AccountSource.SESSION if session_id else AccountSource.COUNSELLOR,
                    "session_id": session_id,
                    "checkin_id": None,
                    "called_by_id": item.called_by.id,
                    "called_at": item.called_at,
                    "with_script": item.with_script,
                    "flooding": item.flooding,
                    "heart_rate": item.heart_rate if item.flooding else None,
                    "promised_return_at": item.called_at + timedelta(minutes=30)
                    if item.with_script
                    else None,
                    "resumed_at": resumed_at,
                    "resumed_by_id": item.other.id if resumed_at else None,
                    "with_invitation": with_invitation and resumed_at is not None,
                    "outcome": outcome,
                    "recorded_by_id": counsellor_id,
                    "recorded_at": told_at + timedelta(minutes=20),
                    "updated_at": told_at + timedelta(minutes=20),
                    "version": 1,
                },
            )
