"""A counsellor's whole working session in Chromium, as a person does it, step by step.

Sign in, open a couple's case, record a session, tag the cycle in live mode with the keyboard
only, record script adoption, write the DAP note (autosaved), sign it, see the charts on the case
page, then generate a report for the couple and download it.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import COUNSELLOR, PASSWORD

NOTE = {
    "note_data": "Jo raised the move again; Lee went quiet, then said he needed time.",
    "note_assessment": "Both named the cycle when it slowed down; Lee came back after a pause.",
    "note_plan": "Practise the time-out with a return time before the next session.",
}
WITHDRAWER_SCRIPT = "I need time to process this"


def _tag(page: Page, digit: str, letter: str, confirmation: str) -> None:
    """Choose the target with ``digit`` and tag with ``letter``; wait for the saved tap."""
    page.keyboard.press(digit)
    with page.expect_response(lambda r: r.url.endswith("/live/tags")) as tapped:
        page.keyboard.press(letter)
    assert tapped.value.ok
    expect(page.locator("#live-status")).to_have_text(
        re.compile(re.escape(confirmation).replace(r"MIN", r"min \d+") + " — saved$")
    )


def _open_tab(page: Page, name: str) -> None:
    """Follow one of the session page's tabs."""
    tabs = page.get_by_role("navigation", name="Session sections")
    tabs.get_by_role("link", name=name, exact=True).click()
    expect(tabs.get_by_role("link", name=name, exact=True)).to_have_attribute(
        "aria-current", "page"
    )


def _expect_tally(page: Page, escalating: int, deescalating: int, neutral: int, share: str):
    expect(page.locator("#tally-escalating")).to_have_text(str(escalating))
    expect(page.locator("#tally-deescalating")).to_have_text(str(deescalating))
    expect(page.locator("#tally-neutral")).to_have_text(str(neutral))
    expect(page.locator("#tally-share")).to_have_text(share)


