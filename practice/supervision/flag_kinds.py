"""The vocabulary of supervisor flags: their kinds and severities, the thresholds they are judged
by (:class:`Thresholds`, once, with their defaults and their ``PRACTICE_FLAG_*`` overrides), a
flag as a value, and the words that describe them. The rules that raise flags are
``practice.supervision.flags``, which re-exports all of this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from practice.breaks import rules as break_rules
from practice.core import local_time
from practice.core.thresholds import check_positive, read_positive
from practice.measures import csi4
from practice.measures.configured import (
    DEFAULT_SPLIT_ALLIANCE_GAP,
    measure_registry,
    split_alliance_gap,
)
from practice.measures.settings import reliable_change_index
from practice.moments import balance

SEVERE_DISTRESS = "severe_distress"
CSI4_DETERIORATION = "csi4_deterioration"
CSI4_SLIDE = "csi4_slide"
RESCREEN_DUE = "rescreen_due"
SCREEN_OVERRIDE = "screen_override"
NO_RECENT_SESSION = "no_recent_session"
DEESCALATION_WORSENING = "deescalation_worsening"
NO_DEESCALATION = "no_deescalation"
UNSIGNED_NOTE = "unsigned_note"
SCRIPT_NOT_ADOPTED = "script_not_adopted"
BREAKS_NOT_RETURNED = "breaks_not_returned"
STAGE_OVERRIDE = "stage_override"
SPLIT_ALLIANCE = "split_alliance"

# Every flag's key and its short name, in the order a case's flags are shown (most severe first).
FLAG_KINDS: dict[str, str] = {
    SEVERE_DISTRESS: "Severe distress",
    CSI4_DETERIORATION: "CSI-4 deterioration",
    RESCREEN_DUE: "Safety rescreen due",
    SCREEN_OVERRIDE: "Signed without safety screen",
    CSI4_SLIDE: "CSI-4 slide",
    SPLIT_ALLIANCE: "Split alliance",
    NO_RECENT_SESSION: "No recent session",
    DEESCALATION_WORSENING: "De-escalation worsening",
    NO_DEESCALATION: "No de-escalation",
    UNSIGNED_NOTE: "Unsigned note",
    BREAKS_NOT_RETURNED: "Breaks not returned",
    STAGE_OVERRIDE: "Stage set without change events",
    SCRIPT_NOT_ADOPTED: "Script not adopted",
}

# --- Severities ---------------------------------------------------------------------------------

URGENT = "urgent"
ATTENTION = "attention"
INFO = "info"
# Most severe first: the dashboard's order.
SEVERITY_ORDER: tuple[str, ...] = (URGENT, ATTENTION, INFO)
SEVERITY_LABELS: dict[str, str] = {URGENT: "Urgent", ATTENTION: "Attention", INFO: "Info"}
# What each severity asks of the supervisor, in words (the dashboard's legend).
SEVERITY_MEANINGS: dict[str, str] = {
    URGENT: "a partner is in severe distress or reliably worse, or safety before joint work "
    "needs a look: look at the case before its next session",
    ATTENTION: "the work or its record is drifting: raise it at the next supervision",
    INFO: "worth knowing; not a concern on its own",
}
# The severity of each kind of flag. Constants, not settings:
# - urgent: what the partners report about their relationship, judged against the measure's own
#   norms (a CSI-4 far below the cut-off, a fall beyond measurement error from the baseline),
#   and safety before joint work (a rescreen due, a joint note signed without a current screen);
# - attention: signs that the therapy is stalling or drifting (a reliable loss of gains that
#   still leaves the partner no worse than at intake, no session for weeks, a worsening or absent
#   de-escalation in the room), a note left unsigned past the practice's deadline, and breaks
#   the couple does not come back from (the protocol they practise at home is not holding);
# - info: a script not taken up, which is common and often means the script, not the couple,
#   needs changing.
SEVERITIES: dict[str, str] = {
    SEVERE_DISTRESS: URGENT,
    CSI4_DETERIORATION: URGENT,
    RESCREEN_DUE: URGENT,
    SCREEN_OVERRIDE: URGENT,
    CSI4_SLIDE: ATTENTION,
    # A weak or split alliance predicts drop-out: raise it at the next supervision.
    SPLIT_ALLIANCE: ATTENTION,
    NO_RECENT_SESSION: ATTENTION,
    DEESCALATION_WORSENING: ATTENTION,
    NO_DEESCALATION: ATTENTION,
    UNSIGNED_NOTE: ATTENTION,
    BREAKS_NOT_RETURNED: ATTENTION,
    STAGE_OVERRIDE: ATTENTION,
    SCRIPT_NOT_ADOPTED: INFO,
}

# --- Thresholds ---------------------------------------------------------------------------------

# The zone of the days flags name when the practice's is not given (hand-built thresholds).
_UTC = ZoneInfo("UTC")

# Configuration key of each ``PRACTICE_FLAG_*`` threshold, and its type.
CONFIG_KEYS: dict[str, tuple[str, type]] = {
    "unsigned_hours": ("PRACTICE_FLAG_UNSIGNED_HOURS", float),
    "no_session_days": ("PRACTICE_FLAG_NO_SESSION_DAYS", int),
    "no_deescalation_sessions": ("PRACTICE_FLAG_NO_DEESCALATION_SESSIONS", int),
    "script_not_adopted_sessions": ("PRACTICE_FLAG_SCRIPT_NOT_ADOPTED_SESSIONS", int),
    "severe_distress": ("PRACTICE_FLAG_SEVERE_DISTRESS", int),
}


@dataclass(frozen=True)
class Thresholds:
    """When each flag fires. The defaults are DESIGN.md's, and the only definition of them:
    a ``PRACTICE_FLAG_*`` key left out of the configuration takes its default from here.

    ``reliable_change`` is the CSI-4 reliable-change index, the practice's
    ``PRACTICE_CSI4_RELIABLE_CHANGE`` (``practice.measures.settings``), not a flag setting.
    ``zone`` is the practice's zone (``PRACTICE_TIMEZONE``): a flag's "since" day, the days its
    reason names and "today" are the practice's local days, whoever looks, as in reports.
    """

    unsigned_hours: float = 72
    no_session_days: int = 21
    no_deescalation_sessions: int = 6
    script_not_adopted_sessions: int = 6
    severe_distress: int = csi4.CSI4_SEVERE_DISTRESS
    reliable_change: float = csi4.CSI4_RELIABLE_CHANGE
    # The break rules' thresholds, ``PRACTICE_BREAK_*`` (``practice.breaks.rules``).
    breaks: break_rules.BreakThresholds = break_rules.DEFAULT_THRESHOLDS
    zone: ZoneInfo = _UTC
    # The alliance measures of the practice's registry (key, threshold) and the gap between
    # partners that splits it (``practice.measures.configured``, PRACTICE_SPLIT_ALLIANCE_GAP).
    alliance: tuple[tuple[str, float], ...] = ()
    alliance_gap: float = DEFAULT_SPLIT_ALLIANCE_GAP

    def __post_init__(self) -> None:
        check_positive(self, CONFIG_KEYS)
        if self.severe_distress > csi4.CSI4_MAX_TOTAL:
            raise ValueError(
                f"PRACTICE_FLAG_SEVERE_DISTRESS must be a CSI-4 total (at most "
                f"{csi4.CSI4_MAX_TOTAL}), got {self.severe_distress!r}"
            )
        if not self.reliable_change > 0:
            raise ValueError(
                f"The reliable-change index must be positive, got {self.reliable_change}"
            )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Thresholds:
        """The thresholds set in ``config`` (an ``app.config``), defaults for missing keys.

        Raises ValueError for a value that is not a positive number (or not whole, for counts),
        and as ``practice.measures.settings.reliable_change_index`` does.
        """
        values: dict[str, Any] = {
            "reliable_change": reliable_change_index(config),
            "breaks": break_rules.BreakThresholds.from_config(config),
            "alliance": tuple(
                (d.key, d.alliance_threshold) for d in measure_registry(config).alliance_measures
            ),
            "alliance_gap": split_alliance_gap(config),
        }
        if config.get(local_time.ZONE_SETTING) or config.get(local_time.DEPRECATED_ZONE_SETTING):
            values["zone"] = local_time.practice_zone(config)
        values.update(read_positive(config, CONFIG_KEYS))
        return cls(**values)

    @property
    def trend_window(self) -> int:
        """Sessions with a de-escalation share that the trend looks at (``TREND_WINDOW``)."""
        return balance.TREND_WINDOW


@dataclass(frozen=True)
class Flag:
    """A reason for a supervisor to look at a case: its kind, the reason in words, and the day
    the condition began. Its severity follows from its kind (:data:`SEVERITIES`)."""

    kind: str
    reason: str
    since: date

    @property
    def label(self) -> str:
        return FLAG_KINDS[self.kind]

    @property
    def severity(self) -> str:
        return SEVERITIES[self.kind]

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    @property
    def rank(self) -> tuple[int, int]:
        """Most severe first, then in the order of ``FLAG_KINDS``."""
        return SEVERITY_ORDER.index(self.severity), list(FLAG_KINDS).index(self.kind)


def severity_rank(severity: str) -> int:
    """0 for the most severe; raises ValueError for an unknown severity."""
    return SEVERITY_ORDER.index(severity)


# --- Words ----------------------------------------------------------------------------------------


def day(value: date | datetime, zone: ZoneInfo | None = None) -> str:
    """A date as the tracker shows it: ``12 Aug 2026``; a moment is first moved into ``zone``
    (UTC when none is given), so an evening session keeps the practice's local day."""
    return local_time.local_day(value, zone or _UTC).strftime("%d %b %Y")


