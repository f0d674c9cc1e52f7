"""A phone and a tablet: no page of the counsellor's and supervisor's paths scrolls sideways at
390 px, and live mode on a tablet shows every moment type's buttons on the first screen.

The pages are the app's own routes (every GET route that answers a page), with the seed's ids
filled in, so a page added later is swept without anyone listing it here. A route whose
argument this module cannot fill fails the sweep, rather than being skipped in silence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import select

from practice.appointments.models import Appointment
from practice.breaks import operations as break_operations
from practice.breaks.models import AccountSource
from practice.checkins import operations as checkin_operations
from practice.core.database import db, utcnow
from practice.models import (
    Case,
    ChangeEvent,
    Moment,
    MomentType,
    ReviewStatus,
    StaffMember,
    TherapySession,
    TreatmentGoal,
)
from practice.moments import vocabulary
from practice.scripts.models import Script
from practice.supervision import comments
from tests.browser.conftest import ADMIN, ARTIFACTS, COUNSELLOR, SUPERVISOR, LiveServer, login

PHONE = {"width": 390, "height": 844}
TABLETS = {"portrait": {"width": 768, "height": 1024}, "landscape": {"width": 1024, "height": 768}}
DESKTOP = {"width": 1280, "height": 900}
SHOTS = ARTIFACTS / "test_small_screens"
TAP_TO_SAVED_MS = 150
# Pages photographed at 390 px even when they fit, to be looked at (breaks, check-ins, safety
# screens, hand-over and break-glass).
LOOK_AT = {
    "practice.breaks.timeline",
    "practice.breaks.new",
    "practice.breaks.edit",
    "practice.checkins.index",
    "practice.checkin_public.checkin",
    "practice.safety.case_screens",
    "practice.safety.screen_partner",
    "practice.handover.reassign",
    "practice.handover.deactivate",
    "practice.break_glass.index",
    "practice.cycle_map.show",
    "practice.cycle_map.edit",
}

# Routes that answer no page (files, JSON, redirects to one), or signing in. The
# administrator's pages (under /admin/) are swept as the administrator.
NOT_PAGES = {
    "practice.static",
    "practice.health.alive",
    "practice.health.ready",
    "practice.case_page.chart",
    "practice.jobs.status",
    "practice.live.state",
    "practice.reports.download",
    "practice.reports.asset",
    "practice.reports.latest",
    "practice.audit_log.export_csv",
    "practice.supervision.export_csv",
    "practice.supervision.summary_pdf",
    "practice.appointments.calendar_feed",
    "practice.accounts.login",
    "practice.accounts.resume",
    "practice.security.login_code",
}
ADMIN_ONLY_PREFIX = "/admin/"
# Pages a signed-in user cannot reach (a partner's check-in link): swept signed out.
PUBLIC_PREFIX = "/checkin/"

# A page is too wide when the document is wider than the window, or when a box inside it
# scrolls sideways (a table in its card hides its last columns, and its actions, just as well).
OVERFLOW = """() => {
  const wide = [...document.querySelectorAll("body *")].filter((e) => {
    const o = getComputedStyle(e).overflowX;
    return (o === "auto" || o === "scroll") && e.scrollWidth > e.clientWidth + 1;
  }).map((e) => `${e.tagName}.${e.className} ${e.scrollWidth}>${e.clientWidth}`);
  return {scroll: document.documentElement.scrollWidth, inner: innerWidth, wide: wide};
}"""


def _ids(live_server: LiveServer) -> dict[str, int]:
    """A value for each route argument: the showcase case's draft and its things for the
    counsellor, a note waiting in the demo supervisor's queue for the supervisor."""
    with live_server.app.app_context():
        supervisor = db.scalar(select(StaffMember).where(StaffMember.email == SUPERVISOR))
        waiting = db.scalar(
            select(TherapySession.id)
            .join(Case, Case.id == TherapySession.case_id)
            .join(StaffMember, StaffMember.id == Case.counsellor_id)
            .where(
                TherapySession.review_status == ReviewStatus.PENDING,
                StaffMember.supervisor_id == supervisor.id,
            )
            .order_by(TherapySession.id)
            .limit(1)
        )
        moment = db.scalar(
            select(Moment.id).where(Moment.session_id == live_server.draft_session_id).limit(1)
        )
        # A comment on the showcase case, from its counsellor's supervisor (the demo at this
        # scale may have none).
        showcase = db.get(Case, live_server.showcase_case_id)
        author = showcase.counsellor.supervisor or supervisor
        comment = comments.add_comment(author, showcase, "A word about the pacing.").id
        # An appointment of the showcase case, planned for the day after tomorrow.
        appointment = Appointment(
            case=showcase,
            starts_at=(utcnow() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0),
            created_by_id=showcase.counsellor_id,
        )
        db.add(appointment)
        # A break told by the counsellor (the breaks area), and a check-in link for the first
        # partner (the partner's own page, phone-first by nature).
        first, second = showcase.partners[:2]
        called = (utcnow() - timedelta(days=2)).replace(second=0, microsecond=0)
        account = break_operations.record_account(
            showcase,
            None,
            break_operations.AccountData(
                called_by=first,
                called_at=called,
                with_script=True,
                flooding=True,
                heart_rate=104,
                promised_return_at=called + timedelta(minutes=30),
                resumed_at=called + timedelta(minutes=40),
                resumed_by=second,
                with_invitation=True,
                outcome="calmer",
            ),
            source=AccountSource.COUNSELLOR,
            actor=showcase.counsellor,
        )
        token, _ = checkin_operations.issue_link(showcase, first.id, showcase.counsellor)
        counsellor_id = db.scalar(select(StaffMember.id).where(StaffMember.email == COUNSELLOR))
        type_id = db.scalar(select(MomentType.id).order_by(MomentType.id).limit(1))
        script_id = db.scalar(select(Script.id).order_by(Script.id).limit(1))
        goal_id = db.scalar(
            select(TreatmentGoal.id).where(TreatmentGoal.case_id == showcase.id).limit(1)
        )
        event_id = db.scalar(
            select(ChangeEvent.id)
            .where(ChangeEvent.case_id == showcase.id, ChangeEvent.voided_at.is_(None))
            .limit(1)
        )
        db.commit()
        appointment_id, account_id, partner_id = appointment.id, account.id, first.id
    assert waiting and moment and comment, "the seed lacks a queued note, a moment or a comment"
    assert goal_id and event_id, "the showcase couple lacks a goal or a change event"
    return {
        "account_id": account_id,
        "partner_id": partner_id,
        "token": token,
        "member_id": counsellor_id,
        "type_id": type_id,
        "script_id": script_id,
        "case_id": live_server.showcase_case_id,
        "session_id": live_server.draft_session_id,
        "moment_id": moment,
        "comment_id": comment,
        "review_session_id": waiting,
        "appointment_id": appointment_id,
        "goal_id": goal_id,
        "event_id": event_id,
        "measure": "CSI-16",
    }


