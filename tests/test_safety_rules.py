"""The safety screen's rules (``practice.safety.screening``) on hand-built cases, at their
thresholds: HITS range and cut-off, the screen's window, the joint-signing gate, and which
moments make a rescreen due. No database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from practice.safety import screening as s
from practice.safety.screening import PartnerFact, ScreenFact

DAY = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("items", "total"),
    [([1, 1, 1, 1], 4), ([5, 5, 5, 5], 20), ([1, 2, 3, 4], 10), ([2, 3, 3, 3], 11)],
)
def test_hits_total_adds_the_four_answers(items, total):
    assert s.hits_total(items) == total


@pytest.mark.parametrize(
    "items",
    [
        [0, 1, 1, 1],  # below "never"
        [1, 1, 1, 6],  # above "frequently"
        [1, 1, 1],  # three answers
        [1, 1, 1, 1, 1],  # five answers
        [1, 1, 1, True],  # a boolean is no answer
        [1, 1, 1, 2.5],  # nor a fraction
        [1, 1, 1, "2"],  # nor a string
    ],
)
def test_hits_answers_out_of_range_or_shape_are_refused(items):
    with pytest.raises(ValueError):
        s.hits_total(items)


def test_a_total_of_ten_is_not_positive_and_eleven_is():
    # Sherin et al.: a total above 10 is positive.
    assert s.hits_positive(10) is False
    assert s.hits_positive(11) is True
    assert s.hits_positive(4) is False
    assert s.hits_positive(20) is True


@pytest.mark.parametrize("total", [3, 21, 0])
def test_a_total_outside_4_to_20_is_refused(total):
    with pytest.raises(ValueError):
        s.hits_positive(total)


def test_concern_is_a_positive_hits_or_fear():
    assert s.screen_concern(10, afraid=False) is False
    assert s.screen_concern(10, afraid=True) is True
    assert s.screen_concern(11, afraid=False) is True


def test_the_window_defaults_to_90_days_and_refuses_nonsense():
    assert s.screen_days({}) == 90
    assert s.screen_days({s.SCREEN_DAYS_KEY: 60}) == 60
    for bad in (0, -1, 367, 30.5, "90", True):
        with pytest.raises(ValueError):
            s.screen_days({s.SCREEN_DAYS_KEY: bad})


def _screen(days_before: int, decision: str = s.ScreenDecision.JOINT_OK, pid: int = 1):
    return ScreenFact(pid, DAY - timedelta(days=days_before), decision)


def test_a_screen_90_days_before_covers_the_day_and_91_does_not():
    assert s.covering_screen([_screen(90)], DAY, 90) == _screen(90)
    assert s.covering_screen([_screen(91)], DAY, 90) is None
    assert s.covering_screen([_screen(0)], DAY, 90) == _screen(0)  # the same day counts


def test_a_screen_after_the_session_does_not_cover_it():
    assert s.covering_screen([_screen(-1)], DAY, 90) is None


def test_the_latest_covering_screen_is_the_one_that_counts():
    screens = [_screen(80, s.ScreenDecision.REFER), _screen(10), _screen(-3)]
    assert s.covering_screen(screens, DAY, 90) == _screen(10)


def _partner(pid, name, *screens, rescreens=()):
    return PartnerFact(pid, name, list(screens), list(rescreens))


def test_joint_signing_needs_a_covering_screen_for_each_partner():
    alex = _partner(1, "Alex", _screen(90, pid=1))
    sam = _partner(2, "Sam", _screen(91, pid=2))
    assert s.joint_signing_problems([alex], DAY, 90) == []
    problems = s.joint_signing_problems([alex, sam], DAY, 90)
    assert problems == [
        "Sam has no safety screen in the 90 days up to 30 Jun 2026: screen each partner "
        "alone before joint work."
    ]


def test_a_decision_against_joint_work_blocks_joint_signing():
    for decision in (s.ScreenDecision.INDIVIDUAL_ONLY, s.ScreenDecision.REFER):
        problems = s.joint_signing_problems([_partner(1, "Alex", _screen(5, decision))], DAY, 90)
        assert len(problems) == 1 and "not joint work" in problems[0]
    plan = _partner(1, "Alex", _screen(5, s.ScreenDecision.JOINT_WITH_PLAN))
    assert s.joint_signing_problems([plan], DAY, 90) == []


def test_a_rescreen_due_blocks_joint_signing_even_with_a_current_screen():
    alex = _partner(1, "Alex", _screen(5), rescreens=[s.RescreenReason.CHECKIN_FEAR])
    assert s.joint_signing_problems([alex], DAY, 90) == [
        "A rescreen is due for Alex (afraid of partner in a check-in)."
    ]


def test_joint_means_a_couple_whose_partners_both_attended():
    assert s.is_joint("couple", [1, 2], [1, 2]) is True
    assert s.is_joint("couple", [1, 2], [1]) is False
    assert s.is_joint("individual", [1], [1]) is False
    assert s.is_joint("family", [1, 2, 3], [1, 2, 3]) is False


def test_status_today_runs_from_not_screened_to_overdue():
    def status(*screens, rescreens=()):
        return s.screen_status(_partner(1, "Alex", *screens, rescreens=rescreens), DAY, 90).status

    assert status() == s.NONE
    assert status(_screen(0)) == s.CURRENT
    assert status(_screen(90 - 15)) == s.CURRENT  # runs out in 15 days
    assert status(_screen(90 - 14)) == s.DUE_SOON  # runs out in 14 days
    assert status(_screen(90)) == s.DUE_SOON  # runs out today
    assert status(_screen(91)) == s.OVERDUE
    assert status(_screen(3), rescreens=["threat_moment"]) == s.RESCREEN_DUE
    later = s.screen_status(_partner(1, "Alex", _screen(10)), DAY, 90)
    assert later.runs_out_on == DAY + timedelta(days=80)


@pytest.mark.parametrize(
    ("key", "intensity", "reason"),
    [
        ("threat_to_end", 5, s.RescreenReason.THREAT_MOMENT),
        ("threat_to_end", 4, None),
        ("contempt", 5, s.RescreenReason.CONTEMPT_MOMENT),
        ("contempt", 4, None),
        ("criticism", 5, None),
        ("softening", 5, None),
    ],
)
def test_only_a_threat_or_contempt_at_the_top_intensity_makes_a_rescreen_due(
    key, intensity, reason
):
    assert s.rescreen_reason_for_moment(key, intensity) == reason


def test_an_override_needs_a_reason_of_at_most_500_characters():
    assert s.check_override_reason("  Crisis session; screened by phone next day.  ") == (
        "Crisis session; screened by phone next day."
    )
    for bad in (None, "", "   "):
        with pytest.raises(ValueError):
            s.check_override_reason(bad)
    assert s.check_override_reason("x" * 500)
    with pytest.raises(ValueError):
        s.check_override_reason("x" * 501)
