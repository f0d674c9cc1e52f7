"""Hand-computed cases for the clinical rules in practice.metrics."""

import pytest

from practice.measures.csi4 import (
    CSI4_CUTOFF,
    CSI4_ITEMS,
    CSI4_RELIABLE_CHANGE,
    csi4_below_cutoff,
    csi4_total,
)
from practice.moments.balance import (
    HIGH_SHARE,
    MIN_SHARE_LOAD,
    TREND_THRESHOLD,
    TREND_WINDOW,
    VALENCE_LABELS,
    CycleBalance,
    SessionTally,
    Trend,
    Valence,
    cycle_balance,
    deescalation_share,
    deescalation_trend,
    least_squares_slope,
    moment_load,
    session_tally,
)
from practice.scripts.adoption import (
    ADOPTED_LEVEL,
    ADOPTION_LEVEL_NAMES,
    ADOPTION_LEVELS,
    ADOPTION_RULE,
    adoption_point,
    adoption_scale,
)

# --- Adoption --------------------------------------------------------------------------------


def test_adoption_levels_are_the_documented_scale():
    # Level 0 is "not used": an absent partner or a session without opportunity is a status of
    # the observation (``OBSERVATION_STATUSES``), never a level.
    assert ADOPTION_LEVELS == {
        0: "Not used",
        1: "Used when prompted in session",
        2: "Used spontaneously in session",
        3: "Reported used at home",
    }
    assert ADOPTED_LEVEL == 2


def test_the_short_names_and_the_words_follow_the_levels():
    assert list(ADOPTION_LEVEL_NAMES) == list(ADOPTION_LEVELS)
    assert adoption_scale() == (
        "0 not used · 1 used when prompted in session · 2 used spontaneously in session · "
        "3 reported used at home"
    )
    assert adoption_scale(short=True) == "0 not used · 1 prompted · 2 spontaneous · 3 at home"
    assert "its level is 2 (used spontaneously in session) or more" in ADOPTION_RULE
    assert "two consecutive observed sessions" in ADOPTION_RULE


def test_no_adoption_without_two_consecutive_spontaneous_sessions():
    assert adoption_point([("s1", 1), ("s2", 2), ("s3", 1), ("s4", 2)]) is None


def test_no_adoption_with_no_observations_or_one():
    assert adoption_point([]) is None
    assert adoption_point([("s1", 3)]) is None


def test_adopted_at_first_session_of_first_qualifying_pair():
    assert adoption_point([("s1", 0), ("s2", 1), ("s3", 2), ("s4", 2), ("s5", 3)]) == "s3"


def test_dip_breaks_the_pair_and_adoption_moves_later():
    assert adoption_point([(1, 2), (2, 1), (3, 2), (4, 3)]) == 3


def test_reported_at_home_counts_as_adopted_level():
    assert adoption_point([(10, 3), (11, 3)]) == 10


def test_unobserved_sessions_are_not_passed_so_gaps_do_not_break_a_pair():
    # Sessions 5 and 6 were not observed for this assignment; 4 and 7 are consecutive observations.
    assert adoption_point([(3, 1), (4, 2), (7, 2)]) == 4


@pytest.mark.parametrize("level", [-1, 4, 2.0, True, "2"])
def test_invalid_adoption_level_raises(level):
    with pytest.raises(ValueError, match="Adoption level"):
        adoption_point([("s1", 2), ("s2", level)])


# --- Cycle balance ---------------------------------------------------------------------------


def test_cycle_balance_weights_counts_by_intensity():
    balance = cycle_balance([("escalating", 3), ("escalating", 4), ("de-escalating", 2)])
    assert balance == CycleBalance(escalating=7, deescalating=2)
    assert balance.deescalation_share == pytest.approx(2 / 9)


def test_neutral_moments_count_in_neither_load():
    balance = cycle_balance([("neutral", 5), ("de-escalating", 4), ("neutral", 3)])
    assert balance == CycleBalance(escalating=0, deescalating=4)
    assert balance.deescalation_share == pytest.approx(1.0)


def test_a_share_needs_the_minimum_load():
    # MIN_SHARE_LOAD is 4: a load of 3 (one moment of intensity 3) says nothing yet …
    assert MIN_SHARE_LOAD == 4
    assert cycle_balance([("de-escalating", 3)]).deescalation_share is None
    assert deescalation_share(2, 1) is None
    # … a load of exactly 4 does: E = 2, D = 2 gives 2 / 4.
    assert deescalation_share(2, 2) == pytest.approx(0.5)
    assert cycle_balance([("de-escalating", 4)]).deescalation_share == pytest.approx(1.0)


