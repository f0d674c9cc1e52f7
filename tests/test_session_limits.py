"""Sessions end on the server after 30 idle minutes or 12 hours; cookies are locked down."""

import time

import pytest

from config import ProductionConfig
from practice.models import StaffMember
from practice.standalone import create_app
from practice.web import session_limits
from tests.test_plugin import host  # noqa: F401  (the host-app fixture)


def _age(client, *, auth_seconds: int = 0, seen_seconds: int = 0) -> None:
    """Pretend the sign-in happened and the last request came so many seconds ago."""
    now = int(time.time())
    with client.session_transaction() as session:
        session[session_limits.AUTH_AT] = now - auth_seconds
        session[session_limits.SEEN_AT] = now - seen_seconds


def test_a_live_session_keeps_ticking(client, auth, make_staff):
    auth.login(make_staff())
    _age(client, auth_seconds=3600, seen_seconds=29 * 60)
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert int(time.time()) - session[session_limits.SEEN_AT] <= 2


@pytest.mark.parametrize(
    "ages",
    [
        {"auth_seconds": 31 * 60, "seen_seconds": 31 * 60},  # idle too long
        {"auth_seconds": 12 * 3600 + 5, "seen_seconds": 10},  # busy, but too old
    ],
    ids=["idle", "absolute"],
)
def test_an_expired_session_is_signed_out(client, auth, make_staff, ages):
    auth.login(make_staff())
    _age(client, **ages)
    response = client.get("/cases")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/cases"
    assert "Your session expired" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302  # signed out, not just bounced once


def test_configured_timeouts_apply(app, client, auth, make_staff, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_IDLE_TIMEOUT", 60)
    auth.login(make_staff())
    _age(client, seen_seconds=61)
    assert client.get("/").status_code == 302


def test_a_cookie_replayed_after_expiry_stays_expired(client, auth, make_staff):
    auth.login(make_staff())
    _age(client, seen_seconds=31 * 60)
    captured = client.get_cookie("session").value
    assert client.get("/").status_code == 302
    client.set_cookie("session", captured)
    assert client.get("/").status_code == 302


def test_a_session_without_a_clock_is_refused(client, auth, make_staff):
    auth.login(make_staff())
    with client.session_transaction() as session:
        del session[session_limits.AUTH_AT]
    assert client.get("/").status_code == 302


def test_json_requests_by_cookie_get_401(client, auth, make_staff):
    auth.login(make_staff())
    _age(client, seen_seconds=31 * 60)
    response = client.get("/api/v1/cases", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "session_expired"


def test_no_remember_me_cookie(app, client, auth, make_staff):
    name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    response = auth.login(make_staff())
    cookies = response.headers.getlist("Set-Cookie")
    # Flask-Login may send a deletion of the remember cookie, never a value for it.
    remember = [c for c in cookies if c.startswith(f"{name}=")]
    assert all(c.startswith(f"{name}=;") and "Max-Age=0" in c for c in remember)
    assert client.get_cookie(name) is None
    assert client.get("/").status_code == 200
    assert client.get_cookie(name) is None
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie  # plain-HTTP development
    assert "Expires" not in session_cookie  # ends with the browser


def test_cookies_are_secure_behind_https(tmp_path):
    app = create_app(
        {"SECRET_KEY": "k", "PREFERRED_URL_SCHEME": "https", "TESTING": True},
        instance_path=str(tmp_path),
    )
    cookie = app.test_client().get("/login").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_DURATION"] == 0


def test_production_config_makes_cookies_secure(tmp_path):
    app = create_app(ProductionConfig(), SECRET_KEY="k", instance_path=str(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"


def test_host_mode_sessions_expire_on_tracker_pages(host):  # noqa: F811
    app, db, HostUser = host
    with app.app_context():
        user = HostUser(username="robin")
        db.session.add(user)
        db.session.flush()
        db.session.add(
            StaffMember(user_id=str(user.id), email="r@host.example", display_name="Robin")
        )
        db.session.commit()
        user_id = user.id
    client = app.test_client()
    client.get(f"/sign-in?as={user_id}")
    assert client.get("/practice/").status_code == 200  # the clock starts here
    with client.session_transaction() as session:
        assert session[session_limits.OWNER] == str(user_id)
    _age(client, auth_seconds=40 * 60, seen_seconds=31 * 60)
    response = client.get("/practice/")
    assert response.status_code == 302
    # Only the tracker's part ends: the host's sign-in stays, the tracker asks to re-enter.
    assert response.headers["Location"].startswith("/practice/resume")
    with client.session_transaction() as session:
        assert session["_user_id"] == str(user_id)
