"""The progress charts: well-formed, self-contained, deterministic SVG that holds the data."""

from __future__ import annotations

import re
import statistics
import xml.etree.ElementTree as ET

import pytest

from practice.reports.charts import (
    ADOPTION_LEVEL_NAMES,
    NO_DATA_TEXT,
    AdoptionSeries,
    adoption_chart,
    csi4_chart,
    cycle_balance_chart,
    deescalation_share_chart,
)

SVG_NS = "http://www.w3.org/2000/svg"
NAMESPACE_URIS = {SVG_NS, "http://www.w3.org/1999/xlink"}
HOSTILE = "<script>alert(1)</script> & Co"

LABELS = ["12 Aug", "19 Aug", "26 Aug", "2 Sep", "9 Sep", "16 Sep"]
ESCALATING = [8, 6, 0, 5, 4, 2]
DEESCALATING = [2, 3, 0, 4, 6, 6]
SHARES = [0.2, 1 / 3, None, 0.45, 0.6, 0.75]
SAM = AdoptionSeries("Sam: time-out with a return time", [None, 0, 1, 2, 2, 3], 3)
ALEX = AdoptionSeries("Alex: gentle start-up", [None, None, 1, 1, 2, None], None)
CSI = [("Sam", [9, None, 11, None, 13, 15]), ("Alex", [12, None, None, 12, 14, 15])]


def all_charts() -> dict[str, str]:
    return {
        "cycle balance": cycle_balance_chart(LABELS, ESCALATING, DEESCALATING),
        "de-escalation share": deescalation_share_chart(
            LABELS, SHARES, trend_slope=0.13, trend_label="improving"
        ),
        "adoption": adoption_chart(LABELS, [SAM, ALEX]),
        "csi-4": csi4_chart(LABELS, CSI),
        "empty cycle balance": cycle_balance_chart([], [], []),
        "empty de-escalation share": deescalation_share_chart([], []),
        "empty adoption": adoption_chart([], []),
        "empty csi-4": csi4_chart([], []),
    }


CHARTS = all_charts()


# --- Helpers ---------------------------------------------------------------------------------


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{{{SVG_NS}}}svg"
    return root


def tag(name: str) -> str:
    return f"{{{SVG_NS}}}{name}"


def classes(node: ET.Element) -> list[str]:
    return node.get("class", "").split()


def groups(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [g for g in root.iter(tag("g")) if css_class in classes(g)]


def series_markers(root: ET.Element, index: int) -> list[ET.Element]:
    """Data markers of series ``index`` in the plot (legend swatches excluded)."""
    return [
        node
        for group in groups(root, f"serie-{index}")
        for node in group.iter()
        if "marker" in classes(node)
    ]


def series_paths(root: ET.Element, index: int) -> list[ET.Element]:
    """Lines of series ``index`` in the plot (markers excluded)."""
    return [
        node
        for group in groups(root, f"serie-{index}")
        for node in group.iter(tag("path"))
        if "line" in classes(node)
    ]


def path_numbers(path: ET.Element) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))]


def path_points(path: ET.Element) -> list[tuple[float, float]]:
    """The points of an M/L path (series lines, marker outlines)."""
    assert re.fullmatch(r"[MLZ\d.\s-]+", path.get("d")), path.get("d")
    numbers = path_numbers(path)
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def marker_centre(node: ET.Element) -> tuple[float, float]:
    if node.tag == tag("circle"):
        return float(node.get("cx")), float(node.get("cy"))
    xs, ys = zip(*path_points(node), strict=True)
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def x_label_positions(root: ET.Element) -> dict[str, float]:
    (axis,) = groups(root, "x")
    return {text.text: float(text.get("x")) for text in axis.iter(tag("text"))}


def y_guides(root: ET.Element) -> dict[str, float]:
    """Each y-axis label with the y of its guide line (guide path, then its label)."""
    (axis,) = groups(root, "y")
    guides, last_y = {}, None
    for node in axis:
        if node.tag == tag("path"):
            last_y = path_numbers(node)[1]  # "M0 y h<width>"
        elif node.tag == tag("text"):
            guides[node.text] = last_y
    return guides


