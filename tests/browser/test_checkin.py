"""A partner fills in a check-in on a phone (390 px wide): no account, no sideways scroll, one
submission, then the link is spent."""

from __future__ import annotations

from playwright.sync_api import expect

from practice.cases.models import Case
from practice.checkins import operations
from practice.checkins.links import checkin_url
from practice.core.database import db
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401  (the same browser, as configured)

PHONE = {"width": 390, "height": 844}


def _link_for_maya(app) -> str:
    with app.app_context():
        case = db.get(Case, 1)
        maya = next(p for p in case.partners if p.display_name == "Maya")
        token, _link = operations.issue_link(case, maya.id, case.counsellor)
        db.commit()
        with app.test_request_context(base_url="http://localhost"):
            path = checkin_url(token).removeprefix("http://localhost")
    return path


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide"


def test_a_partner_checks_in_on_a_phone(browser, live_server, screenshots):
    path = _link_for_maya(live_server.app)
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="en-GB")
    page = context.new_page()
    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", name="Your check-in")).to_be_visible()
    _no_sideways_scroll(page)
    screenshots.take(page, "checkin-form")

    page.get_by_label("This week, how many times").fill("2")
    page.locator("input[name=hardest_moment][value='4']").check()
    page.select_option("select[name=break1_called_by]", "partner")
    page.select_option("select[name=break1_days_ago]", "1")
    page.select_option("select[name=break1_with_script]", "yes")
    page.select_option("select[name=break1_returned]", "within_day")
    page.select_option("select[name=break1_resumed_by]", "me+words")
    page.select_option("select[name=break1_outcome]", "calmer")
    for radio in page.locator("input[type=radio][name^=script][value=yes]").all():
        radio.check()
    page.locator("input[name=felt_afraid][value=no]").check()
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Send my check-in").click()

    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    _no_sideways_scroll(page)
    screenshots.take(page, "checkin-thanks")
    # The link is spent: opened again, it says so plainly.
    response = page.goto(live_server.url + path)
    assert response.status == 410
    expect(page.get_by_role("heading", name="This link is not available")).to_be_visible()
    context.close()
