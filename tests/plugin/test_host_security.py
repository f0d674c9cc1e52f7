"""The README's mount with a host's global CSRFProtect and its reauthenticate hook."""

from __future__ import annotations

import pytest

from tests.plugin import host_app
from tests.plugin.conftest import (
    HOST_PASSWORD,
    HostBrowser,
    add_staff,
    api_token,
    draft_with_note,
)


@pytest.fixture
def counsellor(host):
    add_staff(host, "dana@host.example")
    return "dana@host.example"


def test_the_token_api_works_behind_the_hosts_global_csrf(host, counsellor):
    assert "csrf" in host.extensions  # the host protects every form of its own
    client = host.test_client()
    session_id, _version = draft_with_note(client, api_token(host, counsellor))
    assert session_id


def test_a_browser_session_still_needs_the_trackers_csrf_token_on_the_api(host, counsellor):
    browser = HostBrowser(host.test_client())
    browser.sign_in(counsellor)
    body = {"opened_on": "2026-01-05", "partners": [{"display_name": "Alex"}]}
    refused = browser.client.post("/practice/api/v1/cases", json={**body, "kind": "individual"})
    assert refused.status_code == 400
    token = browser.token()
    accepted = browser.client.post(
        "/practice/api/v1/cases",
        json={**body, "kind": "individual"},
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 201, accepted.get_data(as_text=True)


def test_the_hosts_own_forms_stay_protected(host, counsellor):
    client = host.test_client()
    response = client.post("/sign-in", data={"email": counsellor, "password": HOST_PASSWORD})
    assert response.status_code == 400


def test_signing_asks_the_host_to_confirm_the_password(host, counsellor):
    client = host.test_client()
    session_id, version = draft_with_note(client, api_token(host, counsellor))
    browser = HostBrowser(client)
    browser.sign_in(counsellor)
    path = f"/practice/sessions/{session_id}/sign"
    wrong = browser.post(
        path, {"password": "not my password", "version": version, "confirm_missing": "y"}
    )
    assert wrong.status_code == 200
    assert "not right" in wrong.get_data(as_text=True)
    signed = browser.post(
        path, {"password": HOST_PASSWORD, "version": version, "confirm_missing": "y"}
    )
    assert signed.status_code == 302


def test_wrong_passwords_to_the_host_hook_are_throttled(host, counsellor, monkeypatch):
    client = host.test_client()
    session_id, version = draft_with_note(client, api_token(host, counsellor))
    browser = HostBrowser(client)
    browser.sign_in(counsellor)
    asked = []
    real = host_app.User.check_password

    def counting(user, password):
        asked.append(password)
        return real(user, password)

    monkeypatch.setattr(host_app.User, "check_password", counting)
    path = f"/practice/sessions/{session_id}/sign"
    for _ in range(host.config["PRACTICE_LOGIN_MAX_FAILURES"]):
        browser.post(
            path, {"password": "a wrong guess", "version": version, "confirm_missing": "y"}
        )
    assert len(asked) == host.config["PRACTICE_LOGIN_MAX_FAILURES"]
    refused = browser.post(
        path, {"password": HOST_PASSWORD, "version": version, "confirm_missing": "y"}
    )
    assert refused.status_code == 200  # refused like a wrong one, the host not even asked
    assert len(asked) == host.config["PRACTICE_LOGIN_MAX_FAILURES"]


def test_the_api_is_exempt_also_when_the_host_adds_csrf_protection_after_the_tracker(tmp_path):
    from flask import Flask
    from flask_login import LoginManager
    from flask_sqlalchemy import SQLAlchemy
    from flask_wtf.csrf import CSRFProtect

    from practice import Practice

    app = Flask("late_csrf_host", instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/h.db")
    SQLAlchemy().init_app(app)
    login_manager = LoginManager(app)
    login_manager.user_loader(lambda user_id: None)
    Practice().init_app(app)
    CSRFProtect(app)
    response = app.test_client().post(
        "/practice/api/v1/cases", json={}, headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401  # the token check answered, not the host's CSRF check