def test_no_escalating_or_deescalating_moments_has_no_share():
    assert cycle_balance([]).deescalation_share is None
    assert cycle_balance([("neutral", 4)]).deescalation_share is None


def test_deescalation_share_function():
    assert deescalation_share(3, 1) == pytest.approx(0.25)
    assert deescalation_share(0, 0) is None
    with pytest.raises(ValueError, match="negative"):
        deescalation_share(-1, 2)


def test_unknown_valence_raises():
    with pytest.raises(ValueError, match="Unknown valence 'angry'"):
        cycle_balance([("angry", 3)])


@pytest.mark.parametrize("intensity", [0, 6, 2.5, True])
def test_intensity_outside_one_to_five_raises(intensity):
    with pytest.raises(ValueError, match="intensity"):
        cycle_balance([("escalating", intensity)])


def test_the_valences_and_their_words_are_defined_once():
    from practice.moments import models

    assert [str(v) for v in Valence] == ["escalating", "de-escalating", "neutral"]
    assert list(VALENCE_LABELS) == list(Valence)
    assert list(VALENCE_LABELS.values()) == ["Escalating", "De-escalating", "Neutral"]
    assert models.Valence is Valence


def test_a_moment_loads_its_own_side_only():
    assert moment_load("escalating", 4) == (4, 0)
    assert moment_load(Valence.DEESCALATING, 2) == (0, 2)
    assert moment_load("neutral", 5) == (0, 0)
    with pytest.raises(ValueError, match="Unknown valence"):
        moment_load("sideways", 1)


def test_session_tally_counts_per_valence_and_weighs_the_balance():
    tally = session_tally(
        [("escalating", 5), ("escalating", 1), ("de-escalating", 3), ("neutral", 2)]
    )
    assert tally == SessionTally(
        escalating=2, deescalating=1, neutral=1, balance=CycleBalance(escalating=6, deescalating=3)
    )
    assert tally.deescalation_share == pytest.approx(3 / 9)
    assert session_tally([]).deescalation_share is None


# --- Trend -----------------------------------------------------------------------------------


def test_trend_defaults():
    assert TREND_WINDOW == 4
    assert pytest.approx(0.05) == TREND_THRESHOLD


def test_least_squares_slope_hand_computed():
    # x = 0..3: Sxy = (-1.5)(-0.15) + (-0.5)(-0.05) + (0.5)(0.05) + (1.5)(0.15) = 0.5, Sxx = 5.
    assert least_squares_slope([0.2, 0.3, 0.4, 0.5]) == pytest.approx(0.1)
    # y = 1, 0, 2: Sxy = (-1)(0) + 0 + (1)(1) = 1, Sxx = 2, slope 0.5.
    assert least_squares_slope([1.0, 0.0, 2.0]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="at least 2"):
        least_squares_slope([0.4])


def test_rising_share_is_improving():
    trend = deescalation_trend([0.2, 0.3, 0.4, 0.5])
    assert trend.label == "improving"
    assert trend.slope == pytest.approx(0.1)
    assert trend.sessions_used == 4


def test_sessions_without_a_share_are_skipped():
    trend = deescalation_trend([0.2, 0.3, None, 0.4, 0.5])
    assert trend.label == "improving"
    assert trend.slope == pytest.approx(0.1)
    assert trend.sessions_used == 4


def test_only_the_last_window_of_shares_is_used():
    # The early 0.9 would pull the slope down if it were included.
    trend = deescalation_trend([0.9, 0.2, 0.3, 0.4, 0.5])
    assert trend.slope == pytest.approx(0.1)


def test_fewer_shares_than_window_is_not_enough_sessions():
    assert deescalation_trend([0.2, None, 0.3, 0.4]) == Trend(
        slope=None, label="not enough sessions", sessions_used=3
    )


def test_slope_exactly_at_threshold_is_steady():
    rising = deescalation_trend([0.0, 0.05, 0.10, 0.15])
    assert rising.slope == pytest.approx(0.05)
    assert rising.label == "steady"
    falling = deescalation_trend([0.15, 0.10, 0.05, 0.0])
    assert falling.slope == pytest.approx(-0.05)
    assert falling.label == "steady"


@pytest.mark.parametrize("shares", [[0.13, 0.18, 0.23, 0.28], [0.85, 0.8, 0.75, 0.7]])
def test_float_noise_at_the_threshold_stays_steady(shares):
    # In floating point these slopes come out a hair beyond +/-0.05, yet they are exactly at it.
    assert deescalation_trend(shares).label == "steady"


def test_flat_share_is_steady():
    trend = deescalation_trend([0.5, 0.5, 0.5, 0.5])
    assert trend == Trend(slope=0.0, label="steady", sessions_used=4)


