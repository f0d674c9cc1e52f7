"""The progress charts, as inline SVG, for the case page and the PDF reports alike.

pygal lays out the axes, scales, labels and legend; a filter then makes its output fit for print
and for inlining in HTML: no scripts or tooltip data, no comments (pygal stamps the date in one),
a caller-chosen id instead of pygal's random uuid, and series told apart by dash pattern and
marker shape as well as colour, in the plot and in the legend alike.

Inputs are plain sequences, so this module knows nothing of the database. Every function returns
an ``<svg>`` string without an XML declaration; the same input always gives the same string.
"""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pygal
from pygal.etree import etree as pygal_etree
from pygal.style import Style

from practice.measures import csi4
from practice.moments.balance import TREND_WINDOW, VALENCE_LABELS, Valence
from practice.scripts import adoption

__all__ = [
    "ADOPTION_LEVEL_NAMES",
    "NO_DATA_TEXT",
    "AdoptionSeries",
    "adoption_chart",
    "csi4_chart",
    "cycle_balance_chart",
    "softening_share_chart",
]

SVG_NS = "http://www.w3.org/2000/svg"
NO_DATA_TEXT = "No data yet"
# Short names for the y axis, by level (practice.scripts.adoption holds both wordings).
ADOPTION_LEVEL_NAMES = tuple(adoption.ADOPTION_LEVEL_NAMES.values())
CSI4_MAX = csi4.CSI4_MAX_TOTAL

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

# Classes that only pygal's (disabled) tooltip script reads.
_SCRIPT_ONLY_CLASSES = frozenset({"reactive", "tooltip-trigger", "activate-serie"})
_CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_CSS_FILE = Path(__file__).with_name("chart.css")


@dataclass(frozen=True)
class AdoptionSeries:
    """One script's adoption levels per session (None: not observed) and where it was adopted."""

    name: str
    levels: Sequence[int | None]
    adopted_index: int | None


@dataclass(frozen=True)
class _Look:
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
_LINE_LOOKS = (
    _Look(BLUE, None, "circle"),
    _Look(VERMILION, "9 4", "square"),
    _Look(GREEN, "2 3", "triangle"),
    _Look(PURPLE, "10 3 2 3", "diamond"),
    _Look(OCHRE, "14 4", "triangle-down"),
    _Look(INK, "4 2 1 2", "hollow"),
)  # a seventh series starts again at the first look
_ESCALATING_LOOK = _Look(VERMILION, kind="bar", hatch=True)
_DEESCALATING_LOOK = _Look(BLUE, kind="bar")
_TREND_LOOK = _Look(INK, "7 4", None, width=2)
_ADOPTED_LOOK = _Look(INK, None, "ring", kind="marker")
_CUTOFF_LOOK = _Look(GREY, "6 4", None, width=2)
_BLANK_LOOK = _Look(INK, kind="marker")  # padding series that only keep pygal's legend grid right

_Series = tuple[str | None, list[float | None], _Look]
# Draws extra shapes given the pygal chart (its layout is live while the filter runs) and the SVG.
_Decorator = Callable[[object, "_Svg"], None]


def cycle_balance_chart(
    labels: Sequence[str],
    escalating: Sequence[float],
    deescalating: Sequence[float],
    *,
    chart_id: str = "cycle-balance",
) -> str:
    """Return grouped bars of escalating vs de-escalating load per session.

    Raises ValueError if the sequences differ in length, a load is negative, or chart_id is not a
    plain identifier.
    """
    title = "Cycle balance per session (load = moments × intensity)"
    _check_lengths(labels, escalating=escalating, deescalating=deescalating)
    if not labels:
        return _no_data("Cycle balance per session", chart_id)
    if any(load < 0 for load in [*escalating, *deescalating]):
        raise ValueError("Loads cannot be negative")
    top = max([*escalating, *deescalating, 1])
    return _render(
        pygal.Bar,
        chart_id=chart_id,
        title=title,
        y_title="Load",
        labels=labels,
        series=[
            (VALENCE_LABELS[Valence.ESCALATING], list(escalating), _ESCALATING_LOOK),
            (VALENCE_LABELS[Valence.DEESCALATING], list(deescalating), _DEESCALATING_LOOK),
        ],
        options={
            "range": (0, top),
            "value_formatter": _number,
            "min_scale": 4,
            "max_scale": 8,
        },
    )


