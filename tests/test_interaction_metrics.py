"""The three interaction metrics (``practice.moments.interaction``) on hand-built sessions."""

from __future__ import annotations

import pytest

from practice.moments.interaction import (
    InteractionMetrics,
    MomentFacts,
    antidote_text,
    coupling_text,
    repair_text,
    session_metrics,
    short_words,
    trend,
    trend_text,
)

MAYA, TOM = 1, 2


def m(key: str, partner: int | None, minute: int, outcome: str | None = None) -> MomentFacts:
    return MomentFacts(key, partner, minute, outcome)


# --- Coupling index ---------------------------------------------------------------------------


def test_coupling_index_of_a_hand_built_session():
    # Maya pursues at 5, 20 and 40; Tom withdraws at 7 (2 after the first: coupled) and at 17
    # (3 before the second: coupled, the window is inclusive); nothing near 40.
    # Coupled 2 of 3 pursue moments: 2 / 3 = 0.667.
    moments = [
        m("pursue", MAYA, 5),
        m("withdraw", TOM, 7),
        m("withdraw", TOM, 17),
        m("pursue", MAYA, 20),
        m("pursue", MAYA, 40),
    ]
    metrics = session_metrics(moments)
    assert (metrics.pursue, metrics.coupled) == (3, 2)
    assert metrics.coupling_index == pytest.approx(2 / 3)
    assert coupling_text(metrics) == "2 of 3 (67 %)"


@pytest.mark.parametrize(
    ("withdraw_minute", "coupled"),
    [(13, 1), (14, 0), (7, 1), (6, 0)],
    ids=["3-after-counts", "4-after-does-not", "3-before-counts", "4-before-does-not"],
)
def test_coupling_window_is_three_minutes_inclusive(withdraw_minute, coupled):
    # Pursue at 10: a withdraw at 13 or 7 is exactly 3 minutes away (coupled); 14 or 6 is 4.
    metrics = session_metrics([m("pursue", MAYA, 10), m("withdraw", TOM, withdraw_minute)])
    assert metrics.coupled == coupled
    assert metrics.coupling_index == coupled / 1


def test_only_the_other_partners_withdraw_couples():
    # Maya's own withdraw at 11 and a withdraw of both at 10 couple nothing: 0 of 1.
    metrics = session_metrics(
        [m("pursue", MAYA, 10), m("withdraw", MAYA, 11), m("withdraw", None, 10)]
    )
    assert (metrics.pursue, metrics.coupled) == (1, 0)
    assert metrics.coupling_index == 0


def test_each_pursuit_counts_once_and_pursuits_of_both_are_left_out():
    # Two of Tom's withdrawals near one pursue count it once: 1 of 1. A pursue of both partners
    # (partner None) is not a pursuit by one partner, so it is not in the denominator.
    metrics = session_metrics(
        [
            m("pursue", MAYA, 10),
            m("withdraw", TOM, 9),
            m("withdraw", TOM, 12),
            m("pursue", None, 11),
        ]
    )
    assert (metrics.pursue, metrics.coupled) == (1, 1)
    assert metrics.coupling_index == 1.0


def test_withdrawer_pursuing_is_coupled_by_the_pursuers_withdraw():
    # Roles do not matter, only who: Tom pursues at 30, Maya withdraws at 33: 1 of 1.
    metrics = session_metrics([m("pursue", TOM, 30), m("withdraw", MAYA, 33)])
    assert metrics.coupling_index == 1.0


def test_coupling_index_is_undefined_without_pursue_moments():
    metrics = session_metrics([m("withdraw", TOM, 3), m("criticism", MAYA, 4)])
    assert metrics.pursue == 0
    assert metrics.coupling_index is None
    assert coupling_text(metrics) == "no pursue moments"


# --- Repair success ---------------------------------------------------------------------------


def test_repair_success_counts_only_attempts_with_an_outcome():
    # Four repair attempts: accepted, accepted, rejected, and one without an outcome.
    # Success = 2 accepted / 3 with an outcome = 0.667; 1 not judged.
    moments = [
        m("repair_attempt", TOM, 5, "accepted"),
        m("repair_attempt", MAYA, 9, "rejected"),
        m("repair_attempt", TOM, 12, "accepted"),
        m("repair_attempt", MAYA, 20),
    ]
    metrics = session_metrics(moments)
    assert (metrics.repairs, metrics.repairs_rated, metrics.repairs_accepted) == (4, 3, 2)
    assert metrics.repairs_unrated == 1
    assert metrics.repair_success == pytest.approx(2 / 3)
    assert repair_text(metrics) == "2 of 3 accepted (67 %), 1 without an outcome"


def test_a_missed_repair_counts_against_success():
    # 1 accepted, 1 missed: 1 / 2 = 0.5.
    metrics = session_metrics(
        [m("repair_attempt", TOM, 5, "accepted"), m("repair_attempt", TOM, 8, "missed")]
    )
    assert metrics.repair_success == 0.5
    assert repair_text(metrics) == "1 of 2 accepted (50 %)"


