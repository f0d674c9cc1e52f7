"""Script adoption: the levels, which sessions count, when a script counts as adopted, and
whether it was kept up afterwards.

The one home of DESIGN.md's adoption rule: pages, the API, reports, charts, flags and the demo
all read it from here. Pure rules: no Flask, no database.

Only *observed* sessions count: a session where the partner was absent, or that gave no
opportunity to use the script, says nothing either way. The course is always worked out over
the whole history up to a day (a report for a later period shows the same adoption date as the
case page), then shown for the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Generic, TypeVar

from practice.core.numbers import check_whole_number as _check_whole_number

K = TypeVar("K")

ADOPTION_LEVELS: dict[int, str] = {
    0: "Not used",
    1: "Used when prompted in session",
    2: "Used spontaneously in session",
    3: "Reported used at home",
}
# The same levels in a word or two, for a chart's axis and a one-line key.
ADOPTION_LEVEL_NAMES: dict[int, str] = {
    0: "Not used",
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

# --- Which sessions count -----------------------------------------------------------------------

OBSERVED = "observed"
NO_OPPORTUNITY = "no_opportunity"
ABSENT = "absent"
OBSERVATION_STATUSES: dict[str, str] = {
    OBSERVED: "Observed",
    NO_OPPORTUNITY: "No opportunity this session",
    ABSENT: "Partner absent",
}

# --- After adoption -----------------------------------------------------------------------------

NOT_YET_ADOPTED = "not_yet_adopted"
MAINTAINED = "maintained"
UNEVEN = "uneven"
LAPSED = "lapsed"
ADOPTION_STATES: dict[str, str] = {
    NOT_YET_ADOPTED: "Not yet adopted",
    MAINTAINED: "Adopted and maintained",
    UNEVEN: "Adopted, used unevenly since",
    LAPSED: "Lapsed",
}
# Maintained: used (level >= ADOPTED_LEVEL) at this share of the observed sessions since adoption.
MAINTAINED_SHARE = 0.75
# Lapsed: this many observed sessions in a row below ADOPTED_LEVEL after the adopting pair.
LAPSE_RUN = 2


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


@dataclass(frozen=True)
class Observation(Generic[K]):
    """A script's use at one session: the session's key, whether it was observed (one of
    ``OBSERVATION_STATUSES``), and the level (None unless observed)."""

    key: K
    status: str
    level: int | None = None


@dataclass(frozen=True)
class AdoptionCourse(Generic[K]):
    """Where an assignment's adoption stands after the observations it was worked out from.

    ``adopted_at`` is the key of the session at which it was adopted (None: not yet); ``state``
    one of ``ADOPTION_STATES``; ``observed`` the observed sessions counted; ``observed_since`` and
    ``used_since`` the observed sessions from adoption on, and those of them at level >= 2.
    """

    adopted_at: K | None
    state: str
    observed: int
    observed_since: int = 0
    used_since: int = 0

    @property
    def adopted(self) -> bool:
        return self.adopted_at is not None

    @property
    def label(self) -> str:
        return ADOPTION_STATES[self.state]


def adoption_course(observations: Sequence[Observation[K]]) -> AdoptionCourse[K]:
    """The course of an assignment from its observations, in session order.

    Only observed sessions count: an absent partner or a session without opportunity neither
    makes nor breaks a run. Adopted at the first observed session that starts two observed
    sessions in a row at level >= 2. From adoption on (the adopting session included): lapsed
    when, after the adopting pair, the latest two observed sessions are both below 2; otherwise
    maintained when used at >= 75 % of those sessions, else uneven. Raises ValueError for an
    unknown status, a level outside 0-3, or an observed session without a level.
    """
    observed: list[tuple[K, int]] = []
    for observation in observations:
        if observation.status not in OBSERVATION_STATUSES:
            raise ValueError(
                f"Unknown observation status {observation.status!r} at session {observation.key!r}"
            )
        if observation.status != OBSERVED:
            continue
        if observation.level is None:
            raise ValueError(f"An observed session needs a level (session {observation.key!r})")
        observed.append((observation.key, observation.level))
    adopted_at = adoption_point(observed)
    if adopted_at is None:
        return AdoptionCourse(adopted_at=None, state=NOT_YET_ADOPTED, observed=len(observed))
    start = next(i for i, (key, _) in enumerate(observed) if key == adopted_at)
    since = [level for _, level in observed[start:]]
    used = sum(1 for level in since if level >= ADOPTED_LEVEL)
    after_pair = since[2:]
    if len(after_pair) >= LAPSE_RUN and all(
        level < ADOPTED_LEVEL for level in after_pair[-LAPSE_RUN:]
    ):
        state = LAPSED
    elif used >= MAINTAINED_SHARE * len(since):
        state = MAINTAINED
    else:
        state = UNEVEN
    return AdoptionCourse(
        adopted_at=adopted_at,
        state=state,
        observed=len(observed),
        observed_since=len(since),
        used_since=used,
    )


# --- Home corroboration -------------------------------------------------------------------------

# The level a partner's report that the other used their script at home counts at.
HOME_LEVEL = 3
T = TypeVar("T")


def with_home_reports(
    sessions: Sequence[tuple[T, Observation[K]]], home_reports: Sequence[tuple[T, K]]
) -> list[Observation[K]]:
    """The session observations and the home reports of one assignment as one history, in
    time order (``T``: when each happened; a session before a report at the same time).

    A home report (the other partner's check-in saying the script's owner used it at home) is
    an observed point at ``HOME_LEVEL`` ("reported used at home"), so ``adoption_course`` counts
    it like a session: a session at level 2 followed by a home report adopts the script at that
    session; a session at level 1 followed by one does not."""
    merged = [(when, 0, index, observation) for index, (when, observation) in enumerate(sessions)]
    merged += [
        (when, 1, index, Observation(key, OBSERVED, HOME_LEVEL))
        for index, (when, key) in enumerate(home_reports)
    ]
    merged.sort(key=lambda entry: (entry[0], entry[1], entry[2]))
    return [observation for *_, observation in merged]
