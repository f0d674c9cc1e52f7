"""The interaction part of the clinical progress report: per session in the period, the coupling
index, repair success and antidote ratio (``practice.moments.interaction``), and how each moved
from the first to the latest session of the period.

Clinical only: the couple's and the referrer's reports say nothing of it (the figures name the
pursue and withdraw of each partner, which the couple's report never ranks).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from practice.cases.models import Case
from practice.moments import interaction, interaction_reads


def _bounds(start: date, end: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The period as UTC instants: the start of its first day to the end of its last, local."""
    first = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return first, after


def _unbroken(text: str) -> str:
    """The text with a no-break space before each "%", so a line never starts with one."""
    return text.replace(" %", "\u00a0%")


def interaction_report(case: Case, start: date, end: date, zone: tzinfo) -> dict:
    """``rows`` (date and the three figures in words, oldest first), each metric's trend in
    words, and the legend; ``rows`` is empty when no session of the period has a moment."""
    first, after = _bounds(start, end, zone)
    found = interaction_reads.case_interaction(case.id, first, after)
    rows = [
        {
            "date": s.starts_at.astimezone(zone).strftime("%d %b %Y"),
            **{name: _unbroken(text) for name, text in interaction.words(s.metrics).items()},
        }
        for s in found
    ]
    return {
        "rows": rows,
        "coupling_trend": _unbroken(
            interaction.trend_text(interaction.trend([s.metrics.coupling_index for s in found]))
        ),
        "repair_trend": _unbroken(
            interaction.trend_text(interaction.trend([s.metrics.repair_success for s in found]))
        ),
        "antidote_trend": interaction.trend_text(
            interaction.trend([s.metrics.antidote_ratio for s in found]), percent_values=False
        ),
        "legend": (
            "Coupling index: pursue moments met by the other partner's withdrawal within "
            f"{interaction.COUPLING_WINDOW} minutes, before or after, ÷ pursue moments (falling: "
            "de-coupling). Repair success: accepted ÷ repair attempts with an outcome recorded. "
            "Antidote ratio: gentle start-up, appreciation, taking responsibility and "
            "self-soothing ÷ criticism, contempt, defensiveness and stonewalling."
        ),
    }
