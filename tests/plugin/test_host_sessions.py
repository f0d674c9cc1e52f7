"""The tracker's timeouts end the tracker's part of a host session, never the host's sign-in."""

from __future__ import annotations

import time

import pytest

from practice.web import session_limits
from tests.plugin.conftest import HOST_PASSWORD, HostBrowser, add_staff


@pytest.fixture
def browser(host) -> HostBrowser:
    add_staff(host, "dana@host.example")
    browser = HostBrowser(host.test_client())
    browser.sign_in("dana@host.example")
    assert browser.client.get("/practice/").status_code == 200  # the tracker's clock starts
    return browser


def _age(browser: HostBrowser, *, auth_seconds: int = 0, seen_seconds: int = 0) -> None:
    now = int(time.time())
    with browser.client.session_transaction() as session:
        session[session_limits.AUTH_AT] = now - auth_seconds
        session[session_limits.SEEN_AT] = now - seen_seconds


@pytest.mark.parametrize(
    "ages", [{"seen_seconds": 31 * 60}, {"auth_seconds": 13 * 3600}], ids=["idle", "too-old"]
)
def test_an_expired_tracker_session_keeps_the_hosts_sign_in(browser, ages):
    _age(browser, **ages)
    response = browser.client.get("/practice/cases")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/practice/resume")
    assert browser.client.get("/me").status_code == 200  # still signed in to the host
    # Every tracker page, and the API by cookie, waits for the password.
    assert browser.client.get("/practice/").status_code == 302
    api = browser.client.get("/practice/api/v1/cases")
    assert api.status_code == 401
    assert api.get_json()["error"]["code"] == "session_expired"


def test_the_password_resumes_the_tracker(browser):
    _age(browser, seen_seconds=31 * 60)
    browser.client.get("/practice/")
    page = browser.client.get("/practice/resume?next=/practice/cases")
    assert "Your session in the case tracker expired" in page.get_data(as_text=True)
    token = browser.token("/practice/resume")
    wrong = browser.client.post(
        "/practice/resume?next=/practice/cases",
        data={"password": "not mine", "csrf_token": token},
    )
    assert wrong.status_code == 200
    assert browser.client.get("/practice/").status_code == 302
    right = browser.client.post(
        "/practice/resume?next=/practice/cases",
        data={"password": HOST_PASSWORD, "csrf_token": token},
    )
    assert right.status_code == 302
    assert right.headers["Location"] == "/practice/cases"
    assert browser.client.get("/practice/").status_code == 200


def test_a_fresh_sign_in_to_the_host_restarts_the_trackers_clock(browser):
    _age(browser, seen_seconds=31 * 60)
    assert browser.client.get("/practice/").status_code == 302
    browser.client.post("/sign-out", data={"csrf_token": browser.token("/sign-in")})
    browser.sign_in("dana@host.example")
    assert browser.client.get("/practice/").status_code == 200


def test_host_requests_count_as_activity(browser):
    _age(browser, seen_seconds=25 * 60)
    assert browser.client.get("/me").status_code == 200  # the host's own page
    with browser.client.session_transaction() as session:
        assert int(time.time()) - session[session_limits.SEEN_AT] < 5
    assert browser.client.get("/practice/").status_code == 200


def test_host_requests_do_not_revive_an_expired_clock(browser):
    _age(browser, seen_seconds=31 * 60)
    browser.client.get("/me")
    assert browser.client.get("/practice/").status_code == 302
