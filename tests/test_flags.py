"""The supervisor flags, from hand-made case summaries: each fires at its threshold, not before,
with its severity and the day its condition began."""

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from practice.measures import csi4
from practice.moments import balance
from practice.supervision import flags
from practice.supervision.case_summaries import (
    AssignmentSummary,
    CaseSummary,
    Csi4Reading,
    DraftNote,
    SessionLoad,
)
from practice.supervision.flags import Thresholds, case_flags

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
DEFAULT = Thresholds()


def at(day: date | str, hour: int = 10) -> datetime:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def weekly(loads: list[tuple], first: str = "2026-07-01") -> list[SessionLoad]:
    """Sessions a week apart with (escalating, deescalating[, neutral moments]) per session."""
    start = at(first)
    return [SessionLoad(start + timedelta(weeks=i), *load) for i, load in enumerate(loads)]


def shares_to_loads(shares: list[float]) -> list[tuple[int, int]]:
    """(E, D) with a load of 100 whose share D / (E + D) is exactly ``share``."""
    return [(100 - round(share * 100), round(share * 100)) for share in shares]


def kinds(found) -> list[str]:
    return [flag.kind for flag in found]


def d(value: str) -> date:
    return date.fromisoformat(value)


# --- Thresholds ------------------------------------------------------------------------------


def test_a_missing_key_takes_the_flags_default_and_a_set_key_overrides_it(app):
    # The app's own configuration sets no PRACTICE_FLAG_* key: every default is Thresholds'.
    assert not [key for key in app.config if key.startswith("PRACTICE_FLAG_")]
    assert Thresholds.from_config(app.config) == Thresholds()
    assert Thresholds() == Thresholds(
        unsigned_hours=72,
        no_session_days=21,
        no_deescalation_sessions=6,
        script_not_adopted_sessions=6,
        severe_distress=csi4.CSI4_SEVERE_DISTRESS,
        reliable_change=csi4.CSI4_RELIABLE_CHANGE,
    )
    for name, (key, _) in flags.CONFIG_KEYS.items():
        overridden = Thresholds.from_config({**app.config, key: 9})
        assert getattr(overridden, name) == 9
        assert overridden == dataclasses.replace(Thresholds(), **{name: 9})


def test_thresholds_come_from_configuration():
    config = {"PRACTICE_FLAG_NO_SESSION_DAYS": "14", "PRACTICE_FLAG_SEVERE_DISTRESS": 4}
    t = Thresholds.from_config(config)
    assert (t.no_session_days, t.severe_distress, t.unsigned_hours) == (14, 4, 72)


def test_reliable_change_is_the_practices_csi4_setting_not_a_flag_setting():
    assert Thresholds.from_config({"PRACTICE_CSI4_RELIABLE_CHANGE": 3}).reliable_change == 3
    # The old "fall between the last two readings" key is gone: it changes nothing.
    assert Thresholds.from_config({"PRACTICE_FLAG_CSI4_RELIABLE_FALL": 3}) == Thresholds()
    assert "csi4_reliable_fall" not in {f.name for f in dataclasses.fields(Thresholds)}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("PRACTICE_FLAG_UNSIGNED_HOURS", 0),
        ("PRACTICE_FLAG_NO_SESSION_DAYS", -3),
        ("PRACTICE_FLAG_NO_DEESCALATION_SESSIONS", 2.5),
        ("PRACTICE_FLAG_SCRIPT_NOT_ADOPTED_SESSIONS", "six"),
        ("PRACTICE_FLAG_SEVERE_DISTRESS", True),
        ("PRACTICE_FLAG_SEVERE_DISTRESS", None),
        ("PRACTICE_FLAG_SEVERE_DISTRESS", 6.5),
        ("PRACTICE_FLAG_SEVERE_DISTRESS", 22),
        ("PRACTICE_CSI4_RELIABLE_CHANGE", 0),
    ],
)
def test_bad_thresholds_are_refused_with_the_key_named(key, value):
    with pytest.raises(ValueError, match=key):
        Thresholds.from_config({key: value})


# --- Severities ------------------------------------------------------------------------------


def test_every_kind_has_its_documented_severity():
    assert flags.SEVERITY_ORDER == ("urgent", "attention", "info")
    assert flags.SEVERITIES == {
        "severe_distress": "urgent",
        "csi4_deterioration": "urgent",
        "rescreen_due": "urgent",
        "screen_override": "urgent",
        "csi4_slide": "attention",
        "split_alliance": "attention",
        "no_recent_session": "attention",
        "deescalation_worsening": "attention",
        "no_deescalation": "attention",
        "unsigned_note": "attention",
        "breaks_not_returned": "attention",
        "stage_override": "attention",
        "script_not_adopted": "info",
    }
    assert set(flags.SEVERITIES) == set(flags.FLAG_KINDS)
    for severity in flags.SEVERITY_ORDER:
        assert flags.SEVERITY_LABELS[severity] and flags.SEVERITY_MEANINGS[severity]
    flag = flags.Flag("csi4_slide", "x", d("2026-08-01"))
    assert (flag.label, flag.severity, flag.severity_label) == (
        "CSI-4 slide",
        "attention",
        "Attention",
    )


