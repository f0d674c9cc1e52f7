"""The rules of the safety screen before joint work, in one place (pure: no Flask, no database).

Each partner of a couple is screened alone, before joint sessions and again when something
raises concern. The screen is HITS (Sherin et al., 1998: how often the partner Hurt, Insulted,
Threatened or Screamed at them, each 1 "never" to 5 "frequently"; total 4–20, above 10 is
positive) and the direct question "Have you felt afraid of your partner?". The counsellor then
records a decision: joint work fine, joint with a safety plan, individual only, or refer.

A joint session (both partners of a couple attended) may be signed only when each partner has
a screen dated within the window (90 days unless the practice sets
``PRACTICE_SAFETY_SCREEN_DAYS``) on or before the session's day, and no rescreen is due for
either of them (``joint_signing_problems``). A rescreen falls due when a partner answers the
fear question "yes" in a check-in, or when a threat or contempt moment is tagged at the top
intensity (``rescreen_reason_for_moment``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from practice.measures import registry
from practice.measures.shipped import HITS

# HITS is defined in the measure registry (``practice.measures.shipped.HITS``); these names read it.
HITS_ITEMS = tuple(item.key for item in HITS.items)
HITS_QUESTIONS = {item.key: item.wording for item in HITS.items}
HITS_STEM = HITS.stem
HITS_ANSWERS = {int(a.value): a.label for a in HITS.items[0].anchors}
HITS_ITEM_MIN, HITS_ITEM_MAX = int(HITS.items[0].minimum), int(HITS.items[0].maximum)
HITS_MIN_TOTAL, HITS_MAX_TOTAL = HITS.min_total, HITS.max_total
# A total above this is a positive screen (Sherin et al.: > 10).
HITS_CUT_OFF = int(HITS.cutoff)
FEAR_QUESTION = "Have you felt afraid of your partner?"

SCREEN_DAYS_KEY = "PRACTICE_SAFETY_SCREEN_DAYS"
DEFAULT_SCREEN_DAYS = 90
MAX_SCREEN_DAYS = 366
# The days before a screen runs out that the case page calls it "due soon".
DUE_SOON_DAYS = 14
# The intensity at which a threat or contempt moment makes a rescreen due (moments are 1–5).
TOP_INTENSITY = 5
MAX_OVERRIDE_REASON = 500


class ScreenDecision(StrEnum):
    """What the counsellor decided after screening a partner."""

    JOINT_OK = "joint_ok"
    JOINT_WITH_PLAN = "joint_with_plan"
    INDIVIDUAL_ONLY = "individual_only"
    REFER = "refer"


DECISION_LABELS = {
    ScreenDecision.JOINT_OK: "Joint work fine",
    ScreenDecision.JOINT_WITH_PLAN: "Joint with a safety plan",
    ScreenDecision.INDIVIDUAL_ONLY: "Individual only",
    ScreenDecision.REFER: "Refer",
}
# The decisions under which joint sessions go ahead.
JOINT_DECISIONS = frozenset({ScreenDecision.JOINT_OK, ScreenDecision.JOINT_WITH_PLAN})


class RescreenReason(StrEnum):
    """Why a rescreen fell due: a short code, never clinical text."""

    CHECKIN_FEAR = "checkin_fear"
    THREAT_MOMENT = "threat_moment"
    CONTEMPT_MOMENT = "contempt_moment"
    COUNSELLOR = "counsellor"


REASON_LABELS = {
    RescreenReason.CHECKIN_FEAR: "afraid of partner in a check-in",
    RescreenReason.THREAT_MOMENT: "threat moment at top intensity",
    RescreenReason.CONTEMPT_MOMENT: "contempt moment at top intensity",
    RescreenReason.COUNSELLOR: "asked by the counsellor",
}


# --- HITS -------------------------------------------------------------------------------------


def hits_total(items: Sequence[int]) -> int:
    """The HITS total of four item answers (hurt, insult, threaten, scream), 4–20.

    Raises ValueError unless there are exactly four whole numbers, each 1–5.
    """
    items = list(items)
    if len(items) != len(HITS_ITEMS):
        raise ValueError(f"HITS has {len(HITS_ITEMS)} questions, {len(items)} answers given")
    for name, value in zip(HITS_ITEMS, items, strict=True):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"the answer to “{name}” must be a whole number from 1 to 5")
        if not HITS_ITEM_MIN <= value <= HITS_ITEM_MAX:
            raise ValueError(f"the answer to “{name}” must be from 1 to 5, not {value}")
    return registry.score(HITS, items)


def hits_positive(total: int) -> bool:
    """Whether a HITS total is a positive screen: above 10 (10 is not, 11 is)."""
    if not HITS_MIN_TOTAL <= total <= HITS_MAX_TOTAL:
        raise ValueError(f"a HITS total is from 4 to 20, not {total}")
    return registry.in_concern(HITS, total)


def screen_concern(total: int, afraid: bool) -> bool:
    """Whether a screen raises concern: a positive HITS or a "yes" to the fear question."""
    return hits_positive(total) or afraid


def decision_label(decision: str) -> str:
    """The counsellor's words for a decision."""
    return DECISION_LABELS[ScreenDecision(decision)]


def reason_label(reason: str) -> str:
    """The counsellor's words for a rescreen reason."""
    return REASON_LABELS[RescreenReason(reason)]


# --- The practice's window ---------------------------------------------------------------------


def screen_days(config: Mapping[str, Any]) -> int:
    """The days a screen covers joint work (``PRACTICE_SAFETY_SCREEN_DAYS``, default 90).

    Raises ValueError for a value that is not a whole number from 1 to 366.
    """
    raw = config.get(SCREEN_DAYS_KEY)
    if raw is None:
        return DEFAULT_SCREEN_DAYS
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_SCREEN_DAYS:
        raise ValueError(f"{SCREEN_DAYS_KEY} must be a whole number from 1 to 366, got {raw!r}")
    return raw


