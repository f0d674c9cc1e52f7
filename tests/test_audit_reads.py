"""Every answer that shows clinical data leaves an audit event.

The tracker's GET routes are walked from ``app.url_map`` as the case's counsellor and as their
supervisor, over a scenario whose clinical fields all carry a marker (``tests.matrix_support``);
a form shown again after a refused post is a read too, and is checked route by route.
"""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from practice.models import ApiToken, AuditEvent, Role
from tests.conftest import Auth
from tests.matrix_support import (
    MARKER,
    MARKER_BYTES,
    OWNER,
    REFERENCE,
    REFERENCE_BYTES,
    SUPERVISOR,
    Scenario,
    build_scenario,
    is_api,
    methods_of,
    tracker_rules,
    urls_for,
)
from tests.test_api_support import bearer, issue_token

# Pages each walker must find showing clinical data: proof that the walk reached the pages
# this file was written for, rather than passing over a login page.
MUST_SEE = {
    OWNER: {
        "practice.sessions.new",
        "practice.case_export.export",
        "practice.sessions.show",
        "practice.api.session_read",
    },
    SUPERVISOR: {
        "practice.review.session",
        "practice.sessions.show",
        "practice.api.session_read",
    },
}


@pytest.fixture
def scenario(app, db, make_staff, make_case, make_session, tmp_path, monkeypatch) -> Scenario:
    """The matrix's scenario, its report PDF stored in this test's own folder."""
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(tmp_path / "store"))
    return build_scenario(app, db, make_staff, make_case, make_session)


def _last_event_id(db) -> int:
    db.remove()
    return db.scalar(select(func.max(AuditEvent.id))) or 0


def _events_since(db, since: int) -> list[AuditEvent]:
    db.remove()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.id > since)))


def _shows_clinical_data(body: bytes, not_clinical: bytes = b"") -> bool:
    if not_clinical:
        body = body.replace(not_clinical, b"")
    return MARKER_BYTES in body or REFERENCE_BYTES in body


def _holds_marker(event: AuditEvent) -> bool:
    columns = " ".join(str(getattr(event, c.key)) for c in AuditEvent.__table__.columns)
    return MARKER in columns + json.dumps(event.detail)


def _signed_in_clients(app: Flask, db, member) -> tuple[FlaskClient, dict[str, str]]:
    """A browser signed in as ``member``, and the headers of a new API token of theirs."""
    browser = app.test_client()
    assert Auth(browser).login(member).status_code == 302
    return browser, bearer(issue_token(app, db, member, "audit walk"))


@pytest.mark.parametrize("actor", [OWNER, SUPERVISOR])
def test_every_get_that_shows_clinical_data_is_audited(app, db, scenario, actor, capsys):
    browser, headers = _signed_in_clients(app, db, scenario.members[actor])
    # The owner's API token is named with the marker by the scenario; its label, on the
    # owner's token page, is their own setting rather than clinical data.
    token_label = db.get(ApiToken, scenario.value("api token")).name.encode()
    checked, seen, unaudited, leaked = 0, set(), [], []
    for rule in tracker_rules(app):
        if "GET" not in methods_of(rule):
            continue
        for _kind, url in urls_for(app, rule, scenario):
            since = _last_event_id(db)
            if is_api(rule):
                response = app.test_client().get(url, headers=headers)
            else:
                response = browser.get(url)
            events = _events_since(db, since)
            checked += response.status_code == 200
            leaked += [f"{e.action} after GET {url}" for e in events if _holds_marker(e)]
            if not _shows_clinical_data(response.data, token_label):
                continue
            seen.add(rule.endpoint)
            if not events:
                unaudited.append(f"GET {url} ({rule.endpoint}) {response.status_code}")
    with capsys.disabled():
        print(f"\n{actor}: {checked} pages answered 200, {len(seen)} endpoints show clinical data")
    assert unaudited == [], "clinical data shown with no audit event"
    assert leaked == [], "clinical text in the audit trail"
    assert MUST_SEE[actor] <= seen


REFUSED_POSTS = {
    "/cases/{case}/edit": "case_viewed",
    "/cases/{case}/partners/new": "case_viewed",
    "/cases/{case}/status": "case_viewed",
    "/cases/{case}/sessions/new": "case_viewed",
    "/cases/{case}/reports": "reports_listed",
    "/cases/{case}/reports/preview": "reports_listed",
}


@pytest.mark.parametrize(("path", "action"), REFUSED_POSTS.items())
def test_a_form_shown_again_after_a_refused_post_is_audited(
    app, db, make_staff, make_case, path, action
):
    counsellor = make_staff(Role.COUNSELLOR)
    case = make_case(
        counsellor,
        partners=(f"Alex {MARKER}", f"Sam {MARKER}"),
        reference=REFERENCE,
        presenting_concerns=f"Concerns {MARKER}",
    )
    browser = app.test_client()
    auth = Auth(browser)
    auth.login(counsellor)
    token = auth.csrf_token("/")
    since = _last_event_id(db)
    # Every field but the CSRF token left out: the form is refused and shown again.
    response = browser.post(path.format(case=case.id), data={"csrf_token": token})
    assert response.status_code == 200
    assert _shows_clinical_data(response.data)
    events = _events_since(db, since)
    assert (action, case.id, counsellor.id, "ok") in {
        (e.action, e.case_id, e.actor_id, e.outcome) for e in events
    }
    assert not any(_holds_marker(e) for e in events)
