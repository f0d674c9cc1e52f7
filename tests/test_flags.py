"""The supervisor flags, from hand-made case summaries: each fires at its threshold, not before."""

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from practice.measures import csi4
from practice.moments import balance
from practice.supervision import flags
from practice.supervision.flags import (
    AssignmentSummary,
    CaseSummary,
    Csi4Reading,
    DraftNote,
    SessionLoad,
    Thresholds,
    case_flags,
)

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
DEFAULT = Thresholds()


def at(day: date | str, hour: int = 10) -> datetime:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def weekly(loads: list[tuple[int, int]], first: str = "2026-07-01") -> list[SessionLoad]:
    """Sessions a week apart with (escalating, deescalating) loads."""
    start = at(first)
    return [SessionLoad(start + timedelta(weeks=i), e, d) for i, (e, d) in enumerate(loads)]


def kinds(found) -> list[str]:
    return [flag.kind for flag in found]


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
        csi4_reliable_fall=csi4.CSI4_RELIABLE_CHANGE,
    )
    for name, (key, _) in flags.CONFIG_KEYS.items():
        overridden = Thresholds.from_config({**app.config, key: 99})
        assert getattr(overridden, name) == 99
        assert overridden == dataclasses.replace(Thresholds(), **{name: 99})


def test_thresholds_come_from_configuration():
    config = {"PRACTICE_FLAG_NO_SESSION_DAYS": "14", "PRACTICE_FLAG_CSI4_RELIABLE_FALL": 3}
    t = Thresholds.from_config(config)
    assert t.no_session_days == 14
    assert t.csi4_reliable_fall == 3
    assert t.unsigned_hours == 72


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("PRACTICE_FLAG_UNSIGNED_HOURS", 0),
        ("PRACTICE_FLAG_NO_SESSION_DAYS", -3),
        ("PRACTICE_FLAG_NO_DEESCALATION_SESSIONS", 2.5),
        ("PRACTICE_FLAG_SCRIPT_NOT_ADOPTED_SESSIONS", "six"),
        ("PRACTICE_FLAG_CSI4_RELIABLE_FALL", True),
        ("PRACTICE_FLAG_CSI4_RELIABLE_FALL", None),
    ],
)
def test_bad_thresholds_are_refused_with_the_key_named(key, value):
    with pytest.raises(ValueError, match=key):
        Thresholds.from_config({key: value})


# --- Unsigned note ---------------------------------------------------------------------------


def test_unsigned_note_fires_only_after_72_hours_from_the_end_of_the_session():
    starts = at("2026-08-12", 10)  # a 50-minute session ends at 10:50
    draft = DraftNote(starts, 50)
    exactly = draft.ends_at + timedelta(hours=72)
    assert flags.unsigned_note_flag([draft], exactly, DEFAULT) is None
    flag = flags.unsigned_note_flag([draft], exactly + timedelta(minutes=1), DEFAULT)
    assert flag.kind == "unsigned_note"
    assert flag.reason == "note unsigned more than 72 hours after the session of 12 Aug 2026"


def test_several_late_notes_name_the_oldest():
    drafts = [DraftNote(at("2026-08-20"), 50), DraftNote(at("2026-08-12"), 50)]
    flag = flags.unsigned_note_flag(drafts, NOW, DEFAULT)
    assert flag.reason == (
        "2 notes unsigned more than 72 hours after their session, the oldest since 12 Aug 2026"
    )


def test_a_recent_draft_is_not_flagged():
    draft = DraftNote(NOW - timedelta(hours=24), 50)
    assert flags.unsigned_note_flag([draft], NOW, DEFAULT) is None


# --- No recent session -----------------------------------------------------------------------