def test_flag_kinds_are_listed_most_severe_first():
    ranks = [flags.severity_rank(flags.SEVERITIES[kind]) for kind in flags.FLAG_KINDS]
    assert ranks == sorted(ranks)


def test_legend_words_cover_every_kind_with_the_configured_numbers():
    t = Thresholds(severe_distress=4, reliable_change=3, no_deescalation_sessions=5)
    rules, since = flags.describe_thresholds(t), flags.describe_since(t)
    assert set(rules) == set(since) == set(flags.FLAG_KINDS)
    assert rules["severe_distress"].startswith("a partner's latest CSI-4 total is 4 or lower")
    assert "3 points or more below their first (baseline) total" in rules["csi4_deterioration"]
    assert "3 points or more below their best so far" in rules["csi4_slide"]
    assert "last 5 sessions with moments tagged" in rules["no_deescalation"]
    assert "no evidence either way" in rules["no_deescalation"]
    assert "80 % or more" in rules["deescalation_worsening"]
    assert since["no_deescalation"] == "the first session of the run without a de-escalating moment"
    assert "its 6th observed session" in flags.describe_since(DEFAULT)["script_not_adopted"]
    second = flags.describe_since(Thresholds(script_not_adopted_sessions=2))
    assert "its 2nd observed session" in second["script_not_adopted"]


# --- Unsigned note ---------------------------------------------------------------------------


def test_unsigned_note_fires_only_after_72_hours_from_the_end_of_the_session():
    # A 50-minute session from 10:00 on 12 Aug ends at 10:50; 72 hours later is 10:50 on 15 Aug.
    draft = DraftNote(at("2026-08-12", 10), 50)
    exactly = draft.ends_at + timedelta(hours=72)
    assert exactly == datetime(2026, 8, 15, 10, 50, tzinfo=UTC)
    assert flags.unsigned_note_flag([draft], exactly, DEFAULT) is None
    flag = flags.unsigned_note_flag([draft], exactly + timedelta(minutes=1), DEFAULT)
    assert flag.kind == "unsigned_note" and flag.severity == "attention"
    assert (
        flag.reason == "the note of the session of 12 Aug 2026 is unsigned more than 72 hours later"
    )
    assert flag.since == d("2026-08-15")  # the day it became overdue, not the session's


def test_since_is_the_day_the_note_became_overdue_even_past_midnight():
    # 23:30 + 50 minutes = 00:20 on 13 Aug; + 72 hours = 00:20 on 16 Aug.
    draft = DraftNote(at("2026-08-12", 23).replace(minute=30), 50)
    assert flags.unsigned_note_flag([draft], NOW, DEFAULT).since == d("2026-08-16")


def test_days_are_the_practices_local_days():
    # A session from 22:00 UTC on 12 Aug is 08:00 on 13 Aug in Sydney (AEST, UTC+10); it ends
    # at 08:50 there, overdue 72 hours later at 08:50 on 16 Aug (22:50 UTC on 15 Aug).
    sydney = Thresholds(zone=ZoneInfo("Australia/Sydney"))
    draft = DraftNote(at("2026-08-12", 22), 50)
    utc_flag = flags.unsigned_note_flag([draft], NOW, DEFAULT)
    local_flag = flags.unsigned_note_flag([draft], NOW, sydney)
    assert (utc_flag.since, local_flag.since) == (d("2026-08-15"), d("2026-08-16"))
    assert "of 12 Aug 2026" in utc_flag.reason and "of 13 Aug 2026" in local_flag.reason
    # The last session at 22:00 UTC on 11 Aug is 12 Aug in Sydney: 20 local days before 1 Sep
    # (21 by UTC days), so not yet a flag there.
    summary = CaseSummary(opened_on=date(2026, 1, 5), last_session_at=at("2026-08-11", 22))
    assert flags.no_recent_session_flag(summary, NOW.date(), DEFAULT).since == d("2026-08-11")
    assert flags.no_recent_session_flag(summary, NOW.date(), sydney) is None
    config = {"PRACTICE_TIMEZONE": "Australia/Sydney"}
    assert Thresholds.from_config(config).zone == ZoneInfo("Australia/Sydney")
    assert flags.day(at("2026-08-12", 22), ZoneInfo("Australia/Sydney")) == "13 Aug 2026"


