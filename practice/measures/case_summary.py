"""Measures other than the CSI-4 on the case page and in the clinical report: each partner's
totals, the latest read against the cut-off, the change from their baseline judged by the
measure's reliable-change index, and the split-alliance notice.

``case_measures`` reads every such measure of a case in one statement; the rest is pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from practice.cases.models import Case, Partner
from practice.measures import registry, registry_queries
from practice.measures.alliance import AllianceConcern, AllianceReading, split_alliance
from practice.measures.change import signed
from practice.measures.configured import Registry, measure_registry, split_alliance_gap
from practice.measures.csi4 import CSI4_MEASURE
from practice.measures.registry import MeasureChange, MeasureDefinition, Use
from practice.measures.registry_queries import MeasureRow


@dataclass(frozen=True)
class PartnerLine:
    """One partner's course on one measure (``change`` None: never measured)."""

    partner_id: int
    partner_name: str
    totals: tuple[float, ...]
    change: MeasureChange | None
    latest_at: datetime | None

    @property
    def totals_words(self) -> str:
        return " → ".join(f"{total:g}" for total in self.totals)

    @property
    def latest(self) -> float | None:
        return self.totals[-1] if self.totals else None


@dataclass(frozen=True)
class MeasureSummary:
    """A measure's lines for every partner of a case."""

    definition: MeasureDefinition
    partners: tuple[PartnerLine, ...]

    @property
    def measured(self) -> tuple[PartnerLine, ...]:
        return tuple(p for p in self.partners if p.change is not None)

    def reading(self, line: PartnerLine) -> str:
        """The latest total against the cut-off, or the alliance threshold of an alliance
        measure without one."""
        if not line.totals:
            return ""
        d = self.definition
        if d.cutoff is None and d.alliance_threshold is not None:
            side = "under" if line.latest < d.alliance_threshold else "at or above"
            return f"{line.latest:g} — {side} the alliance threshold of {d.alliance_threshold:g}"
        return registry.reading(d, line.latest)

    def verdict(self, line: PartnerLine) -> str:
        """The change from baseline in words, with its arithmetic."""
        change, d = line.change, self.definition
        if change is None:
            return "Not measured yet."
        if d.reliable_change is None:
            return ""
        if change.category == registry.BASELINE_ONLY:
            return "One reading so far: the baseline."
        moved = (
            f"{signed(change.change)} from the baseline ({change.baseline:g} → {change.latest:g})"
        )
        return f"{change.label}: {moved}, index {d.reliable_change:g}."


def measure_summary(
    definition: MeasureDefinition, rows: Sequence[MeasureRow], partners: Sequence[Partner]
) -> MeasureSummary:
    """Each partner's line on ``definition`` from the case's rows (session order)."""
    lines = []
    for partner in partners:
        own = [r for r in rows if r.partner_id == partner.id and r.measure == definition.key]
        totals = tuple(r.total for r in own)
        change = None
        if totals and definition.reliable_change is not None:
            change = registry.judge_change(definition, totals)
        elif totals:
            change = registry.MeasureChange(
                totals[0],
                totals[-1],
                totals[-1],
                0,
                registry.BASELINE_ONLY,
                False,
                len(totals),
                registry.in_concern(definition, totals[-1])
                or (
                    definition.alliance_threshold is not None
                    and totals[-1] < definition.alliance_threshold
                ),
            )
        lines.append(
            PartnerLine(
                partner.id, partner.display_name, totals, change, own[-1].starts_at if own else None
            )
        )
    return MeasureSummary(definition, tuple(lines))


@dataclass(frozen=True)
class CaseMeasures:
    """What the case page and the clinical report show of the registry's other measures."""

    summaries: tuple[MeasureSummary, ...]
    alliance: tuple[AllianceConcern, ...]
    session_measures: tuple[MeasureDefinition, ...]


def alliance_concerns(
    rows: Sequence[MeasureRow], measures: Registry, partners: Sequence[Partner], gap: float
) -> list[AllianceConcern]:
    """The split-alliance concerns of a case's rows (partners by name and number)."""
    numbers = {p.id: n for n, p in enumerate(partners, start=1)}
    readings = [
        AllianceReading(
            r.measure,
            numbers.get(r.partner_id, 0),
            r.session_id,
            r.starts_at.date(),
            r.total,
            measures[r.measure].alliance_threshold,
            r.partner_name,
        )
        for r in rows
        # An alliance measure rates a session: answers from a check-in are not compared.
        if r.session_id is not None
        and measures.get(r.measure) is not None
        and measures[r.measure].is_alliance
    ]
    return split_alliance(readings, gap)


def case_measures(
    case: Case, config: Mapping[str, Any], until: datetime | None = None
) -> CaseMeasures:
    """The case's other measures (those with answers), and its split-alliance concerns. One
    statement."""
    measures = measure_registry(config)
    others = [d for d in measures.definitions if d.use == Use.SESSION and d.key != CSI4_MEASURE]
    rows = registry_queries.case_measure_rows(case, [d.key for d in others], until=until)
    used = {r.measure for r in rows}
    summaries = tuple(measure_summary(d, rows, case.partners) for d in others if d.key in used)
    concerns = alliance_concerns(rows, measures, case.partners, split_alliance_gap(config))
    return CaseMeasures(summaries, tuple(concerns), tuple(others))
