"""The split-alliance alert: when the partners' alliance with the counsellor is weak or uneven.

An alliance measure (a definition with ``alliance_threshold``, such as the SRS: under 36) raises
the alert when either partner's latest score is under its threshold, or when the two partners'
scores at the same session (the latest at which both answered) differ by the practice's gap or
more (``PRACTICE_SPLIT_ALLIANCE_GAP``, default 4). In couple work a split alliance (one partner
feels understood, the other not) predicts drop-out; the supervisor sees it as a flag, the
counsellor as a notice on the case page. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class AllianceReading:
    """A partner's total on an alliance measure at one session (readings in session order)."""

    measure: str
    partner_number: int
    session_id: int
    on: date
    total: float
    threshold: float
    partner_name: str = ""


@dataclass(frozen=True)
class AllianceConcern:
    """Why one alliance measure raises the alert. ``low``: the readings (each partner's latest)
    under the threshold; ``split``: the two readings of the latest session both answered, when
    they are at least the gap apart. ``since``: the day of the earliest reading that raised it.
    """

    measure: str
    threshold: float
    low: tuple[AllianceReading, ...]
    split: tuple[AllianceReading, AllianceReading] | None
    since: date

    @property
    def gap(self) -> float | None:
        if self.split is None:
            return None
        return _difference(self.split[0].total, self.split[1].total)

    def words(self, named: bool = False) -> str:
        """The reason in words; ``named``: partners by name (the case page), else by number
        (supervisor flags carry no names)."""

        def who(reading: AllianceReading) -> str:
            return reading.partner_name if named else f"partner {reading.partner_number}"

        parts = [
            f"{who(r)}'s latest {self.measure} is {r.total:g}, under {self.threshold:g}"
            for r in self.low
        ]
        if self.split is not None:
            first, second = self.split
            parts.append(
                f"{who(first)} and {who(second)} scored the {self.measure} {self.gap:g} points "
                f"apart on {first.on:%d %b %Y} ({first.total:g} and {second.total:g})"
            )
        return "; ".join(parts)


def _difference(a: float, b: float) -> float:
    # Totals have at most two decimals: 36 - 32.1 is 3.9, not 3.8999….
    return round(abs(a - b), 2)


def split_alliance(readings: Sequence[AllianceReading], gap: float) -> list[AllianceConcern]:
    """The concerns of a case's alliance readings (in session order), one per measure that
    raises the alert, by measure key. A score exactly at the threshold is not under it; a
    difference exactly at the gap is a split. Raises ValueError unless ``gap`` is above 0."""
    if not gap > 0:
        raise ValueError(f"The split-alliance gap must be above 0, got {gap!r}")
    by_measure: dict[str, list[AllianceReading]] = defaultdict(list)
    for reading in readings:
        by_measure[reading.measure].append(reading)
    concerns = []
    for measure in sorted(by_measure):
        own = by_measure[measure]
        latest: dict[int, AllianceReading] = {}
        for reading in own:
            latest[reading.partner_number] = reading
        low = tuple(r for _, r in sorted(latest.items()) if r.total < r.threshold)
        split = _latest_split(own, gap)
        if not low and split is None:
            continue
        raised = [*low, *(split or ())]
        concerns.append(
            AllianceConcern(
                measure=measure,
                threshold=own[-1].threshold,
                low=low,
                split=split,
                since=min(r.on for r in raised),
            )
        )
    return concerns


def _latest_split(
    readings: Sequence[AllianceReading], gap: float
) -> tuple[AllianceReading, AllianceReading] | None:
    """The two partners' readings of the latest session both answered, if ``gap`` or more apart."""
    by_session: dict[int, dict[int, AllianceReading]] = defaultdict(dict)
    order: list[int] = []
    for reading in readings:
        if reading.session_id not in by_session:
            order.append(reading.session_id)
        by_session[reading.session_id][reading.partner_number] = reading
    for session_id in reversed(order):
        pair = sorted(by_session[session_id].items())
        if len(pair) >= 2:
            first, second = pair[0][1], pair[1][1]
            return (first, second) if _difference(first.total, second.total) >= gap else None
    return None