def test_several_late_notes_name_the_oldest_and_date_from_it():
    drafts = [DraftNote(at("2026-08-20"), 50), DraftNote(at("2026-08-12"), 50)]
    flag = flags.unsigned_note_flag(drafts, NOW, DEFAULT)
    assert flag.reason == (
        "2 notes unsigned more than 72 hours after their session, the oldest from 12 Aug 2026"
    )
    assert flag.since == d("2026-08-15")


def test_a_recent_draft_is_not_flagged():
    draft = DraftNote(NOW - timedelta(hours=24), 50)
    assert flags.unsigned_note_flag([draft], NOW, DEFAULT) is None


# --- No recent session -----------------------------------------------------------------------


def test_no_recent_session_fires_at_21_days_since_the_last_session():
    last = NOW - timedelta(days=21)  # 11 Aug
    summary = CaseSummary(opened_on=date(2026, 1, 5), last_session_at=last)
    flag = flags.no_recent_session_flag(summary, NOW.date(), DEFAULT)
    assert (flag.kind, flag.severity) == ("no_recent_session", "attention")
    assert flag.reason == "no session for 21 days"
    assert flag.since == d("2026-08-11")
    recent = CaseSummary(opened_on=date(2026, 1, 5), last_session_at=last + timedelta(days=1))
    assert flags.no_recent_session_flag(recent, NOW.date(), DEFAULT) is None


def test_a_case_without_sessions_counts_from_its_opening():
    opened = NOW.date() - timedelta(days=30)  # 2 Aug
    flag = flags.no_recent_session_flag(CaseSummary(opened_on=opened), NOW.date(), DEFAULT)
    assert flag.reason == "no session since the case opened, 30 days ago"
    assert flag.since == d("2026-08-02")
    new = CaseSummary(opened_on=NOW.date() - timedelta(days=20))
    assert flags.no_recent_session_flag(new, NOW.date(), DEFAULT) is None


def test_a_next_appointment_at_most_21_days_away_keeps_the_case_unflagged():
    last = NOW - timedelta(days=30)  # 2 Aug
    stale = CaseSummary(opened_on=date(2026, 1, 5), last_session_at=last)
    soon = dataclasses.replace(stale, next_appointment_at=NOW + timedelta(days=21))
    assert flags.no_recent_session_flag(soon, NOW.date(), DEFAULT) is None
    later = dataclasses.replace(stale, next_appointment_at=NOW + timedelta(days=22))  # 23 Sep
    flag = flags.no_recent_session_flag(later, NOW.date(), DEFAULT)
    assert flag.reason == "no session for 30 days; next planned on 23 Sep 2026"
    assert flag.since == d("2026-08-02")


def test_cancelled_and_missed_appointments_are_no_session_but_are_named():
    last = NOW - timedelta(days=25)  # 7 Aug
    summary = CaseSummary(
        opened_on=date(2026, 1, 5),
        last_session_at=last,
        # One before the last session (not counted), two after it.
        missed_appointments=(
            last - timedelta(days=7),
            last + timedelta(days=7),
            last + timedelta(days=14),
        ),
    )
    flag = flags.no_recent_session_flag(summary, NOW.date(), DEFAULT)
    assert flag.reason == "no session for 25 days (2 appointments since cancelled or missed)"
    assert flag.since == d("2026-08-07")
    # A missed appointment 20 days after opening does not reset the count from the opening.
    opened = NOW.date() - timedelta(days=21)
    never = CaseSummary(opened_on=opened, missed_appointments=(NOW - timedelta(days=1),))
    flag = flags.no_recent_session_flag(never, NOW.date(), DEFAULT)
    assert flag.reason == (
        "no session since the case opened, 21 days ago (1 appointment since cancelled or missed)"
    )


# --- De-escalation share worsening -----------------------------------------------------------


def test_worsening_fires_beyond_the_trend_threshold_since_the_session_it_turned():
    # Shares 0.8, 0.6, 0.4, 0.2: slope -0.2 per session, median 0.5. The trend is first known,
    # and worsening, at the fourth session (22 Jul).
    sessions = weekly(shares_to_loads([0.8, 0.6, 0.4, 0.2]))
    flag = flags.deescalation_worsening_flag(sessions)
    assert (flag.kind, flag.severity) == ("deescalation_worsening", "attention")
    assert flag.reason == (
        "de-escalation share worsening over the last 4 sessions that have one "
        "(-20.0 points per session)"
    )
    assert flag.since == d("2026-07-22")


