"""The registry's measures through the pages and the API: recording the CSI-16 and the ORS/SRS
of the example file at a session, the case page's lines and split-alliance notice, decimal
totals stored and read back, and the registry in the API."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from practice.models import AuditEvent, MeasureResponse
from tests.test_api_support import ApiClient, issue_token

EXAMPLE = Path(__file__).parent.parent / "practice/measures/examples/ors_srs.json"


@pytest.fixture
def licensed(app, monkeypatch):
    """The practice with the example ORS/SRS file enabled."""
    monkeypatch.setitem(app.config, "PRACTICE_MEASURES_FILE", str(EXAMPLE))
    return app


@pytest.fixture
def visit(make_session, case):
    return make_session(case, starts_at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))


def page(response) -> str:
    return response.get_data(as_text=True)


def post_measure(auth, visit, key: str, answers: dict[int, list]):
    data = {"submit": f"Save {key}"}
    positions = {p.id: i for i, p in enumerate(visit.case.partners)}
    for partner_id, items in answers.items():
        for n, value in enumerate(items, start=1):
            if value is not None:
                data[f"p{positions[partner_id]}_i{n}"] = str(value)
    return auth.post(f"/sessions/{visit.id}/measures/{key}", data)


def stored(db, key: str) -> list[MeasureResponse]:
    return list(
        db.scalars(
            select(MeasureResponse)
            .where(MeasureResponse.measure == key)
            .order_by(MeasureResponse.partner_id)
        )
    )


CSI16_ANSWERS = [4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 4, 1, 1, 4, 1]  # 55 (test_measure_registry)


def test_the_csi16_form_shows_items_with_anchors_and_saves_the_total(
    client, auth, counsellor, case, visit, db
):
    auth.login(counsellor)
    html = page(client.get(f"/sessions/{visit.id}/measures"))
    assert f'href="/sessions/{visit.id}/measures/CSI-16"' in html
    html = page(client.get(f"/sessions/{visit.id}/measures/CSI-16"))
    assert "1. Happiness with the relationship, all things considered" in html
    assert "0 = Extremely unhappy, 6 = Perfect" in html
    assert "0 = Interesting, 5 = Boring" in html
    alex = case.partners[0]
    response = post_measure(auth, visit, "CSI-16", {alex.id: CSI16_ANSWERS})
    assert response.status_code == 302
    (saved,) = stored(db, "CSI-16")
    assert (saved.partner_id, saved.total, saved.items) == (alex.id, 55, CSI16_ANSWERS)
    html = page(client.get(f"/cases/{case.id}"))
    assert "CSI-16" in html and "55 — at or above the 51.5 cut-off" in html
    assert "One reading so far: the baseline." in html


def test_half_answered_or_out_of_range_is_refused_with_nothing_saved(
    client, auth, counsellor, case, visit, db
):
    auth.login(counsellor)
    alex = case.partners[0]
    half = post_measure(auth, visit, "CSI-16", {alex.id: CSI16_ANSWERS[:8] + [None] * 8})
    assert half.status_code == 200 and "Alex: answer every item" in page(half)
    wrong = post_measure(auth, visit, "CSI-16", {alex.id: [9, *CSI16_ANSWERS[1:]]})
    assert wrong.status_code == 200 and "Item 1 must be a whole number from 0 to 6" in page(wrong)
    assert stored(db, "CSI-16") == []
    assert client.get(f"/sessions/{visit.id}/measures/HITS").status_code == 404
    assert client.get(f"/sessions/{visit.id}/measures/ORS").status_code == 404


def test_ors_decimals_are_stored_and_read_back(licensed, client, auth, counsellor, case, visit, db):
    auth.login(counsellor)
    alex, sam = case.partners
    # Alex 5.2 + 6.1 + 7.3 + 4.5 = 23.1 (below 25); Sam 8 + 7.5 + 6 + 9 = 30.5.
    response = post_measure(
        auth, visit, "ORS", {alex.id: [5.2, 6.1, 7.3, 4.5], sam.id: [8, 7.5, 6, 9]}
    )
    assert response.status_code == 302
    db.expire_all()
    totals = [(r.total, r.items) for r in stored(db, "ORS")]
    assert totals == [(23.1, [5.2, 6.1, 7.3, 4.5]), (30.5, [8, 7.5, 6, 9])]
    too_fine = post_measure(auth, visit, "ORS", {alex.id: [5.25, 6, 7, 4]})
    assert "at most 1 decimal place" in page(too_fine)
    html = page(client.get(f"/cases/{case.id}"))
    assert "23.1 — below the 25 cut-off: in the clinical range" in html


def _srs(auth, visit, case, first, second):
    alex, sam = case.partners
    return post_measure(auth, visit, "SRS", {alex.id: first, sam.id: second})


def test_split_alliance_notice_at_the_gap_and_not_under_it(
    licensed, client, auth, counsellor, case, make_session, db
):
    auth.login(counsellor)
    first = make_session(case, starts_at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
    # 10 + 10 + 10 + 10 = 40 and 9 + 9 + 9 + 9.1 = 36.1: 3.9 apart, both at least 36.
    _srs(auth, first, case, [10, 10, 10, 10], [9, 9, 9, 9.1])
    assert "Split alliance" not in page(client.get(f"/cases/{case.id}"))
    # 40 and 9 + 9 + 9 + 9 = 36: 4.0 apart: a split (36 is not under 36).
    _srs(auth, first, case, [10, 10, 10, 10], [9, 9, 9, 9])
    html = page(client.get(f"/cases/{case.id}"))
    assert "Split alliance (SRS)." in html
    assert "Alex and Sam scored the SRS 4 points apart" in html
    assert "latest SRS" not in html
    # 8.9 + 9 + 9 + 9 = 35.9: under 36.
    _srs(auth, first, case, [9, 9, 9, 9], [8.9, 9, 9, 9])
    html = page(client.get(f"/cases/{case.id}"))
    assert "Sam&#39;s latest SRS is 35.9, under 36" in html


def test_split_alliance_is_a_supervisor_flag(
    licensed, client, auth, counsellor, supervisor, case, visit
):
    auth.login(counsellor)
    _srs(auth, visit, case, [10, 10, 10, 10], [8, 9, 9, 9])  # 40 and 35
    auth.logout()
    auth.login(supervisor)
    html = page(client.get("/supervision"))
    assert "Split alliance" in html
    assert "partner 2&#39;s latest SRS is 35, under 36" in html


# --- The API ----------------------------------------------------------------------------------


def test_the_api_gives_the_registry_without_licensed_wording(licensed, app, client, db, counsellor):
    api = ApiClient(client, issue_token(app, db, counsellor))
    body = api.get("/measures/registry").get_json()
    by_key = {d["key"]: d for d in body["items"]}
    assert list(by_key) == ["CSI-4", "CSI-16", "HITS", "ORS", "SRS"]
    assert by_key["CSI-16"]["max_total"] == 81 and by_key["CSI-16"]["cutoff"] == 51.5
    assert by_key["CSI-16"]["items"][10]["reverse"] is True
    assert by_key["CSI-4"]["items"][0]["wording"].startswith("Happiness")
    assert by_key["ORS"]["items"][0]["wording"] is None
    assert by_key["ORS"]["items"][0]["anchors"] == [
        {"value": 0, "label": "Low"},
        {"value": 10, "label": "High"},
    ]
    assert by_key["SRS"]["alliance_threshold"] == 36


def test_the_api_records_any_measure(licensed, app, client, db, counsellor, case, visit):
    api = ApiClient(client, issue_token(app, db, counsellor))
    alex = case.partners[0]
    path = f"/sessions/{visit.id}/measure-responses"
    ors = api.post(path, {"measure": "ORS", "partner_id": alex.id, "items": [5.2, 6.1, 7.3, 4.5]})
    assert ors.status_code == 200
    assert ors.get_json()["total"] == 23.1 and ors.get_json()["in_concern"] is True
    csi4 = api.post(path, {"measure": "CSI-4", "partner_id": alex.id, "items": [3, 3, 3, 3]})
    assert csi4.status_code == 200 and csi4.get_json()["total"] == 12
    refused = api.post(path, {"measure": "HITS", "partner_id": alex.id, "items": [1, 1, 1, 1]})
    assert refused.status_code == 409
    out = api.post(path, {"measure": "ORS", "partner_id": alex.id, "items": [11, 1, 1, 1]})
    assert out.status_code == 409 and "between 0 and 10" in out.get_json()["error"]["message"]
    listed = api.get(path).get_json()["items"]
    assert [(r["measure"], r["total"]) for r in listed] == [("CSI-4", 12), ("ORS", 23.1)]
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "api_measures_read")).all()


def test_another_counsellor_cannot_record(app, client, db, make_staff, case, visit):
    other = make_staff()
    api = ApiClient(client, issue_token(app, db, other))
    path = f"/sessions/{visit.id}/measure-responses"
    body = {"measure": "CSI-16", "partner_id": case.partners[0].id, "items": CSI16_ANSWERS}
    assert api.post(path, body).status_code == 404


# --- The clinical report ------------------------------------------------------------------------


def test_the_clinical_report_lists_other_measures_and_the_client_report_does_not(
    licensed, app, db, counsellor, case, make_session
):
    from datetime import date

    from practice.measures.configured import measure_registry
    from practice.measures.recording import record_measure
    from practice.reports.progress_report import build_report_html, report_context

    first = make_session(case, starts_at=datetime(2026, 3, 3, 15, 0, tzinfo=UTC))
    second = make_session(case, starts_at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
    alex, sam = case.partners
    with app.test_request_context():
        measures = measure_registry(app.config)
        # Alex's ORS 19.5 -> 25.5: +6 (index 5), from below 25 to above it: recovered.
        record_measure(first, alex.id, "ORS", [5, 5, 5, 4.5], measures)
        record_measure(second, alex.id, "ORS", [6.5, 6, 6.5, 6.5], measures)
        # The SRS at the second session: 40 and 35.5, split and under 36.
        record_measure(second, alex.id, "SRS", [10, 10, 10, 10], measures)
        record_measure(second, sam.id, "SRS", [9, 9, 9, 8.5], measures)
        db.commit()
        context = report_context(
            case, date(2026, 3, 1), date(2026, 3, 31), "clinical", "", counsellor
        )
        html = build_report_html(context)
        client = report_context(case, date(2026, 3, 1), date(2026, 3, 31), "client", "", counsellor)
    assert "Other standard measures" in html
    assert "19.5 → 25.5" in html
    assert "Recovered: +6 from the baseline (19.5 → 25.5), index 5." in html
    assert "Sam&#39;s latest SRS is 35.5, under 36" in html or "Sam’s latest SRS" in html
    assert client["other_measures"] is None


# --- Check-ins ----------------------------------------------------------------------------------


def test_a_check_in_asks_the_measures_configured_for_check_ins(
    licensed, app, client, auth, db, counsellor, case
):
    from tests.test_checkins import _issue, _submit

    token, _link = _issue(app, db, case)
    page_html = page(client.get(f"/checkin/{token}"))
    # The example ORS is asked at check-ins; the SRS (a session's alliance) is not.
    assert "Outcome Rating Scale" in page_html and "Session Rating Scale" not in page_html
    half = _submit(client, token, measure0_item1="5.5")
    assert half.status_code == 400 and "please answer every line" in page(half)
    assert stored(db, "ORS") == []
    # 5.5 + 6 + 7 + 4.5 = 23: below the 25 cut-off.
    answers = {"measure0_item1": "5.5", "measure0_item2": "6", "measure0_item3": "7"}
    done = _submit(client, token, measure0_item4="4.5", **answers)
    assert done.status_code == 200
    (response,) = stored(db, "ORS")
    assert (response.source, response.session_id, response.total) == ("check-in", None, 23)
    assert response.partner_id == case.partners[0].id
    auth.login(counsellor)
    html = page(client.get(f"/cases/{case.id}"))
    assert "23 — below the 25 cut-off: in the clinical range" in html


def test_without_a_configured_measure_the_check_in_is_as_before(app, client, db, case):
    from tests.test_checkins import _issue

    token, _link = _issue(app, db, case)
    assert "measure0_item1" not in page(client.get(f"/checkin/{token}"))
