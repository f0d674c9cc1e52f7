"""The change-event proposals and the stage-gate rule, pinned with hand-built sessions whose
values are worked out here (``practice.eft.proposals``, ``practice.eft.kinds``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from practice.eft import kinds, proposals
from practice.eft.proposals import EventThresholds, MomentFact, SessionFacts

ALEX, SAM = 1, 2  # Alex pursues, Sam withdraws
ROLES = {ALEX: "pursuer", SAM: "withdrawer"}
ESC, DE, NEU = "escalating", "de-escalating", "neutral"
_ids = iter(range(1, 100_000))


def m(key: str, valence: str, intensity: int = 1, minute: int = 0, partner=None) -> MomentFact:
    return MomentFact(next(_ids), key, valence, intensity, minute, partner)


def session(number: int, *moments: MomentFact) -> SessionFacts:
    start = datetime(2026, 2, 2, 15, tzinfo=UTC) + timedelta(weeks=number)
    return SessionFacts(number, start, tuple(moments))


def share_session(number: int, e: int, d: int, *extra: MomentFact) -> SessionFacts:
    """A session with escalating load ``e`` and de-escalating load ``d`` (one moment each, the
    intensity the load; 0 leaves it out), plus ``extra`` neutral or named moments."""
    moments = []
    if e:
        moments.append(m("pursue", ESC, e))
    if d:
        moments.append(m("de_escalation", DE, d))
    return session(number, *moments, *extra)


def naming(partner=None) -> MomentFact:
    # "Naming the cycle" is de-escalating; intensity 1 adds 1 to D.
    return m(proposals.NAMING_CYCLE, DE, 1, partner=partner)


# --- Cycle de-escalated ---------------------------------------------------------------------------


def test_three_sessions_at_or_above_sixty_percent_with_both_naming_the_cycle_propose_it():
    # Each session: E = 2, D = 2 + 1 (naming) = 3 -> share 3/5 = 60 %: exactly the threshold.
    sessions = [
        share_session(1, 2, 2, naming(ALEX)),
        share_session(2, 2, 2, naming(SAM)),
        share_session(3, 2, 2, naming(ALEX)),
    ]
    assert [s.share for s in sessions] == [0.6, 0.6, 0.6]
    found = proposals.deescalated(sessions, [ALEX, SAM])
    assert found is not None
    assert found.session_id == 3  # proposed at the run's last session
    assert set(found.evidence) == {
        sessions[0].moments[2].id,
        sessions[1].moments[2].id,
        sessions[2].moments[2].id,
    }
    assert "60 %, 60 %, 60 %" in found.reason


def test_a_share_just_below_sixty_percent_breaks_the_run():
    # Session 2: E = 3, D = 3 + 1 = 4 -> 4/7 = 57.1 % < 60 %: no run of three.
    sessions = [
        share_session(1, 2, 2, naming(ALEX)),
        share_session(2, 3, 3, naming(SAM)),
        share_session(3, 2, 2, naming(ALEX)),
    ]
    assert sessions[1].share == pytest.approx(4 / 7)
    assert proposals.deescalated(sessions, [ALEX, SAM]) is None


def test_only_one_partner_naming_the_cycle_is_not_enough_but_a_moment_of_both_counts():
    one = [share_session(n, 1, 4, naming(ALEX)) for n in (1, 2, 3)]  # 5/6 = 83 % each
    assert proposals.deescalated(one, [ALEX, SAM]) is None
    both = [share_session(1, 1, 4, naming(None)), *one[1:]]
    assert proposals.deescalated(both, [ALEX, SAM]) is not None


def test_a_threat_to_end_in_the_run_blocks_it_and_a_later_clean_run_is_proposed():
    threat = m(proposals.THREAT_TO_END, ESC, 1)
    # Session 1: E = 1 + 1 (threat) = 2, D = 5 + 1 = 6 -> 75 %, but a threat to end.
    sessions = [
        share_session(1, 1, 5, naming(ALEX), threat),
        share_session(2, 1, 4, naming(SAM)),  # 5/6
        share_session(3, 1, 4, naming(ALEX)),  # 5/6
        share_session(4, 1, 4, naming(SAM)),  # 5/6: sessions 2-4 are clean
    ]
    found = proposals.deescalated(sessions, [ALEX, SAM])
    assert found is not None and found.session_id == 4


def test_an_undefined_share_breaks_the_run_and_untagged_sessions_are_skipped():
    # Session 2 holds one moment of intensity 2: load 2 < MIN_SHARE_LOAD (4), share undefined.
    thin = session(2, m(proposals.NAMING_CYCLE, DE, 2, partner=SAM))
    assert thin.share is None
    sessions = [share_session(1, 1, 4, naming(ALEX)), thin, share_session(3, 1, 4, naming(SAM))]
    sessions.append(share_session(4, 1, 4, naming(ALEX)))
    assert proposals.deescalated(sessions, [ALEX, SAM]) is None
    # An untagged session (no moments) between them is no evidence either way: skipped.
    skipping = [sessions[0], session(2), sessions[2], sessions[3]]
    found = proposals.deescalated(skipping, [ALEX, SAM])
    assert found is not None and found.session_id == 4


def test_a_dismissed_run_is_not_proposed_again_and_the_threshold_is_a_setting():
    sessions = [share_session(n, 2, 2, naming(ALEX if n % 2 else SAM)) for n in (1, 2, 3, 4)]
    assert proposals.deescalated(sessions, [ALEX, SAM]).session_id == 3
    assert proposals.deescalated(sessions, [ALEX, SAM], dismissed={3}).session_id == 4
    stricter = EventThresholds(deescalated_share=0.61)
    assert proposals.deescalated(sessions, [ALEX, SAM], stricter) is None


# --- Blamer softened ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bid_minute", "answer_minute", "proposed"),
    [
        (20, 30, True),  # Δ = 10: at the limit
        (20, 31, False),  # Δ = 11: too late
        (20, 20, True),  # Δ = 0: the same minute
        (20, 19, False),  # Δ = -1: the answer came before the bid
    ],
)
def test_the_pursuers_bid_answered_within_ten_minutes(bid_minute, answer_minute, proposed):
    bid = m(proposals.SOFT_BID, DE, minute=bid_minute, partner=ALEX)
    answer = m(proposals.EMPATHIC_RESPONSE, DE, minute=answer_minute, partner=SAM)
    found = proposals.softened([session(1, bid, answer)], ROLES)
    assert (found is not None) is proposed
    if proposed:
        assert found.evidence == (bid.id, answer.id)


def test_softening_needs_the_roles_the_same_session_and_the_named_types():
    need = m(proposals.ATTACHMENT_NEED, NEU, minute=5, partner=ALEX)
    answer = m(proposals.EMPATHIC_RESPONSE, DE, minute=8, partner=SAM)
    assert proposals.softened([session(1, need, answer)], ROLES) is not None
    # The withdrawer's own bid answered by the pursuer is not the blamer softening.
    swapped = {ALEX: "withdrawer", SAM: "pursuer"}
    assert proposals.softened([session(1, need, answer)], swapped) is None
    # Bid and answer in different sessions do not pair.
    assert proposals.softened([session(1, need), session(2, answer)], ROLES) is None
    # A plain "softening" moment is not a bid.
    soft = m("softening", DE, minute=5, partner=ALEX)
    assert proposals.softened([session(1, soft, answer)], ROLES) is None


# --- Withdrawer re-engaged ------------------------------------------------------------------------


def reengage(partner=SAM) -> MomentFact:
    return m(proposals.REENGAGEMENT, DE, partner=partner)


def test_reengagement_in_two_of_three_consecutive_tagged_sessions():
    other = m("pursue", ESC)
    sessions = [session(1, reengage()), session(2, other), session(3, reengage())]
    found = proposals.reengaged(sessions, ROLES)
    assert found is not None and found.session_id == 3
    assert len(found.evidence) == 2


def test_reengagement_three_tagged_sessions_apart_is_not_enough():
    other = m("pursue", ESC)
    sessions = [
        session(1, reengage()),
        session(2, other),
        session(3, other),
        session(4, reengage()),  # window 2-4 holds one
    ]
    assert proposals.reengaged(sessions, ROLES) is None
    # ... and the pursuer's "re-engagement" is not the withdrawer's.
    assert (
        proposals.reengaged([session(1, reengage(ALEX)), session(2, reengage(ALEX))], ROLES) is None
    )


def test_proposals_leave_out_confirmed_kinds():
    need = m(proposals.ATTACHMENT_NEED, NEU, minute=5, partner=ALEX)
    answer = m(proposals.EMPATHIC_RESPONSE, DE, minute=8, partner=SAM)
    sessions = [session(1, need, answer)]
    assert [p.kind for p in proposals.proposals(sessions, ROLES, [], {})] == ["softened"]
    assert proposals.proposals(sessions, ROLES, ["softened"], {}) == []


def test_thresholds_from_config_and_refused_values():
    t = EventThresholds.from_config({"PRACTICE_EFT_SOFTENED_MINUTES": "5"})
    assert t.softened_minutes == 5
    for bad in ({"PRACTICE_EFT_DEESCALATED_SHARE": 1.5}, {"PRACTICE_EFT_REENGAGED_WINDOW": 1}):
        with pytest.raises(ValueError):
            EventThresholds.from_config(bad)


# --- The gate -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "in_force", "confirmed", "needs"),
    [
        (2, 1, [], True),
        (2, 1, ["deescalated"], False),
        (3, 2, ["deescalated", "reengaged"], True),  # blamer softened still missing
        (3, 2, ["deescalated", "reengaged", "softened"], False),
        (2, 2, [], False),  # the stage already in force: kept without a reason
        (1, 3, [], False),  # going back never needs one
        (None, 2, [], False),
    ],
)
def test_needs_reason(stage, in_force, confirmed, needs):
    assert kinds.needs_reason(stage, in_force, confirmed) is needs


def test_allowed_stage_and_missing_words():
    assert kinds.allowed_stage([]) == 1
    assert kinds.allowed_stage(["deescalated"]) == 2
    assert kinds.allowed_stage(["deescalated", "reengaged", "softened"]) == 3
    missing = kinds.missing_events(3, ["deescalated"])
    assert kinds.missing_words(missing) == "Withdrawer re-engaged and Blamer softened"
