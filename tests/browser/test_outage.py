"""While the server is unavailable the note's text is kept in the browser until it saves."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Route, expect

from tests.browser.conftest import COUNSELLOR, login

pytestmark = pytest.mark.browser

KEY_PREFIX = "practice-unsaved-note:"


def _kept(page) -> str | None:
    return page.evaluate(
        f"""() => {{
            for (let i = 0; i < localStorage.length; i++) {{
                const key = localStorage.key(i);
                if (key.startsWith({json.dumps(KEY_PREFIX)})) return localStorage.getItem(key);
            }}
            return null;
        }}"""
    )


def test_autosave_keeps_the_text_in_the_browser_until_the_server_is_back(
    context, page, live_server
):
    login(page, live_server.url, COUNSELLOR)
    session_url = f"{live_server.url}/sessions/{live_server.draft_session_id}"
    page.goto(session_url)

    def unavailable(route: Route) -> None:
        route.fulfill(
            status=503,
            headers={"Retry-After": "5"},
            content_type="application/json",
            body=json.dumps({"error": {"code": "unavailable", "message": "down", "fields": {}}}),
        )

    context.route("**/autosave", unavailable)
    text = "Named the cycle while the server was away."
    with page.expect_response(lambda r: r.url.endswith("/autosave")):
        page.fill("#note_plan", text)
        page.locator("#note_data").focus()  # leaving the field saves at once
    problem = page.locator("#autosave-problem")
    expect(problem).to_contain_text("The server is unavailable; your text is kept in this browser")
    assert text in (_kept(page) or "")

    # The server is back; the page opened again (a new tab, a reload) puts the text back and
    # saves it, and the browser keeps nothing more.
    context.unroute("**/autosave", unavailable)
    again = context.new_page()
    with again.expect_response(lambda r: r.url.endswith("/autosave"), timeout=10_000) as saved:
        again.goto(session_url)
        expect(again.locator("#note_plan")).to_have_value(text)
    assert saved.value.ok, saved.value.text()
    expect(again.locator("#note-save-status")).to_contain_text("Saved")
    assert _kept(again) is None
    page.close()  # before its own retry, which would now meet a newer version