def softening_share_chart(
    labels: Sequence[str],
    shares: Sequence[float | None],
    *,
    trend_slope: float | None = None,
    trend_label: str = "",
    chart_id: str = "softening-share",
) -> str:
    """Return the softening share per session (0-100 %), with gaps where it is undefined.

    With ``trend_slope`` (change in share per session, as ``practice.moments.balance`` computes it
    over the last TREND_WINDOW sessions that have a share) a least-squares trend line is drawn
    through those sessions and ``trend_label`` is named in the legend. Raises ValueError if the
    sequences differ in length, a share is outside 0-1, or chart_id is not a plain identifier.
    """
    title = "Softening share per session"
    _check_lengths(labels, shares=shares)
    if not labels or all(share is None for share in shares):
        return _no_data(title, chart_id)
    if any(share is not None and not 0 <= share <= 1 for share in shares):
        raise ValueError("Softening shares must be between 0 and 1")
    series: list[_Series] = [
        (
            "Softening share",
            [None if share is None else 100 * share for share in shares],
            _LINE_LOOKS[0],
        )
    ]
    trend = _trend_values(shares, trend_slope)
    if trend is not None:
        legend = f"Trend (last {TREND_WINDOW} sessions)"
        if trend_label:
            legend += f": {trend_label}"
        series.append((legend, trend, _TREND_LOOK))
    return _render(
        pygal.Line,
        chart_id=chart_id,
        title=title,
        y_title="Softening share",
        labels=labels,
        series=series,
        options={
            "range": (0, 100),
            "y_labels": [0, 20, 40, 60, 80, 100],
            "value_formatter": lambda value: f"{value:.0f}%",
            "allow_interruptions": True,
        },
    )


def adoption_chart(
    labels: Sequence[str],
    series: Sequence[AdoptionSeries],
    *,
    chart_id: str = "script-adoption",
) -> str:
    """Return one adoption-level line per script (0-3), with a ring where it was adopted.

    Scripts sharing a level are drawn a little apart so that their lines stay visible. Raises
    ValueError if a series' levels differ in length from ``labels``, a level is outside 0-3,
    ``adopted_index`` points at a session without an observation, or chart_id is not a plain
    identifier.
    """
    title = "Script adoption"
    _check_lengths(labels, **{f"levels of {s.name!r}": s.levels for s in series})
    if not labels or all(level is None for s in series for level in s.levels):
        return _no_data(title, chart_id)
    top = len(ADOPTION_LEVEL_NAMES) - 1
    for script in series:
        if any(level is not None and not 0 <= level <= top for level in script.levels):
            raise ValueError(f"Adoption levels of {script.name!r} must be between 0 and {top}")
        i = script.adopted_index
        if i is not None and not (0 <= i < len(labels) and script.levels[i] is not None):
            raise ValueError(f"Script {script.name!r} is adopted at a session without a level")

    # Dodge: scripts at the same level would hide each other's lines.
    step = min(0.2, 0.5 / max(len(series) - 1, 1))
    offsets = [step * (i - (len(series) - 1) / 2) for i in range(len(series))]
    pad = 0.25 + max(offsets)
    drawn: list[_Series] = [
        (
            script.name,
            [None if level is None else level + offset for level in script.levels],
            _line_look(i),
        )
        for i, (script, offset) in enumerate(zip(series, offsets, strict=True))
    ]
    rings = [
        (script.adopted_index, script.levels[script.adopted_index] + offset)
        for script, offset in zip(series, offsets, strict=True)
        if script.adopted_index is not None
    ]
    if rings:
        drawn.append(("Adopted", [None] * len(labels), _ADOPTED_LOOK))

    def draw_rings(chart: object, svg: _Svg) -> None:
        layer = svg.plot_layer("adopted")
        for index, level in rings:
            # _x_pos: pygal's 0-1 position of each session label, mapped to the plot by its view.
            x, y = chart.view((chart._x_pos[index], level))
            svg.marker(layer, "ring", x, y, _ADOPTED_LOOK, css_class="adopted-marker")

    return _render(
        pygal.Line,
        chart_id=chart_id,
        title=title,
        y_title="Level",
        labels=labels,
        series=drawn,
        options={
            "range": (-pad, top + pad),
            "y_labels": [
                {"value": value, "label": name} for value, name in enumerate(ADOPTION_LEVEL_NAMES)
            ],
        },
        legend_columns=1,
        decorate=draw_rings,
    )


