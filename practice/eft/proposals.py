"""When the tracker proposes an EFT change event: pure rules over a case's sessions and moments.

The counsellor confirms or dismisses each proposal; nothing here writes. The rules (thresholds
are :class:`EventThresholds`, ``PRACTICE_EFT_*``):

- **Cycle de-escalated**: ``deescalated_sessions`` (3) consecutive *tagged* sessions (with at
  least one standing moment) each with a de-escalation share (``practice.moments.balance``) of
  at least ``deescalated_share`` (60 %); within those sessions each partner has a "naming the
  cycle" moment (one tagged to both partners counts for each); and none of them has a "threat to
  end the relationship" moment. A tagged session whose share is undefined (load below
  ``balance.MIN_SHARE_LOAD``) breaks the run: too little was tagged to call it de-escalated, and
  the sessions must be consecutive. Untagged sessions are skipped (no evidence either way), as
  the "no de-escalation" flag skips them. Proposed at the run's last session; the evidence is
  the run's "naming the cycle" moments.
- **Blamer softened**: in one session, a pursuer's (cycle role ``pursuer``) "attachment need
  expressed" or "soft bid for connection" moment answered by a withdrawer's (cycle role
  ``withdrawer``) "empathic response" at most ``softened_minutes`` (10) later: 0 ≤ Δminute ≤ 10.
  Proposed at the first such session; the evidence is the pair.
- **Withdrawer re-engaged**: a withdrawer's "withdrawer re-engagement" moment in at least
  ``reengaged_sessions`` (2) of ``reengaged_window`` (3) consecutive tagged sessions. Proposed at
  the session that completes the first such window; the evidence is those moments.

Without a partner in the pursuer or withdrawer role, the last two are never proposed (the
counsellor can still record them). Each rule proposes the earliest session where its evidence
holds and that was not dismissed for that event; none is proposed once the event is confirmed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from practice.core.thresholds import check_positive, read_positive
from practice.eft.kinds import EventKind
from practice.moments import balance

# The vocabulary keys the rules read (the default vocabulary's, migration 0002).
NAMING_CYCLE = "naming_cycle"
THREAT_TO_END = "threat_to_end"
ATTACHMENT_NEED = "attachment_need"
SOFT_BID = "soft_bid"
EMPATHIC_RESPONSE = "empathic_response"
REENGAGEMENT = "withdrawer_reengagement"
PURSUER, WITHDRAWER = "pursuer", "withdrawer"

# Configuration key of each threshold, and its type.
CONFIG_KEYS: dict[str, tuple[str, type]] = {
    "deescalated_share": ("PRACTICE_EFT_DEESCALATED_SHARE", float),
    "deescalated_sessions": ("PRACTICE_EFT_DEESCALATED_SESSIONS", int),
    "softened_minutes": ("PRACTICE_EFT_SOFTENED_MINUTES", int),
    "reengaged_sessions": ("PRACTICE_EFT_REENGAGED_SESSIONS", int),
    "reengaged_window": ("PRACTICE_EFT_REENGAGED_WINDOW", int),
}


@dataclass(frozen=True)
class EventThresholds:
    """When an event is proposed; the defaults are issue #19's and the only definition of them."""

    deescalated_share: float = 0.6
    deescalated_sessions: int = 3
    softened_minutes: int = 10
    reengaged_sessions: int = 2
    reengaged_window: int = 3

    def __post_init__(self) -> None:
        check_positive(self, CONFIG_KEYS)
        if self.deescalated_share > 1:
            raise ValueError("PRACTICE_EFT_DEESCALATED_SHARE is a share: at most 1")
        if self.reengaged_sessions > self.reengaged_window:
            raise ValueError(
                "PRACTICE_EFT_REENGAGED_SESSIONS cannot exceed PRACTICE_EFT_REENGAGED_WINDOW"
            )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> EventThresholds:
        """The thresholds set in ``config``, defaults for missing keys; raises ValueError."""
        return cls(**read_positive(config, CONFIG_KEYS))


DEFAULT_THRESHOLDS = EventThresholds()


@dataclass(frozen=True)
class MomentFact:
    """One standing moment: enough for the rules. ``partner_id`` None is both partners."""

    id: int
    type_key: str
    valence: str
    intensity: int
    minute: int
    partner_id: int | None


@dataclass(frozen=True)
class SessionFacts:
    """One standing session of a case, its standing moments."""

    id: int
    starts_at: datetime
    moments: tuple[MomentFact, ...] = ()

    @property
    def tagged(self) -> bool:
        return bool(self.moments)

    @property
    def share(self) -> float | None:
        """The session's de-escalation share (``balance``), or None when undefined."""
        e = d = 0
        for m in self.moments:
            de, dd = balance.moment_load(m.valence, m.intensity)
            e, d = e + de, d + dd
        return balance.deescalation_share(e, d)


@dataclass(frozen=True)
class Proposal:
    """An event the evidence supports: its kind, the session it is tied to, its evidence
    moments (ids) and the reason in words."""

    kind: str
    session_id: int
    evidence: tuple[int, ...]
    reason: str


def _by(moment: MomentFact, partner_id: int) -> bool:
    return moment.partner_id in (partner_id, None)


