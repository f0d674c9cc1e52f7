"""A supervisor's review in Chromium: the flagged case on the caseload, then the co-signature.

The seed (tests/browser/conftest.py) gives the supervisor one counsellor with one couple: a
note signed eight days ago waits for co-signature, and a draft of four days ago is unsigned for
more than 72 hours, so the case carries the "Unsigned note" flag.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, REVIEW_SUPERVISOR, login


@pytest.mark.browser
def test_supervisor_sees_the_flag_and_cosigns_the_note(page, live_server, screenshots):
    base = live_server.url
    reference = live_server.review_case_reference
    login(page, base, REVIEW_SUPERVISOR)
    screenshots.take(page, "signed-in")

    # 1. Caseload review: the couple is there, flagged for its unsigned note, with the reason.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload review").click()
    page.wait_for_url(re.compile(r"/supervision$"))
    expect(page.get_by_role("heading", name="Caseload review", level=1)).to_be_visible()
    row = page.locator("table.caseload-table tbody tr").filter(
        has=page.get_by_role("link", name=reference, exact=True)
    )
    expect(row).to_have_count(1)
    expect(row).to_have_class(re.compile(r"\bflagged\b"))
    flag = row.locator(".flag-unsigned_note")
    expect(flag).to_contain_text("Unsigned note")
    expect(flag).to_contain_text("more than 72 hours")  # the reason, in words
    expect(row.locator("[data-label=Counsellor]")).to_have_text("Ellis Counsellor")
    summary = page.locator("table.counsellor-summary tbody tr", has_text="Ellis Counsellor")
    expect(summary.locator("td").nth(1)).to_have_text("1")  # unsigned notes
    expect(summary.locator("td").nth(2)).to_contain_text("1")  # flagged cases
    screenshots.take(page, "caseload-flag")

    # 2. The co-signature queue holds the signed note.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Co-signature").click()
    page.wait_for_url(re.compile(r"/review$"))
    queue = page.locator("table.cosign-queue tbody tr")
    expect(queue).to_have_count(1)
    expect(queue.first.get_by_role("rowheader")).to_have_text(reference)
    screenshots.take(page, "cosign-queue")

    # 3. Open the note, read it, co-sign with the password.
    queue.first.get_by_role("link", name=re.compile(r"^Review")).click()
    page.wait_for_url(re.compile(rf"/review/sessions/{live_server.review_signed_session_id}$"))
    expect(page.locator(".dap")).to_contain_text("Robin pressed for an answer")
    expect(page.locator(".intact")).to_contain_text("matches the fingerprint")
    expect(page.locator(".review-pending")).to_contain_text("Waiting for co-signature")
    cosign = page.locator("form#cosign")
    cosign.get_by_label("Your password").fill(PASSWORD)
    screenshots.take(page, "review-note")
    cosign.get_by_role("button", name="Co-sign note").click()

    # 4. Back on the queue: co-signed, and nothing is left waiting.
    page.wait_for_url(re.compile(r"/review$"))
    expect(page.get_by_text("Note co-signed.")).to_be_visible()
    expect(page.get_by_text("No notes are waiting for your co-signature.")).to_be_visible()
    expect(page.locator("table.cosign-queue")).to_have_count(0)
    screenshots.take(page, "queue-empty")

    page.goto(f"{base}/review/sessions/{live_server.review_signed_session_id}")
    expect(page.locator(".review-cosigned")).to_contain_text("Co-signed by Rowan Reviewer")
    screenshots.take(page, "cosigned-note")
