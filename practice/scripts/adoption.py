"""Script adoption: the levels and the session at which a script counts as adopted.

The one home of DESIGN.md's adoption rule: pages, the API, reports, charts, flags and the demo
all read the levels and the adoption point from here. Pure rules: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import TypeVar

from practice.core.numbers import check_whole_number as _check_whole_number

K = TypeVar("K")

ADOPTION_LEVELS: dict[int, str] = {
    0: "Not observed",
    1: "Used when prompted in session",
    2: "Used spontaneously in session",
    3: "Reported used at home",
}
# The same levels in a word or two, for a chart's axis and a one-line key.
ADOPTION_LEVEL_NAMES: dict[int, str] = {
    0: "Not observed",
    1: "Prompted",
    2: "Spontaneous",
    3: "At home",
}
MIN_LEVEL = min(ADOPTION_LEVELS)
MAX_LEVEL = max(ADOPTION_LEVELS)
ADOPTED_LEVEL = 2

# The rule below in the counsellor's words (the scripts tab and the clinical report).
ADOPTION_RULE = (
    "A script counts as adopted at the first session from which its level is "
    f"{ADOPTED_LEVEL} ({ADOPTION_LEVELS[ADOPTED_LEVEL].lower()}) or more at two consecutive "
    "observed sessions."
)


def adoption_scale(short: bool = False) -> str:
    """The levels as one line, "0 not observed · 1 used when prompted in session · …"."""
    names = ADOPTION_LEVEL_NAMES if short else ADOPTION_LEVELS
    return " · ".join(f"{level} {name.lower()}" for level, name in names.items())


def adoption_point(observations: Sequence[tuple[K, int]]) -> K | None:
    """Return the key of the session at which a script was adopted, or None if it has not been.

    ``observations`` are (session key, level) in session order, for observed sessions only. The
    script is adopted at the first session that starts a pair of consecutive observations both at
    level >= ``ADOPTED_LEVEL``. Raises ValueError for a level outside ``ADOPTION_LEVELS``.
    """
    for key, level in observations:
        _check_whole_number(level, MIN_LEVEL, MAX_LEVEL, f"Adoption level at session {key!r}")
    for (key, level), (_, next_level) in pairwise(observations):
        if level >= ADOPTED_LEVEL and next_level >= ADOPTED_LEVEL:
            return key
    return None