def test_a_worsening_that_goes_on_keeps_the_day_it_began():
    # A fifth share of 0.1: window 0.6, 0.4, 0.2, 0.1, mean 0.325; slope = sum((x - 1.5)(y -
    # 0.325)) / 5 = (-0.4125 - 0.0375 - 0.0625 - 0.3375) / 5 = -0.17: still worsening, since
    # the fourth session (22 Jul), not the window's first (8 Jul).
    sessions = weekly(shares_to_loads([0.8, 0.6, 0.4, 0.2, 0.1]))
    assert flags.deescalation_worsening_flag(sessions).since == d("2026-07-22")


def test_the_since_date_is_where_the_trend_turned_after_improving():
    # 0.2, 0.4, 0.6, 0.8 improve; window to the 5th (0.4, 0.6, 0.8, 0.5): slope
    # (0.2625 - 0.0125 + 0.1125 - 0.1125) / 5 = +0.05, the threshold: steady. Window to the
    # 6th (0.6, 0.8, 0.5, 0.3), mean 0.55: slope (-0.075 - 0.125 - 0.025 - 0.375) / 5 = -0.12,
    # median 0.55: worsening from the 6th session (5 Aug).
    sessions = weekly(shares_to_loads([0.2, 0.4, 0.6, 0.8, 0.5, 0.3]))
    assert flags.deescalation_worsening_flag(sessions[:5]) is None
    assert flags.deescalation_worsening_flag(sessions).since == d("2026-08-05")


def test_a_slope_at_the_threshold_is_steady_not_worsening():
    # Shares 0.65, 0.60, 0.55, 0.50: slope exactly -0.05, the threshold.
    sessions = weekly([(35, 65), (40, 60), (45, 55), (50, 50)])
    assert balance.deescalation_trend([s.deescalation_share for s in sessions]).label == "steady"
    assert flags.deescalation_worsening_flag(sessions) is None
    # 0.66, 0.60, 0.54, 0.48: slope -0.06, just beyond it.
    assert flags.deescalation_worsening_flag(weekly([(34, 66), (40, 60), (46, 54), (52, 48)]))


def test_one_hard_session_after_high_shares_is_steady():
    # 1.0, 0.9, 0.84, 0.45: slope -0.171 but the median (0.9 + 0.84) / 2 = 0.87 is at least
    # HIGH_SHARE (0.8): the share stays high, steady. With 0.78 in place of 0.84 the median is
    # 0.84, still high; with 0.7 and 0.75 it is 0.725: worsening.
    assert (
        flags.deescalation_worsening_flag(weekly(shares_to_loads([1.0, 0.9, 0.84, 0.45]))) is None
    )
    assert (
        flags.deescalation_worsening_flag(weekly(shares_to_loads([1.0, 0.9, 0.78, 0.45]))) is None
    )
    assert flags.deescalation_worsening_flag(weekly(shares_to_loads([1.0, 0.75, 0.7, 0.45])))


def test_a_median_share_of_exactly_80_percent_is_high():
    # 1.0, 0.85, 0.75, 0.3: median (0.85 + 0.75) / 2 = 0.8, HIGH_SHARE itself: steady, though
    # the slope is (-0.4125 - 0.0625 + 0.0125 - 0.6375) / 5 = -0.22. With 0.74 in place of
    # 0.75 the median is 0.795: worsening.
    assert (
        flags.deescalation_worsening_flag(weekly(shares_to_loads([1.0, 0.85, 0.75, 0.3]))) is None
    )
    assert flags.deescalation_worsening_flag(weekly(shares_to_loads([1.0, 0.85, 0.74, 0.3])))


def test_worsening_looks_at_the_last_four_sessions_that_have_a_share():
    # An improving start, then four falling shares with a session without moments and one with
    # too little load (3, below MIN_SHARE_LOAD) among them: neither has a share.
    sessions = weekly([(8, 2), (2, 8), (4, 6), (0, 0), (6, 4), (2, 1), (8, 2)])
    flag = flags.deescalation_worsening_flag(sessions)
    assert flag is not None
    assert flag.since == d("2026-08-12")  # the 7th session, where the fourth falling share is
    assert flags.deescalation_worsening_flag(sessions[-4:]) is None  # too few shares


# --- No de-escalating moment -----------------------------------------------------------------


def test_no_deescalation_fires_after_six_tagged_sessions_without_one():
    sessions = weekly([(3, 0)] * 6)
    flag = flags.no_deescalation_flag(sessions, DEFAULT)
    assert (flag.kind, flag.severity) == ("no_deescalation", "attention")
    assert flag.reason == "no de-escalating moment in the last 6 sessions with moments tagged"
    assert flag.since == d("2026-07-01")


def test_no_deescalation_needs_six_tagged_sessions():
    assert flags.no_deescalation_flag(weekly([(3, 0)] * 5), DEFAULT) is None


