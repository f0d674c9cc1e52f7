"""Edits on a chart's SVG tree after pygal has drawn it: tidy, restyle, decorate, serialize."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

import cssselect2
import tinycss2

from practice.reports.charts.looks import (
    MARGIN,
    MARKER_RADIUS,
    SWATCH_WIDTH,
    Look,
    chart_width,
)

SVG_NS = "http://www.w3.org/2000/svg"
# Classes that only pygal's (disabled) tooltip script reads.
_SCRIPT_ONLY_CLASSES = frozenset({"reactive", "tooltip-trigger", "activate-serie"})
# The chart stylesheet's properties, written onto the elements as SVG presentation attributes;
# all of them inherit in SVG, so a value its parent already gives is left out.
_PRESENTATION = frozenset(
    {
        "fill",
        "stroke",
        "stroke-width",
        "stroke-dasharray",
        "font-family",
        "font-size",
        "font-weight",
        "text-anchor",
    }
)
# pygal's rules that mean nothing to a drawn chart (no selection, smoothing or root background:
# the chart's own background rectangle paints it).
_NOT_DRAWN = frozenset({"-webkit-user-select", "-webkit-font-smoothing", "background-color"})


class Svg:
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

    def restyle_series(self, looks: Sequence[Look]) -> None:
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

    def restyle_legend(self, looks: Sequence[Look], columns: int) -> None:
        """Replace each legend's colour box by the series' own line, marker or bar fill.

        The legend is moved to the chart's left margin and spread over its full width, so that
        long script texts fit.
        """
        column_width = (chart_width() - 2 * MARGIN) / columns
        for legends in self.groups("legends"):
            _, y = legends.get("transform", "translate(0, 0)")[10:-1].split(",")
            legends.set("transform", f"translate({MARGIN}, {y.strip()})")
            entries = [g for g in legends.findall(self.tag("g")) if "legend" in _classes(g)]
            for position, legend in enumerate(entries):
                self._legend_swatch(legend, looks, x=(position % columns) * column_width)

    def _legend_swatch(self, legend: ET.Element, looks: Sequence[Look], x: float) -> None:
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
        look: Look,
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
    def stroke_style(look: Look) -> str:
        dash = look.dash or "none"
        return f"stroke:{look.colour};stroke-width:{look.width};stroke-dasharray:{dash}"

    def fill_style(self, look: Look, index: int) -> str:
        fill = f"url(#{self._pattern_id(index)})" if look.hatch else look.colour
        return f"fill:{fill};stroke:{look.colour};stroke-width:1.5"

    def _pattern_id(self, index: int) -> str:
        return f"{self.chart_id}-hatch-{index}"

    def _hatch_patterns(self, looks: Sequence[Look]) -> None:
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

    def inline_stylesheet(self) -> None:
        """Write the rules of the chart's ``<style>`` onto the elements they match, as
        presentation attributes, and drop the ``<style>``.

        The chart looks the same in a browser and in WeasyPrint, which cascades a stylesheet
        by matching every selector against every element each time it draws the chart (a
        quarter of drawing the report's charts); attributes cost it nothing to match. Run last,
        on the final tree, so the selectors match what they would have matched. ``style``
        attributes are kept: they still win over the rules, as they did.
        """
        defs = self.root.find(self.tag("defs"))
        style = defs.find(self.tag("style")) if defs is not None else None
        if style is None:
            return
        matcher = cssselect2.Matcher()
        for rule in tinycss2.parse_stylesheet(
            style.text or "", skip_comments=True, skip_whitespace=True
        ):
            if rule.type != "qualified-rule":
                raise ValueError(f"Unexpected rule in the chart stylesheet: {rule.type}")
            declarations = [
                (item.lower_name, tinycss2.serialize(item.value).strip())
                for item in tinycss2.parse_blocks_contents(
                    rule.content, skip_comments=True, skip_whitespace=True
                )
                if item.type == "declaration" and item.lower_name not in _NOT_DRAWN
            ]
            if unknown := {name for name, _ in declarations} - _PRESENTATION:
                raise ValueError(f"Chart stylesheet properties not drawn: {sorted(unknown)}")
            for selector in cssselect2.compile_selector_list(rule.prelude):
                matcher.add_selector(selector, declarations)
        defs.remove(style)
        computed = {id(self.root): {}}
        for wrapper in cssselect2.ElementWrapper.from_xml_root(self.root).iter_subtree():
            node = wrapper.etree_element
            parent = wrapper.parent.etree_element if wrapper.parent is not None else None
            inherited = computed[id(parent)] if parent is not None else {}
            # Specificity, then order in the sheet: the later of two equal rules wins.
            for *_, declarations in sorted(matcher.match(wrapper), key=lambda m: m[:2]):
                for name, value in declarations:
                    node.set(name, value)
            values = dict(inherited)
            for name in _PRESENTATION.intersection(node.keys()):
                if node.get(name) == inherited.get(name):
                    del node.attrib[name]
                else:
                    values[name] = node.get(name)
            computed[id(node)] = values
        if not len(defs):
            self.root.remove(defs)

    def serialize(self) -> str:
        # ElementTree cannot write plain attributes under a default namespace, so the tags go
        # back to plain names and the root states the namespace itself.
        prefix = f"{{{SVG_NS}}}"
        for node in self.root.iter():
            node.tag = node.tag.removeprefix(prefix)
        self.root.set("xmlns", SVG_NS)
        return ET.tostring(self.root, encoding="unicode")


def _unwrappable(node: ET.Element) -> bool:
    """Whether a node is a group that only wraps (dots, a bar, a guide) or holds nothing."""
    if node.tag != Svg.tag("g"):
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
