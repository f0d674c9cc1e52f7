"""Directed moments and three interaction metrics of a session: the one definition.

A moment may name the partner it is aimed at (``target``), the earlier moment it answers, and
an **outcome**: ``accepted``, ``rejected`` or ``missed`` (the bid or repair was taken up, turned
down, or not noticed at all). This module holds the outcome values and the metrics computed
from a session's *standing* moments (voided ones never reach it); pages, reports, the API and
the demo all call it. Pure: plain values in, frozen figures out, no Flask, no database.

The three metrics, per session (``session_metrics``):

**Coupling index** (Gottman's and EFT's "dance"): a *pursue* moment (type key ``pursue``, by a
single partner P) is **coupled** when the *other* partner of the couple (a partner Q ≠ P; a
moment of both partners is neither) has a *withdraw* moment (type key ``withdraw``) whose minute
is within ``COUPLING_WINDOW`` (3) minutes of it, before or after: ``|m_withdraw - m_pursue| <= 3``.
Exactly 3 minutes apart counts, 4 does not. Index = coupled pursue moments ÷ pursue moments by a
single partner; undefined (None) without any. A falling index is de-coupling: the partners less
often set each other off. Each pursue moment counts once however many withdrawals are near it.

**Repair success**: among *repair attempts* (key ``repair_attempt``), those with an outcome
recorded; success = accepted ÷ attempts with an outcome. Attempts without an outcome are left
out of the fraction and counted apart (``repairs_unrated``), so the page can say how many were
not judged. Undefined (None) when no attempt has an outcome.

**Antidote ratio**: Gottman's antidotes (keys ``gentle_startup``, ``appreciation``,
``taking_responsibility``, ``self_soothing``) ÷ the four horsemen (``criticism``, ``contempt``,
``defensiveness``, ``stonewalling``), counts of standing moments (intensity not weighed). With
no horsemen the ratio is undefined and the figure reads "n antidotes, no horsemen".

Types are found by their ``key``, never by label: an administrator may relabel a type, and a
practice that retired a type simply has none of its moments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """How a directed moment was met by the partner it was aimed at."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MISSED = "missed"


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.ACCEPTED: "Accepted",
    Outcome.REJECTED: "Rejected",
    Outcome.MISSED: "Missed",
}

PURSUE = "pursue"
WITHDRAW = "withdraw"
REPAIR = "repair_attempt"
ANTIDOTES = frozenset({"gentle_startup", "appreciation", "taking_responsibility", "self_soothing"})
HORSEMEN = frozenset({"criticism", "contempt", "defensiveness", "stonewalling"})
# Minutes between a pursue and the other partner's withdraw for the two to be one turn of the
# dance; inclusive.
COUPLING_WINDOW = 3


@dataclass(frozen=True)
class MomentFacts:
    """What the metrics need of one standing moment: its type's key, who (None: both), the
    minute and the outcome (None: not recorded)."""

    type_key: str
    partner_id: int | None
    minute: int
    outcome: str | None = None


@dataclass(frozen=True)
class InteractionMetrics:
    """The three metrics of one session, with the counts behind each fraction."""

    pursue: int
    coupled: int
    repairs: int
    repairs_rated: int
    repairs_accepted: int
    antidotes: int
    horsemen: int

    @property
    def coupling_index(self) -> float | None:
        """Coupled ÷ pursue moments; None without pursue moments."""
        return self.coupled / self.pursue if self.pursue else None

    @property
    def repairs_unrated(self) -> int:
        """Repair attempts with no outcome recorded (left out of ``repair_success``)."""
        return self.repairs - self.repairs_rated

    @property
    def repair_success(self) -> float | None:
        """Accepted ÷ repair attempts with an outcome; None when none has one."""
        return self.repairs_accepted / self.repairs_rated if self.repairs_rated else None

    @property
    def antidote_ratio(self) -> float | None:
        """Antidotes ÷ horsemen; None when there are no horsemen (see ``antidote_text``)."""
        return self.antidotes / self.horsemen if self.horsemen else None

    @property
    def is_empty(self) -> bool:
        """True when the session holds nothing any of the three metrics counts."""
        return not (self.pursue or self.repairs or self.antidotes or self.horsemen)


def coupled_pursuits(moments: Sequence[MomentFacts], window: int = COUPLING_WINDOW) -> int:
    """How many single-partner pursue moments have another partner's withdraw within
    ``window`` minutes, before or after (inclusive)."""
    withdrawals = [m for m in moments if m.type_key == WITHDRAW and m.partner_id is not None]
    coupled = 0
    for pursue in moments:
        if pursue.type_key != PURSUE or pursue.partner_id is None:
            continue
        if any(
            w.partner_id != pursue.partner_id and abs(w.minute - pursue.minute) <= window
            for w in withdrawals
        ):
            coupled += 1
    return coupled