def _plural(count: int | float, word: str) -> str:
    return f"{count:g} {word}" if count == 1 else f"{count:g} {word}s"


def _ordinal(number: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th`` … ``11th``, ``21st``."""
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}th" if 10 <= number % 100 <= 20 else f"{number}{suffix}"


def describe_thresholds(t: Thresholds) -> dict[str, str]:
    """When each flag fires, in words, by flag kind (for legends and reports)."""
    rci = f"{t.reliable_change:g}"
    return {
        SEVERE_DISTRESS: f"a partner's latest CSI-4 total is {t.severe_distress} or lower "
        f"(of {csi4.CSI4_MAX_TOTAL}): severe relationship distress, far below the "
        f"{csi4.CSI4_CUTOFF:g} cut-off",
        CSI4_DETERIORATION: f"a partner's latest CSI-4 total is {rci} points or more below their "
        "first (baseline) total: a reliable deterioration",
        CSI4_SLIDE: f"a partner's latest CSI-4 total is {rci} points or more below their best so "
        "far, though not reliably below their baseline",
        RESCREEN_DUE: "a partner's safety rescreen is due (a fear answer in a check-in, or a "
        "threat or contempt moment at the top intensity) and not yet done",
        SCREEN_OVERRIDE: "a joint note was signed without a current safety screen of each "
        "partner (with the counsellor's reason), until the supervisor co-signs it",
        SPLIT_ALLIANCE: "a partner's latest score on an alliance measure is under its threshold, "
        f"or the partners' scores at a session are {t.alliance_gap:g} points or more apart",
        NO_RECENT_SESSION: f"no session for {t.no_session_days} days or more (a cancelled or "
        "missed appointment is no session), unless the next planned appointment is at most "
        f"{t.no_session_days} days away",
        DEESCALATION_WORSENING: "the de-escalation share's trend over the last "
        f"{t.trend_window} sessions that have one is worsening (a slope below "
        f"−{balance.TREND_THRESHOLD * 100:g} points per session, unless the share stays at "
        f"{balance.HIGH_SHARE * 100:g} % or more)",
        NO_DEESCALATION: "no de-escalating moment in any of the last "
        f"{t.no_deescalation_sessions} sessions with moments tagged (a session without any "
        "tagged moment is no evidence either way)",
        UNSIGNED_NOTE: f"a note still unsigned more than {t.unsigned_hours:g} hours after its "
        "session ended",
        BREAKS_NOT_RETURNED: f"{t.breaks.flag_unreturned} or more breaks not returned to within "
        f"{t.breaks.max_hours:g} hours in {t.breaks.flag_days} days, or fewer than "
        f"{t.breaks.flag_rate * 100:g} % of the last {t.breaks.flag_last} breaks returned to",
        STAGE_OVERRIDE: "an EFT stage was set (with the counsellor's reason) before the change "
        "events its gate names were confirmed, until they are or the supervisor acknowledges it",
        SCRIPT_NOT_ADOPTED: "an active script not adopted after "
        f"{t.script_not_adopted_sessions} observed sessions",
    }


def describe_since(t: Thresholds) -> dict[str, str]:
    """What each flag's "since" date is, in words, by flag kind (for legends)."""
    return {
        SEVERE_DISTRESS: f"the reading from which the partner's total has stayed at or below "
        f"{t.severe_distress}",
        CSI4_DETERIORATION: "the reading from which the partner's total has stayed reliably "
        "below their baseline",
        CSI4_SLIDE: "the reading from which the partner's total has stayed reliably below "
        "their best so far",
        RESCREEN_DUE: "the day the oldest open rescreen fell due",
        SCREEN_OVERRIDE: "the day of the oldest such note not yet co-signed",
        SPLIT_ALLIANCE: "the session of the earliest alliance score that raised it",
        NO_RECENT_SESSION: "the last session (or the case's opening, if it has none)",
        DEESCALATION_WORSENING: "the session at which the trend turned worsening",
        NO_DEESCALATION: "the first session of the run without a de-escalating moment",
        UNSIGNED_NOTE: "the day the oldest late note became overdue",
        BREAKS_NOT_RETURNED: "the first of the breaks the flag counts",
        STAGE_OVERRIDE: "the day the oldest such stage was set",
        SCRIPT_NOT_ADOPTED: f"the session at which the script reached its "
        f"{_ordinal(t.script_not_adopted_sessions)} observed session without adoption",
    }
