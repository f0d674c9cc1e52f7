"""CSI-4 reliable change from each partner's baseline (Jacobson & Truax), worked out by hand
with the default index of 5 points and the 13.5 cut-off, and the couple judged as a pair."""

from __future__ import annotations

import pytest

from practice.measures.csi4 import (
    BASELINE_ONLY,
    BOTH_DETERIORATED,
    BOTH_IMPROVED,
    BOTH_UNCHANGED,
    DETERIORATED,
    DIVERGENT,
    IMPROVED,
    NOT_ENOUGH_READINGS,
    ONE_DETERIORATED,
    ONE_IMPROVED,
    RECOVERED,
    UNCHANGED,
    couple_change,
    csi4_change,
)


def test_a_single_reading_is_the_baseline_only():
    change = csi4_change([12])
    assert (change.category, change.change, change.slide) == (BASELINE_ONLY, 0, False)


def test_up_by_exactly_the_index_is_improvement_one_less_is_not():
    # 14 → 19: +5 = the index, no cut-off crossed (14 is above 13.5): improved.
    assert csi4_change([14, 16, 19]).category == IMPROVED
    # 14 → 18: +4, one short of the index: unchanged.
    assert csi4_change([14, 18]).category == UNCHANGED


def test_improvement_that_crosses_the_cutoff_is_recovery():
    # 9 → 14: +5 and from below 13.5 to at or above it: recovered.
    assert csi4_change([9, 14]).category == RECOVERED
    # 8 → 13: +5 but 13 is still below the cut-off: improved, not recovered.
    assert csi4_change([8, 13]).category == IMPROVED
    # 9 → 13.5 (a decimal total): +4.5 < 5, so unchanged even though it reached the cut-off.
    assert csi4_change([9, 13.5]).category == UNCHANGED


def test_down_by_the_index_is_deterioration():
    assert csi4_change([16, 11]).category == DETERIORATED  # −5
    assert csi4_change([16, 12]).category == UNCHANGED  # −4


def test_judged_from_the_baseline_not_the_last_two_readings():
    # 10 → 16 → 15: the last step is −1, but from the baseline it is +6 and over the cut-off.
    change = csi4_change([10, 16, 15])
    assert (change.baseline, change.latest, change.change) == (10, 15, 5)
    assert change.category == RECOVERED
    # 12 → 8 → 7 → 6: no single step of 5, yet −6 from the baseline.
    assert csi4_change([12, 8, 7, 6]).category == DETERIORATED


def test_a_slide_is_an_index_below_the_best_so_far():
    # 10 → 18 → 13: +3 from the baseline (unchanged) but 5 below the best (18): a slide.
    change = csi4_change([10, 18, 13])
    assert (change.category, change.best, change.slide) == (UNCHANGED, 18, True)
    # 10 → 18 → 14: 4 below the best, no slide.
    assert csi4_change([10, 18, 14]).slide is False


def test_the_index_is_a_setting():
    assert csi4_change([14, 17], rci=3).category == IMPROVED
    assert csi4_change([14, 17]).category == UNCHANGED


@pytest.mark.parametrize(
    ("totals", "rci", "message"),
    [([], 5, "at least one"), ([22], 5, "between 0 and 21"), ([10, 12], 0, "positive")],
)
def test_bad_readings_are_refused(totals, rci, message):
    with pytest.raises(ValueError, match=message):
        csi4_change(totals, rci=rci)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ([9, 15], [14, 19], BOTH_IMPROVED),  # recovered counts as improved
        ([14, 19], [12, 13], ONE_IMPROVED),
        ([14, 15], [12, 13], BOTH_UNCHANGED),
        ([14, 9], [12, 13], ONE_DETERIORATED),
        ([16, 10], [15, 9], BOTH_DETERIORATED),
        ([9, 15], [16, 10], DIVERGENT),  # one up by 6, the other down by 6
        ([9, 15], [16], NOT_ENOUGH_READINGS),  # the second partner has only a baseline
    ],
)
def test_the_couple_as_a_pair(first, second, expected):
    assert couple_change(csi4_change(first), csi4_change(second)) == expected


def test_a_couple_with_one_partner_unmeasured_has_not_enough_readings():
    assert couple_change(csi4_change([9, 15]), None) == NOT_ENOUGH_READINGS


def test_the_index_is_read_from_the_practice_settings():
    from practice.measures.settings import RELIABLE_CHANGE_KEY, reliable_change_index

    assert reliable_change_index({}) == 5
    assert reliable_change_index({RELIABLE_CHANGE_KEY: "3.5"}) == 3.5
    for bad in ("five", 0, -1, 22, True):
        with pytest.raises(ValueError, match=RELIABLE_CHANGE_KEY):
            reliable_change_index({RELIABLE_CHANGE_KEY: bad})
