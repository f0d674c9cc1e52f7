"""How the charts look: sizes and fonts, colours, and how each series is drawn."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

# The viewBox is 720 units wide. Printed 16 cm wide (A4 less margins) one unit is about 0.6 pt,
# so 14-unit labels print at about 8.5 pt and the 18-unit title at about 11 pt.
WIDTH = 720
HEIGHT = 360
EMPTY_HEIGHT = 110
FONT_FAMILY = '"DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif'
LABEL_FONT = 14
TITLE_FONT = 18
LEGEND_ROW = 1.5 * LABEL_FONT  # pygal's legend row pitch
SWATCH_WIDTH = 34  # legend swatch: a stretch of line with its marker
MARKER_RADIUS = 4.5
MARGIN = 16
MAX_X_LABELS = 16  # beyond this, only evenly spread session labels are written
# A phone's chart: the same drawing on a narrower viewBox, so that its 14-unit labels, shown
# about 340 px wide, read at about 12 px rather than 6 px (the case page picks it below 40rem).
NARROW_WIDTH = 400

_width: ContextVar[int] = ContextVar("chart_width", default=WIDTH)


def chart_width() -> int:
    """The width of the viewBox the charts drawn now get: WIDTH unless ``drawn_at`` says."""
    return _width.get()


@contextmanager
def drawn_at(width: int) -> Iterator[None]:
    """Draw the charts made inside this block ``width`` units wide (labels keep their size)."""
    token = _width.set(width)
    try:
        yield
    finally:
        _width.reset(token)


def max_x_labels() -> int:
    """How many session labels fit along the x axis at the current width."""
    return max(4, round(MAX_X_LABELS * chart_width() / WIDTH))


@dataclass(frozen=True)
class Look:
    """How one series is drawn, so that colour is never the only difference."""

    colour: str
    dash: str | None = None  # stroke-dasharray; None for a solid line
    marker: str | None = None  # circle, square, triangle, diamond, ring, or None
    width: float = 2.5
    hatch: bool = False  # bars only: diagonal hatching over a pale fill
    kind: str = "line"  # line, bar, or marker (a legend entry for shapes drawn by a decorator)


# Colour-blind-safe hues (Okabe-Ito), darkened where needed for contrast on white paper.
BLUE = "#0061a0"
VERMILION = "#c0460a"
GREEN = "#00795a"
PURPLE = "#8a3f7c"
OCHRE = "#8a6400"
INK = "#1a1a1a"
GREY = "#444444"
LINE_LOOKS = (
    Look(BLUE, None, "circle"),
    Look(VERMILION, "9 4", "square"),
    Look(GREEN, "2 3", "triangle"),
    Look(PURPLE, "10 3 2 3", "diamond"),
    Look(OCHRE, "14 4", "triangle-down"),
    Look(INK, "4 2 1 2", "hollow"),
)  # a seventh series starts again at the first look
ESCALATING_LOOK = Look(VERMILION, kind="bar", hatch=True)
DEESCALATING_LOOK = Look(BLUE, kind="bar")
TREND_LOOK = Look(INK, "7 4", None, width=2)
ADOPTED_LOOK = Look(INK, None, "ring", kind="marker")
CUTOFF_LOOK = Look(GREY, "6 4", None, width=2)
BLANK_LOOK = Look(INK, kind="marker")  # padding series that only keep pygal's legend grid right


def line_look(index: int) -> Look:
    return LINE_LOOKS[index % len(LINE_LOOKS)]


# Each partner keeps one look on every chart, page and report, by their place in the case
# (``Partner.position``: 0 is the case's first partner, "partner A"). Vermilion is left out: on
# the cycle-balance chart it means escalating, and no partner should read as the escalating one.
PARTNER_LOOKS = (
    Look(BLUE, None, "circle"),
    Look(OCHRE, "9 4", "square"),
    Look(PURPLE, "2 3", "triangle"),
    Look(GREEN, "10 3 2 3", "diamond"),
    Look(INK, "4 2 1 2", "hollow"),
)  # a sixth member of a family starts again at the first look


def partner_look(position: int, nth: int = 0) -> Look:
    """How the partner at ``position`` is drawn; their ``nth`` line on one chart (a second
    script, say) keeps the partner's colour and takes another dash and marker."""
    own = PARTNER_LOOKS[position % len(PARTNER_LOOKS)]
    if nth % len(PARTNER_LOOKS) == 0:
        return own
    other = PARTNER_LOOKS[(position + nth) % len(PARTNER_LOOKS)]
    return replace(own, dash=other.dash, marker=other.marker)


def partner_colour(position: int) -> str:
    """The partner's one colour, for charts, page swatches and legends alike."""
    return partner_look(position).colour
