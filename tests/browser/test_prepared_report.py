"""Never a blank wait: the Reports tab shows the latest clinical report being prepared, follows
its job with the tab's script, and offers the PDF as soon as the queue has stored it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from practice.cases import operations as cases
from practice.core.database import db, utcnow
from practice.models import Case
from practice.reporting import jobs, queue
from tests.browser.conftest import COUNSELLOR, login

pytestmark = pytest.mark.browser


@pytest.fixture
def waiting_job(live_server) -> tuple[int, int]:
    """A new case of the demo counsellor's whose default report waits on the queue: the ids of
    the case and of the job."""
    with live_server.app.app_context():
        showcase = db.get(Case, live_server.showcase_case_id)
        case = cases.open_case(
            showcase.counsellor,
            cases.NewCase(
                kind="couple",
                opened_on=utcnow().date(),
                partners=[cases.PartnerDetails("Ari"), cases.PartnerDetails("Sol")],
            ),
        )
        job, new = jobs.start_default_report(case)
        assert new
        db.commit()
        return case.id, job.id


def test_the_reports_tab_shows_progress_then_the_pdf(page, live_server, waiting_job, screenshots):
    case_id, job_id = waiting_job
    login(page, live_server.url, COUNSELLOR)
    page.goto(f"{live_server.url}/cases/{case_id}/reports")
    expect(page.get_by_text("Being prepared…")).to_be_visible()
    screenshots.take(page, "being-prepared")

    # The queue prepares it; the tab's script sees the job finish and reloads the page.
    with live_server.app.app_context():
        queue.enqueue(job_id)
    link = page.get_by_role("link", name="Download the latest clinical report (PDF)")
    expect(link).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Being prepared…")).to_have_count(0)
    screenshots.take(page, "ready")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".pdf")
