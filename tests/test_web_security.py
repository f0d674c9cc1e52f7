"""The web layer's own defences: local-only redirects after login, the security headers on every
kind of response, HSTS only over HTTPS, and pages that need no inline script.

The matrix test (``test_authorization_matrix``) also checks the headers on every response of
every route; this module covers each kind of response by name, and HTTPS.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from practice.models import Role
from practice.web.urls import safe_next_url
from tests.conftest import PASSWORD, Auth
from tests.matrix_support import (
    ADMIN,
    OWNER,
    SUPERVISOR,
    build_scenario,
    csp_directives,
    header_problems,
)

# What an attacker may put after ``next=`` in a link to our login page, as typed in the URL.
FOREIGN_TARGETS = [
    "//evil.example",
    "/\\evil.example",
    "https://evil.example",
    "/%5Cevil.example",  # decoded to /\evil.example
    "%2F%2Fevil.example",  # decoded to //evil.example
    "/%2F/evil.example",
    "///evil.example",
    "https:evil.example",
    "javascript:alert(document.domain)",
    "/%09/evil.example",  # a tab, which browsers drop: //evil.example
    "%20//evil.example",
    "\\\\evil.example",
]


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "/\n/evil.example",
        "evil.example",
        "",
        None,
    ],
)
def test_safe_next_url_refuses_anything_but_a_local_path(target):
    assert safe_next_url(target) is None


@pytest.mark.parametrize("target", ["/", "/cases?status=all", "/sessions/3#note", "/%5Cpath"])
def test_safe_next_url_keeps_local_paths(target):
    assert safe_next_url(target) == target


def _login(app, member, query: str):
    client = app.test_client()
    token = Auth(client).csrf_token("/login")
    return client.post(
        f"/login?{query}",
        data={"email": member.email, "password": PASSWORD, "csrf_token": token},
    )


def test_login_sends_foreign_next_targets_home(app, make_staff):
    member = make_staff()
    for target in FOREIGN_TARGETS:
        response = _login(app, member, f"next={target}")
        assert response.status_code == 302, target
        assert response.headers["Location"] == "/", target


def test_login_follows_a_local_next_target(app, make_staff):
    member = make_staff()
    response = _login(app, member, "next=/cases%3Fstatus%3Dall")
    assert response.headers["Location"] == "/cases?status=all"


def test_a_doubly_encoded_target_stays_a_local_path(app, make_staff):
    """``%255C`` arrives as the text ``%5C``: a path on this site, never another host."""
    member = make_staff()
    for target in ("/%255Cevil.example", "/%252F%252Fevil.example"):
        location = _login(app, member, f"next={target}").headers["Location"]
        parts = urlsplit(location)
        assert location.startswith("/") and not location.startswith("//"), location
        assert not parts.scheme and not parts.netloc and "\\" not in location


def test_an_expired_session_sends_back_to_the_same_local_page(
    app, client, auth, make_staff, monkeypatch
):
    auth.login(make_staff())
    monkeypatch.setitem(app.config, "PRACTICE_IDLE_TIMEOUT", -1)
    location = client.get("/cases?status=all").headers["Location"]
    assert location.startswith("/login?next=")
    next_url = parse_qs(urlsplit(location).query)["next"][0]
    assert next_url == "/cases?status=all" == safe_next_url(next_url)


# --- Headers on every kind of response ---------------------------------------------------------


@pytest.fixture
def scenario(app, db, make_staff, make_case, make_session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(tmp_path / "store"))
    return build_scenario(app, db, make_staff, make_case, make_session)


def _signed_in(app, member):
    client = app.test_client()
    assert Auth(client).login(member).status_code == 302
    return client


def _bearer(app, db, member) -> dict[str, str]:
    from practice.accounts.tokens import create_token

    with app.test_request_context():
        secret, _ = create_token(member, "headers")
        db.commit()
    return {"Authorization": f"Bearer {secret}"}


def _responses(app, db, scenario, base_url: str = "http://localhost"):
    """(kind of response, expected content type, response) for every kind the tracker sends."""
    ids = scenario.objects
    anonymous = app.test_client()
    owner = _signed_in(app, scenario.members[OWNER])
    supervisor = _signed_in(app, scenario.members[SUPERVISOR])
    admin = _signed_in(app, scenario.members[ADMIN])
    api = _bearer(app, db, scenario.members[OWNER])
    get = {"base_url": base_url}

    def confirmed(client) -> dict[str, str]:
        return {"csrf_token": Auth(client).csrf_token("/"), "password": PASSWORD}

    return [
        ("login page", "text/html", anonymous.get("/login", **get)),
        ("redirect to login", None, anonymous.get("/cases", **get)),
        ("home page", "text/html", owner.get("/", **get)),
        ("case page", "text/html", owner.get(f"/cases/{ids['case']}", **get)),
        ("session page", "text/html", owner.get(f"/sessions/{ids['signed session']}", **get)),
        ("live JSON", "application/json", owner.get(
            f"/sessions/{ids['draft session']}/live/state", **get)),
        ("job JSON", "application/json", owner.get(f"/jobs/{ids['job']}.json", **get)),
        ("API JSON", "application/json", anonymous.get("/api/v1/cases", headers=api, **get)),
        ("API 401", "application/json", anonymous.get("/api/v1/cases", **get)),
        ("API 404", "application/json", anonymous.get(
            "/api/v1/cases/2147483000", headers=api, **get)),
        ("report PDF", "application/pdf", owner.get(
            f"/reports/{ids['report']}/download", **get)),
        ("CSV export", "text/csv", supervisor.post(
            "/supervision/export.csv", data=confirmed(supervisor), **get)),
        ("admin page", "text/html", admin.get("/admin/staff", **get)),
        ("404 page", "text/html", owner.get("/no/such/page", **get)),
        ("403 page", "text/html", owner.get("/admin/staff", **get)),
        ("405 page", "text/html", owner.get("/logout", **get)),
        ("400 page", "text/html", owner.post("/logout", **get)),
        ("OpenAPI", "application/json", anonymous.get("/api/v1/openapi.json", **get)),
        ("health", None, anonymous.get("/healthz", **get)),
    ]  # fmt: skip


# The answers that are not 200, so that each kind is really the kind it is named after.
_STATUS = {
    "redirect to login": 302,
    "API 401": 401,
    "API 404": 404,
    "404 page": 404,
    "403 page": 403,
    "405 page": 405,
    "400 page": 400,
}


def test_security_headers_on_every_kind_of_response(app, db, scenario):
    failures = []
    for kind, content_type, response in _responses(app, db, scenario):
        status = _STATUS.get(kind, 200)
        if response.status_code != status:
            failures.append(f"{kind}: {response.status_code}, expected {status}")
        if content_type is not None and response.mimetype != content_type:
            failures.append(f"{kind}: {response.status_code} {response.mimetype}")
        failures += [f"{kind}: {problem}" for problem in header_problems(response)]
    assert failures == [], "\n".join(failures)


def test_every_response_over_https_carries_hsts(app, db, scenario):
    failures = []
    for kind, _type, response in _responses(app, db, scenario, base_url="https://localhost"):
        failures += [f"{kind}: {problem}" for problem in header_problems(response, secure=True)]
    assert failures == [], "\n".join(failures)


def test_hsts_behind_a_tls_terminating_proxy(app, client):
    """Behind a trusted proxy (``wsgi.py`` with PROXY_COUNT, run for real in test_gunicorn) the
    request counts as HTTPS; without one, anybody's X-Forwarded-Proto is ignored."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    https = {"X-Forwarded-Proto": "https"}
    untrusted = client.get("/login", headers=https)
    original = app.wsgi_app
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    try:
        secure = client.get("/login", headers=https)
        plain = client.get("/login")
    finally:
        app.wsgi_app = original
    assert "max-age=31536000" in secure.headers["Strict-Transport-Security"]
    assert "Strict-Transport-Security" not in plain.headers
    assert "Strict-Transport-Security" not in untrusted.headers