def test_sessions_without_moments_are_no_evidence_either_way():
    # Five tagged sessions without de-escalation, then three without any moment: still five.
    assert flags.no_deescalation_flag(weekly([(3, 0)] * 5 + [(0, 0)] * 3), DEFAULT) is None
    assert flags.no_deescalation_flag(weekly([(0, 0)] * 8), DEFAULT) is None
    # Three tagged, two untagged, three tagged: a run of six tagged sessions, from the first.
    sessions = weekly([(3, 0)] * 3 + [(0, 0)] * 2 + [(4, 0)] * 3)
    flag = flags.no_deescalation_flag(sessions, DEFAULT)
    assert flag.reason == (
        "no de-escalating moment in the last 6 sessions with moments tagged "
        "(2 later sessions without any tagged moment left out)"
    )
    assert flag.since == d("2026-07-01")


def test_a_session_with_only_neutral_moments_is_tagged_without_deescalation():
    sessions = weekly([(3, 0)] * 5 + [(0, 0, 2)])
    assert sessions[-1].tagged and not weekly([(0, 0)])[0].tagged
    assert flags.no_deescalation_flag(sessions, DEFAULT) is not None


def test_the_run_is_dated_from_its_first_session_not_the_windows():
    # A de-escalating moment on 1 Jul, then eight tagged sessions without one, 8 Jul to 26 Aug:
    # the flag says eight sessions, since 8 Jul (the six-session window would start 22 Jul).
    sessions = weekly([(3, 1)] + [(3, 0)] * 8)
    flag = flags.no_deescalation_flag(sessions, DEFAULT)
    assert flag.reason == "no de-escalating moment in the last 8 sessions with moments tagged"
    assert flag.since == d("2026-07-08")


def test_one_deescalating_moment_in_the_run_clears_the_flag():
    assert flags.no_deescalation_flag(weekly([(3, 1)] + [(3, 0)] * 5), DEFAULT) is None
    assert flags.no_deescalation_flag(weekly([(3, 0)] * 5 + [(3, 1)]), DEFAULT) is None


# --- Script not adopted ----------------------------------------------------------------------


def assignment(levels, active=True, number=2, script="Soft bid", observed_on=()):
    return AssignmentSummary(
        partner_number=number,
        assigned_on=date(2026, 6, 3),
        active=active,
        levels=tuple(levels),
        script=script,
        observed_on=tuple(observed_on),
    )


def test_script_not_adopted_after_six_observed_sessions_since_the_sixth():
    days = [date(2026, 6, 10) + timedelta(weeks=i) for i in range(7)]  # 10 Jun … 22 Jul
    found = flags.script_not_adopted_flags(
        [assignment([1, 2, 1, 2, 1, 1, 0], observed_on=days)], DEFAULT
    )
    assert kinds(found) == ["script_not_adopted"]
    assert found[0].severity == "info"
    assert found[0].reason == (
        "Partner 2's script “Soft bid” not adopted after 7 observed sessions, "
        "assigned on 03 Jun 2026"
    )
    assert found[0].since == d("2026-07-15")  # the sixth observed session
    # Without the sessions' days, the assignment's.
    plain = flags.script_not_adopted_flags([assignment([1] * 6)], DEFAULT)
    assert plain[0].since == d("2026-06-03")


def test_five_observed_sessions_are_not_yet_a_flag():
    assert flags.script_not_adopted_flags([assignment([1, 1, 1, 1, 1])], DEFAULT) == []


def test_an_adopted_or_retired_script_is_not_flagged():
    adopted = assignment([0, 1, 2, 2, 1, 1])  # adopted at the third observation
    assert adopted.adopted
    retired = assignment([1] * 8, active=False)
    assert flags.script_not_adopted_flags([adopted, retired], DEFAULT) == []


# --- CSI-4: reliable deterioration, slide, severe distress -----------------------------------


def reading(total, on, number=2):
    return Csi4Reading(number, total, d(on))


def series(*totals, number=2, first="2026-06-01"):
    """Readings four weeks apart."""
    start = d(first)
    return [
        Csi4Reading(number, total, start + timedelta(weeks=4 * i)) for i, total in enumerate(totals)
    ]


def test_a_fall_of_the_reliable_change_index_from_the_baseline_is_urgent():
    # 15 at baseline, 10 now: change -5 = -RCI (5): deteriorated.
    found = flags.csi4_change_flags(series(15, 13, 10), DEFAULT)
    assert kinds(found) == ["csi4_deterioration"]
    assert found[0].severity == "urgent"
    assert found[0].reason == "Partner 2's CSI-4 is 10, 5 points below their baseline of 15"
    assert found[0].since == d("2026-07-27")  # the third reading, the first reliably below