def test_no_recent_session_fires_at_21_days():
    last = NOW - timedelta(days=21)
    summary = CaseSummary(opened_on=date(2026, 1, 5), last_session_at=last)
    flag = flags.no_recent_session_flag(summary, NOW.date(), DEFAULT)
    assert flag.kind == "no_recent_session"
    assert flag.reason == "no session for 21 days, last session on 11 Aug 2026"
    recent = CaseSummary(opened_on=date(2026, 1, 5), last_session_at=last + timedelta(days=1))
    assert flags.no_recent_session_flag(recent, NOW.date(), DEFAULT) is None


def test_a_case_without_sessions_counts_from_its_opening():
    opened = NOW.date() - timedelta(days=30)
    flag = flags.no_recent_session_flag(CaseSummary(opened_on=opened), NOW.date(), DEFAULT)
    assert flag.reason == "no session since the case opened on 02 Aug 2026, 30 days ago"
    new = CaseSummary(opened_on=NOW.date() - timedelta(days=20))
    assert flags.no_recent_session_flag(new, NOW.date(), DEFAULT) is None


# --- De-escalation share worsening ---------------------------------------------------------------


def test_worsening_fires_beyond_the_trend_threshold_with_the_window_start():
    # Shares 0.8, 0.6, 0.4, 0.2: slope -0.2 per session.
    sessions = weekly([(2, 8), (4, 6), (6, 4), (8, 2)])
    flag = flags.deescalation_worsening_flag(sessions)
    assert flag.kind == "deescalation_worsening"
    assert flag.reason == (
        "de-escalation share worsening over the last 4 sessions (-20.0 points per session), "
        "since 01 Jul 2026"
    )


def test_a_slope_at_the_threshold_is_steady_not_worsening():
    # Shares 0.65, 0.60, 0.55, 0.50: slope exactly -0.05, the threshold.
    sessions = weekly([(35, 65), (40, 60), (45, 55), (50, 50)])
    assert balance.deescalation_trend([s.deescalation_share for s in sessions]).label == "steady"
    assert flags.deescalation_worsening_flag(sessions) is None


def test_worsening_looks_at_the_last_four_sessions_that_have_a_share():
    # An improving start, then four falling shares with a session without moments among them.
    sessions = weekly([(8, 2), (2, 8), (4, 6), (0, 0), (6, 4), (8, 2)])
    flag = flags.deescalation_worsening_flag(sessions)
    assert flag is not None
    assert flag.reason.endswith("since 08 Jul 2026")
    assert flags.deescalation_worsening_flag(sessions[-3:]) is None  # too few shares


# --- No de-escalating moment -----------------------------------------------------------------


def test_no_deescalation_fires_after_six_sessions_without_one():
    sessions = weekly([(3, 0)] * 6)
    flag = flags.no_deescalation_flag(sessions, DEFAULT)
    assert flag.kind == "no_deescalation"
    assert flag.reason == "no de-escalating moment in the last 6 sessions, since 01 Jul 2026"


def test_no_deescalation_needs_six_sessions():
    assert flags.no_deescalation_flag(weekly([(3, 0)] * 5), DEFAULT) is None


def test_one_deescalating_moment_in_the_window_clears_the_flag():
    sessions = weekly([(3, 1)] + [(3, 0)] * 5)
    assert flags.no_deescalation_flag(sessions, DEFAULT) is None
    older = weekly([(3, 1)] + [(3, 0)] * 6)  # the de-escalation is now seven sessions back
    flag = flags.no_deescalation_flag(older, DEFAULT)
    assert flag is not None and flag.reason.endswith("since 08 Jul 2026")


def test_sessions_without_any_moment_count_as_without_deescalation():
    sessions = weekly([(0, 0)] * 6)
    assert flags.no_deescalation_flag(sessions, DEFAULT) is not None


# --- Script not adopted ----------------------------------------------------------------------


def assignment(levels, active=True, number=2, script="Soft bid"):
    return AssignmentSummary(
        partner_number=number,
        assigned_on=date(2026, 6, 3),
        active=active,
        levels=tuple(levels),
        script=script,
    )


