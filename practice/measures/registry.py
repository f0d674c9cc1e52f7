"""The measure registry: standard measures defined as data, and the rules every measure shares.

A ``MeasureDefinition`` says what a measure is (its items with wording and anchors, how it is
scored, its range and direction, cut-off, reliable-change index, who answers it, whether answers
may have decimals, and the licence under which the practice uses it). Scoring, the reading
against the cut-off and the judgement of reliable change (Jacobson & Truax) are written once
here, for every measure; the CSI-4 rules of ``practice.measures.csi4`` are these rules applied
to the CSI-4's definition. Shipped definitions live in ``practice.measures.shipped``; a practice
adds its own licensed measures from a JSON file (``practice.measures.configured``).

Pure: no Flask, no database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# ``MeasureResponse.measure`` is a String(16).
MAX_KEY_LENGTH = 16


class Scoring(StrEnum):
    """How item scores make the total."""

    SUM = "sum"
    MEAN = "mean"


class Direction(StrEnum):
    """Which way a total is better."""

    HIGHER_BETTER = "higher_better"
    HIGHER_WORSE = "higher_worse"


class Respondent(StrEnum):
    """Who answers the measure: each partner about themselves, or the counsellor."""

    PARTNER = "partner"
    COUNSELLOR = "counsellor"


class Use(StrEnum):
    """Where a measure is recorded: on a session's measures tab, or by the safety screen."""

    SESSION = "session"
    SAFETY = "safety"


@dataclass(frozen=True)
class Anchor:
    """A labelled point of an item's answer scale (at least its two ends)."""

    value: float
    label: str


@dataclass(frozen=True)
class MeasureItem:
    """One item: its number, wording, answer range, labelled anchors and whether it is
    reverse-scored (its score counts as ``minimum + maximum - answer``)."""

    number: int
    wording: str
    minimum: float
    maximum: float
    anchors: tuple[Anchor, ...] = ()
    reverse: bool = False
    key: str = ""

    def anchor_label(self, value: float) -> str | None:
        """The anchor's words at ``value``, if that point is labelled."""
        for anchor in self.anchors:
            if anchor.value == value:
                return anchor.label
        return None

    @property
    def low_label(self) -> str:
        return self.anchor_label(self.minimum) or ""

    @property
    def high_label(self) -> str:
        return self.anchor_label(self.maximum) or ""


@dataclass(frozen=True)
class MeasureDefinition:
    """A standard measure. ``cutoff``: a total strictly beyond it on the worse side (below it
    when higher is better, above it when higher is worse) is in the range of concern.
    ``alliance_threshold``: for an alliance measure, a total under it raises the split-alliance
    alert. ``decimals``: how many decimal places an answer may have (0: whole numbers).
    ``wording_licensed``: the items' wording is under licence and not given out by the API.
    """

    key: str
    name: str
    items: tuple[MeasureItem, ...]
    scoring: Scoring = Scoring.SUM
    direction: Direction = Direction.HIGHER_BETTER
    cutoff: float | None = None
    cutoff_meaning: str = ""
    reliable_change: float | None = None
    respondent: Respondent = Respondent.PARTNER
    decimals: int = 0
    licence: str = ""
    wording_licensed: bool = False
    citation: str = ""
    stem: str = ""
    use: Use = Use.SESSION
    alliance_threshold: float | None = None
    at_checkins: bool = False
    shipped: bool = field(default=True, compare=False)

    @property
    def min_total(self) -> float:
        return _combine(self.scoring, [i.minimum for i in self.items])

    @property
    def max_total(self) -> float:
        return _combine(self.scoring, [i.maximum for i in self.items])

    @property
    def higher_is_better(self) -> bool:
        return self.direction == Direction.HIGHER_BETTER

    @property
    def is_alliance(self) -> bool:
        return self.alliance_threshold is not None

    @property
    def answered_by_partners(self) -> bool:
        return self.respondent == Respondent.PARTNER


def _combine(scoring: Scoring, scores: Sequence[float]) -> float:
    total = sum(scores) if scoring == Scoring.SUM else sum(scores) / len(scores)
    # Two decimals at most (the column is Numeric(7, 2)); whole totals stay ints.
    total = round(total, 2)
    return int(total) if float(total).is_integer() else total