@pytest.mark.browser
def test_counsellor_records_a_session_and_reports_to_the_couple(page, live_server, screenshots):
    base = live_server.url

    # 1. Sign in.
    page.goto(f"{base}/login")
    page.fill("#email", COUNSELLOR)
    page.fill("#password", PASSWORD)
    screenshots.take(page, "login")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshots.take(page, "home")

    # 2. Open a couple's case with two partners.
    page.get_by_role("link", name="New case").first.click()
    page.wait_for_url(re.compile(r"/cases/new"))
    expect(page.locator("#kind")).to_have_value("couple")
    page.fill("#presenting_concerns", "Arguments about time together; one chases, one retreats.")
    page.fill("#partners-0-display_name", "Jo")
    page.select_option("#partners-0-cycle_role", "pursuer")
    page.fill("#partners-1-display_name", "Lee")
    page.select_option("#partners-1-cycle_role", "withdrawer")
    screenshots.take(page, "new-case")
    page.get_by_role("button", name="Open case").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    flash = page.get_by_text(re.compile(r"Case C-\d{4} was opened\."))
    expect(flash).to_be_visible()
    reference = re.search(r"C-\d{4}", flash.inner_text()).group(0)
    case_url = page.url
    expect(page.locator(".partner-list")).to_contain_text("Jo")
    expect(page.locator(".partner-list")).to_contain_text("Lee")
    screenshots.take(page, "case-opened")

    # 2b. Screen each partner alone before joint work (a joint note is signed only after).
    expect(page.locator(".safety-panel")).to_contain_text("Not screened")
    for name in ("Jo", "Lee"):
        page.get_by_role("link", name=f"Screen {name}").first.click()
        page.wait_for_url(re.compile(r"/safety/partners/\d+/screen$"))
        for item in ("hurt", "insult", "threaten", "scream"):
            page.check(f"#{item}-0")
        page.check("#afraid-0")
        page.check("#decision-0")
        if name == "Jo":
            screenshots.take(page, "safety-screen")
        page.get_by_role("button", name="Record the screen").click()
        expect(page.get_by_text(f"The safety screen of {name} was recorded.")).to_be_visible()
    page.goto(case_url)
    expect(page.locator(".safety-panel")).not_to_contain_text("Not screened")

    # 3. Record a session that starts now.
    page.get_by_role("link", name="Record a session").click()
    page.fill("#starts_at", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"))
    screenshots.take(page, "new-session")
    page.get_by_role("button", name="Record session").click()
    page.wait_for_url(re.compile(r"/sessions/\d+$"))
    session_url = page.url
    expect(page.get_by_text("Session recorded. Write the note below.")).to_be_visible()

    # 4. Live mode, keyboard only: a digit chooses whom, a letter tags, z undoes.
    _open_tab(page, "Live mode")
    page.wait_for_url(re.compile(r"/live$"))
    expect(page.locator("#live-status")).to_have_text("Ready: each tap is saved at once.")
    screenshots.take(page, "live-mode")
    _tag(page, "1", "p", "Pursue / protest · Jo · MIN")
    expect(page.locator("#live-target-name")).to_have_text("Jo")
    _tag(page, "2", "w", "Withdraw / shut down · Lee · MIN")
    expect(page.locator("#live-target-name")).to_have_text("Lee")
    _tag(page, "0", "y", "Naming the cycle · Both · MIN")
    _tag(page, "2", "s", "Softening · Lee · MIN")
    _tag(page, "1", "s", "Softening · Jo · MIN")
    _expect_tally(page, 2, 3, 0, "60%")
    with page.expect_response(lambda r: r.url.endswith("/live/undo")):
        page.keyboard.press("z")
    expect(page.locator("#live-status")).to_have_text(
        re.compile(r"^Undone: Softening · Jo · min \d+$")
    )
    _expect_tally(page, 2, 2, 0, "50%")
    expect(page.locator("#live-recent li")).to_have_count(4)
    screenshots.take(page, "live-tagged")

    _open_tab(page, "Moments")
    page.wait_for_url(re.compile(r"/moments$"))
    expect(page.locator("table.moments tbody tr")).to_have_count(4)
    screenshots.take(page, "moments")

    # 5. Scripts: the new case has none, so assign one, then record its adoption.
    _open_tab(page, "Scripts & adoption")
    page.wait_for_url(re.compile(r"/scripts$"))
    expect(page.get_by_text("No script has been assigned in this case yet.")).to_be_visible()
    page.select_option("#partner_id", label="Lee (withdrawer)")
    script_option = page.locator("#script_id option", has_text=WITHDRAWER_SCRIPT).first
    page.select_option("#script_id", script_option.get_attribute("value"))
    page.get_by_role("button", name="Assign script").click()
    expect(page.get_by_text("The script was assigned.")).to_be_visible()
    observation = page.locator("fieldset.observation")
    expect(observation).to_have_count(1)
    observation.locator("input[type=radio][value='2']").check()
    screenshots.take(page, "scripts-assigned")
    page.get_by_role("button", name="Save adoption levels").click()
    expect(page.get_by_text("Adoption levels were saved for this session.")).to_be_visible()
    expect(page.locator(".level-point.this-session .level-value")).to_have_text("2")
    expect(observation.locator("input[type=radio][value='2']")).to_be_checked()
    screenshots.take(page, "adoption-recorded")

    # 6. The DAP note, saved by autosave (no Save button pressed).
    _open_tab(page, "Note")
    page.wait_for_url(session_url)
    page.fill("#note_data", NOTE["note_data"])
    with page.expect_response(
        lambda r: (
            r.url.endswith("/autosave") and NOTE["note_assessment"] in (r.request.post_data or "")
        )
    ) as first:
        page.fill("#note_assessment", NOTE["note_assessment"])
    assert first.value.ok, first.value.text()
    # Meanwhile another tab starts the session clock: the session changes, the note does not,
    # so this tab goes on autosaving without a conflict.
    other_tab = page.context.new_page()
    other_tab.goto(f"{session_url}/live")
    other_tab.get_by_role("button", name="Start clock now").click()
    other_tab.get_by_role("button", name="Move the start to now").click()
    expect(other_tab.get_by_text(re.compile(r"^Clock started at"))).to_be_visible()
    other_tab.close()
    with page.expect_response(
        lambda r: r.url.endswith("/autosave") and NOTE["note_plan"] in (r.request.post_data or "")
    ) as saved:
        page.fill("#note_plan", NOTE["note_plan"])
    assert saved.value.ok, saved.value.text()
    expect(page.locator("#note-save-status")).to_have_text(re.compile(r"^Saved \d\d:\d\d UTC$"))
    screenshots.take(page, "note-saved")
    page.reload()  # what the server holds, not what the page still shows
    for name, text in NOTE.items():
        expect(page.locator(f"#{name}")).to_have_value(text)

    # 7. Sign the note with the password.
    page.get_by_role("link", name="Sign note").click()
    page.wait_for_url(re.compile(r"/sign$"))
    expect(page.locator(".dap")).to_contain_text(NOTE["note_plan"])
    # No CSI-4 was taken: the page says so, and signing asks to confirm.
    expect(page.locator(".missing-list")).to_contain_text("No CSI-4 recorded for Jo")
    page.check("#confirm_missing")
    page.fill("#password", PASSWORD)
    screenshots.take(page, "sign")
    page.get_by_role("button", name="Sign note").click()
    page.wait_for_url(session_url)
    expect(page.locator(".signature")).to_contain_text("Signed by")
    expect(page.locator("#note_data")).to_have_count(0)
    screenshots.take(page, "signed")

    # 8. The case page: the session is signed, and the four charts are drawn.
    page.goto(case_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    charts = page.locator('.chart-grid img[src*="/charts/"]')
    expect(charts).to_have_count(4)
    for i in range(4):
        assert charts.nth(i).get_attribute("alt")
        # Loaded lazily from its own URL: drawn once scrolled to (the chart's CSP allows its
        # own styles).
        charts.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=charts.nth(i).element_handle()
        )
    expect(page.locator("table.data:not(.interaction-table) tbody tr")).to_have_count(1)
    expect(page.locator("table.data tbody .note-status")).to_have_text("Signed")
    screenshots.take(page, "case-page")

    # 9. A report for the couple: generate, then download and check the recorded hash.
    page.get_by_role("link", name="Progress reports").click()
    page.wait_for_url(re.compile(r"/reports$"))
    page.check("#audience-client")
    page.fill("#narrative", "You have started to catch the cycle together. Keep going.")
    screenshots.take(page, "report-form")
    page.get_by_role("button", name="Generate PDF").click()
    expect(page.get_by_text("The report is being generated")).to_be_visible()
    # The report queue renders it in the background; the tab's script reloads the page once
    # the report is ready (WeasyPrint takes a few seconds).
    row = page.locator("table.reports-table tbody tr").first
    expect(row.locator("td").first).to_have_text("Client", timeout=60_000)
    shown = row.locator("code")
    prefix = shown.inner_text().rstrip("…")
    assert re.fullmatch(r"[0-9a-f]{12}", prefix)
    screenshots.take(page, "report-generated")
    with page.expect_download() as download_info:
        row.get_by_role("link", name=re.compile("Download PDF")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    digest = hashlib.sha256(data).hexdigest()
    assert digest.startswith(prefix)
    assert digest == shown.get_attribute("title")
    download.save_as(screenshots.directory / download.suggested_filename)
    if shutil.which("pdftotext"):  # installed by scripts/install-system-deps.sh
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode()
        text = " ".join(text.split())  # lines wrapped in the PDF join up again
        assert "For the couple" in text and reference in text
        assert "started to catch the cycle together" in text  # the narrative
        assert NOTE["note_data"] not in text  # a client report carries no note text