def csi4_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
    *,
    cutoff: float = csi4.CSI4_CUTOFF,
    chart_id: str = "csi4",
) -> str:
    """Return each partner's CSI-4 total (0-21) per session against a dashed cut-off line.

    Raises ValueError if a series differs in length from ``labels``, a total is outside 0-21, or
    chart_id is not a plain identifier.
    """
    title = "Couples Satisfaction Index (CSI-4)"
    _check_lengths(labels, **{f"totals of {name!r}": totals for name, totals in series})
    if not labels or all(total is None for _, totals in series for total in totals):
        return _no_data(title, chart_id)
    lowest = csi4.CSI4_MIN_TOTAL
    if any(t is not None and not lowest <= t <= CSI4_MAX for _, totals in series for t in totals):
        raise ValueError(f"CSI-4 totals must be between {lowest} and {CSI4_MAX}")
    cutoff_text = f"Cut-off {_number(cutoff)}"

    def draw_cutoff(chart: object, svg: _Svg) -> None:
        layer = svg.plot_layer("cutoff", under_series=True)
        y = chart.view.y(cutoff)
        width = chart.view.width
        svg.sub(layer, "path", d=f"M0 {y:.2f} h{width:.2f}", style=svg.stroke_style(_CUTOFF_LOOK))
        # Written in the right margin, where no data point can sit under it.
        text = svg.sub(layer, "text", x=f"{width + 8:.2f}", y=f"{y - 3:.2f}", style=f"fill:{GREY}")
        word, _, number = cutoff_text.partition(" ")
        svg.sub(text, "tspan").text = word + " "
        svg.sub(text, "tspan", x=f"{width + 8:.2f}", dy=f"{LABEL_FONT:.0f}").text = number

    return _render(
        pygal.Line,
        chart_id=chart_id,
        title=title,
        y_title="CSI-4 total",
        labels=labels,
        series=[(name, list(totals), _line_look(i)) for i, (name, totals) in enumerate(series)],
        options={
            "range": (csi4.CSI4_MIN_TOTAL, CSI4_MAX),
            "y_labels": list(range(csi4.CSI4_MIN_TOTAL, CSI4_MAX + 1, 3)),
            "value_formatter": _number,
            "margin_right": int(20 + 0.6 * LABEL_FONT * 8),
        },
        decorate=draw_cutoff,
    )


# --- Rendering -------------------------------------------------------------------------------


def _render(
    chart_class: type,
    *,
    chart_id: str,
    title: str,
    y_title: str,
    labels: Sequence[str],
    series: list[_Series],
    options: dict,
    legend_columns: int = 4,
    decorate: _Decorator | None = None,
) -> str:
    """Render with pygal, then restyle and trim the SVG tree; return it as a string."""
    labels = [str(label) for label in labels]
    titles = [name for name, _, _ in series if name is not None]
    rows, columns = _legend_grid(titles, legend_columns)
    # pygal reserves floor(series / columns) legend rows; blank series fill the grid so it is right.
    series = series + [(None, [None] * len(labels), _BLANK_LOOK)] * (rows * columns - len(titles))

    chart = _make_chart(
        chart_class,
        _config(chart_id, title),
        chart_id,
        height=int(HEIGHT + (rows - 1) * LEGEND_ROW),
        x_title="Session",
        y_title=y_title,
        legend_at_bottom=True,
        legend_at_bottom_columns=columns,
        truncate_legend=_legend_chars(columns),
        truncate_label=-1,  # session dates are tilted to fit (see _x_label_options), not cut
        **_x_label_options(labels),
        **options,
    )
    chart.x_labels = labels
    for name, values, look in series:
        chart.add(name, values, show_dots=look.marker is not None and look.kind == "line")

    looks = [look for _, _, look in series]
    rendered: list[str] = []

    def finish(root: object) -> object:
        # Runs inside pygal's render, while the chart's layout (view, margins) is still alive.
        svg = _Svg(_reparse(root), chart_id)
        svg.tidy()
        svg.restyle_series(looks)
        svg.restyle_legend(looks, columns)
        if decorate is not None:
            decorate(chart, svg)
        svg.compact()
        rendered.append(svg.serialize())
        return root

    chart.add_xml_filter(finish)
    chart.render()
    return rendered[0]


