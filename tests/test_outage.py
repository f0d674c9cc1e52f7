"""With the database unreachable the tracker answers 503 with a retry hint, never a bare 500."""

from __future__ import annotations

import time

import pytest
from flask_login.utils import _create_identifier

from practice.web import session_limits
from tests.conftest import make_test_app

# Every connection attempt fails: a SQLite file that cannot be opened, a PostgreSQL server that
# refuses connections (nothing listens on port 1).
UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-directory/practice.db",
    "postgresql": "postgresql+psycopg://practice@127.0.0.1:1/practice?connect_timeout=1",
}


@pytest.fixture(params=sorted(UNREACHABLE))
def down(request, tmp_path):
    app = make_test_app(
        UNREACHABLE[request.param], tmp_path, TESTING=False, PROPAGATE_EXCEPTIONS=False
    )

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret clinical detail in an exception")

    return app


def _signed_in(client) -> None:
    """A session cookie of a signed-in account: loading it needs the database."""
    now = int(time.time())
    with client:
        client.get("/healthz")
        identifier = _create_identifier()  # what session protection expects of this client
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"
        session["_fresh"] = True
        session["_id"] = identifier
        session[session_limits.AUTH_AT] = session[session_limits.SEEN_AT] = now


@pytest.mark.parametrize("signed_in", [False, True], ids=["probe", "with-cookie"])
def test_readyz_answers_503_never_500(down, signed_in):
    client = down.test_client()
    if signed_in:
        _signed_in(client)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "reason": "database unavailable"}


def test_pages_answer_503_with_a_retry_hint_rendered_without_the_database(down):
    client = down.test_client()
    _signed_in(client)
    response = client.get("/cases")
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    page = response.get_data(as_text=True)
    assert "Unavailable for a moment" in page
    assert "Content-Security-Policy" in response.headers


def test_json_routes_answer_json_with_a_retry_hint(down):
    client = down.test_client()
    api = client.get("/api/v1/cases", headers={"Authorization": "Bearer cct_whatever"})
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "unavailable"
    assert api.headers["Retry-After"].isdigit()
    _signed_in(client)
    autosave = client.post(
        "/sessions/1/autosave", json={"version": 1}, headers={"Accept": "application/json"}
    )
    assert autosave.status_code == 503
    assert autosave.get_json()["error"]["code"] == "unavailable"


def test_the_500_page_renders_without_the_database(down):
    client = down.test_client()
    _signed_in(client)
    response = client.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "secret clinical detail" not in page