def legend_texts(root: ET.Element) -> list[str]:
    return ["".join(g.find(tag("text")).itertext()) for g in groups(root, "legend")]


def text_of(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(tag("text"))]


def style_of(node: ET.Element) -> dict[str, str]:
    pairs = (item.split(":", 1) for item in node.get("style", "").split(";") if item)
    return {key.strip(): value.strip() for key, value in pairs}


# --- Every chart -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CHARTS)
def test_chart_is_a_well_formed_inline_svg_with_a_title(name):
    svg = CHARTS[name]
    assert svg.startswith("<svg"), "inline SVG: no XML declaration or processing instruction"
    root = parse(svg)
    title = root.find(tag("title"))
    assert title is not None and title.text and title.text != "Pygal"
    assert title.text in text_of(root)  # drawn on the chart too, not just metadata


@pytest.mark.parametrize("name", CHARTS)
def test_chart_has_no_script_and_no_external_reference(name):
    svg = CHARTS[name]
    root = parse(svg)
    assert "<script" not in svg.lower()
    assert not list(root.iter(tag("script")))
    assert not [a for node in root.iter() for a in node.attrib if a.endswith("href")]
    assert "@import" not in svg and "@font-face" not in svg
    urls = set(re.findall(r"(?:https?:)?//[^\s\"'()<>]+", svg))
    assert urls <= NAMESPACE_URIS, urls - NAMESPACE_URIS
    # Only in-document references such as url(#pattern)
    assert all(ref.startswith("#") for ref in re.findall(r"url\(([^)]*)\)", svg))


@pytest.mark.parametrize("name", CHARTS)
def test_chart_has_no_comments_and_no_tooltip_leftovers(name):
    svg = CHARTS[name]
    assert "<!--" not in svg  # pygal stamps today's date in a comment
    root = parse(svg)
    assert not list(root.iter(tag("desc")))  # pygal's tooltip data
    assert not [node for node in root.iter() if "tooltip" in node.get("class", "")]


def test_same_input_gives_the_same_svg():
    assert all_charts() == CHARTS


def test_fonts_are_local_generic_families():
    root = parse(CHARTS["csi-4"])
    families = {node.get("font-family") for node in root.iter() if node.get("font-family")}
    assert families
    for family in families:
        names = [name.strip().strip('"') for name in family.split(",")]
        assert names[0] == "DejaVu Sans" and names[-1] == "sans-serif", names
    assert "googleapis" not in CHARTS["csi-4"]


def test_chart_ids_come_from_the_caller():
    first = csi4_chart(LABELS, CSI, chart_id="csi4-2025")
    second = csi4_chart(LABELS, CSI, chart_id="csi4-2026")
    assert parse(first).get("id") == "chart-csi4-2025"
    assert parse(second).get("id") == "chart-csi4-2026"
    # Only the id differs, so nothing random is left in the output.
    assert first.replace("csi4-2025", "X") == second.replace("csi4-2026", "X")


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_the_stylesheet_is_written_onto_the_elements(name):
    """No ``<style>`` for a renderer to cascade on every draw: each rule of chart.css (and
    pygal's font rules) is on the elements it matched, once, where it is not inherited."""
    root = parse(CHARTS[name])
    assert root.find(f".//{tag('style')}") is None
    assert "{{" not in CHARTS[name] and "-webkit" not in CHARTS[name]
    assert root.get("font-family", "").startswith('"DejaVu Sans"')
    title = next(node for node in root.iter(tag("text")) if "plot_title" in classes(node))
    assert (title.get("font-size"), title.get("font-weight"), title.get("fill")) == (
        "18px",
        "bold",
        "#000000",
    )
    for node in root.iter(tag("text")):
        # Every text has a size from the rules, on itself or from a group above it.
        assert node.get("font-size") or "no_data" in classes(node) or _inherited(root, node)
        assert node.get("font-family") is None  # the root's, inherited


def _inherited(root: ET.Element, node: ET.Element) -> bool:
    parents = {child: parent for parent in root.iter() for child in parent}
    while node in parents:
        node = parents[node]
        if node.get("font-size"):
            return True
    return False


