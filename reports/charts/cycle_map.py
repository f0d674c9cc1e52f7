"""The cycle map drawn as an SVG: the same drawing on the case page and in the reports.

Two columns, one per partner (in the order given). Above a dashed line each partner's surface:
trigger, action, reactive emotion and how they read themselves and the other; below it what lies
underneath: primary emotion, attachment fear, longing or need. An arrow crosses from each
partner's action to the other's trigger when the map says the one sets off the other, so the
two arrows draw the loop. Colour is never the only cue: every box is labelled in words, each
partner's column is headed by their name and drawn with their dash pattern, and the drawing
has a ``<title>`` and a ``<desc>`` that say the whole map in words.

Only presentation attributes, no ``style`` attribute or ``<style>``: the drawing is placed
inline in the page, whose policy allows no inline styles.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from practice.reports.charts.looks import FONT_FAMILY, GREY, INK, WIDTH, partner_look

SVG_NS = "http://www.w3.org/2000/svg"
BODY_FONT = 13
LABEL_FONT = 11
HEAD_FONT = 15
LINE = 16  # line pitch of body text
PAD = 7
OUTER = 10
MAX_LINES = 3
# Average advance of DejaVu Sans, as a share of the font size: enough to wrap before the edge.
_CHAR = 0.58

SURFACE = ("trigger", "action", "reactive_emotion", "self_view", "other_view")
UNDERNEATH = ("primary_emotion", "attachment_fear", "need")


@dataclass(frozen=True)
class MapColumn:
    """One partner's column: the heading, their look's position, and the texts by field."""

    name: str
    position: int
    values: Mapping[str, str]
    triggers_other: bool = True


def wrap(text: str, width_units: float, font: float = BODY_FONT, lines: int = MAX_LINES) -> list:
    """``text`` broken into at most ``lines`` lines that fit ``width_units``; a longer text
    ends its last line with an ellipsis. A word longer than a line is cut."""
    per_line = max(4, int(width_units / (font * _CHAR)))
    words = text.split()
    out: list[str] = []
    current = ""
    for word in words:
        while len(word) > per_line:
            if current:
                out.append(current)
                current = ""
            out.append(word[: per_line - 1] + "-")
            word = word[per_line - 1 :]
        candidate = f"{current} {word}".strip()
        if len(candidate) <= per_line:
            current = candidate
        else:
            out.append(current)
            current = word
    if current:
        out.append(current)
    if len(out) > lines:
        last = out[lines - 1]
        out = [*out[: lines - 1], last[: max(0, per_line - 1)].rstrip() + "…"]
    return out


class _Drawing:
    def __init__(self, width: int, chart_id: str) -> None:
        self.width = width
        self.chart_id = chart_id
        self.root = ET.Element(
            "svg",
            {
                "xmlns": SVG_NS,
                "role": "img",
                "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
                "font-family": FONT_FAMILY,
                "class": "cycle-map-svg",
            },
        )

    def sub(self, parent: ET.Element, tag: str, text: str | None = None, **attrib) -> ET.Element:
        node = ET.SubElement(
            parent, tag, {k.rstrip("_").replace("__", "-"): str(v) for k, v in attrib.items()}
        )
        if text is not None:
            node.text = text
        return node


def _field_texts(column: MapColumn, labels: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """(label, text) of each box of the column."""
    return {name: (labels[name], (column.values.get(name) or "").strip()) for name in labels}


def cycle_map_svg(
    columns: Sequence[MapColumn],
    labels: Mapping[str, str],
    *,
    title: str,
    chart_id: str = "cycle-map",
    width: int = WIDTH,
    client: bool = False,
) -> str:
    """The map as SVG text, ``width`` units wide (a narrower width wraps the texts sooner).

    ``labels`` names each field (the clinical or the clients' words). Drawn for one or two
    partners (a third and later are left out: a cycle map is a couple's).
    """
    columns = list(columns)[:2]
    drawing = _Drawing(width, chart_id)
    root = drawing.root
    gap = 64 if len(columns) == 2 else 0
    col_width = (width - 2 * OUTER - gap) / max(1, len(columns))
    inner = col_width - 2 * PAD
    texts = [_field_texts(c, labels) for c in columns]
    lines = {
        name: max([len(wrap(t[name][1], inner)) or 1 for t in texts] or [1])
        for name in (*SURFACE, *UNDERNEATH)
    }

    def box_height(name: str) -> float:
        return LABEL_FONT + 6 + lines[name] * LINE + PAD

    top = OUTER + HEAD_FONT + 14
    rows: dict[str, tuple[float, float]] = {}
    y = top
    for name in SURFACE:
        rows[name] = (y, box_height(name))
        y += box_height(name) + 12
    line_y = y + 4
    y = line_y + 22
    for name in UNDERNEATH:
        rows[name] = (y, box_height(name))
        y += box_height(name) + 12
    height = y + OUTER - 12 + 4
    root.set("viewBox", f"0 0 {width} {height:.0f}")
    root.set("width", str(width))
    root.set("height", f"{height:.0f}")
    drawing.sub(root, "title", title, id=f"{chart_id}-title")
    drawing.sub(root, "desc", _describe(columns, texts, client), id=f"{chart_id}-desc")
    drawing.sub(root, "rect", x=0, y=0, width=width, height=f"{height:.0f}", fill="#ffffff")

    xs = [OUTER + i * (col_width + gap) for i in range(len(columns))]
    for column, x, text in zip(columns, xs, texts, strict=True):
        look = partner_look(column.position)
        group = drawing.sub(root, "g", class_="cycle-map-partner")
        drawing.sub(
            group,
            "text",
            column.name,
            x=f"{x + col_width / 2:.1f}",
            y=f"{OUTER + HEAD_FONT:.1f}",
            font__size=HEAD_FONT,
            font__weight="bold",
            text__anchor="middle",
            fill=INK,
        )
        drawing.sub(
            group,
            "path",
            d=f"M{x:.1f} {OUTER + HEAD_FONT + 6:.1f} h{col_width:.1f}",
            stroke=look.colour,
            stroke__width=3,
            stroke__dasharray=look.dash or "none",
            fill="none",
        )
        for name in (*SURFACE, *UNDERNEATH):
            box_y, box_h = rows[name]
            label, value = text[name]
            node = drawing.sub(group, "g", class_=f"cycle-map-box box-{name}")
            if value:
                drawing.sub(node, "title", f"{label}: {value}")
            drawing.sub(
                node,
                "rect",
                x=f"{x:.1f}",
                y=f"{box_y:.1f}",
                width=f"{col_width:.1f}",
                height=f"{box_h:.1f}",
                rx=5,
                fill="#ffffff" if name in SURFACE else "#f4f4f4",
                stroke=look.colour,
                stroke__width=1.5,
                stroke__dasharray=look.dash or "none",
            )
            drawing.sub(
                node,
                "text",
                wrap(label if client else label.upper(), inner, LABEL_FONT, 1)[0],
                x=f"{x + PAD:.1f}",
                y=f"{box_y + LABEL_FONT + 3:.1f}",
                font__size=LABEL_FONT,
                font__weight="bold",
                fill=GREY,
            )
            body = wrap(value, inner) if value else ["—"]
            for i, line in enumerate(body):
                drawing.sub(
                    node,
                    "text",
                    line,
                    x=f"{x + PAD:.1f}",
                    y=f"{box_y + LABEL_FONT + 6 + (i + 1) * LINE - 3:.1f}",
                    font__size=BODY_FONT,
                    fill=INK if value else GREY,
                )
        # trigger -> action -> reactive emotion: short arrows down the column
        for upper, lower in (("trigger", "action"), ("action", "reactive_emotion")):
            y1 = rows[upper][0] + rows[upper][1]
            y2 = rows[lower][0]
            _arrow(drawing, group, x + col_width / 2, y1 + 1, x + col_width / 2, y2 - 1, INK, None)

    # The surface line
    drawing.sub(
        root,
        "path",
        d=f"M{OUTER} {line_y:.1f} H{width - OUTER}",
        stroke=GREY,
        stroke__width=1.5,
        stroke__dasharray="6 4",
        fill="none",
    )
    drawing.sub(
        root,
        "text",
        "What we feel underneath" if client else "Underneath",
        x=f"{width / 2:.1f}",
        y=f"{line_y + 15:.1f}",
        font__size=LABEL_FONT,
        font__style="italic",
        text__anchor="middle",
        fill=GREY,
    )
    if len(columns) == 2:
        (ax, bx) = xs
        for source, _target, sx, tx in ((0, 1, ax + col_width, bx), (1, 0, bx, ax + col_width)):
            if not columns[source].triggers_other:
                continue
            look = partner_look(columns[source].position)
            y1 = rows["action"][0] + rows["action"][1] / 2
            y2 = rows["trigger"][0] + rows["trigger"][1] / 2
            _arrow(drawing, root, sx, y1, tx, y2, look.colour, look.dash, width_=2.5)
    return ET.tostring(root, encoding="unicode")


def _arrow(drawing, parent, x1, y1, x2, y2, colour, dash, width_: float = 1.5) -> None:
    """A line from (x1, y1) to (x2, y2) with a filled head at its end."""
    angle = math.atan2(y2 - y1, x2 - x1)
    size = 8
    bx, by = x2 - size * math.cos(angle), y2 - size * math.sin(angle)
    drawing.sub(
        parent,
        "path",
        d=f"M{x1:.1f} {y1:.1f} L{bx:.1f} {by:.1f}",
        stroke=colour,
        stroke__width=width_,
        stroke__dasharray=dash or "none",
        fill="none",
        class_="cycle-map-arrow",
    )
    left = (bx + size * 0.5 * math.sin(angle), by - size * 0.5 * math.cos(angle))
    right = (bx - size * 0.5 * math.sin(angle), by + size * 0.5 * math.cos(angle))
    drawing.sub(
        parent,
        "path",
        d=f"M{x2:.1f} {y2:.1f} L{left[0]:.1f} {left[1]:.1f} L{right[0]:.1f} {right[1]:.1f}Z",
        fill=colour,
        stroke="none",
    )


def _describe(columns: Sequence[MapColumn], texts: list[dict], client: bool) -> str:
    """The whole map in words, for a screen reader and anyone who cannot see the drawing."""
    if not columns:
        return "No cycle map yet."
    parts = []
    for column, text in zip(columns, texts, strict=True):
        said = "; ".join(
            f"{text[name][0]}: {text[name][1]}" for name in (*SURFACE, *UNDERNEATH) if text[name][1]
        )
        parts.append(f"{column.name}. {said or 'Nothing mapped yet'}.")
    if len(columns) == 2:
        loops = [
            f"{a.name}'s action sets off {b.name}'s trigger"
            for a, b in ((columns[0], columns[1]), (columns[1], columns[0]))
            if a.triggers_other
        ]
        if loops:
            parts.append(" and ".join(loops) + ".")
    return " ".join(parts)
