"""Script adoption: the levels and the session at which a script counts as adopted.

Pure rules: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import TypeVar

from practice.core.numbers import check_whole_number as _check_whole_number

K = TypeVar("K")

# --- Script adoption -------------------------------------------------------------------------

ADOPTION_LEVELS: dict[int, str] = {
    0: "Not observed",
    1: "Used when prompted in session",
    2: "Used spontaneously in session",
    3: "Reported used at home",
}
ADOPTED_LEVEL = 2


def adoption_point(observations: Sequence[tuple[K, int]]) -> K | None:
    """Return the key of the session at which a script was adopted, or None if it has not been.

    ``observations`` are (session key, level) in session order, for observed sessions only. The
    script is adopted at the first session that starts a pair of consecutive observations both at
    level >= ``ADOPTED_LEVEL``. Raises ValueError for a level outside ``ADOPTION_LEVELS``.
    """
    for key, level in observations:
        _check_whole_number(level, 0, max(ADOPTION_LEVELS), f"Adoption level at session {key!r}")
    for (key, level), (_, next_level) in pairwise(observations):
        if level >= ADOPTED_LEVEL and next_level >= ADOPTED_LEVEL:
            return key
    return None