def test_one_hard_session_after_calm_ones_is_steady():
    # 84 %, 100 %, 95 %, then 45 %. Sxy = (-1.5)(0.03) + (-0.5)(0.19) + (0.5)(0.14) + (1.5)(-0.36)
    # = -0.61 (mean 0.81), Sxx = 5: slope -0.122, beyond the threshold; but the window's median
    # is (0.84 + 0.95) / 2 = 0.895 >= 0.8, so the share stays high: steady.
    trend = deescalation_trend([0.84, 1.0, 0.95, 0.45])
    assert trend.slope == pytest.approx(-0.122)
    assert trend.label == "steady"


def test_the_high_share_rule_at_its_threshold():
    # Median exactly 0.8 (0.8 and 0.8 in the middle): steady, slope -0.105 notwithstanding.
    # Sxy = (-1.5)(0.1125) + (-0.5)(0.0625) + (0.5)(0.0625) + (1.5)(-0.2375) = -0.525.
    at = deescalation_trend([0.85, 0.8, 0.8, 0.5])
    assert (at.slope, at.label) == (pytest.approx(-0.105), "steady")
    # Median 0.79, just below: the slope (-0.105 again) decides, and it is worsening.
    below = deescalation_trend([0.85, 0.79, 0.79, 0.5])
    assert (below.slope, below.label) == (pytest.approx(-0.105), "worsening")
    assert pytest.approx(0.8) == HIGH_SHARE


def test_falling_share_is_worsening():
    # x = 0..3: Sxy = (-1.5)(0.3) + (-0.5)(0.1) + (0.5)(-0.1) + (1.5)(-0.3) = -1.0, Sxx = 5.
    trend = deescalation_trend([0.8, 0.6, 0.4, 0.2])
    assert trend.slope == pytest.approx(-0.2)
    assert trend.label == "worsening"


def test_custom_window_and_threshold():
    trend = deescalation_trend([0.2, 0.3, 0.4], window=3, threshold=0.2)
    assert trend == Trend(slope=pytest.approx(0.1), label="steady", sessions_used=3)


def test_invalid_window_or_threshold_raises():
    with pytest.raises(ValueError, match="window"):
        deescalation_trend([0.1, 0.2], window=1)
    with pytest.raises(ValueError, match="threshold"):
        deescalation_trend([0.1, 0.2, 0.3, 0.4], threshold=-0.1)


# --- CSI-4 -----------------------------------------------------------------------------------


def test_csi4_items_and_ranges():
    assert [item.number for item in CSI4_ITEMS] == [1, 2, 3, 4]
    assert [(item.minimum, item.maximum) for item in CSI4_ITEMS] == [(0, 6), (0, 5), (0, 5), (0, 5)]
    assert all(item.prompt for item in CSI4_ITEMS)


def test_csi4_total_sums_items():
    assert csi4_total([4, 3, 2, 5]) == 14
    assert csi4_total([0, 0, 0, 0]) == 0
    assert csi4_total([6, 5, 5, 5]) == 21


@pytest.mark.parametrize("items", [[4, 3, 2], [4, 3, 2, 5, 1], []])
def test_csi4_wrong_number_of_items_raises(items):
    with pytest.raises(ValueError, match=f"CSI-4 needs 4 item scores, got {len(items)}"):
        csi4_total(items)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([4, 3.0, 2, 5], "CSI-4 item 2 must be a whole number"),
        ([4, 3, "2", 5], "CSI-4 item 3 must be a whole number"),
        ([True, 3, 2, 5], "CSI-4 item 1 must be a whole number"),
        ([4, 3, 2, None], "CSI-4 item 4 must be a whole number"),
    ],
)
def test_csi4_non_integer_item_raises(items, message):
    with pytest.raises(ValueError, match=message):
        csi4_total(items)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([7, 3, 2, 5], "CSI-4 item 1 must be between 0 and 6, got 7"),
        ([6, 6, 2, 5], "CSI-4 item 2 must be between 0 and 5, got 6"),
        ([4, 3, -1, 5], "CSI-4 item 3 must be between 0 and 5, got -1"),
        ([4, 3, 2, 6], "CSI-4 item 4 must be between 0 and 5, got 6"),
    ],
)
def test_csi4_item_out_of_range_raises(items, message):
    with pytest.raises(ValueError, match=message):
        csi4_total(items)


def test_csi4_cutoff_boundary():
    assert pytest.approx(13.5) == CSI4_CUTOFF
    assert csi4_below_cutoff(13) is True
    assert csi4_below_cutoff(14) is False
    assert csi4_below_cutoff(13.5) is False


def test_csi4_reliable_change_default_is_five_points():
    assert CSI4_RELIABLE_CHANGE == 5