# --- Whether a partner's screen covers a day ---------------------------------------------------


@dataclass(frozen=True)
class ScreenFact:
    """What the rules need of one recorded screen."""

    partner_id: int
    screened_on: date
    decision: str


@dataclass(frozen=True)
class PartnerFact:
    """A partner of the case, with their screens (any order) and open rescreen reasons."""

    partner_id: int
    name: str
    screens: Sequence[ScreenFact] = ()
    open_rescreens: Collection[str] = ()


def covering_screen(screens: Sequence[ScreenFact], day: date, days: int) -> ScreenFact | None:
    """The latest screen dated on ``day`` or in the ``days`` days before it, or None.

    A screen 90 days before the day covers it (with ``days`` = 90); one 91 days before does not;
    a screen after the day does not (it was not known when the session took place).
    """
    earliest = day - timedelta(days=days)
    eligible = [s for s in screens if earliest <= s.screened_on <= day]
    return max(eligible, key=lambda s: s.screened_on, default=None)


# Statuses of a partner's screen on a day, for the case page.
NONE, CURRENT, DUE_SOON, OVERDUE, RESCREEN_DUE = (
    "none",
    "current",
    "due_soon",
    "overdue",
    "rescreen_due",
)
STATUS_LABELS = {
    NONE: "Not screened",
    CURRENT: "Current",
    DUE_SOON: "Due soon",
    OVERDUE: "Overdue",
    RESCREEN_DUE: "Rescreen due",
}


@dataclass(frozen=True)
class ScreenStatus:
    """One partner's standing on a day: their latest screen, when it runs out, and the status."""

    partner_id: int
    name: str
    status: str
    latest: ScreenFact | None
    runs_out_on: date | None
    open_rescreens: tuple[str, ...]

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def blocks_joint_work(self) -> bool:
        """Whether the latest decision rules joint sessions out (individual only, refer)."""
        return self.latest is not None and self.latest.decision not in JOINT_DECISIONS


def screen_status(partner: PartnerFact, today: date, days: int) -> ScreenStatus:
    """Where a partner stands today: not screened, rescreen due (something raised concern
    since), overdue (latest screen more than ``days`` ago), due soon (it runs out within
    ``DUE_SOON_DAYS``), or current."""
    latest = max(
        (s for s in partner.screens if s.screened_on <= today),
        key=lambda s: s.screened_on,
        default=None,
    )
    runs_out = latest.screened_on + timedelta(days=days) if latest else None
    reasons = tuple(sorted(set(partner.open_rescreens)))
    if reasons:
        status = RESCREEN_DUE
    elif latest is None:
        status = NONE
    elif today > runs_out:
        status = OVERDUE
    elif (runs_out - today).days <= DUE_SOON_DAYS:
        status = DUE_SOON
    else:
        status = CURRENT
    return ScreenStatus(partner.partner_id, partner.name, status, latest, runs_out, reasons)


# --- The gate on signing a joint note ----------------------------------------------------------


def is_joint(kind: str, partner_ids: Collection[int], attendee_ids: Collection[int]) -> bool:
    """Whether a session is joint work: a couple case whose partners all attended (two)."""
    partners = set(partner_ids)
    return kind == "couple" and len(partners) >= 2 and partners <= set(attendee_ids)


def joint_signing_problems(partners: Sequence[PartnerFact], day: date, days: int) -> list[str]:
    """Why a joint session on ``day`` may not be signed yet, one line per partner, in the
    counsellor's words; empty when every partner has a covering screen and no rescreen is due.

    A rescreen due blocks signing too (decided here, once): it was raised because something
    since the last screen (a "yes" to the fear question, a threat or contempt at the top
    intensity) means that screen no longer speaks for joint work. The counsellor rescreens, or
    signs with an override reason that goes to their supervisor.
    """
    problems = []
    for partner in partners:
        screen = covering_screen(partner.screens, day, days)
        if screen is None:
            problems.append(
                f"{partner.name} has no safety screen in the {days} days up to "
                f"{day:%d %b %Y}: screen each partner alone before joint work."
            )
        elif screen.decision not in JOINT_DECISIONS:
            problems.append(
                f"{partner.name}'s safety screen of {screen.screened_on:%d %b %Y} decided "
                f"“{decision_label(screen.decision)}”, not joint work."
            )
        if partner.open_rescreens:
            reasons = ", ".join(reason_label(r) for r in sorted(set(partner.open_rescreens)))
            problems.append(f"A rescreen is due for {partner.name} ({reasons}).")
    return problems


def check_override_reason(reason: str | None) -> str:
    """The override reason, stripped. Raises ValueError when it is empty or too long."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Give a reason to sign without a current safety screen.")
    if len(reason) > MAX_OVERRIDE_REASON:
        raise ValueError(f"An override reason can hold at most {MAX_OVERRIDE_REASON} characters.")
    return reason


# --- What makes a rescreen due ----------------------------------------------------------------


def rescreen_reason_for_moment(type_key: str, intensity: int) -> RescreenReason | None:
    """The rescreen a tagged moment makes due, if any: a threat (any type whose key starts
    with "threat", as the default "threat_to_end") or contempt at the top intensity (5)."""
    if intensity < TOP_INTENSITY:
        return None
    if type_key.startswith("threat"):
        return RescreenReason.THREAT_MOMENT
    if type_key == "contempt":
        return RescreenReason.CONTEMPT_MOMENT
    return None