def test_axis_labels_keep_their_anchors():
    root = parse(CHARTS["de-escalation share"])
    x_axis, y_axis = (
        next(g for g in groups(root, "axis") if axis in classes(g)) for axis in ("x", "y")
    )
    assert {t.get("text-anchor") for t in x_axis.iter(tag("text"))} <= {"middle", "start"}
    assert {t.get("text-anchor") for t in y_axis.iter(tag("text"))} == {"end"}


def test_two_charts_on_one_page_share_no_element_id():
    ids = []
    for name, svg in CHARTS.items():
        if not name.startswith("empty"):
            ids += [node.get("id") for node in parse(svg).iter() if node.get("id")]
    assert len(ids) == len(set(ids)), ids


@pytest.mark.parametrize("chart_id", ["", "1abc", "a b", 'x"><script>', "a{color:red}"])
def test_an_unsafe_chart_id_is_refused(chart_id):
    with pytest.raises(ValueError, match="chart_id"):
        csi4_chart(LABELS, CSI, chart_id=chart_id)


# --- Cycle balance ---------------------------------------------------------------------------


def test_cycle_balance_draws_one_bar_per_session_and_load():
    root = parse(CHARTS["cycle balance"])
    bars = [
        [rect for g in groups(root, f"serie-{i}") for rect in g.iter(tag("rect"))] for i in (0, 1)
    ]
    assert [len(b) for b in bars] == [len(LABELS), len(LABELS)]
    # Bar heights are proportional to the loads.
    for loads, rects in zip((ESCALATING, DEESCALATING), bars, strict=True):
        heights = [float(r.get("height")) for r in rects]
        scale = heights[0] / loads[0]
        assert heights == pytest.approx([load * scale for load in loads], abs=0.01)
    assert list(x_label_positions(root)) == LABELS
    assert legend_texts(root) == ["Escalating", "De-escalating"]


def test_cycle_balance_tells_the_loads_apart_without_colour():
    root = parse(CHARTS["cycle balance"])
    escalating = next(g for g in groups(root, "serie-0")).find(f".//{tag('rect')}")
    deescalating = next(g for g in groups(root, "serie-1")).find(f".//{tag('rect')}")
    hatch = style_of(escalating)["fill"]
    assert hatch.startswith("url(#")
    assert root.find(f".//{tag('pattern')}[@id='{hatch[5:-1]}']") is not None
    assert style_of(deescalating)["fill"].startswith("#")
    # The legend shows the same fills.
    swatches = [g.find(f".//{tag('rect')}") for g in groups(root, "legend")]
    assert [style_of(s)["fill"] for s in swatches] == [hatch, style_of(deescalating)["fill"]]


def test_cycle_balance_refuses_mismatched_lengths_and_negative_loads():
    with pytest.raises(ValueError):
        cycle_balance_chart(LABELS, ESCALATING[:-1], DEESCALATING)
    with pytest.raises(ValueError):
        cycle_balance_chart(["1 Jan"], [-1], [2])


# --- De-escalation share -------------------------------------------------------------------------


def test_deescalation_share_marks_each_known_share_and_breaks_the_line_at_gaps():
    root = parse(CHARTS["de-escalation share"])
    markers = series_markers(root, 0)
    assert len(markers) == sum(share is not None for share in SHARES)
    assert len(series_paths(root, 0)) == 2  # one gap, two stretches of line
    positions = x_label_positions(root)
    known = [label for label, share in zip(LABELS, SHARES, strict=True) if share is not None]
    assert [marker_centre(m)[0] for m in markers] == pytest.approx(
        [positions[k] for k in known], abs=0.01
    )
    guides = y_guides(root)
    assert list(guides) == ["0%", "20%", "40%", "60%", "80%", "100%"]
    # Each marker sits at its share on the percentage axis.
    zero, hundred = guides["0%"], guides["100%"]
    expected = [zero + s * (hundred - zero) for s in SHARES if s is not None]
    assert [marker_centre(m)[1] for m in markers] == pytest.approx(expected, abs=0.01)


