"""The progress charts, as inline SVG, for the case page and the PDF reports alike.

pygal lays out the axes, scales, labels and legend; a filter then makes its output fit for print
and for inlining in HTML: no scripts or tooltip data, no comments (pygal stamps the date in one),
a caller-chosen id instead of pygal's random uuid, and series told apart by dash pattern and
marker shape as well as colour, in the plot and in the legend alike.

Inputs are plain sequences, so these modules know nothing of the database; the rules they draw
(the trend window, the CSI-4 range and cut-off) come from their pure rule modules. Every chart
function returns an ``<svg>`` string without an XML declaration; the same input always gives
the same string.

One module per chart (``cycle_balance``, ``deescalation_share``, ``adoption``, ``csi4``), drawn by
``render`` (pygal and the legend) with the edits of ``svg`` and the looks of ``looks``, in the
words of ``words`` (the clinician's or the couple's).
"""

from practice.reports.charts.adoption import ADOPTION_LEVEL_NAMES, AdoptionSeries, adoption_chart
from practice.reports.charts.csi4 import csi4_chart
from practice.reports.charts.cycle_balance import cycle_balance_chart
from practice.reports.charts.deescalation_share import deescalation_share_chart
from practice.reports.charts.render import NO_DATA_TEXT
from practice.reports.charts.words import CLINICAL, PLAIN, ChartWords

__all__ = [
    "ADOPTION_LEVEL_NAMES",
    "CLINICAL",
    "NO_DATA_TEXT",
    "PLAIN",
    "AdoptionSeries",
    "ChartWords",
    "adoption_chart",
    "csi4_chart",
    "cycle_balance_chart",
    "deescalation_share_chart",
]
