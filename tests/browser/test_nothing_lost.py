"""Nothing typed is lost: a CSI-4 answer given on the session's CSI-4 tab is still there after a
reload, kept on the device while incomplete and saved by the server once all four are given."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from practice.core.database import db, utcnow
from practice.models import Case, MeasureResponse
from tests.browser.conftest import COUNSELLOR, _record, login

pytestmark = pytest.mark.browser


@pytest.fixture
def fresh_draft(live_server) -> tuple[int, int, str]:
    """A new draft of the showcase case: its id, and the id and name of its first partner."""
    with live_server.app.app_context():
        case = db.get(Case, live_server.showcase_case_id)
        draft = _record(case, case.counsellor, utcnow().replace(microsecond=0) - timedelta(hours=2))
        partner = case.partners[0]
        db.commit()
        return draft.id, partner.id, partner.display_name


def test_a_csi4_answer_survives_a_reload(page, live_server, fresh_draft, screenshots):
    session_id, partner_id, name = fresh_draft
    login(page, live_server.url, COUNSELLOR)
    page.goto(f"{live_server.url}/sessions/{session_id}/measures")
    group = page.locator(f'fieldset[data-save-group="{partner_id}"]')

    # One answer of four: not saved by the server yet, kept on this device.
    group.locator('input[name$="-item_1"][value="4"]').check()
    status = group.locator("[data-save-status]")
    status.filter(has_text="answer all four items").wait_for()
    page.reload()
    group = page.locator(f'fieldset[data-save-group="{partner_id}"]')
    assert group.locator('input[name$="-item_1"][value="4"]').is_checked()
    screenshots.take(page, "kept-after-reload")

    # The other three: saved by the server, so a reload shows them from the database.
    for item, score in (("item_2", "3"), ("item_3", "4"), ("item_4", "2")):
        group.locator(f'input[name$="-{item}"][value="{score}"]').check()
    group.locator("[data-save-status]").filter(has_text="total 13").wait_for()
    with live_server.app.app_context():
        saved = db.scalar(
            select(MeasureResponse).where(
                MeasureResponse.session_id == session_id, MeasureResponse.partner_id == partner_id
            )
        )
        assert saved is not None and list(saved.items) == [4, 3, 4, 2]
    assert (
        page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('practice-unsaved'))")
        == []
    )
    page.reload()
    assert page.locator(
        f'fieldset[data-save-group="{partner_id}"] input[name$="-item_4"][value="2"]'
    ).is_checked()
    assert name in page.content()
    screenshots.take(page, "saved-after-reload")