def _no_data(title: str, chart_id: str) -> str:
    """Return a short chart frame with its title and "No data yet"."""
    chart = _make_chart(
        pygal.Line,
        _config(chart_id, title),
        chart_id,
        height=EMPTY_HEIGHT,
        show_legend=False,
        show_x_labels=False,
        show_y_labels=False,
        show_y_guides=False,
    )
    rendered: list[str] = []

    def finish(root: object) -> object:
        svg = _Svg(_reparse(root), chart_id)
        svg.tidy()
        svg.compact()
        rendered.append(svg.serialize())
        return root

    chart.add_xml_filter(finish)
    chart.render()
    return rendered[0]


def _config(chart_id: str, title: str) -> pygal.Config:
    if not _CHART_ID.fullmatch(chart_id):
        raise ValueError(
            f"chart_id must be a letter then letters, digits, '-' or '_' (got {chart_id!r})"
        )
    config = pygal.Config()
    config.title = title
    config.width = WIDTH
    config.style = _STYLE
    config.css = [f"file://{_CSS_FILE}"]
    config.js = []  # pygal's default loads its tooltip script from kozea.github.io
    config.disable_xml_declaration = True
    config.no_data_text = NO_DATA_TEXT
    config.print_values = False
    config.show_x_guides = False
    config.legend_box_size = LABEL_FONT
    config.spacing = 12
    config.margin = MARGIN
    config.dots_size = MARKER_RADIUS
    return config


def _make_chart(chart_class: type, config: pygal.Config, chart_id: str, **options: object):
    chart = chart_class(config, **options)
    # pygal draws a random uuid for the root id and its CSS scope; the caller's id keeps the
    # output stable, and distinct ids keep two charts on one page apart.
    chart.uuid = chart_id
    return chart


def _x_label_options(labels: Sequence[str]) -> dict:
    """Thin session labels out when there are many; tilt them when they do not fit side by side."""
    options: dict = {}
    every = math.ceil(len(labels) / MAX_X_LABELS)
    if every > 1:
        options["x_labels_major_every"] = every
        options["show_minor_x_labels"] = False
    longest = max(len(label) for label in labels)
    slot = every * (WIDTH - 200) / len(labels)  # the plot is the width less axis labels
    if 0.6 * LABEL_FONT * longest > 0.9 * slot:
        options["x_label_rotation"] = 320  # -40 degrees, read bottom-left to top-right
    return options


def _legend_grid(titles: Sequence[str], max_columns: int) -> tuple[int, int]:
    """Return (rows, columns) for the legend: as many columns as fit the longest entry."""
    longest = max((len(title) for title in titles), default=0)
    columns = max(1, min(max_columns, len(titles)))
    while columns > 1 and longest > _legend_chars(columns):
        columns -= 1
    rows = max(1, math.ceil(len(titles) / columns))
    return rows, max(1, math.ceil(len(titles) / rows))


def _legend_chars(columns: int) -> int:
    """Return how many characters of a legend entry fit in one of ``columns`` columns."""
    return max(8, int(_legend_column_width(columns) / (0.6 * LABEL_FONT)))


def _legend_column_width(columns: int) -> float:
    # Legends span the chart's full width, less the swatch and a gap in each column.
    return (WIDTH - 2 * MARGIN) / columns - SWATCH_WIDTH - 16