def session_metrics(moments: Iterable[MomentFacts]) -> InteractionMetrics:
    """The three metrics of one session's standing moments (see the module docstring)."""
    facts = list(moments)
    repairs = [m for m in facts if m.type_key == REPAIR]
    rated = [m for m in repairs if m.outcome is not None]
    return InteractionMetrics(
        pursue=sum(1 for m in facts if m.type_key == PURSUE and m.partner_id is not None),
        coupled=coupled_pursuits(facts),
        repairs=len(repairs),
        repairs_rated=len(rated),
        repairs_accepted=sum(1 for m in rated if m.outcome == Outcome.ACCEPTED),
        antidotes=sum(1 for m in facts if m.type_key in ANTIDOTES),
        horsemen=sum(1 for m in facts if m.type_key in HORSEMEN),
    )


# --- Words -------------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    """A fraction as a whole percentage, or an em dash when undefined."""
    return "—" if value is None else f"{round(value * 100)} %"


def coupling_text(metrics: InteractionMetrics) -> str:
    """E.g. "2 of 3 (67 %)", or "no pursue moments"."""
    if not metrics.pursue:
        return "no pursue moments"
    return f"{metrics.coupled} of {metrics.pursue} ({percent(metrics.coupling_index)})"


def repair_text(metrics: InteractionMetrics) -> str:
    """E.g. "1 of 2 accepted (50 %), 1 without an outcome", or "no repair attempts"."""
    if not metrics.repairs:
        return "no repair attempts"
    unrated = metrics.repairs_unrated
    tail = f", {unrated} without an outcome" if unrated else ""
    if not metrics.repairs_rated:
        return f"{metrics.repairs} without an outcome"
    return (
        f"{metrics.repairs_accepted} of {metrics.repairs_rated} accepted "
        f"({percent(metrics.repair_success)}){tail}"
    )


def antidote_text(metrics: InteractionMetrics) -> str:
    """E.g. "3 : 2 (1.5)", or "3 antidotes, no horsemen" when the denominator is 0."""
    if not metrics.horsemen:
        noun = "antidote" if metrics.antidotes == 1 else "antidotes"
        return f"{metrics.antidotes} {noun}, no horsemen"
    ratio = metrics.antidote_ratio
    assert ratio is not None
    return f"{metrics.antidotes} : {metrics.horsemen} ({ratio:.2g})"


def words(metrics: InteractionMetrics) -> dict[str, str]:
    """The three figures in words, as pages and reports show them."""
    return {
        "coupling": coupling_text(metrics),
        "repair": repair_text(metrics),
        "antidote": antidote_text(metrics),
    }


@dataclass(frozen=True)
class Trend:
    """How a metric moved over a run of sessions (oldest first): ``first`` is the mean of the
    first ``span`` sessions that have a value, ``latest`` the mean of the last ``span``, where
    ``span`` is ``TREND_SPAN`` (3), or half the sessions (rounded down) when there are fewer than
    six. "falling" or "rising" when they differ by more than ``TREND_STEADY``, else "steady".
    Averages, so that one session at either end does not decide the direction."""

    first: float
    latest: float
    sessions: int
    span: int

    @property
    def direction(self) -> str:
        if round(abs(self.latest - self.first), 9) <= TREND_STEADY:  # 0.55 - 0.5 is 0.0500…04
            return "steady"
        return "falling" if self.latest < self.first else "rising"


# A change of at most this between the two averages reads as steady.
TREND_STEADY = 0.05
TREND_SPAN = 3


def trend(values: Sequence[float | None]) -> Trend | None:
    """The trend of a metric's values, oldest first (None: undefined, skipped); None with
    fewer than two defined."""
    defined = [v for v in values if v is not None]
    if len(defined) < 2:
        return None
    span = min(TREND_SPAN, len(defined) // 2)
    first = sum(defined[:span]) / span
    latest = sum(defined[-span:]) / span
    return Trend(first, latest, len(defined), span)


def trend_text(found: Trend | None, percent_values: bool = True) -> str:
    """E.g. "100 % → 25 %, falling over 4 sessions" (each end the mean of ``span`` sessions,
    said when more than one); "—" without a trend."""
    if found is None:
        return "—"
    show = percent if percent_values else (lambda v: f"{v:.2g}")
    ends = f" (mean of the first and the last {found.span})" if found.span > 1 else ""
    return (
        f"{show(found.first)} → {show(found.latest)}, {found.direction} over "
        f"{found.sessions} sessions{ends}"
    )


def _fraction(part: int, whole: int) -> str:
    return "—" if not whole else f"{part}/{whole} ({percent(part / whole)})"


def short_words(metrics: InteractionMetrics) -> dict[str, str]:
    """The three figures as a narrow table shows them: "2/3 (67 %)" ("—" when undefined), the
    repairs without an outcome as "· 1 none", and antidotes against horsemen as "4 : 1"."""
    coupling = _fraction(metrics.coupled, metrics.pursue)
    repair = _fraction(metrics.repairs_accepted, metrics.repairs_rated)
    if metrics.repairs_unrated:
        repair += f" · {metrics.repairs_unrated} none"
    return {
        "coupling": coupling,
        "repair": repair,
        "antidote": f"{metrics.antidotes} : {metrics.horsemen}",
    }
