"""Drawing a chart: pygal lays it out, then ``Svg`` edits the tree into the chart we print."""

from __future__ import annotations

import math
import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

import pygal
from pygal.etree import etree as pygal_etree
from pygal.style import Style

from practice.reports.charts.looks import (
    BLANK_LOOK,
    BLUE,
    EMPTY_HEIGHT,
    FONT_FAMILY,
    GREEN,
    HEIGHT,
    INK,
    LABEL_FONT,
    LEGEND_ROW,
    MARGIN,
    MARKER_RADIUS,
    PURPLE,
    SWATCH_WIDTH,
    TITLE_FONT,
    VERMILION,
    WIDTH,
    Look,
    chart_width,
    max_x_labels,
)
from practice.reports.charts.svg import Svg

NO_DATA_TEXT = "No data yet"
_CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_CSS_FILE = Path(__file__).resolve().parent.parent / "chart.css"

Series = tuple[str | None, list[float | None], Look]
# Draws extra shapes given the pygal chart (its layout is live while the filter runs) and the SVG.
Decorator = Callable[[object, "Svg"], None]


def render(
    chart_class: type,
    *,
    chart_id: str,
    title: str,
    y_title: str,
    labels: Sequence[str],
    series: list[Series],
    options: dict,
    legend_columns: int = 4,
    decorate: Decorator | None = None,
) -> str:
    """Render with pygal, then restyle and trim the SVG tree; return it as a string."""
    labels = [str(label) for label in labels]
    titles = [name for name, _, _ in series if name is not None]
    rows, columns = _legend_grid(titles, legend_columns)
    # pygal reserves floor(series / columns) legend rows; blank series fill the grid so it is right.
    series = series + [(None, [None] * len(labels), BLANK_LOOK)] * (rows * columns - len(titles))

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
        svg = Svg(_reparse(root), chart_id)
        svg.tidy()
        svg.restyle_series(looks)
        svg.restyle_legend(looks, columns)
        if decorate is not None:
            decorate(chart, svg)
        svg.compact()
        svg.inline_stylesheet()
        rendered.append(svg.serialize())
        return root

    chart.add_xml_filter(finish)
    chart.render()
    return rendered[0]


def no_data(title: str, chart_id: str) -> str:
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
        svg = Svg(_reparse(root), chart_id)
        svg.tidy()
        svg.compact()
        svg.inline_stylesheet()
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
    config.title = _wrapped_title(title)
    config.width = chart_width()
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


def _wrapped_title(title: str) -> str:
    """The title broken into lines that fit a narrow chart (pygal measures it at the label size,
    chart.css draws it larger and bold); the usual width keeps pygal's own wrapping."""
    if chart_width() >= WIDTH:
        return title
    per_line = int((chart_width() - 2 * MARGIN) / (0.62 * TITLE_FONT))
    return "\n".join(textwrap.wrap(title, per_line)) or title


def _make_chart(chart_class: type, config: pygal.Config, chart_id: str, **options: object):
    chart = chart_class(config, **options)
    # pygal draws a random uuid for the root id and its CSS scope; the caller's id keeps the
    # output stable, and distinct ids keep two charts on one page apart.
    chart.uuid = chart_id
    return chart


def _x_label_options(labels: Sequence[str]) -> dict:
    """Thin session labels out when there are many; tilt them when they do not fit side by side."""
    options: dict = {}
    every = math.ceil(len(labels) / max_x_labels())
    if every > 1:
        options["x_labels_major_every"] = every
        options["show_minor_x_labels"] = False
    longest = max(len(label) for label in labels)
    slot = every * (chart_width() - 200) / len(labels)  # the plot is the width less axis labels
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
    return (chart_width() - 2 * MARGIN) / columns - SWATCH_WIDTH - 16


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


def number(value: float) -> str:
    return f"{value:g}"


def check_lengths(labels: Sequence[str], **sequences: Sequence[object]) -> None:
    for name, values in sequences.items():
        if len(values) != len(labels):
            raise ValueError(f"{name} has {len(values)} values for {len(labels)} session labels")