def test_script_not_adopted_after_six_observed_sessions():
    found = flags.script_not_adopted_flags([assignment([1, 2, 1, 2, 1, 1])], DEFAULT)
    assert kinds(found) == ["script_not_adopted"]
    assert found[0].reason == (
        "Partner 2's script “Soft bid” not adopted after 6 observed sessions, "
        "assigned on 03 Jun 2026"
    )


def test_five_observed_sessions_are_not_yet_a_flag():
    assert flags.script_not_adopted_flags([assignment([1, 1, 1, 1, 1])], DEFAULT) == []


def test_an_adopted_or_retired_script_is_not_flagged():
    adopted = assignment([0, 1, 2, 2, 1, 1])  # adopted at the third observation
    assert adopted.adopted
    retired = assignment([1] * 8, active=False)
    assert flags.script_not_adopted_flags([adopted, retired], DEFAULT) == []


# --- CSI-4 fall ------------------------------------------------------------------------------


def reading(total, on, number=2):
    return Csi4Reading(number, total, date.fromisoformat(on))


def test_a_fall_of_reliable_change_size_fires():
    found = flags.csi4_fall_flags([reading(15, "2026-07-01"), reading(10, "2026-08-12")], DEFAULT)
    assert kinds(found) == ["csi4_fall"]
    assert found[0].reason == "CSI-4 of Partner 2 fell by 5 points (15 to 10), on 12 Aug 2026"


def test_a_smaller_fall_does_not_fire():
    pair = [reading(15, "2026-07-01"), reading(11, "2026-08-12")]
    assert flags.csi4_fall_flags(pair, DEFAULT) == []
    assert kinds(flags.csi4_fall_flags(pair, Thresholds(csi4_reliable_fall=4))) == ["csi4_fall"]


def test_only_the_two_latest_readings_of_each_partner_count():
    readings = [
        reading(20, "2026-06-01"),
        reading(12, "2026-07-01"),
        reading(13, "2026-08-01"),
        reading(18, "2026-06-01", number=1),
    ]
    assert flags.csi4_fall_flags(readings, DEFAULT) == []
    assert flags.csi4_fall_flags([reading(20, "2026-06-01")], DEFAULT) == []


# --- All flags of a case ---------------------------------------------------------------------


def test_case_flags_in_order_and_none_for_a_case_going_well():
    # Shares 0.8, 0.6, 0.4, 0, then five sessions with no moment at all.
    sessions = weekly([(2, 8), (4, 6), (6, 4), (8, 0)] + [(0, 0)] * 5, first="2026-06-01")
    troubled = CaseSummary(
        opened_on=date(2026, 1, 5),
        last_session_at=sessions[-1].starts_at,
        sessions=tuple(sessions),
        drafts=(DraftNote(sessions[-1].starts_at, 50),),
        assignments=(assignment([1] * 6),),
        csi4=(reading(16, "2026-07-01", number=1), reading(9, "2026-08-05", number=1)),
    )
    assert kinds(case_flags(troubled, NOW, DEFAULT)) == [
        "unsigned_note",
        "no_recent_session",
        "deescalation_worsening",
        "no_deescalation",
        "script_not_adopted",
        "csi4_fall",
    ]
    recent = NOW - timedelta(days=2)
    fine = CaseSummary(
        opened_on=date(2026, 1, 5),
        last_session_at=recent,
        sessions=(SessionLoad(recent, 1, 4),),
        assignments=(assignment([2, 2]),),
    )
    assert case_flags(fine, NOW, DEFAULT) == []


def test_flag_labels_cover_every_kind():
    assert set(flags.FLAG_KINDS) == {
        "unsigned_note",
        "no_recent_session",
        "deescalation_worsening",
        "no_deescalation",
        "script_not_adopted",
        "csi4_fall",
    }
    assert flags.Flag("csi4_fall", "x").label == "CSI-4 fall"
