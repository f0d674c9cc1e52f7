"""CSI-4 in the reports: each partner's scores only to whom they consented, and each one's
reliable change from baseline, and the couple's, in the words of the report's reader.

The hand-built couple: Alex answers 9 at the first session and 16 at the sixth (10 Feb 2026):
+7 from a baseline below the 13.5 cut-off to above it, at least the index of 5: recovered. Sam
answers 12 then 6: −6, at least 5 down: deteriorated. One up, one down: divergent.
"""

from __future__ import annotations

import base64
import re
from datetime import date

import pytest

from practice.measures import operations as measures
from practice.reports.progress_report import build_report_html, report_context
from tests.report_text import build_case, report_words, svg_words

START, END = date(2026, 1, 5), date(2026, 3, 31)
ALEX_SAM = {"Alex": [9, None, None, None, None, 16], "Sam": [12, None, None, None, None, 6]}


@pytest.fixture
def couple(db, counsellor):
    return build_case(db, counsellor, reference="R-0001", csi4=ALEX_SAM)


def consent(app, db, case, name: str, audience: str, given=START, withdrawn=None):
    partner = next(p for p in case.partners if p.display_name == name)
    with app.app_context():
        measures.give_score_consent(case, partner.id, audience, given, case.counsellor)
        if withdrawn is not None:
            measures.withdraw_score_consent(case, partner.id, audience, withdrawn, case.counsellor)
        db.commit()


def report(app, case, audience: str, end: date = END) -> tuple[dict, str]:
    with app.app_context():
        context = report_context(case, START, end, audience, "", case.counsellor)
        return context, build_report_html(context)


def rows(context: dict) -> dict[str, dict]:
    return {row["partner"]: row for row in context["csi4"]}


def csi4_chart_words(context: dict) -> str | None:
    for chart in context["charts"]:
        if chart["key"] == "csi4":
            return svg_words(base64.b64decode(chart["src"].split(",", 1)[1]).decode())
    return None


# --- Privacy between partners -----------------------------------------------------------------


def test_without_consent_the_joint_report_shows_no_ones_scores(app, couple):
    context, page = report(app, couple, "client")
    assert all(not row["shown"] and "latest" not in row for row in context["csi4"])
    assert csi4_chart_words(context) is None  # no chart that could only show hidden scores
    assert context["csi4_couple"] is None  # "divergent" would tell each one's direction
    text = report_words(page)
    assert "Alex’s answers stay private unless Alex chooses to share them." in text
    assert "Sam’s answers stay private unless Sam chooses to share them." in text
    assert not re.search(r"\b(16|12|\+7|−6)\b", text.split("How satisfied you each feel")[1])


def test_one_partners_consent_shows_theirs_only_and_no_couple_verdict(app, db, couple):
    consent(app, db, couple, "Alex", "partner")
    context, page = report(app, couple, "client")
    alex, sam = rows(context)["Alex"], rows(context)["Sam"]
    assert (alex["first"], alex["latest"], alex["change_text"]) == (9, 16, "+7")
    assert alex["verdict"] == "A real rise since the first answers, into the content range"
    assert not sam["shown"] and "latest" not in sam and "verdict" not in sam
    assert context["csi4_couple"] is None
    chart = csi4_chart_words(context)
    assert "Alex" in chart and "Sam: kept private" in chart
    text = report_words(page)
    assert "Sam’s answers stay private unless Sam chooses to share them." in text
    assert "Alex’s answers stay private" not in text


def test_a_withdrawn_consent_is_no_consent_on_the_report_date(app, db, couple):
    consent(app, db, couple, "Alex", "partner", withdrawn=date(2026, 3, 1))
    consent(app, db, couple, "Sam", "partner")
    context, _page = report(app, couple, "client")
    assert not rows(context)["Alex"]["shown"] and rows(context)["Sam"]["shown"]


def test_consent_to_the_partner_is_not_consent_to_a_referrer_and_back(app, db, couple):
    consent(app, db, couple, "Alex", "referrer")
    consent(app, db, couple, "Sam", "partner")
    referrer, _ = report(app, couple, "referrer")
    client, _ = report(app, couple, "client")
    assert {name: row["shown"] for name, row in rows(referrer).items()} == {
        "Alex": True,
        "Sam": False,
    }
    assert {name: row["shown"] for name, row in rows(client).items()} == {
        "Alex": False,
        "Sam": True,
    }
    assert rows(referrer)["Alex"]["latest"] == 16 and "latest" not in rows(referrer)["Sam"]


