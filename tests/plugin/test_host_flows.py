"""A counsellor of the host app, signed in through the host's own login, works a case end to end
in the tracker: opens it, records a session, tags it live, writes and signs the note (the host
confirms the password), and downloads a progress report. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from practice.models import Case, MomentType, Partner, Report, TherapySession
from tests.plugin import host_app
from tests.plugin.conftest import HOST_PASSWORD, NOTE, HostBrowser, add_staff


def _one(app, query):
    with app.app_context():
        return host_app.db.session.scalar(query)


def test_a_host_user_works_a_case_from_opening_to_report(host):
    add_staff(host, "dana@host.example")
    browser = HostBrowser(host.test_client())
    assert browser.client.get("/practice/").headers["Location"].startswith("/sign-in")
    assert browser.sign_in("dana@host.example").status_code == 302
    page = browser.client.get("/practice/").get_data(as_text=True)
    assert "Host clinic" in page and 'name="csrf-token"' in page

    # Open a couple's case through the tracker's form (in the host's layout).
    assert "Open case" in browser.client.get("/practice/cases/new").get_data(as_text=True)
    opened = browser.post(
        "/practice/cases/new",
        {
            "kind": "couple",
            "opened_on": "2026-01-05",
            "partners-0-display_name": "Jo",
            "partners-0-cycle_role": "pursuer",
            "partners-1-display_name": "Lee",
            "partners-1-cycle_role": "withdrawer",
        },
    )
    assert opened.status_code == 302, opened.get_data(as_text=True)
    case_id = int(re.search(r"/cases/(\d+)$", opened.headers["Location"]).group(1))
    assert _one(host, select(Case.reference).where(Case.id == case_id)).startswith("C-")
    with host.app_context():
        query = select(Partner.id).where(Partner.case_id == case_id)
        partner_ids = [str(i) for i in host_app.db.session.scalars(query)]
    assert len(partner_ids) == 2

    # Screen each partner alone before joint work: a joint note is signed only after.
    for partner_id in partner_ids:
        screened = browser.post(
            f"/practice/cases/{case_id}/safety/partners/{partner_id}/screen",
            {
                "screened_on": datetime.now(UTC).date().isoformat(),
                **dict.fromkeys(("hurt", "insult", "threaten", "scream"), "1"),
                "afraid": "no",
                "decision": "joint_ok",
            },
        )
        assert screened.status_code == 302, screened.get_data(as_text=True)

    # Record a session starting now, and tag it live (JSON with the page's CSRF header).
    recorded = browser.post(
        f"/practice/cases/{case_id}/sessions/new",
        {
            "starts_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "50",
            "modality": "video",
            "attendance": partner_ids,
        },
    )
    assert recorded.status_code == 302, recorded.get_data(as_text=True)
    session_id = int(re.search(r"/sessions/(\d+)$", recorded.headers["Location"]).group(1))
    assert browser.post(f"/practice/sessions/{session_id}/live/start").status_code == 302
    live = browser.client.get(f"/practice/sessions/{session_id}/live").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', live).group(1)
    tagged = browser.client.post(
        f"/practice/sessions/{session_id}/live/tags",
        json={
            "moment_type_id": _one(host, select(MomentType.id).where(MomentType.key == "pursue")),
            "partner_id": None,
        },
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert tagged.status_code == 201, tagged.get_data(as_text=True)

    # Write the note, then sign it: the tracker asks the host to confirm the password.
    version = _one(host, select(TherapySession.version).where(TherapySession.id == session_id))
    saved = browser.post(f"/practice/sessions/{session_id}/note", {**NOTE, "version": version})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    version = _one(host, select(TherapySession.version).where(TherapySession.id == session_id))
    signed = browser.post(
        f"/practice/sessions/{session_id}/sign",
        # The session has no CSI-4: the sign page lists it, and signing confirms it was seen.
        {"password": HOST_PASSWORD, "version": version, "confirm_missing": "y"},
    )
    assert signed.status_code == 302, signed.get_data(as_text=True)
    status = _one(host, select(TherapySession.status).where(TherapySession.id == session_id))
    assert status == "signed"

    # A progress report, generated and downloaded.
    asked = browser.post(
        f"/practice/cases/{case_id}/reports",
        {
            "period_start": "2026-01-05",
            "period_end": datetime.now(UTC).strftime("%Y-%m-%d"),
            "audience": "clinical",
            "narrative": "",
        },
    )
    assert asked.status_code == 302, asked.get_data(as_text=True)
    report_id = _one(host, select(Report.id).where(Report.case_id == case_id))
    assert report_id is not None
    pdf = browser.client.get(f"/practice/reports/{report_id}/download")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")

    # The host's own sign-in and pages are untouched throughout.
    assert browser.client.get("/me").get_data(as_text=True) == "host user 1"