def test_static_files_may_be_cached_but_keep_the_other_headers(client):
    response = client.get("/static/practice.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert header_problems(response, cacheable=True) == []


def test_the_csp_allows_only_our_own_scripts_and_styles(client):
    csp = csp_directives(client.get("/login").headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("style-src", csp["default-src"])
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]


# --- Pages that work under that CSP ------------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
_SCRIPT_SRC = re.compile(r"<script[^>]*\bsrc=\"([^\"]+)\"", re.IGNORECASE)


def test_pages_hold_no_inline_script(app, scenario):
    """The CSP would block inline script; a page relying on it would silently break."""
    ids = scenario.objects
    pages = {
        OWNER: [
            "/",
            "/cases",
            f"/cases/{ids['case']}",
            f"/cases/{ids['case']}/edit",
            f"/cases/{ids['case']}/reports",
            f"/sessions/{ids['draft session']}",
            f"/sessions/{ids['draft session']}/edit",
            f"/sessions/{ids['draft session']}/live",
            f"/sessions/{ids['draft session']}/moments",
            f"/sessions/{ids['draft session']}/scripts",
            f"/sessions/{ids['draft session']}/measures",
            "/jobs",
            "/account/tokens",
        ],
        SUPERVISOR: ["/supervision", "/review", f"/review/sessions/{ids['signed session']}"],
        ADMIN: ["/admin/staff", "/admin/moment-types", "/admin/scripts"],
    }
    failures = []
    for actor, paths in pages.items():
        client = _signed_in(app, scenario.members[actor])
        for path in paths:
            response = client.get(path)
            page = response.get_data(as_text=True)
            if response.status_code != 200:
                failures.append(f"{path}: {response.status_code}")
            if _INLINE_SCRIPT.search(page) or _EVENT_HANDLER.search(page):
                failures.append(f"{path}: inline script")
            if "javascript:" in page.lower():
                failures.append(f"{path}: a javascript: URL")
            for src in _SCRIPT_SRC.findall(page):
                if not src.startswith("/static/"):
                    failures.append(f"{path}: script from {src}")
    assert failures == [], "\n".join(failures)


# --- Hosts: trusted host names, redirects that never name a host ------------------------------


def _standalone(tmp_path, **overrides):
    from tests.conftest import make_test_app

    return make_test_app(f"sqlite:///{tmp_path / 'h.db'}", tmp_path / "instance", **overrides)


@pytest.mark.parametrize(
    ("path", "target"),
    [("/cases//1", "/cases/1"), ("/cases//1?x=1", "/cases/1?x=1"), ("/api/v1", "/api/v1/")],
)
def test_routing_redirects_are_relative_whatever_the_host_header(tmp_path, path, target):
    client = _standalone(tmp_path).test_client()
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["Location"] == target
    assert "evil.example" not in response.get_data(as_text=True)


def test_only_trusted_hosts_are_served(tmp_path):
    client = _standalone(tmp_path, PRACTICE_TRUSTED_HOSTS="tracker.example.org").test_client()
    for path in ("/cases//1", "/login", "/healthz"):
        refused = client.get(path, headers={"Host": "evil.example"})
        assert refused.status_code == 400
        assert "evil.example" not in refused.headers.get("Location", "")
    assert client.get("/login", headers={"Host": "tracker.example.org"}).status_code == 200
    moved = client.get("/cases//1", headers={"Host": "tracker.example.org"})
    assert (moved.status_code, moved.headers["Location"]) == (308, "/cases/1")


def test_redirects_to_other_sites_are_left_alone(tmp_path):
    app = _standalone(tmp_path)

    @app.route("/elsewhere")
    def elsewhere():
        from flask import redirect

        return redirect("https://other.example/x")

    response = app.test_client().get("/elsewhere")
    assert response.headers["Location"] == "https://other.example/x"


# --- Sessions: CSRF secret renewed, flashes without client names --------------------------------


def _csrf_secret(client) -> str | None:
    with client.session_transaction() as stored:
        return stored.get("csrf_token")


def test_the_csrf_secret_is_renewed_at_sign_in_and_sign_out(client, auth, make_staff):
    member = make_staff(Role.COUNSELLOR)
    before = auth.csrf_token("/login")
    secret_before = _csrf_secret(client)
    auth.login(member)
    assert secret_before is not None and _csrf_secret(client) is None
    # A token from before the sign-in (a page left open, a fixated session) is refused.
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    during = auth.csrf_token("/")
    secret_during = _csrf_secret(client)
    assert auth.logout().status_code == 302
    assert _csrf_secret(client) is None
    auth.login(member)
    assert auth.csrf_token("/") and _csrf_secret(client) not in (None, secret_during)
    assert client.post("/logout", data={"csrf_token": during}).status_code == 400


def _flashed(client) -> str:
    with client.session_transaction() as stored:
        return " ".join(message for _category, message in stored.get("_flashes", []))


def test_flash_messages_carry_no_client_names(client, auth, db, case, make_session):
    from practice.models import Script

    visit = make_session(case)
    partner = case.partners[0]
    script = db.scalars(select(Script).where(Script.active.is_(True))).first()
    auth.login(case.counsellor)
    auth.post(
        f"/sessions/{visit.id}/scripts",
        {"partner_id": str(partner.id), "script_id": str(script.id), "assign": "Assign script"},
    )
    flashes = _flashed(client)  # read before the next page shows (and drops) them
    auth.post(
        f"/cases/{case.id}/score-sharing",
        {"partner_id": str(partner.id), "audience": "partner", "given_on": "2026-01-05"},
    )
    flashes += " " + _flashed(client)
    assert "assigned" in flashes and "consent" in flashes
    for person in case.partners:
        assert person.display_name not in flashes


# --- The development server names no versions ----------------------------------------------------


def test_the_development_server_announces_no_versions(tmp_path):
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    app = _standalone(tmp_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/healthz"
        with urllib.request.urlopen(url, timeout=5) as response:
            header = response.headers["Server"]
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/nowhere", timeout=5)
        except urllib.error.HTTPError as error:
            missing = error.headers["Server"]
    finally:
        server.shutdown()
        thread.join(timeout=5)
    assert header == missing == "practice"
    assert "Werkzeug" not in header and "Python" not in header
