"""Automated accessibility check of the key pages with axe-core, in Chromium.

axe-core's script ships inside the axe-playwright-python package (no network). Each page is
checked as its usual user sees it, with the demo practice's data; a page passes with no
violation of impact "serious" or "critical". The counts per page are printed at the end of the
run (and kept, with the full results, under ``test-artifacts/browser/test_accessibility``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import (
    ADMIN,
    ARTIFACTS,
    COUNSELLOR,
    SUPERVISOR,
    VIEWPORT,
    login,
    record_axe_counts,
)

IMPACTS = ("minor", "moderate", "serious", "critical")
BLOCKING = {"serious", "critical"}
RESULTS_DIR = ARTIFACTS / "test_accessibility"

# name, who looks at it (None: signed out), path (with the seed's ids filled in), a selector that
# shows the page has finished drawing.
PAGES = [
    ("login", None, "/login", "#email"),
    ("home", COUNSELLOR, "/", "h1"),
    ("case list", COUNSELLOR, "/cases", "table"),
    ("new case form", COUNSELLOR, "/cases/new", "#partners-0-display_name"),
    ("case page", COUNSELLOR, "/cases/{case}", ".chart-grid img"),
    ("progress reports", COUNSELLOR, "/cases/{case}/reports", "#narrative"),
    ("session note (draft)", COUNSELLOR, "/sessions/{draft}", "#note_data"),
    ("live mode", COUNSELLOR, "/sessions/{draft}/live", "#live-status"),
    ("moments tab", COUNSELLOR, "/sessions/{draft}/moments", "table"),
    ("scripts tab", COUNSELLOR, "/sessions/{draft}/scripts", "#assign-heading"),
    ("CSI-4 tab", COUNSELLOR, "/sessions/{draft}/measures", "form"),
    ("plan a session", COUNSELLOR, "/cases/{case}/appointments/new", "#starts_at"),
    ("my week", COUNSELLOR, "/appointments", "h1"),
    ("calendar feed", COUNSELLOR, "/account/calendar", "h1"),
    ("supervision dashboard", SUPERVISOR, "/supervision", "table.caseload-table"),
    ("co-signature queue", SUPERVISOR, "/review", "h1"),
    ("staff admin", ADMIN, "/admin/staff", "table"),
    # Breaks, check-ins, safety screens, hand-over and break-glass.
    ("breaks", COUNSELLOR, "/cases/{case}/breaks", "h1"),
    ("record a break", COUNSELLOR, "/cases/{case}/breaks/new", "form"),
    ("cycle map", COUNSELLOR, "/cases/{case}/cycle-map", "h1"),
    ("cycle map revision", COUNSELLOR, "/cases/{case}/cycle-map/sessions/{draft}", "form"),
    ("check-ins", COUNSELLOR, "/cases/{case}/checkins", "h1"),
    ("partner's check-in", None, "/checkin/{token}", "form"),
    ("safety screens", COUNSELLOR, "/cases/{case}/safety", "h1"),
    ("screen a partner", COUNSELLOR, "/cases/{case}/safety/partners/{partner}/screen", "form"),
    ("reassign a case", SUPERVISOR, "/cases/{case}/reassign", "form"),
    ("hand over a counsellor's cases", ADMIN, "/admin/staff/{member}/hand-over", "form"),
    ("break-glass", ADMIN, "/admin/break-glass", "form"),
]


@pytest.fixture(scope="module")
def more_ids(live_server) -> dict[str, object]:
    """The showcase case's first partner, a check-in link for them, and its counsellor."""
    from practice.checkins import operations as checkin_operations
    from practice.core.database import db
    from practice.models import Case

    with live_server.app.app_context():
        case = db.get(Case, live_server.showcase_case_id)
        partner = case.partners[0]
        token, _ = checkin_operations.issue_link(case, partner.id, case.counsellor)
        db.commit()
        ids = {"partner": partner.id, "token": token, "member": case.counsellor_id}
    return ids


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.fixture(scope="module")
def contexts(browser, live_server) -> Iterator[Callable[[str | None], BrowserContext]]:
    """One browser profile per user, signed in once and shared by that user's pages."""
    opened: dict[str | None, BrowserContext] = {}

    def context_for(email: str | None) -> BrowserContext:
        if email not in opened:
            context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
            context.set_default_timeout(15_000)
            if email is not None:
                page = context.new_page()
                login(page, live_server.url, email)
                page.close()
            opened[email] = context
        return opened[email]

    yield context_for
    for context in opened.values():
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("name", "email", "path", "ready"), PAGES, ids=[name for name, *_ in PAGES]
)
def test_page_has_no_serious_accessibility_violations(
    request, axe, contexts, live_server, more_ids, name, email, path, ready
):
    page = contexts(email).new_page()
    try:
        url = live_server.url + path.format(
            case=live_server.showcase_case_id, draft=live_server.draft_session_id, **more_ids
        )
        # Deferred scripts have run by "load"; the page's own element says it is drawn.
        response = page.goto(url, wait_until="load")
        assert response.ok, f"{url} answered {response.status}"
        expect(page.locator(ready).first).to_be_visible()
        results = axe.run(page)
        slug = "".join(c if c.isalnum() else "-" for c in name).strip("-")
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(RESULTS_DIR / f"{slug}.png"), full_page=True)
    finally:
        page.close()

    violations = results.response["violations"]
    (RESULTS_DIR / f"{slug}.json").write_text(json.dumps(violations, indent=2))
    counts = Counter({impact: 0 for impact in IMPACTS})
    for violation in violations:
        counts[violation["impact"]] += len(violation["nodes"])
    record_axe_counts(request.config, name, counts, [v["id"] for v in violations])
    print(f"axe {name}: " + ", ".join(f"{counts[i]} {i}" for i in IMPACTS))

    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{name} ({path}):\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}; "
        + "; ".join(", ".join(node["target"]) for node in v["nodes"][:5])
        for v in blocking
    )


@pytest.mark.browser
def test_the_check_finds_planted_violations(axe, contexts, live_server):
    """The check can fail: an image without alt text and an unlabelled input are caught."""
    page = contexts(None).new_page()
    try:
        page.goto(f"{live_server.url}/login", wait_until="load")
        page.evaluate(
            """() => document.querySelector("main").insertAdjacentHTML(
                "beforeend", '<img src="/nowhere.png"><input type="text" id="unlabelled">')"""
        )
        results = axe.run(page)
    finally:
        page.close()
    found = {v["id"]: v["impact"] for v in results.response["violations"]}
    assert found.get("image-alt") in BLOCKING
    assert found.get("label") in BLOCKING