def test_deescalation_trend_is_the_least_squares_line_of_the_last_four_shares():
    shares = [0.2, 0.3, 0.25, None, 0.5, 0.4, 0.7]
    last_four = [0.25, 0.5, 0.4, 0.7]
    fit = statistics.linear_regression(range(4), last_four)
    root = parse(
        deescalation_share_chart(
            [*LABELS, "23 Sep"], shares, trend_slope=fit.slope, trend_label="improving"
        )
    )
    assert legend_texts(root) == ["De-escalation share", "Trend (last 4 sessions): improving"]
    (trend,) = series_paths(root, 1)
    assert "stroke-dasharray" in style_of(trend) and style_of(trend)["stroke-dasharray"] != "none"
    points = path_points(trend)
    guides = y_guides(root)
    zero, hundred = guides["0%"], guides["100%"]
    x = x_label_positions(root)
    # Starts at the 4th-last known share (26 Aug), ends at the last (23 Sep).
    assert points[0][0] == pytest.approx(x["26 Aug"])
    assert points[-1][0] == pytest.approx(x["23 Sep"])
    fitted = {
        label: fit.intercept + fit.slope * k
        for k, label in enumerate(["26 Aug", "9 Sep", "16 Sep", "23 Sep"])
    }
    by_x = {round(px, 2): py for px, py in points}
    for label, share in fitted.items():
        assert by_x[round(x[label], 2)] == pytest.approx(zero + share * (hundred - zero), abs=0.01)


def test_deescalation_share_without_a_slope_has_no_trend_line():
    root = parse(deescalation_share_chart(LABELS, SHARES))
    assert legend_texts(root) == ["De-escalation share"]
    assert not series_paths(root, 1)


def test_deescalation_share_with_no_share_at_all_says_no_data():
    root = parse(deescalation_share_chart(LABELS[:2], [None, None]))
    assert NO_DATA_TEXT in text_of(root)


def test_deescalation_share_refuses_a_share_outside_0_to_1():
    with pytest.raises(ValueError):
        deescalation_share_chart(["1 Jan"], [1.5])


# --- Script adoption -------------------------------------------------------------------------


def test_adoption_draws_each_observed_level_with_level_names_on_the_axis():
    root = parse(CHARTS["adoption"])
    assert list(y_guides(root)) == list(ADOPTION_LEVEL_NAMES)
    for index, script in enumerate([SAM, ALEX]):
        markers = series_markers(root, index)
        assert len(markers) == sum(level is not None for level in script.levels)
    # Markers sit near their level (scripts are drawn slightly apart, well within half a level).
    guides = y_guides(root)
    per_level = guides["Prompted"] - guides["Not used"]
    sam_levels = [level for level in SAM.levels if level is not None]
    for marker, level in zip(series_markers(root, 0), sam_levels, strict=True):
        offset = (marker_centre(marker)[1] - guides[ADOPTION_LEVEL_NAMES[level]]) / per_level
        assert 0.05 < abs(offset) < 0.5
    assert legend_texts(root) == [SAM.name, ALEX.name, "Adopted"]


def test_adoption_rings_the_adopted_session_of_each_adopted_script():
    root = parse(CHARTS["adoption"])
    rings = [node for node in root.iter() if "adopted-marker" in classes(node)]
    assert len(rings) == 1  # Sam only; Alex has not adopted
    (ring,) = rings
    adopted_label = LABELS[SAM.adopted_index]
    assert float(ring.get("cx")) == pytest.approx(x_label_positions(root)[adopted_label], abs=0.01)
    sam_at_adoption = series_markers(root, 0)[SAM.adopted_index - 1]  # first session unobserved
    assert marker_centre(sam_at_adoption) == (float(ring.get("cx")), float(ring.get("cy")))


def test_adoption_scripts_differ_by_dash_and_marker_shape_not_only_colour():
    root = parse(CHARTS["adoption"])
    looks = []
    for index in (0, 1):
        (line,) = series_paths(root, index)
        marker = series_markers(root, index)[0]
        looks.append((style_of(line)["stroke-dasharray"], marker.tag, marker.get("d", "")[:1]))
    assert looks[0][0] != looks[1][0]
    assert looks[0][1:] != looks[1][1:]
    # The legend swatches repeat the dash pattern.
    swatch_dashes = [
        style_of(g.find(f".//{tag('path')}"))["stroke-dasharray"]
        for g in groups(root, "legend")[:2]
    ]
    assert swatch_dashes == [looks[0][0], looks[1][0]]