def _pages(live_server: LiveServer) -> list[tuple[str, str]]:
    """(endpoint, path) of every page on the two paths, from the app's URL map."""
    ids = _ids(live_server)
    pages = []
    for rule in live_server.app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        if not rule.endpoint.startswith("practice."):
            continue
        if rule.endpoint.startswith("practice.api") or rule.rule.startswith("/api/"):
            continue
        values = {}
        for argument in rule.arguments - set(rule.defaults or {}):
            key = "review_session_id" if rule.endpoint == "practice.review.session" else argument
            assert key in ids, f"{rule.rule}: give the sweep a value for <{argument}>"
            values[argument] = ids[key]
        path = rule.build(values, append_unknown=False)[1]
        pages.append((rule.endpoint, path))
    return sorted(set(pages), key=lambda page: page[1])


@pytest.fixture(scope="module")
def signed_in(browser: Browser, live_server) -> Iterator[dict[str, BrowserContext]]:
    """The counsellor, the supervisor and the administrator, each signed in once on a phone,
    and a partner (signed out) for the check-in link."""
    contexts = {}
    for email in (COUNSELLOR, SUPERVISOR, ADMIN, None):
        context = browser.new_context(viewport=PHONE, locale="en-GB", has_touch=True)
        context.set_default_timeout(15_000)
        if email:
            page = context.new_page()
            login(page, live_server.url, email)
            page.close()
        contexts[email or "partner"] = context
    yield contexts
    for context in contexts.values():
        context.close()


