"""The goal attainment rule at each threshold, on both sides, and the rating's one shape."""

from __future__ import annotations

import pytest

from practice.goals import rules
from practice.goals.rules import GoalThresholds, attainment, parse_rating

# Defaults: forward_points 2, met_rating 8.


@pytest.mark.parametrize(
    ("ratings", "direction", "change"),
    [
        ([3, 5], rules.FORWARD, 2),  # 5 - 3 = +2: at the threshold, forward
        ([3, 4], rules.SAME, 1),  # +1: one below it
        ([3, 3], rules.SAME, 0),
        ([5, 4], rules.SAME, -1),  # -1: within the wobble
        ([5, 3], rules.BACK, -2),  # 3 - 5 = -2: at the threshold, back
        ([2, 9, 4], rules.FORWARD, 2),  # first 2, latest 4: the middle does not count
        ([6, 2, 5], rules.SAME, -1),  # 5 - 6 = -1
    ],
)
def test_direction_compares_first_and_latest(ratings, direction, change):
    found = attainment(ratings)
    assert found.direction == direction
    assert found.change == change
    assert found.first == ratings[0] and found.latest == ratings[-1]
    assert found.ratings == len(ratings)


@pytest.mark.parametrize(("latest", "met"), [(7, False), (8, True), (10, True)])
def test_largely_met_from_eight(latest, met):
    # first 6: 7 is +1 (same), 8 is +2 (forward), 10 is +4 (forward)
    found = attainment([6, latest])
    assert found.met is met
    assert found.statement.endswith("; largely met") is met


def test_statement_words():
    assert attainment([3, 8]).statement == "moved forward; largely met"  # +5, latest 8
    assert attainment([3, 7]).statement == "moved forward"  # +4, latest 7 < 8
    assert attainment([9, 8]).statement == "about the same; largely met"  # -1, latest 8
    assert attainment([9, 6]).statement == "moved back"  # -3
    assert attainment([]) is None


def test_one_rating_is_a_first_rating_only():
    assert attainment([8]).statement == "first rating only; largely met"
    assert attainment([4]).statement == "first rating only"
    assert attainment([4]).change == 0


def test_thresholds_are_settings():
    strict = GoalThresholds(forward_points=3, met_rating=9)
    assert attainment([3, 5], strict).direction == rules.SAME  # +2 < 3
    assert attainment([3, 6], strict).direction == rules.FORWARD  # +3
    assert attainment([3, 0], strict).direction == rules.BACK  # -3
    assert attainment([3, 8], strict).met is False  # 8 < 9
    assert GoalThresholds.from_config({"PRACTICE_GOAL_MET_RATING": 7}).met_rating == 7
    # As the environment gives it (config.py reads PRACTICE_GOAL_* as strings).
    assert GoalThresholds.from_config({"PRACTICE_GOAL_FORWARD_POINTS": "3"}).forward_points == 3


@pytest.mark.parametrize(
    "config",
    [
        {"PRACTICE_GOAL_FORWARD_POINTS": 0},
        {"PRACTICE_GOAL_FORWARD_POINTS": 1.5},
        {"PRACTICE_GOAL_MET_RATING": 11},
        {"PRACTICE_GOAL_MET_RATING": "eight"},
        {"PRACTICE_GOAL_MET_RATING": "7.5"},
    ],
)
def test_bad_thresholds_are_refused(config):
    with pytest.raises(ValueError, match="PRACTICE_GOAL_"):
        GoalThresholds.from_config(config)


@pytest.mark.parametrize(("raw", "value"), [("0", 0), ("10", 10), (" 7 ", 7), ("", None), (5, 5)])
def test_a_rating_is_a_whole_number_from_0_to_10(raw, value):
    assert parse_rating(raw) == value


@pytest.mark.parametrize("raw", ["11", "-1", "7.5", "seven", "٣", True, 12])
def test_anything_else_is_refused_with_one_message(raw):
    with pytest.raises(ValueError, match="whole number from 0 to 10"):
        parse_rating(raw)


def test_client_words_are_the_same_for_each_partner():
    assert rules.client_statement(attainment([3, 8])) == (
        "has moved forward and feels largely there"
    )
    assert rules.client_statement(attainment([5, 3])) == "has felt harder lately"
