"""What the pages show of a case's safety screens: each partner's standing today, the open
rescreens, past screens and the joint notes signed without a current screen.

Reads only; the page or route that shows them checks the reader (``Sensitivity.SAFETY``) and
audits the read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from practice.cases.models import Case
from practice.core.database import db
from practice.safety import operations, screening
from practice.safety.models import RescreenDue, SafetyScreen, ScreenOverride
from practice.safety.screening import ScreenStatus


@dataclass(frozen=True)
class CaseSafety:
    """The safety panel of a case: each partner's status today, the window in days, and the
    open rescreens (any one of them is shown prominently and blocks joint signing)."""

    statuses: list[ScreenStatus]
    days: int
    open_rescreens: list[RescreenDue]

    @property
    def needs_attention(self) -> bool:
        return any(s.status != screening.CURRENT for s in self.statuses)


def case_safety(case: Case, today: date) -> CaseSafety:
    """Each partner's standing on ``today`` (two queries, whatever the history)."""
    days = operations.screen_days()
    facts = operations.partner_facts(case)
    return CaseSafety(
        statuses=[screening.screen_status(fact, today, days) for fact in facts],
        days=days,
        open_rescreens=operations.open_rescreens(case.id),
    )


def overrides_of_case(case_id: int) -> list[ScreenOverride]:
    """The joint notes of a case signed without a current screen, newest first."""
    return list(
        db.scalars(
            select(ScreenOverride)
            .where(ScreenOverride.case_id == case_id)
            .order_by(ScreenOverride.created_at.desc())
        )
    )


def screens_with_partners(case_id: int) -> list[SafetyScreen]:
    """Every screen of a case, newest first (partner and recorder loaded with them)."""
    return list(
        db.scalars(
            select(SafetyScreen)
            .where(SafetyScreen.case_id == case_id)
            .options(joinedload(SafetyScreen.partner), joinedload(SafetyScreen.recorded_by))
            .order_by(SafetyScreen.screened_on.desc(), SafetyScreen.id.desc())
        )
    )