@pytest.mark.browser
def test_no_page_scrolls_sideways_on_a_phone(signed_in, live_server):
    pages = _pages(live_server)
    endpoints = {endpoint for endpoint, _ in pages}
    # The sweep reaches the pages the two paths are made of.
    for expected in (
        "practice.cases.home",
        "practice.cases.index",
        "practice.case_page.show",
        "practice.reports.index",
        "practice.sessions.show",
        "practice.moments.session_moments",
        "practice.scripts.session_scripts",
        "practice.measures.session_measures",
        "practice.live.screen",
        "practice.supervision.dashboard",
        "practice.review.queue",
        "practice.review.session",
        "practice.review.inbox",
        "practice.security.account",
        "practice.breaks.timeline",
        "practice.breaks.new",
        "practice.breaks.edit",
        "practice.checkins.index",
        "practice.checkin_public.checkin",
        "practice.safety.case_screens",
        "practice.safety.screen_partner",
        "practice.handover.reassign",
        "practice.handover.deactivate",
        "practice.break_glass.index",
    ):
        assert expected in endpoints, expected
    SHOTS.mkdir(parents=True, exist_ok=True)
    too_wide, seen = [], set()
    for email, context in signed_in.items():
        page = context.new_page()
        for endpoint, path in pages:
            if (email == "partner") != path.startswith(PUBLIC_PREFIX):
                continue
            if (email == ADMIN) != path.startswith(ADMIN_ONLY_PREFIX):
                continue
            response = page.goto(live_server.url + path, wait_until="load")
            if response is None or response.status >= 400:
                continue  # not this user's page (a 403 or 404); the other user's, then
            seen.add(endpoint)
            found = page.evaluate(OVERFLOW)
            wide = found["scroll"] > found["inner"] or bool(found["wide"])
            if wide:
                too_wide.append(f"{email} {path}: {found}")
            if wide or endpoint in LOOK_AT:
                # The check-in link's token stays out of the file's name.
                shown = endpoint if path.startswith(PUBLIC_PREFIX) else path
                slug = "".join(c if c.isalnum() else "-" for c in f"{email}{shown}")
                page.screenshot(path=str(SHOTS / f"{slug}.png"), full_page=True)
        page.close()
    assert not too_wide, "wider than a phone:\n" + "\n".join(too_wide)
    assert seen == endpoints, f"never shown to either user: {sorted(endpoints - seen)}"


@pytest.mark.browser
def test_the_caseload_table_fits_a_laptop_and_a_tablet_in_landscape(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    try:
        page = context.new_page()
        login(page, live_server.url, SUPERVISOR)
        for width in (DESKTOP["width"], TABLETS["landscape"]["width"]):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server.url}/supervision", wait_until="load")
            found = page.evaluate(OVERFLOW)
            assert found["scroll"] <= found["inner"] and not found["wide"], (width, found)
            wrap = page.locator(".caseload-wrap").bounding_box()
            flags = page.locator("table.caseload-table thead th").last.bounding_box()
            assert flags["x"] + flags["width"] <= wrap["x"] + wrap["width"] + 1, width
    finally:
        context.close()


@pytest.fixture(scope="module")
def more_types(live_server) -> Iterator[list[str]]:
    """Two more moment types, none with a letter of its own (the default vocabulary's 26 types
    already outgrow the 24 free letters: two antidotes have Shift keys), so each added type
    still gets a key. Retired again afterwards."""
    labels = ["Blame", "Validation"]
    with live_server.app.app_context():
        added = []
        for n, label in enumerate(labels):
            valence = ("escalating", "neutral")[n]
            data = vocabulary.MomentTypeData(label, "", valence, "#445566", None)
            added.append(vocabulary.create_type(data).id)
        db.commit()
    yield labels
    with live_server.app.app_context():
        for type_id in added:
            vocabulary.set_active(db.get(MomentType, type_id), False)
        db.commit()


# Time from the tap (its click, when the finger lifts: how long the finger rests is the user's)
# to the button's "sending" and "saved" states, measured in the page by a mutation observer.
TAP_TIMER = """(selector) => {
  const button = document.querySelector(selector);
  const tap = (window.tapTiming = {});
  let started = 0;
  const seen = new MutationObserver(() => {
    const state = button.getAttribute("data-state");
    const now = performance.now() - started;
    if (state === "sending" && tap.sending === undefined) { tap.sending = now; }
    if (state === "saved" || state === "failed") { tap[state] = now; seen.disconnect(); }
  });
  seen.observe(button, {attributes: true, attributeFilter: ["data-state"]});
  const start = () => { started = performance.now(); };
  button.addEventListener("click", start, {once: true, capture: true});
}"""