def deescalated(
    sessions: Sequence[SessionFacts],
    partner_ids: Collection[int],
    t: EventThresholds = DEFAULT_THRESHOLDS,
    dismissed: Collection[int] = (),
) -> Proposal | None:
    """The earliest run proving the cycle de-escalated (see the module), or None."""
    tagged = [s for s in sessions if s.tagged]
    n = t.deescalated_sessions
    for end in range(n - 1, len(tagged)):
        run = tagged[end - n + 1 : end + 1]
        if run[-1].id in dismissed:
            continue
        shares = [s.share for s in run]
        if any(share is None or share < t.deescalated_share for share in shares):
            continue
        moments = [m for s in run for m in s.moments]
        if any(m.type_key == THREAT_TO_END for m in moments):
            continue
        naming = [m for m in moments if m.type_key == NAMING_CYCLE]
        if not partner_ids or not all(any(_by(m, p) for m in naming) for p in partner_ids):
            continue
        words = ", ".join(f"{share * 100:.0f} %" for share in shares if share is not None)
        return Proposal(
            EventKind.DEESCALATED,
            run[-1].id,
            tuple(m.id for m in naming),
            f"de-escalation share {words} in {n} consecutive tagged sessions, each partner "
            "named the cycle, no threat to end the relationship",
        )
    return None


def softened(
    sessions: Sequence[SessionFacts],
    roles: Mapping[int, str],
    t: EventThresholds = DEFAULT_THRESHOLDS,
    dismissed: Collection[int] = (),
) -> Proposal | None:
    """The first session where a pursuer's attachment need or soft bid is answered by a
    withdrawer's empathic response within ``softened_minutes`` (0 ≤ Δ ≤ limit), or None."""
    pursuers = {p for p, role in roles.items() if role == PURSUER}
    withdrawers = {p for p, role in roles.items() if role == WITHDRAWER}
    for s in sessions:
        if s.id in dismissed:
            continue
        bids = [
            m
            for m in s.moments
            if m.type_key in (ATTACHMENT_NEED, SOFT_BID) and m.partner_id in pursuers
        ]
        answers = [
            m for m in s.moments if m.type_key == EMPATHIC_RESPONSE and m.partner_id in withdrawers
        ]
        for bid in sorted(bids, key=lambda m: (m.minute, m.id)):
            for answer in sorted(answers, key=lambda m: (m.minute, m.id)):
                gap = answer.minute - bid.minute
                if 0 <= gap <= t.softened_minutes:
                    return Proposal(
                        EventKind.SOFTENED,
                        s.id,
                        (bid.id, answer.id),
                        f"the pursuer's bid at minute {bid.minute} answered by the withdrawer's "
                        f"empathic response at minute {answer.minute} ({gap} min later)",
                    )
    return None


def reengaged(
    sessions: Sequence[SessionFacts],
    roles: Mapping[int, str],
    t: EventThresholds = DEFAULT_THRESHOLDS,
    dismissed: Collection[int] = (),
) -> Proposal | None:
    """The first window of ``reengaged_window`` consecutive tagged sessions in which the
    withdrawer re-engaged in at least ``reengaged_sessions``, proposed at the session that
    completes it (the last with a re-engagement), or None."""
    withdrawers = {p for p, role in roles.items() if role == WITHDRAWER}
    tagged = [s for s in sessions if s.tagged]

    def moments_of(s: SessionFacts) -> list[MomentFact]:
        return [m for m in s.moments if m.type_key == REENGAGEMENT and m.partner_id in withdrawers]

    for end in range(len(tagged)):
        if not moments_of(tagged[end]) or tagged[end].id in dismissed:
            continue
        window = tagged[max(0, end - t.reengaged_window + 1) : end + 1]
        with_moment = [s for s in window if moments_of(s)]
        if len(with_moment) >= t.reengaged_sessions:
            return Proposal(
                EventKind.REENGAGED,
                tagged[end].id,
                tuple(m.id for s in with_moment for m in moments_of(s)),
                f"the withdrawer re-engaged in {len(with_moment)} of {len(window)} consecutive "
                "tagged sessions",
            )
    return None


def proposals(
    sessions: Sequence[SessionFacts],
    roles: Mapping[int, str],
    confirmed: Iterable[str],
    dismissed: Mapping[str, Collection[int]],
    t: EventThresholds = DEFAULT_THRESHOLDS,
) -> list[Proposal]:
    """Every event the evidence supports and the counsellor has not confirmed yet.

    ``sessions``: the case's standing sessions, oldest first; ``roles``: partner id -> cycle
    role; ``dismissed``: per kind, the sessions whose proposal the counsellor dismissed.
    """
    have = set(confirmed)
    found: list[Proposal | None] = []
    if EventKind.DEESCALATED not in have:
        found.append(
            deescalated(sessions, list(roles), t, dismissed.get(EventKind.DEESCALATED, ()))
        )
    if EventKind.REENGAGED not in have:
        found.append(reengaged(sessions, roles, t, dismissed.get(EventKind.REENGAGED, ())))
    if EventKind.SOFTENED not in have:
        found.append(softened(sessions, roles, t, dismissed.get(EventKind.SOFTENED, ())))
    return [p for p in found if p is not None]