def _check_answer(item: MeasureItem, value: object, decimals: int, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        kind = "a whole number" if decimals == 0 else "a number"
        raise ValueError(f"{what} must be {kind}, got {value!r}")
    if decimals == 0 and not float(value).is_integer():
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    if decimals and round(value, decimals) != value:
        raise ValueError(f"{what} may have at most {decimals} decimal place(s), got {value!r}")
    if not item.minimum <= value <= item.maximum:
        raise ValueError(
            f"{what} must be between {item.minimum:g} and {item.maximum:g}, got {value:g}"
        )
    return int(value) if float(value).is_integer() else value


def score(definition: MeasureDefinition, answers: Sequence[float]) -> float:
    """The total of ``answers`` given in item order: reverse items turned round, then summed
    or averaged. Whole totals come back as ints.

    Raises ValueError for the wrong number of answers or an answer that is not a number, has
    too many decimals, or is outside its item's range.
    """
    items = definition.items
    if len(answers) != len(items):
        raise ValueError(f"{definition.key} needs {len(items)} item scores, got {len(answers)}")
    scores = []
    for item, value in zip(items, answers, strict=True):
        value = _check_answer(
            item, value, definition.decimals, f"{definition.key} item {item.number}"
        )
        scores.append(item.minimum + item.maximum - value if item.reverse else value)
    return _combine(definition.scoring, scores)


def in_concern(definition: MeasureDefinition, total: float) -> bool:
    """Whether a total is beyond the cut-off on the worse side (False without a cut-off)."""
    if definition.cutoff is None:
        return False
    if definition.higher_is_better:
        return total < definition.cutoff
    return total > definition.cutoff


def reading(definition: MeasureDefinition, total: float) -> str:
    """The total read against the cut-off, in words a counsellor would use."""
    if definition.cutoff is None:
        return f"{total:g}"
    cutoff = f"{definition.cutoff:g}"
    if in_concern(definition, total):
        side = "below" if definition.higher_is_better else "above"
        meaning = f": {definition.cutoff_meaning}" if definition.cutoff_meaning else ""
        return f"{total:g} — {side} the {cutoff} cut-off{meaning}"
    side = "at or above" if definition.higher_is_better else "at or below"
    return f"{total:g} — {side} the {cutoff} cut-off"


# --- Reliable change (Jacobson & Truax 1991) ----------------------------------------------------

RECOVERED = "recovered"
IMPROVED = "improved"
UNCHANGED = "unchanged"
DETERIORATED = "deteriorated"
BASELINE_ONLY = "baseline_only"
CHANGE_LABELS: dict[str, str] = {
    RECOVERED: "Recovered",
    IMPROVED: "Reliably improved",
    UNCHANGED: "No reliable change",
    DETERIORATED: "Reliably deteriorated",
    BASELINE_ONLY: "Baseline only",
}


@dataclass(frozen=True)
class MeasureChange:
    """One partner's totals on a measure judged against their own baseline.

    ``baseline`` is the first total, ``latest`` the last, ``best`` the best so far (highest or
    lowest by the measure's direction); ``change`` = latest - baseline; ``category`` one of
    ``CHANGE_LABELS``; ``slide``: the latest is at least one index worse than the best so far.
    ``concern``: the latest is beyond the cut-off on the worse side.
    """

    baseline: float
    latest: float
    best: float
    change: float
    category: str
    slide: bool
    readings: int
    concern: bool = False

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self.category]

    @property
    def below_cutoff(self) -> bool:
        """The CSI-4's name for ``concern`` (its cut-off is a floor)."""
        return self.concern


def judge_change(
    definition: MeasureDefinition, totals: Sequence[float], rci: float | None = None
) -> MeasureChange:
    """Classify a partner's totals (in order) by reliable change from the first.

    Better or worse follow the measure's direction. Recovered: better by at least ``rci`` and
    crossed from the range of concern out of it. Improved: better by at least ``rci``.
    Deteriorated: worse by at least ``rci``. Otherwise unchanged; one reading is the baseline
    only. A slide: the latest is at least ``rci`` worse than the best so far. ``rci`` defaults
    to the definition's. Raises ValueError for no totals, a total outside the range, or no
    positive ``rci``.
    """
    rci = definition.reliable_change if rci is None else rci
    if not totals:
        raise ValueError(f"Reliable change needs at least one {definition.key} total")
    if rci is None or rci <= 0:
        raise ValueError(f"The reliable-change index must be positive, got {rci!r}")
    low, high = definition.min_total, definition.max_total
    for total in totals:
        if not low <= total <= high:
            raise ValueError(
                f"A {definition.key} total is between {low:g} and {high:g}, got {total!r}"
            )
    sign = 1 if definition.higher_is_better else -1
    baseline, latest = totals[0], totals[-1]
    best = max(totals) if sign > 0 else min(totals)
    change = latest - baseline
    gain = sign * change
    if len(totals) == 1:
        category = BASELINE_ONLY
    elif gain >= rci:
        crossed = in_concern(definition, baseline) and not in_concern(definition, latest)
        category = RECOVERED if crossed else IMPROVED
    elif gain <= -rci:
        category = DETERIORATED
    else:
        category = UNCHANGED
    return MeasureChange(
        baseline=baseline,
        latest=latest,
        best=best,
        change=_tidy(change),
        category=category,
        slide=len(totals) > 1 and sign * (best - latest) >= rci,
        readings=len(totals),
        concern=in_concern(definition, latest),
    )


def _tidy(number: float) -> float:
    """A difference of decimal totals without float noise (7.1 - 5.2 is 1.9, not 1.8999…)."""
    number = round(number, 2)
    return int(number) if float(number).is_integer() else number


# --- Definitions from data ------------------------------------------------------------------------


class DefinitionError(ValueError):
    """A measure definition that cannot be used; the message says which field and why."""