def test_one_point_less_than_the_index_is_no_flag():
    # 15 to 11: change -4, unchanged; best 15 - 11 = 4 < 5: no slide either.
    assert flags.csi4_change_flags(series(15, 11), DEFAULT) == []
    # With the practice's index at 4, the same readings are a reliable deterioration.
    assert kinds(flags.csi4_change_flags(series(15, 11), Thresholds(reliable_change=4))) == [
        "csi4_deterioration"
    ]


def test_judged_from_the_baseline_not_the_last_two_readings():
    # 20, 12, 13: the last two readings rose by 1, but 13 is 7 below the baseline of 20.
    assert kinds(flags.csi4_change_flags(series(20, 12, 13), DEFAULT)) == ["csi4_deterioration"]
    # 8, 12, 7: a 5-point fall between the last two, but 7 is only 1 below the baseline and
    # 5 below the best (12): a slide, not a deterioration.
    assert kinds(flags.csi4_change_flags(series(8, 12, 7), DEFAULT)) == ["csi4_slide"]


def test_the_deterioration_is_dated_from_the_reading_that_began_the_current_run():
    # 15, 9 (-6, deteriorated), 12 (-3, not), 10 (-5, deteriorated again): since the fourth.
    found = flags.csi4_change_flags(series(15, 9, 12, 10), DEFAULT)
    assert found[0].since == d("2026-08-24")
    # 15, 10, 9: deteriorated from the second reading on.
    assert flags.csi4_change_flags(series(15, 10, 9), DEFAULT)[0].since == d("2026-06-29")


def test_a_slide_from_the_best_is_attention():
    # Baseline 8, best 16, now 11: change +3 (unchanged), 16 - 11 = 5 = RCI: a slide.
    found = flags.csi4_change_flags(series(8, 16, 11), DEFAULT)
    assert kinds(found) == ["csi4_slide"]
    assert found[0].severity == "attention"
    assert (
        found[0].reason == "Partner 2's CSI-4 is 11, 5 points below their best of 16 (baseline 8)"
    )
    assert found[0].since == d("2026-07-27")
    # 16 - 12 = 4: no slide.
    assert flags.csi4_change_flags(series(8, 16, 12), DEFAULT) == []


def test_a_deterioration_that_is_also_a_slide_is_flagged_once_as_the_worse():
    # 15, 18, 9: -6 from the baseline and -9 from the best.
    assert kinds(flags.csi4_change_flags(series(15, 18, 9), DEFAULT)) == ["csi4_deterioration"]


def test_a_baseline_alone_is_no_change_and_each_partner_is_judged_alone():
    assert flags.csi4_change_flags(series(4), DEFAULT) == []
    readings = series(15, 9, number=1) + series(12, 13, number=2)
    found = flags.csi4_change_flags(readings, DEFAULT)
    assert [f.reason[:9] for f in found] == ["Partner 1"]


def test_severe_distress_at_or_below_six():
    found = flags.severe_distress_flags(series(9, 6), DEFAULT)
    assert kinds(found) == ["severe_distress"]
    assert found[0].severity == "urgent"
    assert found[0].reason == "Partner 2's latest CSI-4 is 6 of 21, at or below 6"
    assert found[0].since == d("2026-06-29")
    assert flags.severe_distress_flags(series(9, 7), DEFAULT) == []
    # A practice that sets the threshold at 4: 5 is not flagged, 4 is.
    assert flags.severe_distress_flags(series(5), Thresholds(severe_distress=4)) == []
    assert flags.severe_distress_flags(series(4), Thresholds(severe_distress=4))


def test_severe_distress_is_dated_from_the_reading_that_began_it_and_only_the_latest_counts():
    # 9, 6, 5: since the second reading. 5, 8, 6: since the third. 4, 10: not now.
    assert flags.severe_distress_flags(series(9, 6, 5), DEFAULT)[0].since == d("2026-06-29")
    assert flags.severe_distress_flags(series(5, 8, 6), DEFAULT)[0].since == d("2026-07-27")
    assert flags.severe_distress_flags(series(4, 10), DEFAULT) == []


def test_csi4_changes_give_each_partner_their_category():
    readings = series(15, 9, number=1) + series(6, 14, number=2)
    changes = dict(flags.csi4_changes(readings, 5))
    assert changes[1].category == csi4.DETERIORATED
    assert changes[2].category == csi4.RECOVERED  # +8 and across 13.5


# --- All flags of a case ---------------------------------------------------------------------