_STYLE = Style(
    font_family=FONT_FAMILY,
    background="#ffffff",
    plot_background="#ffffff",
    foreground=INK,
    foreground_strong="#000000",
    foreground_subtle="#cccccc",
    colors=(BLUE, VERMILION, GREEN, PURPLE),
    label_font_size=LABEL_FONT,
    major_label_font_size=LABEL_FONT,
    legend_font_size=LABEL_FONT,
    # Axis titles are laid out at this size; chart.css sets the chart title's own size.
    title_font_size=LABEL_FONT,
    value_font_size=LABEL_FONT,
    value_label_font_size=LABEL_FONT,
    tooltip_font_size=LABEL_FONT,
    no_data_font_size=LABEL_FONT + 2,
    opacity="1",
    stroke_opacity="1",
    transition="0s",
)


def _reparse(root: object) -> ET.Element:
    """Copy pygal's tree (lxml or ElementTree, whichever pygal uses) into ElementTree.

    The standard parser drops comments, which is where pygal writes the date and its own URLs.
    """
    return ET.fromstring(pygal_etree.tostring(root))


class _Svg:
    """Edits on the reparsed SVG tree; every tag lives in the SVG namespace."""

    def __init__(self, root: ET.Element, chart_id: str) -> None:
        self.root = root
        self.chart_id = chart_id

    @staticmethod
    def tag(name: str) -> str:
        return f"{{{SVG_NS}}}{name}"

    def sub(self, parent: ET.Element, name: str, **attrib: str) -> ET.Element:
        return ET.SubElement(parent, self.tag(name), {k.rstrip("_"): v for k, v in attrib.items()})

    def groups(self, css_class: str) -> list[ET.Element]:
        return [
            node
            for node in self.root.iter(self.tag("g"))
            if css_class in node.get("class", "").split()
        ]

    def tidy(self) -> None:
        """Drop what only pygal's JavaScript used, and pin the ids to the caller's."""
        self.root.set("id", f"chart-{self.chart_id}")
        parents = {child: parent for parent in self.root.iter() for child in parent}
        for node in list(self.root.iter()):
            classes = node.get("class", "").split()
            drop = (
                node.tag in (self.tag("script"), self.tag("desc"))
                or "tooltip-overlay" in classes
                # hover titles on axis guides; the root title and truncated legends keep theirs
                or (node.tag == self.tag("title") and "guides" in parents[node].get("class", ""))
                or (node.tag == self.tag("path") and "guide" in classes and self._on_x_axis(node))
            )
            if drop and node in parents:
                parents[node].remove(node)
                continue
            kept = [c for c in classes if c not in _SCRIPT_ONLY_CLASSES]
            if kept:
                node.set("class", " ".join(kept))
            else:
                node.attrib.pop("class", None)
            if node.get("id", "").startswith("activate-serie-"):
                node.set("data-series", node.attrib.pop("id").rsplit("-", 1)[1])
        # The chart title's text is also the SVG <title>; pygal's fallback is "Pygal".
        if (title := self.root.find(self.tag("title"))) is not None and title.text == "Pygal":
            self.root.remove(title)

    def _on_x_axis(self, path: ET.Element) -> bool:
        return path.get("d", "").split(" ")[-1].startswith("v")

    def restyle_series(self, looks: Sequence[_Look]) -> None:
        """Give lines their dash pattern and bars their fill, and swap dots for marker shapes."""
        if any(look.hatch for look in looks):
            self._hatch_patterns(looks)
        for group in self.groups("series"):
            index = _series_index(group)
            if index is None or index >= len(looks):
                continue
            look = looks[index]
            for path in group.iter(self.tag("path")):
                path.set("style", self.stroke_style(look) + ";fill:none")
            for rect in group.iter(self.tag("rect")):
                rect.set("style", self.fill_style(look, index))
            for dots in group.findall(self.tag("g")):
                circle = dots.find(self.tag("circle"))
                if circle is None:
                    continue
                x, y = float(circle.get("cx")), float(circle.get("cy"))
                dots.remove(circle)
                self.marker(dots, look.marker or "circle", x, y, look)

    def restyle_legend(self, looks: Sequence[_Look], columns: int) -> None:
        """Replace each legend's colour box by the series' own line, marker or bar fill.

        The legend is moved to the chart's left margin and spread over its full width, so that
        long script texts fit.
        """
        column_width = (WIDTH - 2 * MARGIN) / columns
        for legends in self.groups("legends"):
            _, y = legends.get("transform", "translate(0, 0)")[10:-1].split(",")
            legends.set("transform", f"translate({MARGIN}, {y.strip()})")
            entries = [g for g in legends.findall(self.tag("g")) if "legend" in _classes(g)]
            for position, legend in enumerate(entries):
                self._legend_swatch(legend, looks, x=(position % columns) * column_width)

    def _legend_swatch(self, legend: ET.Element, looks: Sequence[_Look], x: float) -> None:
        index = int(legend.attrib.pop("data-series", "-1"))
        box = legend.find(self.tag("rect"))
        if box is None or not 0 <= index < len(looks):
            return
        look = looks[index]
        size = float(box.get("width"))
        yc = float(box.get("y")) + size / 2
        legend.remove(box)
        swatch = ET.Element(self.tag("g"), {"class": "swatch"})
        legend.insert(0, swatch)
        if look.kind == "bar":
            self.sub(
                swatch,
                "rect",
                x=f"{x:.2f}",
                y=f"{yc - size / 2:.2f}",
                width=f"{SWATCH_WIDTH - 6:.2f}",
                height=f"{size:.2f}",
                style=self.fill_style(look, index),
            )
        elif look.kind == "line":
            d = f"M{x:.2f} {yc:.2f} h{SWATCH_WIDTH - 4:.2f}"
            self.sub(swatch, "path", d=d, style=self.stroke_style(look) + ";fill:none")
        if look.marker:
            self.marker(swatch, look.marker, x + (SWATCH_WIDTH - 4) / 2, yc, look, "swatch-marker")
        for text in legend.iter(self.tag("text")):
            text.set("x", f"{x + SWATCH_WIDTH + 6:.2f}")

    def plot_layer(self, name: str, under_series: bool = False) -> ET.Element:
        """Return a new group in plot coordinates, drawn under the series or over their dots."""
        graph = self.groups("graph")[0]
        plot, overlay = (
            next(g for g in graph.findall(self.tag("g")) if _classes(g) == classes)
            for classes in (["plot"], ["plot", "overlay"])
        )
        layer = ET.Element(self.tag("g"), {"class": name})
        if under_series:  # above the grid, under the lines
            first = next((i for i, g in enumerate(plot) if "series" in _classes(g)), len(plot))
            plot.insert(first, layer)
        else:
            layer.set("transform", overlay.get("transform", ""))
            graph.insert(list(graph).index(overlay) + 1, layer)
        return layer

    def marker(
        self,
        parent: ET.Element,
        shape: str,
        x: float,
        y: float,
        look: _Look,
        css_class: str = "marker",
    ) -> None:
        """Draw one data marker (or the adopted ring) centred on (x, y)."""
        r = MARKER_RADIUS
        fill, width = look.colour, 1
        if shape in ("ring", "hollow"):
            fill, width = ("none", 2) if shape == "ring" else ("#ffffff", 2)
        style = f"fill:{fill};stroke:{look.colour};stroke-width:{width};stroke-dasharray:none"
        if shape in ("circle", "ring", "hollow"):
            radius = 2.2 * r if shape == "ring" else r
            attrib = {"cx": f"{x:.2f}", "cy": f"{y:.2f}", "r": f"{radius:.2f}"}
            self.sub(parent, "circle", **attrib, style=style, class_=css_class)
            return
        if shape == "square":
            s = 0.9 * r
            points = [(-s, -s), (s, -s), (s, s), (-s, s)]
        elif shape == "triangle":
            points = [(0, -1.3 * r), (1.15 * r, 0.75 * r), (-1.15 * r, 0.75 * r)]
        elif shape == "triangle-down":
            points = [(0, 1.3 * r), (1.15 * r, -0.75 * r), (-1.15 * r, -0.75 * r)]
        elif shape == "diamond":
            s = 1.3 * r
            points = [(0, -s), (s, 0), (0, s), (-s, 0)]
        else:
            raise ValueError(f"Unknown marker shape {shape!r}")
        d = "M" + "L".join(f"{x + dx:.2f} {y + dy:.2f}" for dx, dy in points) + "Z"
        self.sub(parent, "path", d=d, style=style, class_=css_class)

    @staticmethod
    def stroke_style(look: _Look) -> str:
        dash = look.dash or "none"
        return f"stroke:{look.colour};stroke-width:{look.width};stroke-dasharray:{dash}"

    def fill_style(self, look: _Look, index: int) -> str:
        fill = f"url(#{self._pattern_id(index)})" if look.hatch else look.colour
        return f"fill:{fill};stroke:{look.colour};stroke-width:1.5"

    def _pattern_id(self, index: int) -> str:
        return f"{self.chart_id}-hatch-{index}"

    def _hatch_patterns(self, looks: Sequence[_Look]) -> None:
        defs = self.root.find(self.tag("defs"))
        for index, look in enumerate(looks):
            if not look.hatch:
                continue
            pattern = self.sub(
                defs,
                "pattern",
                id=self._pattern_id(index),
                width="6",
                height="6",
                patternUnits="userSpaceOnUse",
                patternTransform="rotate(45)",
            )
            self.sub(pattern, "rect", width="6", height="6", style="fill:#ffffff;stroke:none")
            self.sub(pattern, "rect", width="3", height="6", style=f"fill:{look.colour}")

    def compact(self) -> None:
        """Unwrap pygal's one-element groups and drop empty ones: fewer nodes to render."""
        for parent in list(self.root.iter()):
            children = list(parent)
            if not any(_unwrappable(child) for child in children):
                continue
            for child in children:
                parent.remove(child)
            for child in children:
                if not _unwrappable(child):
                    parent.append(child)
                elif len(child):
                    parent.extend(list(child))

    def serialize(self) -> str:
        # ElementTree cannot write plain attributes under a default namespace, so the tags go
        # back to plain names and the root states the namespace itself.
        prefix = f"{{{SVG_NS}}}"
        for node in self.root.iter():
            node.tag = node.tag.removeprefix(prefix)
        self.root.set("xmlns", SVG_NS)
        return ET.tostring(self.root, encoding="unicode")