def test_adoption_refuses_an_adoption_at_an_unobserved_session():
    with pytest.raises(ValueError):
        adoption_chart(LABELS, [AdoptionSeries("x", [None, 2, 2, 2, 2, 2], 0)])
    with pytest.raises(ValueError):
        adoption_chart(LABELS[:1], [AdoptionSeries("x", [4], None)])


# --- CSI-4 -----------------------------------------------------------------------------------


def test_csi4_draws_each_partners_totals():
    root = parse(CHARTS["csi-4"])
    positions = x_label_positions(root)
    guides = y_guides(root)
    zero, top = guides["0"], guides["21"]
    for index, (_, totals) in enumerate(CSI):
        markers = series_markers(root, index)
        known = [(LABELS[i], t) for i, t in enumerate(totals) if t is not None]
        assert len(markers) == len(known)
        assert [marker_centre(m)[0] for m in markers] == pytest.approx(
            [positions[label] for label, _ in known], abs=0.01
        )
        assert [marker_centre(m)[1] for m in markers] == pytest.approx(
            [zero + t / 21 * (top - zero) for _, t in known], abs=0.01
        )
    assert legend_texts(root) == ["Sam", "Alex"]


def test_csi4_draws_a_dashed_labelled_cutoff_line_at_13_5():
    root = parse(CHARTS["csi-4"])
    (layer,) = groups(root, "cutoff")
    line = layer.find(tag("path"))
    assert style_of(line)["stroke-dasharray"] not in ("", "none")
    assert re.fullmatch(r"M0 \S+ h\S+", line.get("d"))  # horizontal, across the plot
    guides = y_guides(root)
    assert path_numbers(line)[1] == pytest.approx((guides["12"] + guides["15"]) / 2, abs=0.01)
    assert "Cut-off 13.5" in text_of(root)
    other = parse(csi4_chart(LABELS, CSI, cutoff=15))
    assert "Cut-off 15" in text_of(other)


def test_csi4_refuses_a_total_outside_0_to_21():
    with pytest.raises(ValueError):
        csi4_chart(["1 Jan"], [("Sam", [22])])


# --- Text from users -------------------------------------------------------------------------


def test_hostile_names_and_labels_are_escaped():
    charts = [
        adoption_chart([HOSTILE, "b"], [AdoptionSeries(HOSTILE, [1, 2], None)]),
        csi4_chart([HOSTILE, "b"], [(HOSTILE, [10, 12])]),
        cycle_balance_chart([HOSTILE], [1], [2]),
        deescalation_share_chart([HOSTILE], [0.5]),
    ]
    for svg in charts:
        assert "<script>" not in svg
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in svg
        texts = text_of(parse(svg))
        assert HOSTILE in texts  # round-trips as text, not markup


def test_a_long_script_name_is_shortened_in_the_legend_but_kept_in_full():
    name = "When would be a good time for us to sit with this together? " * 3
    root = parse(adoption_chart(["a", "b"], [AdoptionSeries(name, [1, 2], None)]))
    (legend,) = groups(root, "legend")
    shown = "".join(legend.find(tag("text")).itertext())
    assert shown.endswith("…") and len(shown) < len(name)
    assert legend.find(tag("title")).text == name


# --- Empty data and many sessions ------------------------------------------------------------


@pytest.mark.parametrize("name", [name for name in CHARTS if name.startswith("empty")])
def test_no_sessions_gives_a_small_chart_saying_no_data_yet(name):
    root = parse(CHARTS[name])
    assert NO_DATA_TEXT in text_of(root)
    assert not groups(root, "series")
    assert not groups(root, "axis")
    assert int(root.get("viewBox").split()[3]) < 150


def test_many_sessions_show_at_most_sixteen_session_labels():
    labels = [f"{day} Mar" for day in range(1, 31)]
    root = parse(csi4_chart(labels, [("Sam", list(range(30)[:21]) + [None] * 9)]))
    shown = list(x_label_positions(root))
    assert 8 <= len(shown) <= 16
    assert set(shown) <= set(labels) and shown[0] == "1 Mar"
    assert len(series_markers(root, 0)) == 21
