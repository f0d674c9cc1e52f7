"""Fixtures of the browser tests: a live server with a seeded practice, and Debian's Chromium.

The browser tests run on SQLite only. A browser adds nothing database-specific: it sends the
same requests the test client sends, and the database matrix (SQLite and PostgreSQL) is covered
by the client tests under ``tests/``. One file database serves the whole run, so the server's
threads see each other's commits as production workers would.

Chromium is Debian's (``scripts/install-system-deps.sh`` installs the ``chromium`` package);
Playwright never downloads a browser. Without ``/usr/bin/chromium`` the tests are skipped, or
fail under CI (``CI=true``), like the PostgreSQL tests.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from practice.accounts import operations as accounts
from practice.cases import operations as cases
from practice.core import migrate
from practice.core.database import db, utcnow
from practice.demo import seed as demo
from practice.models import Case, Modality, MomentType, Role
from practice.moments import operations as moments
from practice.safety import operations as safety
from practice.sessions import operations as sessions
from practice.standalone import create_app
from tests.databases import on_ci

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (containers and CI runners lack the namespaces), no GPU, and nothing that phones
# home: the tests must pass on a machine without a network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"

PASSWORD = demo.DEMO_PASSWORD
COUNSELLOR = "counsellor@example.com"
SUPERVISOR = "supervisor@example.com"
ADMIN = "admin@example.com"
# A supervisor and a counsellor of their own, apart from the demo staff, so that the
# supervisor's co-signature queue holds exactly the note the supervisor flow co-signs.
REVIEW_SUPERVISOR = "reviewer@browser.test"
REVIEW_COUNSELLOR = "reviewed@browser.test"


@dataclass(frozen=True)
class LiveServer:
    """The running app and the ids of what the seed arranged for the tests."""

    url: str
    app: Flask
    showcase_case_id: int  # the demo's C-0001, counsellor@example.com's, with 20 sessions
    draft_session_id: int  # a draft of C-0001 with two moments, for the page checks
    review_case_reference: str  # REVIEW_COUNSELLOR's couple: one signed note, one overdue draft
    review_signed_session_id: int


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Debian's Chromium; skips without it (fails under CI, where it must be installed)."""
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(scripts/install-system-deps.sh)"
        )
        if on_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(chromium_executable, playwright_driver) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_executable, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) per test."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="en-GB")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context) -> Page:
    return context.new_page()


def login(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the page it leads to."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


class Screenshots:
    """Full-page screenshots of a test's steps, numbered in order, kept as test artefacts."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)

    def take(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def screenshots(request) -> Screenshots:
    """``test-artifacts/browser/<test>/NN-step.png`` under the repository root."""
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    return Screenshots(ARTIFACTS / name)


# --- axe-core counts, printed at the end of the run ---------------------------------------------

_AXE_COUNTS = pytest.StashKey[dict]()


def record_axe_counts(config: pytest.Config, page: str, counts: dict, rules: list[str]) -> None:
    """Keep a page's violation counts by impact (and the rules broken) for the summary."""
    config.stash.setdefault(_AXE_COUNTS, {})[page] = (dict(counts), rules)


def pytest_terminal_summary(terminalreporter, config) -> None:
    results = config.stash.get(_AXE_COUNTS, {})
    if not results:
        return
    impacts = ("minor", "moderate", "serious", "critical")
    terminalreporter.section("axe-core violations per page (elements, by impact)")
    width = max(len(page) for page in results)
    terminalreporter.write_line(f"{'page':<{width}}  " + "  ".join(f"{i:>8}" for i in impacts))
    for page, (counts, rules) in results.items():
        line = f"{page:<{width}}  " + "  ".join(f"{counts.get(i, 0):>8}" for i in impacts)
        terminalreporter.write_line(line + (f"  ({', '.join(rules)})" if rules else ""))


# --- The live server ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The standalone app on a migrated, seeded SQLite file, served on a free local port."""
    tmp = tmp_path_factory.mktemp("browser")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'practice.db'}",
            "SECRET_KEY": "browser-test-secret-key",
            # Reports render in the request: a consumer thread of this server's would outlive
            # its tests and, through the Flask-SQLAlchemy object every test app shares, reach
            # the database connection the other tests are using.
            "PRACTICE_REPORT_QUEUE_IMMEDIATE": True,
        },
        instance_path=str(tmp / "instance"),
    )
    with app.app_context():
        migrate.upgrade()
        seeded = _seed()
        db.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, **seeded)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


def _seed() -> dict:
    """The demo practice (scale 0.5), plus what the flows need that the demo leaves to chance."""
    demo.seed_demo(scale=0.5)
    session = db
    now = utcnow().replace(second=0, microsecond=0)

    # A draft in the demo counsellor's showcase case, with moments, for the page checks.
    showcase = session.scalar(select(Case).where(Case.reference == demo.SHOWCASE_REFERENCE))
    counsellor = showcase.counsellor
    draft = _record(showcase, counsellor, now - timedelta(minutes=20))
    types = {t.key: t for t in session.scalars(select(MomentType))}
    first, second = showcase.partners[:2]
    for type_key, partner, minute in (("pursue", first, 3), ("softening", second, 12)):
        moments.add_moment(
            draft,
            counsellor,
            moments.MomentData(types[type_key].id, partner.id, minute, 3, ""),
        )

    # The supervisor flow's own pair: a couple with a signed note waiting for co-signature and
    # a draft whose session ended four days ago (unsigned for more than 72 hours: a flag).
    reviewer = accounts.create_staff(
        email=REVIEW_SUPERVISOR,
        display_name="Rowan Reviewer",
        role=Role.SUPERVISOR,
        password=PASSWORD,
        actor_label="browser tests",
    )
    reviewed = accounts.create_staff(
        email=REVIEW_COUNSELLOR,
        display_name="Ellis Counsellor",
        role=Role.COUNSELLOR,
        password=PASSWORD,
        supervisor=reviewer,
        actor_label="browser tests",
    )
    couple = cases.open_case(
        reviewed,
        cases.NewCase(
            kind="couple",
            opened_on=(now - timedelta(days=30)).date(),
            partners=[
                cases.PartnerDetails("Robin", cycle_role="pursuer"),
                cases.PartnerDetails("Kai", cycle_role="withdrawer"),
            ],
        ),
    )
    for partner in couple.partners:  # screened alone at intake, before joint work
        safety.record_screen(
            couple, partner.id, [1, 1, 1, 1], False, "joint_ok", couple.opened_on, reviewed
        )
    signed = _record(couple, reviewed, now - timedelta(days=8))
    sessions.save_note(
        signed,
        {
            "note_data": "Robin pressed for an answer; Kai went quiet, then came back to it.",
            "note_assessment": "Both could name the cycle once it slowed down.",
            "note_plan": "Practise the time-out with a return time.",
        },
        signed.version,
    )
    sessions.sign_note(signed, reviewed)
    _record(couple, reviewed, now - timedelta(days=4))
    session.flush()
    return {
        "showcase_case_id": showcase.id,
        "draft_session_id": draft.id,
        "review_case_reference": couple.reference,
        "review_signed_session_id": signed.id,
    }


def _record(case: Case, counsellor, starts_at):
    return sessions.record_session(
        case,
        counsellor,
        sessions.SessionDetails(
            starts_at=starts_at,
            duration_minutes=50,
            modality=Modality.IN_PERSON.value,
            attendee_ids=[partner.id for partner in case.partners],
        ),
    )
