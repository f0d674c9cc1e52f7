"""CSI-4 reliable change where a counsellor looks: the case page, a session's CSI-4 tab and the
API, on hand-built cases whose verdicts are worked out below with the practice's index (5 points
by default, set by ``PRACTICE_CSI4_RELIABLE_CHANGE``) and the 13.5 cut-off, each threshold tried
on both sides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from practice.measures.csi4 import CSI4_MEASURE
from practice.measures.settings import RELIABLE_CHANGE_KEY
from practice.models import AuditEvent, CaseKind, MeasureResponse, Role
from tests.test_api_support import ApiClient, issue_token

START = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


def items_for(total: int) -> list[int]:
    """Four item scores within their ranges (0-6, 0-5, 0-5, 0-5) adding up to ``total``."""
    items, left = [], total
    for maximum in (6, 5, 5, 5):
        items.append(min(maximum, left))
        left -= items[-1]
    assert left == 0
    return items


@pytest.fixture
def measured(db, make_case, make_session, counsellor):
    """``measured(totals_by_partner, kind=…)``: a case of ``counsellor`` with one session a
    week per reading, each partner's CSI-4 totals recorded in order (None: not measured)."""

    def build(*totals: list[int | None], kind: str = CaseKind.COUPLE, names=("Alex", "Sam")):
        case = make_case(counsellor, partners=names[: len(totals)], kind=kind)
        sessions = []
        for week in range(max(len(t) for t in totals)):
            sessions.append(make_session(case, starts_at=START + timedelta(weeks=week)))
        for partner, series in zip(case.partners, totals, strict=True):
            for therapy_session, total in zip(sessions, series, strict=False):
                if total is None:
                    continue
                db.add(
                    MeasureResponse(
                        session_id=therapy_session.id,
                        partner_id=partner.id,
                        measure=CSI4_MEASURE,
                        items=items_for(total),
                        total=total,
                        recorded_by_id=counsellor.id,
                    )
                )
        db.commit()
        return case, sessions

    return build


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def change_block(html: str) -> str:
    """The CSI-4 change section of a page."""
    start = html.index('aria-labelledby="csi4-change-heading"')
    return html[start : html.index("</section>", start)]


def partner_part(block: str, name: str) -> str:
    start = block.index(f">{name}</h3>")
    return block[start : block.index("</article>", start)]


# --- The case page -------------------------------------------------------------------------------


def test_case_page_shows_each_partner_and_a_divergent_couple(client, auth, counsellor, measured):
    # Alex 9 → 12 → 14: +5 = the index of 5, and from below 13.5 to at or above it: recovered.
    # Sam 16 → 13 → 11: −5 = the index the other way: deteriorated. One up, one down: divergent.
    case, _ = measured([9, 12, 14], [16, 13, 11])
    auth.login(counsellor)
    block = change_block(page(client.get(f"/cases/{case.id}")))
    alex, sam = partner_part(block, "Alex"), partner_part(block, "Sam")
    assert "<dt>Baseline</dt><dd>9<" in alex and "03 Mar 2026" in alex
    assert "<dt>Latest</dt>" in alex and ">14<" in alex and "17 Mar 2026" in alex
    assert "<dt>Change</dt><dd>+5<" in alex and "3 readings" in alex
    assert "<strong>Recovered.</strong>" in alex
    assert "+5 from the baseline (9 → 14): up by at least the index of 5" in alex
    assert "<dt>Change</dt><dd>\u22125<" in sam
    assert "<strong>Reliably deteriorated.</strong>" in sam
    assert "down by at least the index of 5" in sam
    assert "Divergent: one partner improved, the other deteriorated" in block
    assert "reliable-change index of <strong>5 points</strong>" in block
    assert "from below the 13.5 cut-off to at or above it" in block


def test_one_point_short_of_the_index_is_no_reliable_change(client, auth, counsellor, measured):
    # Alex 9 → 13: +4, one short of 5; Sam 16 → 12: −4. Neither is reliable: both unchanged.
    case, _ = measured([9, 13], [16, 12])
    auth.login(counsellor)
    block = change_block(page(client.get(f"/cases/{case.id}")))
    assert block.count("<strong>No reliable change.</strong>") == 2
    assert "+4 from the baseline (9 → 13): less than the index of 5 either way." in block
    assert "No reliable change for either partner" in block
    assert "<strong>Recovered.</strong>" not in block and "deteriorated.</strong>" not in block


