"""Directed moments in live mode, in Chromium: the answer key links the next tap to the last
moment and aims it at that moment's partner; a moment's outcome is set on its row; the Moments
tab and the case page show the interaction figures (at a phone's and a desktop's width)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import COUNSELLOR, login


@pytest.fixture(scope="module")
def draft(live_server) -> dict:
    """A draft of the showcase that began 15 minutes ago, with one pursue by the first partner."""
    from sqlalchemy import select

    from practice.core.database import db, utcnow
    from practice.models import Case, MomentType
    from practice.moments import operations as moments
    from tests.browser.conftest import _record

    with live_server.app.app_context():
        case = db.get(Case, live_server.showcase_case_id)
        counsellor = case.counsellor
        first, second = case.partners[:2]
        draft = _record(case, counsellor, utcnow().replace(microsecond=0) - timedelta(minutes=15))
        pursue = db.scalar(select(MomentType.id).where(MomentType.key == "pursue"))
        moments.add_moment(draft, counsellor, moments.MomentData(pursue, first.id, 14, 3, ""))
        db.commit()
        return {"id": draft.id, "first": first.display_name, "second": second.display_name}


@pytest.mark.browser
def test_answer_key_and_outcome_in_live_mode(page: Page, live_server, draft, screenshots):
    base = live_server.url
    login(page, base, COUNSELLOR)
    page.goto(f"{base}/sessions/{draft['id']}/live")
    expect(page.locator("#live-status")).to_have_text("Ready: each tap is saved at once.")
    expect(page.locator("#live-answer")).to_contain_text("Next tap answers the last moment")

    # The answer key arms the next tap; the screen says which moment it will answer.
    page.keyboard.press("2")
    page.keyboard.press(".")
    expect(page.locator("#live-answer")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#live-answer-note")).to_have_text(
        f"On: the next tap answers min 14 · Pursue / protest · {draft['first']}."
    )
    screenshots.take(page, "armed")
    with page.expect_response(lambda r: r.url.endswith("/live/tags")) as tapped:
        page.keyboard.press("w")
    body = tapped.value.json()["moment"]
    assert body["answers_moment_id"] is not None and body["target"] == draft["first"]
    expect(page.locator("#live-answer")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#live-answer-note")).to_have_text("")
    newest = page.locator("#live-recent li").first
    expect(newest).to_contain_text(f"Withdraw / shut down · {draft['second']} → {draft['first']} ↩")

    # The outcome, on the row; pressed again, cleared.
    with page.expect_response(lambda r: r.url.endswith("/outcome")):
        newest.get_by_role("button", name="Rejected").click()
    expect(newest.get_by_role("button", name="Rejected")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#live-status")).to_contain_text("outcome rejected")
    screenshots.take(page, "outcome")

    # The Moments tab lists it as directed and counts the coupled pursue (14 → 15 or so).
    page.goto(f"{base}/sessions/{draft['id']}/moments")
    row = page.locator("table.moments tbody tr", has_text="Withdraw / shut down")
    expect(row).to_contain_text(f"→ {draft['first']}")
    expect(row).to_contain_text("answers min 14 Pursue / protest")
    expect(row).to_contain_text("Rejected")
    expect(page.locator(".interaction-figures")).to_contain_text("1 of 1 (100 %)")
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        screenshots.take(page, f"moments-{width}")
        page.goto(f"{base}/cases/{live_server.showcase_case_id}")
        section = page.locator(".case-interaction")
        # The demo's course, then today's drafts: a trend over all the sessions with one.
        expect(section).to_contain_text(re.compile(r"Coupling index\s*\d+ % → \d+ %, \w+ over"))
        section.screenshot(path=str(screenshots.directory / f"case-{width}.png"))
        page.goto(f"{base}/sessions/{draft['id']}/moments")