# --- Small helpers ---------------------------------------------------------------------------


def _unwrappable(node: ET.Element) -> bool:
    """Whether a node is a group that only wraps (dots, a bar, a guide) or holds nothing."""
    if node.tag != _Svg.tag("g"):
        return False
    if len(node) == 0:
        return True
    return "transform" not in node.attrib and bool({"dots", "bar", "guides"} & set(_classes(node)))


def _classes(node: ET.Element) -> list[str]:
    return node.get("class", "").split()


def _series_index(group: ET.Element) -> int | None:
    for css_class in group.get("class", "").split():
        if css_class.startswith("serie-"):
            return int(css_class.removeprefix("serie-"))
    return None


def _line_look(index: int) -> _Look:
    return _LINE_LOOKS[index % len(_LINE_LOOKS)]


def _number(value: float) -> str:
    return f"{value:g}"


def _check_lengths(labels: Sequence[str], **sequences: Sequence[object]) -> None:
    for name, values in sequences.items():
        if len(values) != len(labels):
            raise ValueError(f"{name} has {len(values)} values for {len(labels)} session labels")


def _trend_values(shares: Sequence[float | None], slope: float | None) -> list[float | None] | None:
    """Return the least-squares line (in %) over the last sessions with a share, or None.

    The slope is per session among those that have a share (positions 0..n-1), as
    ``practice.moments.balance.least_squares_slope`` computes it. A least-squares line passes
    through the mean point, which gives its intercept. Sessions without a share inside the
    window get the line's value between their neighbours, so the trend line is not broken.
    """
    if slope is None:
        return None
    known = [i for i, share in enumerate(shares) if share is not None][-TREND_WINDOW:]
    if len(known) < 2:
        return None
    ys = [shares[i] for i in known]
    mean_x = (len(known) - 1) / 2
    intercept = sum(ys) / len(ys) - slope * mean_x
    # Positions between two known sessions are interpolated in position space.
    values: list[float | None] = [None] * len(shares)
    for position, (left, right) in enumerate(itertools.pairwise(known)):
        for i in range(left, right + 1):
            fraction = (i - left) / (right - left)
            fitted = intercept + slope * (position + fraction)
            values[i] = 100 * min(1.0, max(0.0, fitted))
    return values
