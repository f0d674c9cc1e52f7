"""From a planned appointment to the session record in one click, in Chromium: plan a session
on the case page, open the appointment, make its session record, land on the session. Then
the counsellor's list and the appointment page at a phone's width, without sideways scrolling.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from practice.core.database import utcnow
from tests.browser.conftest import COUNSELLOR, login

PHONE = {"width": 390, "height": 844}


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


@pytest.mark.browser
def test_a_planned_appointment_becomes_the_session_record_in_one_click(
    page, live_server, screenshots
):
    base = live_server.url
    login(page, base, COUNSELLOR)
    page.goto(f"{base}/cases/{live_server.showcase_case_id}")
    appointments = page.get_by_role("region", name="Appointments")
    appointments.get_by_role("link", name="Plan a session").click()

    # Half an hour ago: the couple is in the room now.
    start = (utcnow() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    page.fill("#starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#duration_minutes", "50")
    page.select_option("#mode", "video")
    screenshots.take(page, "plan")
    page.get_by_role("button", name="Plan session").click()
    page.wait_for_url(re.compile(r"/appointments/\d+$"))
    expect(page.get_by_text("Session planned for")).to_be_visible()
    appointment_url = page.url
    screenshots.take(page, "appointment")

    # Back on the case page, the appointment is listed; open it from there.
    page.goto(f"{base}/cases/{live_server.showcase_case_id}")
    when = start.strftime("%d %b %Y, %H:%M")  # in the practice's zone (UTC here)
    page.get_by_role("region", name="Appointments").get_by_role("link", name=when).click()
    page.wait_for_url(appointment_url)

    page.get_by_role("button", name="Make the session record").click()
    page.wait_for_url(re.compile(r"/sessions/\d+$"))
    expect(page.get_by_text("Session recorded from the appointment")).to_be_visible()
    screenshots.take(page, "session")

    page.goto(appointment_url)
    expect(page.get_by_text("Attended", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Open the session")).to_be_visible()

    # The caseload at a glance shows the case's next session (the demo's plan continues).
    page.goto(f"{base}/")
    expect(page.get_by_role("columnheader", name=re.compile("Next session"))).to_be_visible()
    screenshots.take(page, "my-cases")

    # A phone: the caseload list and the appointment page fit the width.
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    _no_sideways_scroll(page)
    screenshots.take(page, "my-cases-390")
    page.goto(appointment_url)
    _no_sideways_scroll(page)
    page.goto(f"{base}/appointments")
    _no_sideways_scroll(page)
    screenshots.take(page, "my-week-390")
