"""Health probes: /healthz answers without the database, /readyz checks it and its schema."""

from __future__ import annotations

from sqlalchemy import text

from practice.core import migrate
from practice.models import Role
from tests.conftest import make_test_app


def test_healthz_answers_ok_to_anyone(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_does_not_touch_the_database(tmp_path):
    # A database URL that cannot be opened: liveness must not depend on it.
    app = make_test_app(f"sqlite:///{tmp_path / 'missing-dir' / 'p.db'}", tmp_path / "instance")
    assert app.test_client().get("/healthz").status_code == 200


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_readyz_needs_no_sign_in_even_when_signed_in(client, auth, make_staff):
    auth.login(make_staff(Role.COUNSELLOR))
    assert client.get("/readyz").status_code == 200


def test_readyz_refuses_an_empty_database(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path / "instance")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready",
        "reason": "database schema not up to date",
    }


def test_readyz_refuses_a_database_behind_the_migrations(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'old.db'}", tmp_path / "instance")
    with app.app_context():
        migrate.upgrade()
        session = app.extensions["sqlalchemy"].session
        session.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = 'older'"))
        session.commit()
    assert app.test_client().get("/readyz").status_code == 503


def test_readyz_says_unavailable_without_details_when_the_database_is_down(tmp_path):
    app = make_test_app(
        "postgresql+psycopg://nobody:secret-password@127.0.0.1:1/nowhere",
        tmp_path / "instance",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}},
    )
    response = app.test_client().get("/readyz")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "reason": "database unavailable"}
    assert "secret-password" not in body and "127.0.0.1" not in body


def test_probes_are_get_only(client):
    assert client.post("/healthz").status_code in (400, 405)
    assert client.head("/healthz").status_code == 200
