"""The realistic host (``host_app``) on each database, its users, and its own sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.databases import fresh_database
from tests.plugin import host_app

HOST_PASSWORD = "host-password-2026"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def build_host(url: str, instance_path, **config) -> Flask:
    return host_app.create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(instance_path),
            "PRACTICE_REPORT_QUEUE_IMMEDIATE": True,
            **config,
        }
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def host_url(request, tmp_path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def host(host_url, tmp_path) -> Iterator[Flask]:
    """The host, its tables made, the tracker's migrated with the documented command."""
    app = build_host(host_url, tmp_path / "instance")
    with app.app_context():
        host_app.db.create_all()
    result = app.test_cli_runner().invoke(args=["practice", "upgrade-db"])
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        host_app.db.engine.dispose()


def add_host_user(app: Flask, email: str, password: str = HOST_PASSWORD) -> int:
    with app.app_context():
        user = host_app.User(email=email)
        user.set_password(password)
        host_app.db.session.add(user)
        host_app.db.session.commit()
        return user.id


def add_staff(app: Flask, email: str, role: str = "counsellor") -> int:
    """A host user made tracker staff with the README's command; returns the host user id."""
    user_id = add_host_user(app, email)
    result = app.test_cli_runner().invoke(
        args=[
            "practice",
            "create-user",
            email,
            "--name",
            email.split("@")[0].title(),
            "--role",
            role,
            "--user-id",
            str(user_id),
        ]
    )
    assert result.exit_code == 0, result.output
    return user_id


class HostBrowser:
    """A test client that signs in through the host's own login page."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def sign_in(self, email: str, password: str = HOST_PASSWORD):
        token = csrf_from(self.client.get("/sign-in").get_data(as_text=True))
        return self.client.post(
            "/sign-in", data={"email": email, "password": password, "csrf_token": token}
        )

    def token(self, path: str = "/practice/") -> str:
        return csrf_from(self.client.get(path).get_data(as_text=True))

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data={"csrf_token": self.token(), **(data or {})}, **kwargs)


def api_token(app: Flask, email: str) -> str:
    """A personal API token made with the README's command (printed on its last line)."""
    result = app.test_cli_runner().invoke(args=["practice", "token", "create", email])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


NOTE = {
    "note_data": "Alex pursued; Sam went quiet.",
    "note_assessment": "Both can see the cycle.",
    "note_plan": "Practise the time-out script.",
}


def draft_with_note(client: FlaskClient, token: str) -> tuple[int, int]:
    """A case and a session with a written note, through the API; (session id, version)."""
    bearer = {"Authorization": f"Bearer {token}"}
    case = client.post(
        "/practice/api/v1/cases",
        json={
            "opened_on": "2026-01-05",
            "partners": [{"display_name": "Alex"}, {"display_name": "Sam"}],
        },
        headers=bearer,
    )
    assert case.status_code == 201, case.get_data(as_text=True)
    # Each partner screened alone (through the API): a joint note is signed only after.
    for partner in case.get_json()["partners"]:
        screened = client.post(
            f"/practice/api/v1/cases/{case.get_json()['id']}/safety-screens",
            json={
                "partner_id": partner["id"],
                "screened_on": "2026-01-20",
                "items": [1, 1, 1, 1],
                "afraid": False,
                "decision": "joint_ok",
            },
            headers=bearer,
        )
        assert screened.status_code == 201, screened.get_data(as_text=True)
    session = client.post(
        f"/practice/api/v1/cases/{case.get_json()['id']}/sessions",
        json={"starts_at": "2026-02-03T15:00:00Z"},
        headers=bearer,
    )
    assert session.status_code == 201, session.get_data(as_text=True)
    body = session.get_json()
    saved = client.patch(
        f"/practice/api/v1/sessions/{body['id']}",
        json={"version": body["version"], **NOTE},
        headers=bearer,
    )
    assert saved.status_code == 200, saved.get_data(as_text=True)
    return body["id"], saved.get_json()["version"]
