"""A partner keeps one colour on every chart and page: ``looks.partner_colour`` by the partner's
place in the case, used by the charts (case page and PDF alike), the page swatches of the case
page, the session's tabs and live mode, and the report's partner table."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from practice.measures.csi4 import CSI4_MEASURE
from practice.models import MeasureResponse
from practice.reports.charts import AdoptionSeries, adoption_chart, csi4_chart
from practice.reports.charts.looks import (
    BLUE,
    ESCALATING_LOOK,
    OCHRE,
    PARTNER_LOOKS,
    partner_colour,
    partner_look,
)

# --- The assignment ------------------------------------------------------------------------------


def test_partner_a_is_blue_and_partner_b_ochre_on_every_chart():
    assert partner_colour(0) == BLUE
    assert partner_colour(1) == OCHRE
    assert [partner_colour(n) for n in range(5)] == [look.colour for look in PARTNER_LOOKS]
    assert len(set(partner_colour(n) for n in range(5))) == 5
    assert partner_colour(5) == partner_colour(0)  # a sixth member of a family starts again


def test_no_partner_wears_the_escalating_colour():
    assert all(look.colour != ESCALATING_LOOK.colour for look in PARTNER_LOOKS)


def test_a_partners_second_line_keeps_the_colour_and_changes_its_pattern():
    first, second = partner_look(0), partner_look(0, 1)
    assert second.colour == first.colour
    assert (second.dash, second.marker) != (first.dash, first.marker)


# --- Charts --------------------------------------------------------------------------------------

LABELS = ["6 Jan", "13 Jan", "20 Jan"]


def test_the_csi4_chart_draws_partner_b_in_bs_colour_when_a_has_no_reading():
    svg = csi4_chart(LABELS, [("Sam", [9, 11, 13])], partner_positions=[1])
    assert OCHRE in svg and BLUE not in svg


def test_the_csi4_chart_needs_one_position_per_series():
    with pytest.raises(ValueError, match="one partner position per"):
        csi4_chart(LABELS, [("Sam", [9, 11, 13])], partner_positions=[0, 1])


def test_the_adoption_chart_draws_each_script_in_its_partners_colour():
    svg = adoption_chart(
        LABELS,
        [
            AdoptionSeries("Sam: time-out", [1, 2, 2], 1, partner_position=1),
            AdoptionSeries("Sam: repair", [0, 1, 1], None, partner_position=1),
        ],
    )
    assert OCHRE in svg and BLUE not in svg


# --- Pages and the report ------------------------------------------------------------------------


def _swatch_colour(page: str, name: str) -> str:
    """The fill of the partner swatch just before ``name`` on the page."""
    match = re.search(
        r'<svg class="partner-swatch"[^>]*>\s*<circle[^>]*fill="(#[0-9a-f]{6})"'
        r"[^>]*/></svg>\s*(?:<strong>)?" + re.escape(name),
        page,
    )
    assert match, f"no swatch before {name}"
    return match.group(1)


@pytest.fixture
def measured(db, make_session, case, counsellor):
    """A session at which only Sam, the case's second partner, took the CSI-4."""
    session = make_session(case, starts_at=datetime(2026, 1, 6, 15, tzinfo=UTC))
    sam = case.partners[1]
    db.add(
        MeasureResponse(
            session_id=session.id,
            partner_id=sam.id,
            measure=CSI4_MEASURE,
            items=[3, 3, 3, 3],
            total=12,
            recorded_by_id=counsellor.id,
        )
    )
    db.commit()
    return session


def _chart(client, page: str, alt_start: str) -> str:
    """The chart whose alternative text starts so, fetched from its URL as the browser would."""
    match = re.search(r'<img src="([^"]+)"[^>]* alt="' + alt_start, page)
    assert match
    return client.get(html.unescape(match.group(1))).get_data(as_text=True)


def test_pages_show_each_partner_in_the_charts_colour(client, auth, counsellor, case, measured):
    alex, sam = case.partners
    auth.login(counsellor)
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _swatch_colour(case_page, "Alex") == partner_colour(alex.position) == BLUE
    assert _swatch_colour(case_page, "Sam") == partner_colour(sam.position) == OCHRE
    chart = _chart(client, case_page, "Line chart of each partner")
    assert OCHRE in chart and BLUE not in chart  # Sam in Sam's colour, though alone

    for path in (
        f"/sessions/{measured.id}",
        f"/sessions/{measured.id}/measures",
        f"/sessions/{measured.id}/live",
    ):
        page = client.get(path).get_data(as_text=True)
        assert _swatch_colour(page, "Alex") == BLUE, path
        assert _swatch_colour(page, "Sam") == OCHRE, path


def test_the_reports_partner_table_uses_the_charts_colours(
    client, auth, counsellor, case, measured
):
    auth.login(counsellor)
    response = auth.post(
        f"/cases/{case.id}/reports/preview",
        {
            "period_start": "2026-01-05",
            "period_end": "2026-03-31",
            "audience": "clinical",
            "narrative": "",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _swatch_colour(html, "Alex") == BLUE
    assert _swatch_colour(html, "Sam") == OCHRE