def test_the_index_is_the_practice_setting(client, auth, counsellor, measured, app, monkeypatch):
    # The same readings with an index of 4: Alex +4 ≥ 4 is reliable, but 13 is still below
    # 13.5: improved, not recovered. Sam −4 ≤ −4: deteriorated. The couple: divergent.
    monkeypatch.setitem(app.config, RELIABLE_CHANGE_KEY, 4)
    case, _ = measured([9, 13], [16, 12])
    auth.login(counsellor)
    block = change_block(page(client.get(f"/cases/{case.id}")))
    alex = partner_part(block, "Alex")
    assert "<strong>Reliably improved.</strong>" in alex
    assert "up by at least the index of 4; still below the 13.5 cut-off" in alex
    assert "<strong>Reliably deteriorated.</strong>" in partner_part(block, "Sam")
    assert "Divergent" in block
    assert "reliable-change index of <strong>4 points</strong>" in block


def test_a_slide_is_shown_from_the_best_so_far(client, auth, counsellor, measured):
    # Alex 9 → 18 → 13: +4 from the baseline (no reliable change) but 18 − 13 = 5 below the
    # best: a slide. Sam 10 → 18 → 14: 18 − 14 = 4 below the best, one short: no slide.
    case, _ = measured([9, 18, 13], [10, 18, 14])
    auth.login(counsellor)
    block = change_block(page(client.get(f"/cases/{case.id}")))
    alex, sam = partner_part(block, "Alex"), partner_part(block, "Sam")
    assert "<strong>Slide.</strong>" in alex
    assert "the latest total (13) is 5 points below the best so far (18)" in alex
    assert "Slide" not in sam
    # Sam: 10 → 14 is +4, unchanged too; the couple neither improved nor deteriorated.
    assert "No reliable change for either partner" in block


def test_a_partner_with_one_reading_leaves_the_couple_unjudged(client, auth, counsellor, measured):
    case, _ = measured([9, 15], [16, None])
    auth.login(counsellor)
    block = change_block(page(client.get(f"/cases/{case.id}")))
    assert "<strong>Baseline only.</strong>" in partner_part(block, "Sam")
    assert "Not enough readings from both partners" in block
    assert "two readings or more from each partner are needed" in block


def test_an_unmeasured_case_says_so(client, auth, counsellor, make_case):
    case = make_case(counsellor)
    auth.login(counsellor)
    block = change_block(page(client.get(f"/cases/{case.id}")))
    assert "No CSI-4 recorded yet." in block


@pytest.mark.parametrize(
    ("kind", "names", "reason"),
    [
        (CaseKind.INDIVIDUAL, ("Robin",), "An individual case has one client"),
        (CaseKind.FAMILY, ("Ann", "Bo", "Cy"), "A family case is not judged as a couple"),
    ],
)
def test_individual_and_family_cases_get_no_couple_classification(
    client, auth, counsellor, measured, kind, names, reason
):
    # Each person's own change is still judged: 8 → 14 is +6 and crosses 13.5: recovered.
    case, _ = measured(*([8, 14] for _ in names), kind=kind, names=names)
    auth.login(counsellor)
    block = change_block(page(client.get(f"/cases/{case.id}")))
    assert block.count("<strong>Recovered.</strong>") == len(names)
    assert "<strong>No couple classification.</strong>" in block and reason in block
    assert "The couple:" not in block


def test_the_supervisor_reads_the_change(client, auth, supervisor, measured):
    case, _ = measured([9, 14], [16, 11])
    auth.login(supervisor)
    assert "Divergent" in change_block(page(client.get(f"/cases/{case.id}")))


# --- A session's CSI-4 tab: the change up to that session --------------------------------------


