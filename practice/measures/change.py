"""A case's CSI-4 change, as the case page, the session's CSI-4 tab and the API show it.

Each partner's totals are judged from their own baseline with the practice's reliable-change
index (``practice.measures.csi4.csi4_change``), and a couple as a pair (``couple_change``);
individual and family cases have no couple classification. This module reads the totals and
puts the rule's verdicts into words; it judges nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from practice.cases.models import Case, CaseKind
from practice.measures import csi4, queries
from practice.measures.csi4 import Csi4Change
from practice.sessions.models import TherapySession

# Why a case that is not a couple gets no couple classification, by case kind.
NO_COUPLE_REASONS: dict[str, str] = {
    CaseKind.INDIVIDUAL: (
        "An individual case has one client: there is no pair to classify. Their own change "
        "is above."
    ),
    CaseKind.FAMILY: (
        "A family case is not judged as a couple: the couple classification compares two "
        "partners. Each person's own change is above."
    ),
}


@dataclass(frozen=True)
class PartnerChange:
    """One partner's CSI-4 course: ``change`` is None when they were never measured."""

    partner_id: int
    partner_name: str
    change: Csi4Change | None
    baseline_at: datetime | None = None
    latest_at: datetime | None = None

    @property
    def change_words(self) -> str:
        """The change from baseline with its sign (empty when never measured)."""
        return signed(self.change.change) if self.change else ""

    def explanation(self, rci: float) -> str:
        """The verdict with its arithmetic, in the counsellor's words."""
        return explain(self.change, rci) if self.change else "Not measured yet."

    def slide_explanation(self, rci: float) -> str | None:
        """What the slide means here, or None when there is none."""
        change = self.change
        if change is None or not change.slide:
            return None
        return (
            f"A slide: the latest total ({change.latest:g}) is {change.best - change.latest:g} "
            f"points below the best so far ({change.best:g}), at least the index of {rci:g}."
        )


@dataclass(frozen=True)
class CaseChange:
    """Each partner's CSI-4 change from baseline and, for a couple, the pair's."""

    kind: str
    rci: float
    partners: tuple[PartnerChange, ...]

    cutoff = csi4.CSI4_CUTOFF

    @property
    def measured(self) -> tuple[PartnerChange, ...]:
        return tuple(p for p in self.partners if p.change is not None)

    @property
    def couple(self) -> str | None:
        """The couple's classification (a ``csi4.COUPLE_LABELS`` key); None for a case that is
        not a couple."""
        if self.kind != CaseKind.COUPLE:
            return None
        changes = [p.change for p in self.partners]
        first, second = [*changes, None, None][:2]
        return csi4.couple_change(first, second)

    @property
    def couple_label(self) -> str | None:
        return csi4.COUPLE_LABELS[self.couple] if self.couple else None

    @property
    def no_couple_reason(self) -> str | None:
        """Why there is no couple classification (individual and family cases)."""
        return NO_COUPLE_REASONS.get(self.kind)


def case_change(case: Case, rci: float, through: TherapySession | None = None) -> CaseChange:
    """The CSI-4 change of every partner of ``case`` from their baseline, over all its sessions
    or those up to ``through`` (that session included), judged with the index ``rci``.

    Raises ValueError for an ``rci`` that is not positive (``csi4.csi4_change``).
    """
    rows = queries.csi4_history(case, through=through)
    partners = []
    for partner in case.partners:
        own = [row for row in rows if row.partner_id == partner.id]
        if not own:
            partners.append(PartnerChange(partner.id, partner.display_name, None))
            continue
        partners.append(
            PartnerChange(
                partner_id=partner.id,
                partner_name=partner.display_name,
                change=csi4.csi4_change([row.total for row in own], rci),
                baseline_at=own[0].starts_at,
                latest_at=own[-1].starts_at,
            )
        )
    return CaseChange(kind=case.kind, rci=rci, partners=tuple(partners))


def signed(number: float) -> str:
    """A change with its sign: +6, −5 (a true minus), 0."""
    if number > 0:
        return f"+{number:g}"
    if number < 0:
        return f"\u2212{-number:g}"
    return "0"


def explain(change: Csi4Change, rci: float) -> str:
    """Why ``change`` is in its category, with the numbers (``rci``: the index used)."""
    moved = f"{signed(change.change)} from the baseline ({change.baseline:g} → {change.latest:g})"
    cutoff = f"{csi4.CSI4_CUTOFF:g}"
    if change.category == csi4.BASELINE_ONLY:
        return "One reading so far: the baseline. Change is judged from the second reading on."
    if change.category == csi4.RECOVERED:
        return (
            f"{moved}: up by at least the index of {rci:g}, and from below the {cutoff} "
            "cut-off to at or above it."
        )
    if change.category == csi4.IMPROVED:
        where = "still below" if change.below_cutoff else "at or above"
        return f"{moved}: up by at least the index of {rci:g}; {where} the {cutoff} cut-off."
    if change.category == csi4.DETERIORATED:
        return f"{moved}: down by at least the index of {rci:g}."
    return f"{moved}: less than the index of {rci:g} either way."
