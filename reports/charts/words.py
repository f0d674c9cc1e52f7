"""The words on the charts, for the two kinds of reader: the clinician's record and the couple.

The couple's version speaks of hard and calmer moments, of new ways of talking and of how
satisfied each of them feels; it never names the clinical measures or the cycle's roles. The
numbers, scales and lines are the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass

from practice.moments.balance import VALENCE_LABELS, Valence
from practice.scripts import adoption


@dataclass(frozen=True)
class ChartWords:
    """Every word a chart draws: titles, series names, axes, levels and the cut-off's label."""

    balance_title: str
    escalating: str
    deescalating: str
    load_axis: str
    share_title: str
    share_series: str
    share_axis: str
    trend_legend: str  # "{window}" is the number of sessions; the trend's words follow it
    adoption_title: str
    adoption_axis: str
    adoption_levels: tuple[str, ...]
    adopted: str
    csi4_title: str
    csi4_axis: str
    cutoff_label: tuple[str, str]  # two short lines beside the dashed line; "{cutoff}" its value


CLINICAL = ChartWords(
    balance_title="Cycle balance per session (load = moments × intensity)",
    escalating=VALENCE_LABELS[Valence.ESCALATING],
    deescalating=VALENCE_LABELS[Valence.DEESCALATING],
    load_axis="Load",
    share_title="De-escalation share per session",
    share_series="De-escalation share",
    share_axis="De-escalation share",
    trend_legend="Trend (last {window} sessions)",
    adoption_title="Script adoption",
    adoption_axis="Level",
    adoption_levels=tuple(adoption.ADOPTION_LEVEL_NAMES.values()),
    adopted="Adopted",
    csi4_title="Couples Satisfaction Index (CSI-4)",
    csi4_axis="CSI-4 total",
    cutoff_label=("Cut-off", "{cutoff}"),
)

PLAIN = ChartWords(
    balance_title="Hard moments and calmer moments, session by session",
    escalating="Hard moments",
    deescalating="Calmer moments",
    load_axis="How strong",
    share_title="Calmer moments, as a share of all, session by session",
    share_series="Calmer moments",
    share_axis="Share of calmer moments",
    trend_legend="Direction over the last {window} sessions",
    adoption_title="New ways of talking",
    adoption_axis="Use",
    adoption_levels=("Not yet", "With a reminder", "On your own", "At home"),
    adopted="Part of your routine",
    csi4_title="How satisfied each of you feels (four questions)",
    csi4_axis="Score",
    cutoff_label=("Content", "above"),
)
