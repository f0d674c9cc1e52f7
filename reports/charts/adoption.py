"""The script adoption chart: one line of adoption levels per script, ringed where adopted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pygal

from practice.reports.charts.looks import ADOPTED_LOOK, Look, line_look, partner_look
from practice.reports.charts.render import Series, check_lengths, no_data, render
from practice.reports.charts.svg import Svg
from practice.reports.charts.words import CLINICAL, ChartWords
from practice.scripts import adoption

# Short names for the y axis, by level (practice.scripts.adoption holds both wordings).
ADOPTION_LEVEL_NAMES = tuple(adoption.ADOPTION_LEVEL_NAMES.values())


@dataclass(frozen=True)
class AdoptionSeries:
    """One script's adoption levels per session (None: not observed) and where it was adopted;
    ``partner_position`` draws it in its partner's colour (``looks.partner_look``)."""

    name: str
    levels: Sequence[int | None]
    adopted_index: int | None
    partner_position: int | None = None


def _looks(series: Sequence[AdoptionSeries]) -> list[Look]:
    """Each script in its partner's colour (their second script with another dash and marker);
    scripts without a partner position take looks in order."""
    seen: dict[int, int] = {}
    looks = []
    for i, script in enumerate(series):
        if script.partner_position is None:
            looks.append(line_look(i))
            continue
        nth = seen.get(script.partner_position, 0)
        seen[script.partner_position] = nth + 1
        looks.append(partner_look(script.partner_position, nth))
    return looks


def adoption_chart(
    labels: Sequence[str],
    series: Sequence[AdoptionSeries],
    *,
    chart_id: str = "script-adoption",
    words: ChartWords = CLINICAL,
) -> str:
    """Return one adoption-level line per script (0-3), with a ring where it was adopted.

    Scripts sharing a level are drawn a little apart so that their lines stay visible. Raises
    ValueError if a series' levels differ in length from ``labels``, a level is outside 0-3,
    ``adopted_index`` points at a session without an observation, or chart_id is not a plain
    identifier.
    """
    title = words.adoption_title
    check_lengths(labels, **{f"levels of {s.name!r}": s.levels for s in series})
    if not labels or all(level is None for s in series for level in s.levels):
        return no_data(title, chart_id)
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
    drawn: list[Series] = [
        (
            script.name,
            [None if level is None else level + offset for level in script.levels],
            look,
        )
        for script, offset, look in zip(series, offsets, _looks(series), strict=True)
    ]
    rings = [
        (script.adopted_index, script.levels[script.adopted_index] + offset)
        for script, offset in zip(series, offsets, strict=True)
        if script.adopted_index is not None
    ]
    if rings:
        drawn.append((words.adopted, [None] * len(labels), ADOPTED_LOOK))

    def draw_rings(chart: object, svg: Svg) -> None:
        layer = svg.plot_layer("adopted")
        for index, level in rings:
            # _x_pos: pygal's 0-1 position of each session label, mapped to the plot by its view.
            x, y = chart.view((chart._x_pos[index], level))
            svg.marker(layer, "ring", x, y, ADOPTED_LOOK, css_class="adopted-marker")

    return render(
        pygal.Line,
        chart_id=chart_id,
        title=title,
        y_title=words.adoption_axis,
        labels=labels,
        series=drawn,
        options={
            "range": (-pad, top + pad),
            "y_labels": [
                {"value": value, "label": name} for value, name in enumerate(words.adoption_levels)
            ],
        },
        legend_columns=1,
        decorate=draw_rings,
    )