def troubled_case() -> CaseSummary:
    # Shares 0.8, 0.6, 0.4, 0 (load 8: worsening), then six sessions with only escalation, the
    # last on 3 Aug: 29 days before NOW.
    sessions = weekly([(2, 8), (4, 6), (6, 4), (8, 0)] + [(3, 0)] * 6, first="2026-06-01")
    return CaseSummary(
        opened_on=date(2026, 1, 5),
        last_session_at=sessions[-1].starts_at,
        sessions=tuple(sessions),
        drafts=(DraftNote(sessions[-1].starts_at, 50),),
        assignments=(assignment([1] * 6),),
        csi4=(
            *series(16, 9, 5, number=1),  # deteriorated, and severe distress
            *series(8, 15, 10, number=2),  # a slide from 15
        ),
    )


def test_case_flags_most_severe_first():
    found = case_flags(troubled_case(), NOW, DEFAULT)
    assert kinds(found) == [
        "severe_distress",
        "csi4_deterioration",
        "csi4_slide",
        "no_recent_session",
        "deescalation_worsening",
        "no_deescalation",
        "unsigned_note",
        "script_not_adopted",
    ]
    assert [f.severity for f in found] == ["urgent"] * 2 + ["attention"] * 5 + ["info"]


def test_every_since_date_lies_within_the_cases_history():
    summary = troubled_case()
    for flag in case_flags(summary, NOW, DEFAULT):
        assert summary.opened_on <= flag.since <= NOW.date(), flag


def test_no_flag_for_a_case_going_well():
    recent = NOW - timedelta(days=2)
    fine = CaseSummary(
        opened_on=date(2026, 1, 5),
        last_session_at=recent,
        sessions=(SessionLoad(recent, 1, 4),),
        assignments=(assignment([2, 2]),),
        csi4=tuple(series(10, 16)),
    )
    assert case_flags(fine, NOW, DEFAULT) == []


# --- How much history the summaries must hold ------------------------------------------------


def test_earlier_sessions_are_needed_only_when_they_could_change_a_flag():
    going_well = weekly([(3, 2)] * 6)
    assert not flags.needs_earlier_sessions(going_well, DEFAULT)
    # Too few shares for the trend.
    assert flags.needs_earlier_sessions(weekly([(3, 2)] * 3 + [(0, 0)] * 3), DEFAULT)
    # No de-escalation in any tagged session loaded: the run may have begun earlier.
    assert flags.needs_earlier_sessions(weekly([(3, 0)] * 6), DEFAULT)
    # A worsening that may have begun before the first share loaded.
    assert flags.needs_earlier_sessions(weekly(shares_to_loads([0.8, 0.6, 0.4, 0.2])), DEFAULT)
    # One that began at the fifth share loaded cannot.
    began = weekly(shares_to_loads([0.2, 0.4, 0.6, 0.8, 0.5, 0.3]))
    assert not flags.needs_earlier_sessions(began, DEFAULT)


# --- Adoption on the dashboard: a lapsed script is not counted as in use --------------------


@pytest.mark.parametrize(
    ("levels", "adopted", "lapsed"),
    [
        ([2, 2, 1], True, False),  # one session below 2 after the pair: not yet lapsed
        ([2, 2, 1, 1], True, True),  # the latest two below 2: lapsed
        ([2, 2, 1, 1, 2], True, False),  # used again at the latest: no longer lapsed
        ([2, 1, 1, 1], False, False),  # never adopted, so never lapsed
    ],
)
def test_an_assignment_lapses_after_two_observed_sessions_below_two(levels, adopted, lapsed):
    summary = assignment(levels)
    assert (summary.adopted, summary.lapsed) == (adopted, lapsed)


def test_the_dashboard_counts_lapsed_scripts_apart_from_adopted_ones():
    from practice.supervision.dashboard import _line
    from practice.supervision.dashboard_queries import ActiveCase

    in_use = assignment([2, 2, 2])
    lapsed = assignment([2, 2, 0, 1])
    not_yet = assignment([1, 1])
    summary = CaseSummary(opened_on=d("2026-06-01"), assignments=(in_use, lapsed, not_yet))
    case = ActiveCase(1, "C-1", None, 1, "Counsellor", 3, summary)

    line = _line(case, DEFAULT, NOW)

    assert (line.scripts_adopted, line.scripts_lapsed, line.scripts_total) == (1, 1, 3)
    assert line.adoption_summary == "1 of 3 adopted, 1 lapsed"


