"""Breaks in the progress reports: the clinician's table with the return rate, and the clients'
plain, warm, even-handed words (no clinical word, nobody named or blamed)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from practice.breaks import operations, rules
from practice.reports.progress_report import build_report_html, report_context
from practice.reports.report_breaks import client_lines
from tests.report_text import build_case, report_words
from tests.test_report_client_words import forbidden_in

START, END = date(2026, 1, 5), date(2026, 3, 31)
KINDS = (rules.PROTECTIVE, rules.EARLY, rules.UNRETURNED, rules.PENDING)
NOT_IN_CLIENT_WORDS = ("protective", "unreturned", "flooding", "flag", "pending", "early")


@pytest.mark.parametrize("case_kind", ["couple", "individual", "family"])
def test_every_mix_of_breaks_reads_plainly(case_kind):
    for size in range(0, 4):
        for kinds in itertools.product(KINDS, repeat=size):
            text = " ".join(client_lines(list(kinds), invitations=size // 2, case_kind=case_kind))
            assert forbidden_in(text) == [], (kinds, text)
            lowered = text.lower()
            assert not [w for w in NOT_IN_CLIENT_WORDS if f" {w}" in lowered], (kinds, text)


def test_the_words_count_and_say_each_when_all_came_back():
    # Three breaks, all returned to (two protective, one early): "after each".
    lines = client_lines([rules.PROTECTIVE, rules.PROTECTIVE, rules.EARLY], 1, "couple")
    assert lines[0] == (
        "In this period you took three breaks when things got heated, and came back to talk "
        "after each."
    )
    assert any("20 minutes" in line for line in lines)  # the early one: a gentle word
    assert not any("within a day" in line for line in lines)


def test_the_words_when_some_were_not_returned_to():
    lines = client_lines(
        [rules.PROTECTIVE, rules.UNRETURNED, rules.UNRETURNED, rules.PENDING], 0, "couple"
    )
    # 3 decided, 1 returned to; the pending one is counted among the breaks taken.
    assert lines[0] == (
        "In this period you took four breaks when things got heated, and came back to talk "
        "after one of them."
    )
    assert any("within a day" in line for line in lines)


def test_no_breaks():
    assert client_lines([], 0, "couple")[0].startswith("No breaks were noted in this period.")


def _break(case, teller, called_at, back_after, **extra):
    alex, sam = case.partners
    operations.record_partner_account(
        case,
        teller,
        called_by=sam,
        called_at=called_at,
        with_script=True,
        flooding=True,
        heart_rate=None,
        promised_return_at=None,
        resumed_at=called_at + back_after if back_after else None,
        resumed_by=alex if back_after else None,
        with_invitation=bool(back_after),
        outcome="calmer" if back_after else None,
        **extra,
    )


def test_reports_show_the_breaks(app, db, counsellor):
    case = build_case(db, counsellor, reference="B-0001")
    alex, sam = case.partners
    called = datetime(2026, 2, 3, 20, 0, tzinfo=UTC)
    with app.app_context():
        _break(case, sam, called, timedelta(minutes=45))
        _break(case, alex, called, timedelta(hours=3))  # Alex remembers a later return
        _break(case, sam, called + timedelta(days=7), None)
        clinical = report_words(
            build_report_html(report_context(case, START, END, "clinical", "", counsellor))
        )
        client = report_words(
            build_report_html(report_context(case, START, END, "client", "", counsellor))
        )
        referrer = report_context(case, START, END, "referrer", "", counsellor)
    assert "Breaks and returns" in clinical
    # The episode is judged by the first account reporting a return (Sam's, 45 min): 1 of 2.
    assert "Return rate over the 28 days to the period's end" in clinical
    assert "accounts differ on resumed at" in clinical
    assert "Unreturned" in clinical and "Protective" in clinical
    assert "you took two breaks when things got heated, and came back to talk after one" in client
    assert forbidden_in(client) == []
    assert referrer["breaks"] is None