def test_repair_success_is_undefined_when_no_attempt_has_an_outcome():
    metrics = session_metrics([m("repair_attempt", TOM, 5), m("soft_bid", MAYA, 6, "accepted")])
    # The soft bid's outcome is not a repair's: 1 attempt, none judged.
    assert (metrics.repairs, metrics.repairs_rated) == (1, 0)
    assert metrics.repair_success is None
    assert repair_text(metrics) == "1 without an outcome"
    assert repair_text(session_metrics([])) == "no repair attempts"


# --- Antidote ratio ---------------------------------------------------------------------------


def test_antidote_ratio_of_a_hand_built_session():
    # Antidotes: gentle start-up, appreciation ×2, taking responsibility = 4; horsemen:
    # criticism, defensiveness, stonewalling = 3. Ratio 4 / 3 = 1.33 (shown to two figures,
    # "1.3"). Pursue and softening count for neither.
    moments = [
        m("gentle_startup", MAYA, 1),
        m("appreciation", TOM, 2),
        m("appreciation", MAYA, 3),
        m("taking_responsibility", TOM, 4),
        m("criticism", MAYA, 5),
        m("defensiveness", TOM, 6),
        m("stonewalling", TOM, 7),
        m("pursue", MAYA, 8),
        m("softening", MAYA, 9),
    ]
    metrics = session_metrics(moments)
    assert (metrics.antidotes, metrics.horsemen) == (4, 3)
    assert metrics.antidote_ratio == pytest.approx(4 / 3)
    assert antidote_text(metrics) == "4 : 3 (1.3)"


@pytest.mark.parametrize(
    ("antidotes", "text"), [(0, "0 antidotes, no horsemen"), (1, "1 antidote, no horsemen")]
)
def test_antidote_ratio_without_horsemen_is_stated_not_divided(antidotes, text):
    metrics = session_metrics([m("self_soothing", TOM, n) for n in range(antidotes)])
    assert metrics.antidote_ratio is None
    assert antidote_text(metrics) == text


def test_one_horseman_is_enough_for_a_ratio():
    # 2 antidotes / 1 contempt = 2.
    metrics = session_metrics(
        [m("self_soothing", TOM, 1), m("gentle_startup", MAYA, 2), m("contempt", MAYA, 3)]
    )
    assert metrics.antidote_ratio == 2.0
    assert antidote_text(metrics) == "2 : 1 (2)"


def test_an_empty_session_has_nothing_to_say():
    metrics = session_metrics([])
    assert metrics == InteractionMetrics(0, 0, 0, 0, 0, 0, 0)
    assert metrics.is_empty


# --- Trend ------------------------------------------------------------------------------------


def test_trend_compares_the_means_of_the_first_and_last_three():
    # Seven values (None skipped): first three 1.0, 1.0, 0.5 → mean 0.833; last three 0.0, 0.0,
    # 1.0 → mean 0.333: falling. One session at the end (1.0) does not turn it round.
    found = trend([1.0, None, 1.0, 0.5, 0.0, 0.0, 0.0, 1.0])
    assert (found.first, found.latest, found.sessions, found.span) == (
        pytest.approx(2.5 / 3),
        pytest.approx(1 / 3),
        7,
        3,
    )
    assert found.direction == "falling"
    assert (
        trend_text(found)
        == "83 % → 33 %, falling over 7 sessions (mean of the first and the last 3)"
    )


def test_trend_with_few_sessions_uses_half_each_and_none_with_one():
    # Four values: span 2; (0.2 + 0.4) / 2 = 0.3 against (0.6 + 0.8) / 2 = 0.7: rising.
    assert trend([0.2, 0.4, 0.6, 0.8]).direction == "rising"
    assert trend([0.5]) is None and trend_text(None) == "—"


@pytest.mark.parametrize(("latest", "direction"), [(0.55, "steady"), (0.56, "rising")])
def test_trend_within_five_points_is_steady(latest, direction):
    # 0.50 → 0.55 differs by 0.05 exactly: steady; 0.56 by 0.06: rising.
    assert trend([0.5, latest]).direction == direction


def test_short_words_of_a_narrow_table():
    # Coupled 1 of 2 (50 %); repairs 1 accepted of 1 rated, 1 without; 0 antidotes, 2 horsemen.
    metrics = InteractionMetrics(
        pursue=2, coupled=1, repairs=2, repairs_rated=1, repairs_accepted=1, antidotes=0, horsemen=2
    )
    assert short_words(metrics) == {
        "coupling": "1/2 (50 %)",
        "repair": "1/1 (100 %) · 1 none",
        "antidote": "0 : 2",
    }
    assert short_words(session_metrics([]))["coupling"] == "—"


def test_the_answer_key_never_collides_with_a_type_or_a_target():
    from practice.moments.vocabulary import ANSWER_KEY, LIVE_CONTROL_KEYS, live_shortcuts

    # Type shortcuts are letters (a–z, or Shift with one) and targets are digits.
    assert ANSWER_KEY in LIVE_CONTROL_KEYS
    assert not ANSWER_KEY.isalnum()
    keys = live_shortcuts([(n, None) for n in range(1, 53)])
    assert ANSWER_KEY not in keys.values()