def _need(data: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in data:
        raise DefinitionError(f"{where}: '{name}' is missing")
    return data[name]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DefinitionError(f"{where} must be a number, got {value!r}")
    return value


def _choice(enum: type[StrEnum], value: Any, where: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise DefinitionError(f"{where} must be one of {allowed}, got {value!r}") from None


def _optional_number(data: Mapping[str, Any], name: str, where: str) -> float | None:
    value = data.get(name)
    return None if value is None else _number(value, f"{where}: '{name}'")


def item_from_dict(data: Any, number: int, where: str) -> MeasureItem:
    """One item from its JSON form; raises DefinitionError."""
    where = f"{where}, item {number}"
    if not isinstance(data, Mapping):
        raise DefinitionError(f"{where} must be an object")
    wording = _need(data, "wording", where)
    if not isinstance(wording, str) or not wording.strip():
        raise DefinitionError(f"{where}: 'wording' must be a non-empty text")
    minimum = _number(_need(data, "min", where), f"{where}: 'min'")
    maximum = _number(_need(data, "max", where), f"{where}: 'max'")
    if minimum >= maximum:
        raise DefinitionError(f"{where}: 'min' must be below 'max'")
    anchors = []
    raw_anchors = data.get("anchors", {})
    if not isinstance(raw_anchors, Mapping):
        raise DefinitionError(f"{where}: 'anchors' must map answer values to labels")
    for value, label in raw_anchors.items():
        try:
            point = float(value)
        except ValueError:
            raise DefinitionError(f"{where}: anchor {value!r} is not a number") from None
        if not minimum <= point <= maximum or not isinstance(label, str):
            raise DefinitionError(f"{where}: anchor {value!r} must be a label within the range")
        anchors.append(Anchor(int(point) if point.is_integer() else point, label))
    return MeasureItem(
        number=number,
        wording=wording.strip(),
        minimum=minimum,
        maximum=maximum,
        anchors=tuple(sorted(anchors, key=lambda a: a.value)),
        reverse=bool(data.get("reverse", False)),
        key=str(data.get("key", "")),
    )


def definition_from_dict(data: Any) -> MeasureDefinition:
    """A measure from its JSON form (see ``practice/measures/examples/ors_srs.json``).

    Raises DefinitionError naming the measure and the field at fault.
    """
    if not isinstance(data, Mapping):
        raise DefinitionError("A measure definition must be an object")
    key = _need(data, "key", "A measure")
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise DefinitionError(
            f"A measure's 'key' must be 1–{MAX_KEY_LENGTH} characters, got {key!r}"
        )
    where = f"Measure {key}"
    raw_items = _need(data, "items", where)
    if not isinstance(raw_items, list) or not raw_items:
        raise DefinitionError(f"{where}: 'items' must be a non-empty list")
    items = tuple(item_from_dict(raw, n, where) for n, raw in enumerate(raw_items, start=1))
    decimals = data.get("decimals", 0)
    if decimals not in (0, 1, 2):
        raise DefinitionError(f"{where}: 'decimals' must be 0, 1 or 2, got {decimals!r}")
    definition = MeasureDefinition(
        key=key,
        name=str(data.get("name") or key),
        items=items,
        scoring=_choice(Scoring, data.get("scoring", "sum"), f"{where}: 'scoring'"),
        direction=_choice(
            Direction, data.get("direction", "higher_better"), f"{where}: 'direction'"
        ),
        cutoff=_optional_number(data, "cutoff", where),
        cutoff_meaning=str(data.get("cutoff_meaning", "")),
        reliable_change=_optional_number(data, "reliable_change", where),
        respondent=_choice(Respondent, data.get("respondent", "partner"), f"{where}: 'respondent'"),
        decimals=decimals,
        licence=str(data.get("licence", "")),
        wording_licensed=bool(data.get("wording_licensed", False)),
        citation=str(data.get("citation", "")),
        stem=str(data.get("stem", "")),
        alliance_threshold=_optional_number(data, "alliance_threshold", where),
        at_checkins=bool(data.get("at_checkins", False)),
        shipped=False,
    )
    check(definition)
    return definition


def check(definition: MeasureDefinition) -> None:
    """Raise DefinitionError unless the definition's figures fit together."""
    where = f"Measure {definition.key}"
    low, high = definition.min_total, definition.max_total
    if definition.cutoff is not None and not low <= definition.cutoff <= high:
        raise DefinitionError(
            f"{where}: the cut-off must be within the total's range {low:g}–{high:g}"
        )
    if definition.reliable_change is not None and not 0 < definition.reliable_change <= high - low:
        raise DefinitionError(
            f"{where}: the reliable-change index must be above 0 and at most {high - low:g}"
        )
    threshold = definition.alliance_threshold
    if threshold is not None and not low <= threshold <= high:
        raise DefinitionError(f"{where}: the alliance threshold must be within {low:g}–{high:g}")
    for item in definition.items:
        if definition.decimals == 0 and not (
            float(item.minimum).is_integer() and float(item.maximum).is_integer()
        ):
            raise DefinitionError(
                f"{where}, item {item.number}: whole-number answers need whole ends"
            )