def test_the_session_tab_judges_up_to_that_session(client, auth, counsellor, measured, db):
    # At the second session Alex is 9 → 12 (+3, unchanged); at the third 9 → 14 (+5, over
    # 13.5: recovered). Sam 16 → 13 (−3) then 16 → 11 (−5: deteriorated).
    _case, sessions = measured([9, 12, 14], [16, 13, 11])
    auth.login(counsellor)
    second = change_block(page(client.get(f"/sessions/{sessions[1].id}/measures")))
    assert "up to this session" in second
    assert second.count("<strong>No reliable change.</strong>") == 2
    assert "+3 from the baseline (9 → 12)" in second
    assert "No reliable change for either partner" in second
    third = change_block(page(client.get(f"/sessions/{sessions[2].id}/measures")))
    assert "<strong>Recovered.</strong>" in partner_part(third, "Alex")
    assert "<strong>Reliably deteriorated.</strong>" in partner_part(third, "Sam")
    assert "Divergent" in third
    first = change_block(page(client.get(f"/sessions/{sessions[0].id}/measures")))
    assert first.count("<strong>Baseline only.</strong>") == 2
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "measures_viewed")).all()
    assert len(events) == 3


def test_the_session_tab_of_an_individual_case(client, auth, counsellor, measured):
    _case, sessions = measured([8, 14], kind=CaseKind.INDIVIDUAL, names=("Robin",))
    auth.login(counsellor)
    block = change_block(page(client.get(f"/sessions/{sessions[1].id}/measures")))
    assert "<strong>Recovered.</strong>" in block
    assert "An individual case has one client" in block


# --- The API -------------------------------------------------------------------------------------


def api(app, client, db, member) -> ApiClient:
    return ApiClient(client, issue_token(app, db, member))


def test_the_api_reads_the_change_and_audits_the_read(app, client, db, counsellor, measured):
    # As on the page: Alex 9 → 14 (+5 over 13.5): recovered; Sam 16 → 11 (−5): deteriorated.
    case, _sessions = measured([9, 12, 14], [16, 13, 11])
    response = api(app, client, db, counsellor).get(f"/cases/{case.id}/csi4-change")
    assert response.status_code == 200
    body = response.get_json()
    assert body["reliable_change_index"] == 5 and body["cutoff"] == 13.5
    alex, sam = body["partners"]
    assert (alex["baseline"], alex["latest"], alex["best"], alex["change"]) == (9, 14, 14, 5)
    assert (alex["category"], alex["slide"], alex["below_cutoff"]) == ("recovered", False, False)
    assert alex["readings"] == 3
    assert alex["baseline_at"] == START.isoformat()
    assert (sam["change"], sam["category"], sam["below_cutoff"]) == (-5, "deteriorated", True)
    assert (body["couple"], body["no_couple_reason"]) == ("divergent", None)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "api_csi4_change_read")).one()
    assert (event.object_type, event.object_id, event.case_id) == ("Case", str(case.id), case.id)
    assert event.detail == {}


def test_the_api_on_the_other_side_of_the_index(app, client, db, counsellor, measured):
    # Alex 9 → 13 (+4) and Sam 16 → 12 (−4): one short of 5 either way.
    case, _ = measured([9, 13], [16, 12])
    body = api(app, client, db, counsellor).get(f"/cases/{case.id}/csi4-change").get_json()
    assert [p["category"] for p in body["partners"]] == ["unchanged", "unchanged"]
    assert body["couple"] == "both_unchanged"


def test_the_api_for_an_individual_and_an_unmeasured_partner(
    app, client, db, counsellor, measured, make_case
):
    case, _ = measured([8, 14], kind=CaseKind.INDIVIDUAL, names=("Robin",))
    body = api(app, client, db, counsellor).get(f"/cases/{case.id}/csi4-change").get_json()
    assert body["couple"] is None and "individual case" in body["no_couple_reason"]
    fresh = make_case(counsellor)
    body = api(app, client, db, counsellor).get(f"/cases/{fresh.id}/csi4-change").get_json()
    assert [p["readings"] for p in body["partners"]] == [0, 0]
    assert body["partners"][0]["category"] is None
    assert body["couple"] == "not_enough_readings"


def test_the_api_answers_only_those_who_may_read_the_case(
    app, client, db, supervisor, make_staff, measured
):
    case, _ = measured([9, 14], [16, 11])
    assert api(app, client, db, supervisor).get(f"/cases/{case.id}/csi4-change").status_code == 200
    stranger = make_staff(Role.COUNSELLOR)
    assert api(app, client, db, stranger).get(f"/cases/{case.id}/csi4-change").status_code == 404