def test_the_clinical_record_shows_everything_without_any_consent(app, couple):
    context, page = report(app, couple, "clinical")
    alex, sam = rows(context)["Alex"], rows(context)["Sam"]
    assert (alex["verdict"], sam["verdict"]) == ("Recovered", "Reliably deteriorated")
    assert (sam["first"], sam["latest"], sam["change_text"]) == (12, 6, "−6")
    assert context["csi4_couple"] == "Divergent: one partner improved, the other deteriorated"
    text = report_words(page)
    assert "+7 from the baseline (9 → 16)" in text and "−6 from the baseline (12 → 6)" in text
    assert "Sam: kept private" not in csi4_chart_words(context)


def test_one_person_sees_their_own_scores_without_consent(app, db, counsellor):
    case = build_case(
        db,
        counsellor,
        reference="R-0002",
        kind="individual",
        names=("Robin",),
        csi4={"Robin": [10, None, 15]},
    )
    context, _page = report(app, case, "client")
    robin = rows(context)["Robin"]
    assert robin["shown"] and (robin["first"], robin["latest"]) == (10, 15)
    assert robin["verdict"] == "A real rise since the first answers, into the content range"
    assert context["csi4_couple"] is None  # no pair to classify


# --- Reliable change in words ---------------------------------------------------------------


def test_the_couple_reads_both_changes_and_their_divergence_in_plain_words(app, db, couple):
    consent(app, db, couple, "Alex", "partner")
    consent(app, db, couple, "Sam", "partner")
    context, page = report(app, couple, "client")
    assert rows(context)["Sam"]["verdict"] == (
        "Lower than at the first answers: worth talking about together"
    )
    assert context["csi4_couple"].startswith("You have moved in different directions")
    text = report_words(page)
    assert "A real rise or fall is a change of 5 points or more" in text


def test_a_slide_from_the_best_so_far_is_named(app, db, counsellor):
    # Sam: 12, 18, 12: no change from the baseline, but 6 (at least 5) below the best so far.
    case = build_case(
        db,
        counsellor,
        reference="R-0003",
        csi4={"Alex": [14, 14, 15], "Sam": [12, 18, 12]},
    )
    clinical, page = report(app, case, "clinical")
    sam = rows(clinical)["Sam"]
    assert (sam["category"], sam["slide"]) == ("unchanged", True)
    assert "the latest total (12) is 6 points below the best so far (18)" in report_words(page)
    assert clinical["csi4_couple"] == "No reliable change for either partner"
    consent(app, db, case, "Alex", "partner")
    consent(app, db, case, "Sam", "partner")
    client, _ = report(app, case, "client")
    assert rows(client)["Sam"]["slide_text"] == (
        "Lately lower than at its best: worth talking about together"
    )
    assert client["csi4_couple"] == "For both of you, it is about the same as when you started."


def test_the_practices_index_judges_the_change(app, db, couple, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_CSI4_RELIABLE_CHANGE", 8)
    context, page = report(app, couple, "clinical")
    # +7 and −6 are both under an index of 8.
    assert {name: row["category"] for name, row in rows(context).items()} == {
        "Alex": "unchanged",
        "Sam": "unchanged",
    }
    assert "Reliable change (index 8)" in page


def test_change_is_judged_up_to_the_periods_end(app, couple):
    # The second readings are on 10 Feb: a report to 31 Jan sees the baselines only.
    context, _page = report(app, couple, "clinical", end=date(2026, 1, 31))
    assert {name: row["category"] for name, row in rows(context).items()} == {
        "Alex": "baseline_only",
        "Sam": "baseline_only",
    }
    assert context["csi4_couple"] == "Not enough readings from both partners"


def test_someone_never_measured_has_no_score_to_keep_private(app, db, counsellor):
    # Alex answered (9, then 16) without consent; Sam never answered.
    case = build_case(db, counsellor, reference="R-0004", csi4={"Alex": [9, None, 16]})
    context, page = report(app, case, "client")
    assert not rows(context)["Alex"]["shown"]
    assert rows(context)["Sam"] == {"partner": "Sam", "shown": True, "count": 0}
    text = report_words(page)
    assert "Alex’s answers stay private unless Alex chooses to share them." in text
    assert "Sam’s answers stay private" not in text and "No answers yet" in text
    # Alex's hidden scores: no chart at all; with nobody measured the clients get none either.
    assert csi4_chart_words(context) is None
    nobody = build_case(db, counsellor, reference="R-0005")
    context, _page = report(app, nobody, "client")
    assert csi4_chart_words(context) is None
    clinical, _page = report(app, nobody, "clinical")
    assert "No data yet" in csi4_chart_words(clinical)  # the clinician sees the empty chart
