"""The tracker mounted in the realistic host (tests/plugin/host_app.py), driven in Chromium: the
host's login, the host's layout, live tagging and the note's autosave, which need the CSRF meta
tag and stylesheet that the tracker's pages put into the host's layout themselves."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.plugin import host_app
from tests.plugin.conftest import HOST_PASSWORD, add_staff, api_token, build_host

pytestmark = pytest.mark.browser

EMAIL = "dana@host.example"


@pytest.fixture(scope="module")
def host_server(tmp_path_factory) -> Iterator[tuple[str, int]]:
    """The host on a SQLite file, served on a free port; yields its URL and a draft session."""
    tmp = tmp_path_factory.mktemp("host-browser")
    app = build_host(f"sqlite:///{tmp / 'host.db'}", tmp / "instance")
    with app.app_context():
        host_app.db.create_all()
    assert app.test_cli_runner().invoke(args=["practice", "upgrade-db"]).exit_code == 0
    add_staff(app, EMAIL)
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {api_token(app, EMAIL)}"}
    case = client.post(
        "/practice/api/v1/cases",
        json={
            "opened_on": "2026-01-05",
            "partners": [
                {"display_name": "Jo", "cycle_role": "pursuer"},
                {"display_name": "Lee", "cycle_role": "withdrawer"},
            ],
        },
        headers=bearer,
    ).get_json()
    session = client.post(
        f"/practice/api/v1/cases/{case['id']}/sessions",
        json={"starts_at": datetime.now(UTC).isoformat()},
        headers=bearer,
    ).get_json()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="host-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", session["id"]
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            host_app.db.engine.dispose()


def test_a_host_user_tags_live_and_autosaves_in_the_hosts_layout(page, host_server):
    base, session_id = host_server
    page.goto(f"{base}/practice/sessions/{session_id}/live")
    page.wait_for_url(re.compile(r"/sign-in"))  # the host's own login
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", HOST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/practice/sessions/{session_id}/live$"))
    expect(page.locator(".host-header")).to_have_text("Host clinic")  # the host's layout
    # The tracker's stylesheet applies: the live page's buttons are laid out by it.
    assert page.evaluate(
        "() => [...document.styleSheets].some(s => (s.href || '').endsWith('/practice.css'))"
    )

    expect(page.locator("#live-status")).to_have_text("Ready: each tap is saved at once.")
    page.keyboard.press("1")
    with page.expect_response(lambda r: r.url.endswith("/live/tags")) as tapped:
        page.keyboard.press("p")
    assert tapped.value.ok, tapped.value.text()
    expect(page.locator("#live-status")).to_have_text(re.compile(r"Jo · min \d+ — saved$"))
    expect(page.locator("#tally-escalating")).to_have_text("1")

    page.goto(f"{base}/practice/sessions/{session_id}")
    with page.expect_response(lambda r: r.url.endswith("/autosave")) as saved:
        page.fill("#note_data", "Jo pursued; Lee went quiet.")
        page.locator("#note_plan").focus()
    assert saved.value.ok, saved.value.text()
    expect(page.locator("#note-save-status")).to_have_text(re.compile(r"^Saved "))
