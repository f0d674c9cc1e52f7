"""The adoption course of a script, worked out by hand: only observed sessions count; adopted at
the first of two observed sessions in a row at level 2 or more; then maintained (used at 75 % or
more of the observed sessions since), uneven, or lapsed (the latest two observed below 2)."""

from __future__ import annotations

import pytest

from practice.scripts.adoption import (
    ABSENT,
    LAPSED,
    MAINTAINED,
    NO_OPPORTUNITY,
    NOT_YET_ADOPTED,
    OBSERVED,
    UNEVEN,
    Observation,
    adoption_course,
)


def course(*marks: int | str):
    """Sessions 1, 2, … in order: a level is an observed session, "a" an absent partner and
    "n" a session without opportunity."""
    observations = []
    for key, mark in enumerate(marks, start=1):
        if mark == "a":
            observations.append(Observation(key, ABSENT))
        elif mark == "n":
            observations.append(Observation(key, NO_OPPORTUNITY))
        else:
            observations.append(Observation(key, OBSERVED, mark))
    return adoption_course(observations)


def test_no_observations_is_not_yet_adopted():
    result = course()
    assert (result.adopted_at, result.state, result.observed) == (None, NOT_YET_ADOPTED, 0)


def test_two_observed_sessions_in_a_row_at_2_adopt_at_the_first_of_them():
    # 1 · 2 · 3 → sessions 2 and 3 are the first pair at >= 2: adopted at session 2.
    result = course(1, 2, 3)
    assert result.adopted_at == 2
    assert result.state == MAINTAINED  # 2 of 2 since adoption used
    assert (result.observed_since, result.used_since) == (2, 2)


def test_one_session_at_2_is_not_yet_adopted():
    # The threshold from below: a single observed session at 2, then 1.
    assert course(0, 2, 1).state == NOT_YET_ADOPTED


def test_an_absent_partner_does_not_break_the_run():
    # 2 · absent · 2: the two observed sessions are consecutive among observed ones.
    result = course(2, "a", 2)
    assert (result.adopted_at, result.observed) == (1, 2)


def test_no_opportunity_neither_makes_nor_breaks_a_run():
    assert course(1, 2, "n", "n", 2).adopted_at == 2
    # Unobserved sessions alone never adopt.
    assert course("n", "a", "n").state == NOT_YET_ADOPTED


def test_zeros_written_for_an_absent_partner_would_have_hidden_the_adoption():
    # The same history read as observed zeros (the old mistake) has no pair at >= 2.
    assert course(2, 0, 2).state == NOT_YET_ADOPTED
    assert course(2, "a", 2).adopted_at == 1


def test_maintained_at_exactly_75_percent_and_uneven_just_below():
    # Adopted at 1; since then 2 2 1 2 → 3 of 4 = 75 %: maintained (the threshold itself).
    at_75 = course(2, 2, 1, 2)
    assert (at_75.observed_since, at_75.used_since, at_75.state) == (4, 3, MAINTAINED)
    # 2 2 1 2 1 2 1 → 4 of 7 ≈ 57 %, the latest two are not both below 2: uneven.
    below = course(2, 2, 1, 2, 1, 2, 1)
    assert (below.observed_since, below.used_since, below.state) == (7, 4, UNEVEN)


def test_two_observed_in_a_row_below_2_after_adoption_is_a_lapse():
    # 2 2 2 2 1 1: 4 of 6 used (67 %), and the latest two are below 2 → lapsed.
    assert course(2, 2, 2, 2, 1, 1).state == LAPSED
    # One below 2 at the end is not a lapse: 2 2 2 2 1 → 4 of 5 = 80 %, maintained.
    assert course(2, 2, 2, 2, 1).state == MAINTAINED


def test_a_lapse_needs_two_observed_sessions_after_the_adopting_pair():
    # An absent partner between the two low sessions does not end the run of observed ones.
    assert course(2, 2, 1, "a", 0).state == LAPSED
    # A script taken up again after a lapse is no longer lapsed: 2 2 1 1 2 2 → 4 of 6, uneven.
    assert course(2, 2, 1, 1, 2, 2).state == UNEVEN


def test_the_course_is_worked_out_over_the_whole_history():
    # A later period that starts after adoption still sees the adoption date of the case page:
    # callers pass the whole history up to the period's end, never only the period.
    whole = course(1, 2, 3, 2, 2)
    period_only = course(2, 2)  # sessions 4 and 5 alone would say "adopted at the period's start"
    assert whole.adopted_at == 2
    assert period_only.adopted_at == 1


@pytest.mark.parametrize(
    ("observation", "message"),
    [
        (Observation(1, "seen"), "Unknown observation status"),
        (Observation(1, OBSERVED), "needs a level"),
        (Observation(1, OBSERVED, 4), "between 0 and 3"),
    ],
)
def test_bad_observations_are_refused(observation, message):
    with pytest.raises(ValueError, match=message):
        adoption_course([observation])