def test_breaks_not_returned_flag_from_the_summary():
    from practice.breaks.rules import BreakFacts

    now = datetime(2026, 8, 20, 12, 0, tzinfo=UTC)
    one = BreakFacts(called_at=now - timedelta(days=10))
    two = BreakFacts(called_at=now - timedelta(days=3))
    back = BreakFacts(
        called_at=now - timedelta(days=2), resumed_at=now - timedelta(days=2, hours=-1)
    )
    t = flags.Thresholds()
    summary = CaseSummary(opened_on=d("2026-01-05"), breaks=(one, back))
    assert flags.breaks_flag(summary, now, t) is None  # 1 unreturned in 14 days
    summary = CaseSummary(opened_on=d("2026-01-05"), breaks=(one, two, back))
    flag = flags.breaks_flag(summary, now, t)
    assert flag is not None and flag.kind == "breaks_not_returned"
    assert flag.since == (now - timedelta(days=10)).date()
    assert flag.severity == "attention"
    assert (
        flags.Thresholds.from_config({"PRACTICE_BREAK_FLAG_UNRETURNED": 3}).breaks.flag_unreturned
        == 3
    )


def test_a_rescreen_due_is_flagged_since_the_oldest_without_clinical_detail():
    assert flags.rescreen_due_flag(()) is None
    one = flags.rescreen_due_flag((d("2026-08-03"),))
    assert (one.kind, one.since, one.severity) == ("rescreen_due", d("2026-08-03"), "urgent")
    assert one.reason == "a safety rescreen is due since 03 Aug 2026"
    two = flags.rescreen_due_flag((d("2026-08-05"), d("2026-08-03")))
    assert two.reason == "2 safety rescreens are due, the oldest since 03 Aug 2026"


def test_a_joint_note_signed_without_a_screen_is_flagged_until_co_signed():
    assert flags.screen_override_flag(()) is None
    one = flags.screen_override_flag((d("2026-08-03"),))
    assert one.reason == "the joint note of 03 Aug 2026 was signed without a current safety screen"
    assert (one.kind, one.since) == ("screen_override", d("2026-08-03"))
    summary = CaseSummary(opened_on=d("2026-08-01"), screen_overrides=(d("2026-08-03"),))
    now = datetime(2026, 8, 4, 12, tzinfo=UTC)
    kinds = [f.kind for f in flags.case_flags(summary, now, flags.Thresholds())]
    assert kinds == ["screen_override"]


# --- Home corroboration (the case page's rule, ``adoption.with_home_reports``) --------------


def june(day, hour=10):
    return datetime(2026, 6, day, hour, tzinfo=UTC)


def test_a_home_report_after_a_level_two_session_adopts_and_clears_the_flag():
    # Six observed sessions (the threshold), only the last at level 2: no two in a row at 2.
    times = [june(1 + 4 * i) for i in range(6)]  # 1, 5, 9, 13, 17, 21 June
    alone = AssignmentSummary(
        partner_number=2,
        assigned_on=date(2026, 5, 28),
        active=True,
        levels=(0, 1, 1, 0, 1, 2),
        script="Soft bid",
        observed_at=tuple(times),
    )
    assert not alone.adopted
    assert kinds(flags.script_not_adopted_flags([alone], DEFAULT)) == ["script_not_adopted"]
    # The other partner's check-in on 23 June says it was used at home (level 3): the session
    # of 21 June (level 2) and the report make the pair, so it is adopted at that session.
    corroborated = dataclasses.replace(alone, home_reported_at=(june(23),))
    assert corroborated.adopted
    assert corroborated.course.adopted_at == 5
    assert flags.script_not_adopted_flags([corroborated], DEFAULT) == []
    # Between two level-1 sessions (17 and 21 June) a report makes no pair at level 2 or more.
    after_level_one = dataclasses.replace(
        alone, levels=(0, 1, 1, 0, 1, 1), home_reported_at=(june(19),)
    )
    assert not after_level_one.adopted
    assert kinds(flags.script_not_adopted_flags([after_level_one], DEFAULT)) == [
        "script_not_adopted"
    ]
    # A report counts towards adoption, not towards the observed sessions the flag waits for.
    five = dataclasses.replace(alone, levels=(0, 1, 1, 0, 1), observed_at=tuple(times[:5]))
    assert (
        flags.script_not_adopted_flags(
            [dataclasses.replace(five, home_reported_at=(june(18),))], DEFAULT
        )
        == []
    )


# --- Stage set without change events (practice.eft.gates) ----------------------------------------


def test_stage_override_flag_since_the_oldest_open_override():
    assert flags.stage_override_flag([]) is None
    one = flags.stage_override_flag([d("2026-08-03")])
    assert (one.kind, one.since, one.severity) == ("stage_override", d("2026-08-03"), "attention")
    assert one.label == "Stage set without change events"
    two = flags.stage_override_flag([d("2026-08-10"), d("2026-08-03")])
    assert two.since == d("2026-08-03")
    assert two.reason.startswith("2 EFT stages set before their change events were confirmed")
