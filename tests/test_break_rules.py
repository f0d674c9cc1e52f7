"""The break rules on hand-built breaks, each threshold on both sides (pure: no app, no database).

Defaults: protective = returned after >= 20 min and <= 24 h; early < 20 min; unreturned = none
within 24 h; pending while younger than 24 h; return rate over 28 days; flag at >= 2 unreturned
in 14 days or under 50 % returned of the last four.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from practice.breaks import rules
from practice.breaks.rules import (
    EARLY,
    PENDING,
    PROTECTIVE,
    UNRETURNED,
    BreakFacts,
    BreakThresholds,
)

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
CALL = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)


def back_after(delta: timedelta, called_at: datetime = CALL) -> BreakFacts:
    return BreakFacts(called_at=called_at, resumed_at=called_at + delta)


def never(called_at: datetime) -> BreakFacts:
    return BreakFacts(called_at=called_at)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(0), EARLY),
        (timedelta(minutes=19, seconds=59), EARLY),  # 1 s short of 20 min
        (timedelta(minutes=20), PROTECTIVE),  # exactly 20 min
        (timedelta(hours=3), PROTECTIVE),
        (timedelta(hours=24), PROTECTIVE),  # exactly 24 h
        (timedelta(hours=24, seconds=1), UNRETURNED),  # 1 s after 24 h: not within 24 h
    ],
)
def test_classify_a_return(delta, expected):
    assert rules.classify(back_after(delta), NOW) == expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(hours=1), PENDING),
        (timedelta(hours=24), PENDING),  # exactly 24 h old: a return now would still count
        (timedelta(hours=24, seconds=1), UNRETURNED),
    ],
)
def test_classify_no_return_yet(age, expected):
    assert rules.classify(never(NOW - age), NOW) == expected


def test_thresholds_are_settings():
    t = BreakThresholds(min_minutes=30, max_hours=12)
    assert rules.classify(back_after(timedelta(minutes=29)), NOW, t) == EARLY
    assert rules.classify(back_after(timedelta(minutes=30)), NOW, t) == PROTECTIVE
    assert rules.classify(back_after(timedelta(hours=12, seconds=1)), NOW, t) == UNRETURNED


def test_return_rate_over_28_days():
    breaks = [
        back_after(timedelta(hours=1), NOW - timedelta(days=28)),  # exactly 28 days: in
        never(NOW - timedelta(days=28, seconds=1)),  # just outside: left out
        never(NOW - timedelta(days=3)),  # unreturned
        back_after(timedelta(minutes=5), NOW - timedelta(days=2)),  # early: still returned
        never(NOW - timedelta(hours=2)),  # pending: left out
    ]
    rate = rules.return_rate(breaks, NOW)
    # decided: the 28-day one (returned), the unreturned, the early (returned) -> 2 of 3
    assert (rate.returned, rate.decided) == (2, 3)
    assert rate.rate == pytest.approx(2 / 3)
    assert rate.percent == "67 %"


def test_return_rate_without_decided_breaks():
    rate = rules.return_rate([never(NOW - timedelta(hours=1))], NOW)
    assert (rate.returned, rate.decided, rate.rate, rate.percent) == (0, 0, None, "—")


def test_one_unreturned_in_14_days_is_not_flagged():
    breaks = [
        never(NOW - timedelta(days=5)),
        back_after(timedelta(hours=1), NOW - timedelta(days=4)),
    ]
    assert rules.break_flag(breaks, NOW) is None


def test_two_unreturned_in_14_days_are_flagged():
    first = NOW - timedelta(days=14)  # exactly 14 days ago: in the window
    breaks = [never(first), never(NOW - timedelta(days=2))]
    flag = rules.break_flag(breaks, NOW)
    assert flag is not None
    assert flag.since == first
    assert flag.reason.startswith("2 breaks not returned to within 24 hours in the last 14 days")


def test_unreturned_outside_14_days_do_not_count():
    breaks = [
        never(NOW - timedelta(days=14, seconds=1)),
        never(NOW - timedelta(days=2)),
        back_after(timedelta(hours=1), NOW - timedelta(days=1)),
    ]
    # One in the window; the last four rule needs four decided breaks (only three): no flag.
    assert rules.break_flag(breaks, NOW) is None


def _last_four(returned: int) -> list[BreakFacts]:
    """Four decided breaks 20 days apart from each other's window (never two unreturned in 14
    days), the first ``returned`` of them (oldest first) returned after an hour."""
    calls = [NOW - timedelta(days=d) for d in (80, 60, 40, 20)]
    return [
        back_after(timedelta(hours=1), c) if i < returned else never(c) for i, c in enumerate(calls)
    ]


def test_two_of_four_returned_is_50_percent_not_flagged():
    assert rules.break_flag(_last_four(2), NOW) is None


def test_one_of_four_returned_is_25_percent_flagged():
    flag = rules.break_flag(_last_four(1), NOW)
    assert flag is not None
    assert flag.since == NOW - timedelta(days=80)
    assert "only 1 of the last 4 breaks" in flag.reason
    assert "25 %" in flag.reason


def test_pending_breaks_are_not_among_the_last_four():
    breaks = [*_last_four(2), never(NOW - timedelta(hours=3))]
    # The pending one is left out: the last four are still 2 of 4 returned.
    assert rules.break_flag(breaks, NOW) is None


def test_fewer_than_four_decided_breaks_are_not_judged_by_the_rate():
    breaks = [never(NOW - timedelta(days=40)), never(NOW - timedelta(days=20))]
    assert rules.break_flag(breaks, NOW) is None


def test_summary_classifies_in_order():
    breaks = [back_after(timedelta(hours=1), NOW - timedelta(days=1)), never(NOW)]
    summary = rules.summarise(breaks, NOW)
    assert summary.kinds == [PROTECTIVE, PENDING]
    assert (summary.rate.returned, summary.rate.decided) == (1, 1)
    assert summary.flag is None


@pytest.mark.parametrize(
    ("gap", "same"),
    [(timedelta(hours=2), True), (timedelta(hours=2, seconds=1), False)],
)
def test_same_episode_window(gap, same):
    assert rules.same_episode(1, CALL, 1, CALL + gap) is same
    assert rules.same_episode(1, CALL, 1, CALL - gap) is same


def test_same_episode_needs_the_same_caller():
    assert not rules.same_episode(1, CALL, 2, CALL)


def test_differing_fields_and_chosen_account():
    a = {"told_by_id": 1, "called_at": CALL, "resumed_at": None, "outcome": None}
    b = {
        "told_by_id": 2,
        "called_at": CALL,
        "resumed_at": CALL + timedelta(hours=1),
        "outcome": "calmer",
    }
    assert rules.differing_fields([a]) == []
    assert rules.differing_fields([a, b]) == ["resumed_at", "outcome"]
    assert rules.chosen_account([a, b]) == 1  # the one that reports a return
    own = {**a, "told_by_id": None}
    assert rules.chosen_account([a, b, own]) == 2  # the counsellor's record first
    assert rules.chosen_account([a]) == 0
    with pytest.raises(ValueError):
        rules.chosen_account([])


@pytest.mark.parametrize(
    "config",
    [
        {"PRACTICE_BREAK_MIN_MINUTES": 0},
        {"PRACTICE_BREAK_MAX_HOURS": -1},
        {"PRACTICE_BREAK_FLAG_UNRETURNED": 1.5},
        {"PRACTICE_BREAK_FLAG_RATE": 1.5},
        {"PRACTICE_BREAK_FLAG_LAST": True},
        {"PRACTICE_BREAK_RATE_DAYS": "many"},
        {"PRACTICE_BREAK_MIN_MINUTES": 60, "PRACTICE_BREAK_MAX_HOURS": 1},
    ],
)
def test_bad_settings_are_refused(config):
    with pytest.raises(ValueError):
        BreakThresholds.from_config(config)


def test_settings_from_config():
    t = BreakThresholds.from_config(
        {"PRACTICE_BREAK_FLAG_LAST": "6", "PRACTICE_BREAK_FLAG_RATE": 0.4}
    )
    assert (t.flag_last, t.flag_rate, t.min_minutes) == (6, 0.4, 20)
