"""The client report speaks plainly, warmly and evenly, charts included, for each kind of case.

Every word a client reads (the report's text, the charts' titles, axes, legends and alt text,
and the PDF's text) is checked against the clinical words of ``CLIENT_FORBIDDEN_TERMS``; a
couple, one person and a family each read their own account of the pattern.
"""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest

from practice.measures import operations as measures
from practice.reporting import operations as reports
from practice.reports.progress_report import (
    CLIENT_FORBIDDEN_TERMS,
    build_report_html,
    report_context,
)
from tests.report_text import build_case, report_words
from tests.test_reports import pdf_text

START, END = date(2026, 1, 5), date(2026, 3, 31)
# The clinical words the issue names, checked on top of the module's own list.
ISSUE_WORDS = (
    "Escalating",
    "Softening share",
    "de-escalation share",
    "load = moments × intensity",
    "Prompted",
    "Spontaneous",
    "Cut-off 13.5",
    "worsening",
    "RCI",
    "reliably",
)


def forbidden_in(text: str) -> list[str]:
    """The clinical words that occur in ``text`` as whole words, whatever their case."""
    return [
        term
        for term in (*CLIENT_FORBIDDEN_TERMS, *ISSUE_WORDS)
        if re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text, re.IGNORECASE)
    ]


def client_html(case) -> str:
    return build_report_html(report_context(case, START, END, "client", "", case.counsellor))


@pytest.fixture
def consenting(app, db, counsellor):
    """Every person of a case consents, on its first day, to share with the others."""

    def consent(case):
        with app.app_context():
            for partner in case.partners:
                measures.give_score_consent(case, partner.id, "partner", START, counsellor)
            db.commit()
        return case

    return consent


def test_the_word_check_finds_the_clinical_words_and_only_them():
    found = forbidden_in("Cycle balance (load = moments × intensity); Prompted; Cut-off 13.5")
    assert {"load", "intensity", "load = moments × intensity", "Prompted", "13.5"} <= set(found)
    assert "Cut-off 13.5" in found
    assert forbidden_in("Calmer moments; download; used with a reminder") == []


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("couple", ("Alex", "Sam")),
        ("individual", ("Robin",)),
        ("family", ("Kim", "Lee", "Jo")),
    ],
)
def test_client_report_holds_no_clinical_word_charts_included(
    app, db, counsellor, consenting, kind, names
):
    # Everyone measured twice and sharing: the CSI-4 chart and every verdict are shown too.
    totals = {name: [9, None, None, None, None, 16 - i] for i, name in enumerate(names)}
    case = build_case(db, counsellor, reference="W-0001", kind=kind, names=names, csi4=totals)
    if kind != "individual":  # one person sees their own scores: no one to consent to
        consenting(case)
    with app.app_context():
        context = report_context(case, START, END, "client", "", counsellor)
        page = build_report_html(context)
    text = report_words(page)
    assert forbidden_in(text) == []
    # The charts are there, CSI-4 included, and their words were read.
    assert [chart["key"] for chart in context["charts"]] == [
        "cycle_balance",
        "deescalation_share",
        "adoption",
        "csi4",
    ]
    assert "Harder moments" in text or "Hard moments" in text
    assert "New ways of talking" in text


def test_a_couple_reads_the_pattern_between_them(app, db, counsellor):
    case = build_case(db, counsellor, reference="W-0002")
    with app.app_context():
        text = report_words(client_html(case))
    assert "Neither of you is the problem: the pattern is." in text
    assert "one of you reaches out" in text and "the other steps back" in text
    assert "For Alex and Sam" in text and "Both of you" in text


def test_one_person_reads_their_own_pattern_not_the_couples(app, db, counsellor):
    case = build_case(db, counsellor, reference="W-0003", kind="individual", names=("Robin",))
    with app.app_context():
        text = report_words(client_html(case))
    assert "You are not the problem: the pattern is." in text
    for couple_words in (
        "Neither of you",
        "one of you",
        "the other steps back",
        "Both of you",
        "each of you",
        "For the couple",
    ):
        assert couple_words not in text, couple_words
    assert "For Robin" in text and "How satisfied you feel" in text


def test_a_family_reads_about_patterns_among_them(app, db, counsellor):
    case = build_case(db, counsellor, reference="W-0004", kind="family", names=("Kim", "Lee", "Jo"))
    with app.app_context():
        text = report_words(client_html(case))
    assert "None of you is the problem: the pattern is." in text
    assert "Like many families" in text and "All of you" in text
    for couple_words in ("Neither of you", "Like many couples", "Both of you", "For the couple"):
        assert couple_words not in text, couple_words
    # Everyone listed alike, alphabetically: nobody reads as the first.
    assert "For Jo, Kim, Lee" in text


def test_each_person_gets_the_same_blocks_in_alphabetical_order(app, db, counsellor):
    case = build_case(db, counsellor, reference="W-0005", names=("Sam", "Alex"))
    with app.app_context():
        page = client_html(case)
    assert page.count('<div class="partner-scripts">') == 2
    assert page.index("<h3>Alex</h3>") < page.index("<h3>Sam</h3>")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext")
def test_client_pdf_text_holds_no_clinical_word(app, db, counsellor, consenting, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("PDF text is checked on SQLite")
    case = consenting(
        build_case(db, counsellor, reference="W-0006", csi4={"Alex": [9, 16], "Sam": [12, 10]})
    )
    with app.app_context():
        rendered = reports.render_report(case, START, END, "client", "", counsellor)
    text = pdf_text(rendered.data, tmp_path)
    assert "How satisfied you each feel" in text
    assert forbidden_in(text) == []
