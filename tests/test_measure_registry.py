"""The measure registry: definitions as data, scoring with worked values, reliable change for a
measure other than the CSI-4, configured measures, and the split-alliance rule."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from practice.measures import registry
from practice.measures.alliance import AllianceReading, split_alliance
from practice.measures.configured import (
    measure_registry,
    parse_measures,
    split_alliance_gap,
)
from practice.measures.registry import DefinitionError, definition_from_dict
from practice.measures.shipped import CSI4, CSI16, HITS
from practice.supervision import flags
from practice.supervision.case_summaries import CaseSummary

EXAMPLE = Path(__file__).parent.parent / "practice/measures/examples/ors_srs.json"


def _loaded():
    return {d.key: d for d in parse_measures(EXAMPLE.read_text(), "example")}


# --- Shipped definitions ------------------------------------------------------------------------


def test_the_shipped_measures_have_their_published_ranges_and_cutoffs():
    assert (CSI4.min_total, CSI4.max_total, CSI4.cutoff, CSI4.reliable_change) == (0, 21, 13.5, 5)
    # CSI-16: item 1 is 0-6, the other fifteen 0-5: 6 + 15 * 5 = 81.
    assert (len(CSI16.items), CSI16.min_total, CSI16.max_total, CSI16.cutoff) == (16, 0, 81, 51.5)
    assert CSI16.reliable_change == 9.5
    assert [i.number for i in CSI16.items if i.reverse] == [11, 13, 14, 16]
    assert (HITS.min_total, HITS.max_total, HITS.cutoff, HITS.use) == (4, 20, 10, "safety")
    for definition in (CSI4, CSI16, HITS):
        registry.check(definition)
        assert all(item.low_label and item.high_label for item in definition.items)


def test_csi16_scores_reverse_items_turned_round():
    # Items 1-10 answered 4,3,3,3,3,3,3,3,3,3 = 31. Items 11-16 answered 1,4,1,1,4,1: the
    # reversed 11, 13, 14, 16 count 5 - 1 = 4 each (16), 12 and 15 count 4 each (8): 24.
    answers = [4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 4, 1, 1, 4, 1]
    assert registry.score(CSI16, answers) == 31 + 24 == 55
    assert not registry.in_concern(CSI16, 55)
    assert registry.in_concern(CSI16, 51) and not registry.in_concern(CSI16, 52)


def test_hits_is_scored_and_read_as_the_safety_screen_reads_it():
    assert registry.score(HITS, [1, 2, 3, 4]) == 10
    assert not registry.in_concern(HITS, 10) and registry.in_concern(HITS, 11)


@pytest.mark.parametrize(
    "answers, message",
    [
        ([1, 2, 3], "needs 4 item scores"),
        ([7, 0, 0, 0], "between 0 and 6"),
        ([1.5, 0, 0, 0], "whole number"),
        ([True, 0, 0, 0], "whole number"),
    ],
)
def test_bad_answers_are_refused(answers, message):
    with pytest.raises(ValueError, match=message):
        registry.score(CSI4, answers)


def test_decimal_answers_are_summed_without_float_noise():
    ors = _loaded()["ORS"]
    # 5.2 + 6.1 + 7.3 + 4.4 = 23.0 (whole: an int); 5.2 + 6.1 + 7.3 + 4.5 = 23.1.
    assert registry.score(ors, [5.2, 6.1, 7.3, 4.4]) == 23
    assert registry.score(ors, [5.2, 6.1, 7.3, 4.5]) == 23.1
    with pytest.raises(ValueError, match="at most 1 decimal"):
        registry.score(ors, [5.25, 6, 7, 4])
    assert registry.in_concern(ors, 24.9) and not registry.in_concern(ors, 25)


def test_mean_scoring_and_reverse_items_with_decimals():
    definition = definition_from_dict(
        {
            "key": "MEAN-3",
            "items": [
                {"wording": "a", "min": 1, "max": 7},
                {"wording": "b", "min": 1, "max": 7, "reverse": True},
                {"wording": "c", "min": 1, "max": 7},
            ],
            "scoring": "mean",
            "decimals": 1,
        }
    )
    # (6.5 + (1 + 7 - 2) + 4) / 3 = 16.5 / 3 = 5.5
    assert registry.score(definition, [6.5, 2, 4]) == 5.5
    # (2 + 6 + 3) / 3 = 3.666… -> 3.67
    assert registry.score(definition, [2, 2, 3]) == 3.67


# --- Reliable change for a measure other than the CSI-4 -------------------------------------------


def test_ors_reliable_change_with_decimals():
    ors = _loaded()["ORS"]
    # 19.5 -> 24.4: +4.9, under the index of 5: unchanged.
    assert registry.judge_change(ors, [19.5, 24.4]).category == registry.UNCHANGED
    # 19.5 -> 24.5: +5.0, improved, still below 25 (in the clinical range).
    change = registry.judge_change(ors, [19.5, 24.5])
    assert (change.change, change.category, change.concern) == (5, "improved", True)
    # 20 -> 25: +5 and out of the clinical range: recovered.
    assert registry.judge_change(ors, [20, 25]).category == registry.RECOVERED
    # 30 -> 31 -> 25.9: -4.1 from the baseline (unchanged) but -5.1 from the best: a slide.
    change = registry.judge_change(ors, [30, 31, 25.9])
    assert (change.category, change.slide, change.best) == ("unchanged", True, 31)


def test_a_higher_is_worse_measure_improves_downwards():
    # HITS has no index of its own; with one of 3: 14 -> 9 is 5 better and out of concern.
    assert registry.judge_change(HITS, [14, 9], rci=3).category == registry.RECOVERED
    assert registry.judge_change(HITS, [6, 9], rci=3).category == registry.DETERIORATED
    change = registry.judge_change(HITS, [8, 5, 8], rci=3)
    assert (change.best, change.slide) == (5, True)


def test_csi16_change_uses_its_index():
    assert registry.judge_change(CSI16, [45, 54]).category == "unchanged"  # +9 < 9.5
    assert registry.judge_change(CSI16, [45, 54.5]).category == "recovered"  # +9.5, crosses 51.5


# --- Configured measures ------------------------------------------------------------------------


def test_the_example_file_loads_ors_and_srs():
    loaded = _loaded()
    ors, srs = loaded["ORS"], loaded["SRS"]
    assert (ors.min_total, ors.max_total, ors.cutoff, ors.reliable_change, ors.decimals) == (
        0,
        40,
        25,
        5,
        1,
    )
    assert srs.alliance_threshold == 36 and srs.is_alliance and ors.wording_licensed
    assert not ors.shipped


def test_the_registry_is_the_shipped_measures_unless_a_file_is_named(tmp_path):
    assert measure_registry({}).keys == ("CSI-4", "CSI-16", "HITS")
    assert measure_registry({"PRACTICE_CSI4_RELIABLE_CHANGE": 4})["CSI-4"].reliable_change == 4
    configured = measure_registry({"PRACTICE_MEASURES_FILE": str(EXAMPLE)})
    assert configured.keys == ("CSI-4", "CSI-16", "HITS", "ORS", "SRS")
    assert [d.key for d in configured.alliance_measures] == ["SRS"]
    assert "HITS" not in [d.key for d in configured.session_measures]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"key": "CSI-4"}, "defined twice"),
        ({"cutoff": 41}, "cut-off must be within"),
        ({"reliable_change": 0}, "reliable-change index must be above 0"),
        ({"scoring": "median"}, "'scoring' must be one of sum, mean"),
        ({"decimals": 3}, "'decimals' must be 0, 1 or 2"),
        ({"key": "A-VERY-LONG-MEASURE-KEY"}, "'key' must be 1–16 characters"),
        ({"items": []}, "'items' must be a non-empty list"),
        ({"items": [{"wording": "x", "min": 5, "max": 1}]}, "item 1: 'min' must be below 'max'"),
        ({"items": [{"min": 0, "max": 1}]}, "item 1: 'wording' is missing"),
    ],
)
def test_a_bad_definition_is_refused_naming_the_field(change, message):
    data = json.loads(EXAMPLE.read_text())
    data["measures"][0].update(change)
    with pytest.raises(DefinitionError, match=message):
        parse_measures(json.dumps(data), "measures.json")


def test_a_bad_file_stops_the_start(tmp_path):
    from practice.extension import HostSetupError, _check_clinical_settings

    class App:
        config = {"PRACTICE_MEASURES_FILE": str(tmp_path / "missing.json")}

    with pytest.raises(HostSetupError, match="PRACTICE_MEASURES_FILE names no file"):
        _check_clinical_settings(App())
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    App.config = {"PRACTICE_MEASURES_FILE": str(bad)}
    with pytest.raises(HostSetupError, match="not valid JSON"):
        _check_clinical_settings(App())
    App.config = {"PRACTICE_SPLIT_ALLIANCE_GAP": 0}
    with pytest.raises(HostSetupError, match="PRACTICE_SPLIT_ALLIANCE_GAP must be above 0"):
        _check_clinical_settings(App())


# --- Split alliance ------------------------------------------------------------------------------


def _srs(number: int, session: int, total: float, day: int = 1) -> AllianceReading:
    return AllianceReading("SRS", number, session, date(2026, 11, day), total, 36)


def test_a_score_under_the_threshold_raises_it_and_one_at_it_does_not():
    assert split_alliance([_srs(1, 1, 36), _srs(2, 1, 38)], 4) == []
    (concern,) = split_alliance([_srs(1, 1, 35.9), _srs(2, 1, 38)], 4)
    assert [r.total for r in concern.low] == [35.9] and concern.split is None
    assert concern.words() == "partner 1's latest SRS is 35.9, under 36"


def test_only_the_latest_score_counts_for_the_threshold():
    readings = [_srs(1, 1, 30, 1), _srs(1, 2, 37, 8)]
    assert split_alliance(readings, 4) == []


def test_partners_apart_by_the_gap_split_it_and_by_less_do_not():
    # 40 - 36.1 = 3.9: under the gap of 4. 40 - 36 = 4.0: at the gap, a split.
    assert split_alliance([_srs(1, 1, 40), _srs(2, 1, 36.1)], 4) == []
    (concern,) = split_alliance([_srs(1, 1, 40), _srs(2, 1, 36)], 4)
    assert concern.gap == 4 and concern.low == ()
    assert "4 points apart" in concern.words()
    # A later session both answered closer together settles it.
    later = [_srs(1, 1, 40), _srs(2, 1, 36), _srs(1, 2, 39, 8), _srs(2, 2, 38, 8)]
    assert split_alliance(later, 4) == []
    # The gap is a setting.
    assert split_alliance([_srs(1, 1, 40), _srs(2, 1, 37)], 3) != []
    assert (
        split_alliance_gap({}) == 4
        and split_alliance_gap({"PRACTICE_SPLIT_ALLIANCE_GAP": "3"}) == 3
    )


def test_the_supervisor_flag_names_partners_by_number():
    t = flags.Thresholds(alliance=(("SRS", 36),), alliance_gap=4)
    summary = CaseSummary(
        opened_on=date(2026, 10, 1), alliance=(_srs(1, 1, 40, 3), _srs(2, 1, 35.5, 3))
    )
    flag = flags.split_alliance_flag(summary, t)
    assert flag.kind == flags.SPLIT_ALLIANCE and flag.severity == flags.ATTENTION
    assert flag.since == date(2026, 11, 3)
    assert flag.reason == (
        "partner 2's latest SRS is 35.5, under 36; partner 1 and partner 2 scored the SRS 4.5 "
        "points apart on 03 Nov 2026 (40 and 35.5)"
    )
    assert flags.split_alliance_flag(CaseSummary(opened_on=date(2026, 10, 1)), t) is None


def test_the_thresholds_read_the_alliance_measures_from_the_registry():
    t = flags.Thresholds.from_config(
        {"PRACTICE_MEASURES_FILE": str(EXAMPLE), "PRACTICE_SPLIT_ALLIANCE_GAP": 5}
    )
    assert (t.alliance, t.alliance_gap) == ((("SRS", 36),), 5)
    assert flags.Thresholds.from_config({}).alliance == ()
