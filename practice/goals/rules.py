"""The goal rules: what a rating may be, and how far a partner has come on a goal.

Pure: no Flask, no database. The one home of the attainment rule, read by the case page, the
reports and the API alike.

**Attainment** of a goal, for one partner, compares their first rating of it with their latest
(both 0-10, in the order given):

- change = latest - first;
- **moved forward** when the change is at least ``forward_points`` (2 by default), **moved back**
  when it is at most -``forward_points``, otherwise **about the same** (a point either way is
  within the wobble of a 0-10 self-rating);
- and, whatever the change, **largely met** when the latest rating is at least ``met_rating``
  (8 by default).

With a single rating there is no change yet: "first rating only" (and "largely met" when that
rating is at or above ``met_rating``). The thresholds are the settings
``PRACTICE_GOAL_FORWARD_POINTS`` and ``PRACTICE_GOAL_MET_RATING``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from practice.goals.models import MAX_RATING, MIN_RATING

FORWARD = "moved forward"
BACK = "moved back"
SAME = "about the same"
FIRST_ONLY = "first rating only"
MET = "largely met"

RATING_MESSAGE = f"Give a whole number from {MIN_RATING} to {MAX_RATING}."

CONFIG_KEYS = {
    "forward_points": "PRACTICE_GOAL_FORWARD_POINTS",
    "met_rating": "PRACTICE_GOAL_MET_RATING",
}


@dataclass(frozen=True)
class GoalThresholds:
    """The attainment rule's thresholds; these defaults are their only definition."""

    forward_points: int = 2
    met_rating: int = 8

    def __post_init__(self) -> None:
        for name, key in CONFIG_KEYS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{key} must be a whole number, got {value!r}")
        if not 1 <= self.forward_points <= MAX_RATING:
            raise ValueError(f"PRACTICE_GOAL_FORWARD_POINTS must be from 1 to {MAX_RATING}")
        if not MIN_RATING < self.met_rating <= MAX_RATING:
            raise ValueError(f"PRACTICE_GOAL_MET_RATING must be from 1 to {MAX_RATING}")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GoalThresholds:
        """The thresholds an app's configuration sets (numbers, or the environment's strings such
        as "3"), defaults for the rest. Raises ValueError for a value that is not a whole number
        in range."""
        given: dict[str, int] = {}
        for name, key in CONFIG_KEYS.items():
            if key not in config:
                continue
            raw = config[key]
            if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
                raw = int(raw.strip())
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise ValueError(f"{key} must be a whole number, got {raw!r}")
            given[name] = raw
        return cls(**given)

    def explained(self) -> str:
        """The rule in a sentence, for the pages and the clinical report."""
        return (
            f"Attainment compares each partner's first and latest rating (0-10): moved forward "
            f"at +{self.forward_points} or more, moved back at -{self.forward_points} or less, "
            f"otherwise about the same; largely met when the latest is {self.met_rating} or more."
        )


DEFAULT_THRESHOLDS = GoalThresholds()


def parse_rating(raw: object) -> int | None:
    """A rating as typed: None for blank, else a whole number 0-10. Raises ValueError with
    ``RATING_MESSAGE`` for anything else ("7.5", "11", "-1", "seven")."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(RATING_MESSAGE)
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        if not text:
            return None
        if not text.isascii() or not text.isdigit():
            raise ValueError(RATING_MESSAGE)
        value = int(text)
    if not MIN_RATING <= value <= MAX_RATING:
        raise ValueError(RATING_MESSAGE)
    return value


@dataclass(frozen=True)
class Attainment:
    """One partner's course on one goal: first and latest rating, the change and its words."""

    first: int
    latest: int
    ratings: int
    direction: str  # FORWARD, BACK, SAME or FIRST_ONLY
    met: bool

    @property
    def change(self) -> int:
        return self.latest - self.first

    @property
    def statement(self) -> str:
        """The plain statement: "moved forward", "about the same; largely met", ..."""
        return f"{self.direction}; {MET}" if self.met else self.direction


def attainment(
    ratings: Sequence[int], thresholds: GoalThresholds = DEFAULT_THRESHOLDS
) -> Attainment | None:
    """The attainment of one partner's ``ratings`` of a goal, oldest first (see the module's
    rule); None without a rating."""
    if not ratings:
        return None
    first, latest = ratings[0], ratings[-1]
    change = latest - first
    if len(ratings) == 1:
        direction = FIRST_ONLY
    elif change >= thresholds.forward_points:
        direction = FORWARD
    elif change <= -thresholds.forward_points:
        direction = BACK
    else:
        direction = SAME
    return Attainment(
        first=first,
        latest=latest,
        ratings=len(ratings),
        direction=direction,
        met=latest >= thresholds.met_rating,
    )


# The clients' words: warm, the same for each partner, no thresholds named.
CLIENT_WORDS = {
    FORWARD: "has moved forward",
    BACK: "has felt harder lately",
    SAME: "is about where it started",
    FIRST_ONLY: "has its first rating",
}
CLIENT_MET = "and feels largely there"


def client_statement(found: Attainment) -> str:
    """The attainment in the clients' words ("has moved forward and feels largely there")."""
    words = CLIENT_WORDS[found.direction]
    return f"{words} {CLIENT_MET}" if found.met else words