@pytest.mark.browser
@pytest.mark.parametrize("orientation", list(TABLETS))
def test_live_mode_on_a_tablet(browser, live_server, more_types, orientation):
    context = browser.new_context(
        viewport=TABLETS[orientation], locale="en-GB", has_touch=True, is_mobile=False
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        login(page, live_server.url, COUNSELLOR)
        page.goto(f"{live_server.url}/sessions/{live_server.draft_session_id}/live")
        expect(page.locator("#live-status")).to_have_text("Ready: each tap is saved at once.")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"live-{orientation}.png"))

        # Every type has a button per partner (and for both) inside the window, above the dock.
        with live_server.app.app_context():
            active = len(vocabulary.active_types())
        buttons = page.locator(".tag-button")
        assert buttons.count() == active * 3
        fold = TABLETS[orientation]["height"] - page.locator(".live-dock").bounding_box()["height"]
        boxes = page.evaluate(
            """() => [...document.querySelectorAll(".tag-button")].map((b) => {
                 const r = b.getBoundingClientRect();
                 return [b.getAttribute("data-label"), r.left, r.top, r.right, r.bottom,
                         b.getAttribute("data-shortcut")];
               })"""
        )
        width = TABLETS[orientation]["width"]
        outside = [
            box for box in boxes if box[1] < 0 or box[2] < 0 or box[3] > width or box[4] > fold
        ]
        assert not outside, f"not on the first screen: {sorted({box[0] for box in outside})}"
        # ... and each type a key of its own, shown on its buttons (added types included).
        keys = {label: key for label, *_, key in boxes}
        assert all(keys[label] for label in more_types), keys
        assert len(set(keys.values())) == len(keys) == active
        found = page.evaluate(OVERFLOW)
        assert found["scroll"] <= found["inner"] and not found["wide"], found

        # The keyboard starts on a partner, not on "Both".
        assert page.locator("#live-target-name").inner_text() != "Both"

        # A tap is acknowledged at once and saved within 150 ms on loopback: the best of three
        # taps, so that the other work of a shared test machine does not decide it.
        selector = '.tag-button[data-label="Softening"]:not([data-partner=""])'
        timings = []
        for _ in range(3):
            page.evaluate(TAP_TIMER, selector)
            page.locator(selector).first.tap()
            page.wait_for_function(
                "() => 'saved' in window.tapTiming || 'failed' in window.tapTiming"
            )
            timings.append(page.evaluate("() => window.tapTiming"))
        assert all("failed" not in t and t["sending"] < 50 for t in timings), timings
        assert min(t["saved"] for t in timings) < TAP_TO_SAVED_MS, timings
        expect(page.locator("#live-status")).to_have_text(re.compile(r"^Softening · .+ — saved$"))

        if orientation == "portrait":
            _keys_and_the_clock(page, live_server, more_types)
    finally:
        context.close()


def _keys_and_the_clock(page, live_server, more_types) -> None:
    """Shift+digit sets the intensity, a second-row key tags, and Start clock now asks first
    (an accessible dialog, axe-clean) and moves nothing when declined."""
    page.keyboard.press("Shift+Digit5")
    expect(page.locator('input[name="live-intensity"][value="5"]')).to_be_checked()
    added = page.locator(f'.tag-button[data-label="{more_types[-1]}"]').first
    key = added.get_attribute("data-shortcut")
    with page.expect_response(lambda r: r.url.endswith("/live/tags")) as tapped:
        page.keyboard.press(f"Shift+Key{key.upper()}" if key.isupper() else f"Key{key.upper()}")
    body = tapped.value.json()
    assert body["moment"]["label"] == more_types[-1] and body["moment"]["intensity"] == 5

    def starts_at():
        with live_server.app.app_context():
            return db.get(TherapySession, live_server.draft_session_id).starts_at

    before = starts_at()
    page.get_by_role("button", name="Start clock now").click()
    dialog = page.get_by_role("dialog", name="Start the clock now?")
    expect(dialog).to_be_visible()
    results = Axe().run(page)
    blocking = [
        v["id"] for v in results.response["violations"] if v["impact"] in {"serious", "critical"}
    ]
    assert not blocking, blocking
    page.get_by_role("button", name="Keep the planned start").click()
    expect(dialog).to_be_hidden()
    assert starts_at() == before
    page.get_by_role("button", name="Start clock now").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Move the start to now").click()
    expect(page.locator(".flash-success")).to_contain_text("Clock started")
    assert starts_at() > before
